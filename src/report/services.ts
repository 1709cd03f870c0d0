// Service names for the header ("TCP port 443 (https)"): /etc/services when the host has it, else a short table.
import { readFileSync } from 'node:fs';

const BUILT_IN: Record<string, string> = {
  'tcp/21': 'ftp', 'tcp/22': 'ssh', 'tcp/23': 'telnet', 'tcp/25': 'smtp', 'tcp/53': 'domain', 'udp/53': 'domain',
  'tcp/80': 'http', 'udp/123': 'ntp', 'tcp/110': 'pop3', 'tcp/143': 'imap', 'udp/161': 'snmp', 'tcp/179': 'bgp',
  'tcp/389': 'ldap', 'tcp/443': 'https', 'udp/443': 'https', 'udp/500': 'isakmp', 'tcp/587': 'submission',
  'tcp/636': 'ldaps', 'tcp/993': 'imaps', 'tcp/995': 'pop3s', 'udp/1194': 'openvpn', 'tcp/1433': 'ms-sql-s',
  'tcp/3306': 'mysql', 'tcp/3389': 'ms-wbt-server', 'udp/4500': 'ipsec-nat-t', 'tcp/5432': 'postgresql',
  'udp/5353': 'mdns', 'tcp/6379': 'redis', 'tcp/6443': 'kubernetes', 'tcp/8080': 'http-alt', 'tcp/8443': 'https-alt',
  'tcp/9090': 'websm', 'udp/51820': 'wireguard',
};

let table: Map<string, string> | undefined;

function load(): Map<string, string> {
  const map = new Map(Object.entries(BUILT_IN));
  try {
    for (const line of readFileSync('/etc/services', 'utf8').split('\n')) {
      const match = /^([\w.+-]+)\s+(\d+)\/(tcp|udp)/.exec(line);
      if (match && !map.has(`${match[3]}/${match[2]}`)) map.set(`${match[3]}/${match[2]}`, match[1]!);
    }
  } catch {
    // no /etc/services (minimal containers): the built-in table is enough
  }
  return map;
}

export function serviceName(protocol: 'tcp' | 'udp', port: number): string | null {
  table ??= load();
  return table.get(`${protocol}/${port}`) ?? null;
}

/** "TCP/443 (https)", "UDP/53 (domain)", "ICMP echo": a probe method with its port's service name. */
export function methodLabel(protocol: 'tcp' | 'udp' | 'icmp', port: number | null): string {
  if (protocol === 'icmp' || port === null) return 'ICMP echo';
  const service = serviceName(protocol, port);
  return `${protocol.toUpperCase()}/${port}${service ? ` (${service})` : ''}`;
}
