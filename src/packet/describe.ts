// One line of text per packet for `--debug`, tcpdump-like. It runs on every packet sent and received, including
// garbage, so it must never throw: anything it cannot make sense of becomes "undecodable N bytes: <hex>".
import { hexPrefix } from './bytes.js';
import { decodeIcmp, icmpName } from './icmp.js';
import type { IcmpMessage, MplsLabel } from './icmp.js';
import { decodeIcmpv6, icmpv6Name } from './icmpv6.js';
import { interfaceInfoText } from './interface-info.js';
import { decodeIpv4 } from './ipv4.js';
import { decodeIpv6 } from './ipv6.js';
import { decodeTcp } from './tcp.js';
import type { TcpHeader } from './tcp.js';
import { decodeUdp } from './udp.js';

export interface DescribeOptions {
  /** IPv6 only (raw IPv6 sockets give no IP header): the addresses, upper protocol and hop limit to show. */
  v6Source?: string;
  v6Destination?: string;
  v6Protocol?: number;
  hopLimit?: number;
}

function undecodable(bytes: Uint8Array, what = 'undecodable'): string {
  return `${what} ${bytes.length} bytes: ${hexPrefix(bytes)}`;
}

/** tcpdump's flag letters: S F R P U E W, and '.' for ACK. */
function flagText(header: TcpHeader): string {
  const f = header.flags;
  if (!f) return '';
  const letters = `${f.syn ? 'S' : ''}${f.fin ? 'F' : ''}${f.rst ? 'R' : ''}${f.psh ? 'P' : ''}${f.urg ? 'U' : ''}${f.ece ? 'E' : ''}${f.cwr ? 'W' : ''}${f.ack ? '.' : ''}`;
  return letters === '' ? 'none' : letters;
}

function describeTcp(bytes: Uint8Array): string {
  const decoded = decodeTcp(bytes);
  if (!decoded.ok) return `TCP ${undecodable(bytes)}`;
  const { header, partial, payload, malformed } = decoded.value;
  const parts = [`TCP ${header.sourcePort} > ${header.destinationPort}`];
  if (header.flags) parts.push(`[${flagText(header)}]`);
  parts.push(`seq ${header.seq}`);
  if (header.flags?.ack) parts.push(`ack ${header.ack}`);
  const options = header.options;
  if (options?.mss !== undefined) parts.push(`mss ${options.mss}`);
  if (options?.wscale !== undefined) parts.push(`wscale ${options.wscale}`);
  if (options?.sackPermitted) parts.push('sackOK');
  if (options?.timestamps) parts.push(`TS ${options.timestamps.value}/${options.timestamps.echo}`);
  if (options?.malformed) parts.push(`(bad options: ${options.malformed})`);
  if (payload.length > 0) parts.push(`length ${payload.length}`);
  if (malformed) parts.push(`(bad header: ${malformed})`);
  else if (partial) parts.push('(partial header)');
  return parts.join(' ');
}

function describeUdp(bytes: Uint8Array): string {
  const decoded = decodeUdp(bytes);
  if (!decoded.ok) return `UDP ${undecodable(bytes)}`;
  const { header, truncated } = decoded.value;
  return `UDP ${header.sourcePort} > ${header.destinationPort} len ${header.length - 8} cksum 0x${header.checksum.toString(16).padStart(4, '0')}${truncated ? ' (truncated)' : ''}`;
}

function endpoint(family: 4 | 6, address: string, port: number): string {
  return family === 4 ? `${address}:${port}` : `[${address}]:${port}`;
}

/** "TCP 198.18.1.1:40000 > 198.18.4.2:80 seq 123": just enough of a quoted datagram to tell which probe it was. */
function describeQuote(family: 4 | 6, quote: Uint8Array): string {
  let source: string;
  let destination: string;
  let protocol: number;
  let l4: Uint8Array;
  if (family === 4) {
    const ip = decodeIpv4(quote);
    if (!ip.ok) return `undecodable quote of ${quote.length} bytes`;
    ({ source, destination, protocol } = ip.value.header);
    l4 = ip.value.payload;
  } else {
    const ip = decodeIpv6(quote);
    if (!ip.ok) return `undecodable quote of ${quote.length} bytes`;
    ({ source, destination } = ip.value.header);
    protocol = ip.value.upperProtocol;
    l4 = ip.value.payload;
  }
  if (protocol === 6 || protocol === 17) {
    const name = protocol === 6 ? 'TCP' : 'UDP';
    const tcp = protocol === 6 ? decodeTcp(l4) : null;
    const udp = protocol === 17 ? decodeUdp(l4) : null;
    const ports = tcp?.ok ? tcp.value.header : udp?.ok ? udp.value.header : null;
    if (!ports) return `${name} ${source} > ${destination} (${l4.length} bytes quoted)`;
    const detail = tcp?.ok ? ` seq ${tcp.value.header.seq}` : udp?.ok ? ` cksum 0x${udp.value.header.checksum.toString(16).padStart(4, '0')}` : '';
    return `${name} ${endpoint(family, source, ports.sourcePort)} > ${endpoint(family, destination, ports.destinationPort)}${detail}`;
  }
  if ((family === 4 && protocol === 1) || (family === 6 && protocol === 58)) {
    const inner = family === 4 ? decodeIcmp(l4) : decodeIcmpv6(l4);
    if (!inner.ok) return `ICMP ${source} > ${destination} (${l4.length} bytes quoted)`;
    const m = inner.value;
    const name = family === 4 ? icmpName(m.type, m.code) : icmpv6Name(m.type, m.code);
    const idSeq = m.identifier !== undefined ? ` id ${m.identifier} seq ${m.sequence ?? 0}` : '';
    return `${family === 4 ? 'ICMP' : 'ICMPv6'} ${name} ${source} > ${destination}${idSeq}`;
  }
  return `protocol ${protocol} ${source} > ${destination}`;
}

function describeMpls(labels: MplsLabel[]): string {
  return labels.map((l) => `L=${l.label},TC=${l.trafficClass},S=${l.bottomOfStack ? 1 : 0},TTL=${l.ttl}`).join(' ');
}

function describeIcmp(family: 4 | 6, bytes: Uint8Array): string {
  const label = family === 4 ? 'ICMP' : 'ICMPv6';
  const decoded = family === 4 ? decodeIcmp(bytes) : decodeIcmpv6(bytes);
  if (!decoded.ok) return `${label} ${undecodable(bytes)}`;
  const m: IcmpMessage = decoded.value;
  const parts = [`${label} ${family === 4 ? icmpName(m.type, m.code) : icmpv6Name(m.type, m.code)}`];
  if (m.identifier !== undefined) parts.push(`id ${m.identifier} seq ${m.sequence ?? 0}`);
  if (m.mtu !== undefined) parts.push(`mtu ${m.mtu}`);
  if (m.pointer !== undefined) parts.push(`pointer ${m.pointer}`);
  if (m.gateway !== undefined) parts.push(`gateway ${m.gateway}`);
  if (m.checksumValid === false) parts.push('(bad checksum)');
  let text = parts.join(' ');
  if (m.quote) text += `, quoting ${describeQuote(family, m.quote)}`;
  if (m.extensions?.mpls) text += `, MPLS ${describeMpls(m.extensions.mpls)}`;
  for (const info of m.extensions?.interfaces ?? []) text += `, interface ${interfaceInfoText(info)}`;
  if (m.extensionError) text += ` (extension: ${m.extensionError})`;
  return text;
}

function describeUpper(family: 4 | 6, protocol: number, bytes: Uint8Array): string {
  if (protocol === 6) return describeTcp(bytes);
  if (protocol === 17) return describeUdp(bytes);
  if (family === 4 && protocol === 1) return describeIcmp(4, bytes);
  if (family === 6 && protocol === 58) return describeIcmp(6, bytes);
  return `protocol ${protocol} ${bytes.length} bytes`;
}

/**
 * One line for a packet. IPv4: `bytes` is the whole IP packet. IPv6: `bytes` is the upper-layer message only,
 * and the options say the addresses, protocol and hop limit.
 */
export function describePacket(family: 4 | 6, bytes: Uint8Array, options: DescribeOptions = {}): string {
  try {
    if (family === 4) {
      const ip = decodeIpv4(bytes);
      if (!ip.ok) return undecodable(bytes);
      const { header, payload, truncated } = ip.value;
      return `${header.source} > ${header.destination} ttl ${header.ttl} ${describeUpper(4, header.protocol, payload)}${truncated ? ' (truncated)' : ''}`;
    }
    const head = `${options.v6Source ?? '?'} > ${options.v6Destination ?? '?'}${options.hopLimit !== undefined ? ` hlim ${options.hopLimit}` : ''}`;
    if (options.v6Protocol === undefined) return `${head} ${undecodable(bytes, 'unknown protocol,')}`;
    return `${head} ${describeUpper(6, options.v6Protocol, bytes)}`;
  } catch (error) {
    // Not reachable by design; a debug log line is no reason to end a trace if it ever is.
    return `${undecodable(bytes)} (${error instanceof Error ? error.message : String(error)})`;
  }
}
