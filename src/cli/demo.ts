// `portpath demo`: builds a small lab of real Linux routers in network namespaces, traces through it with
// explanations, and removes it again (also on Ctrl-C). Needs root and iproute2, nothing else: the "firewall" on r2
// is made of policy-routing rules, so it runs on a fresh machine without iptables or nftables.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildChain } from '../lab/topology.js';
import type { Chain } from '../lab/topology.js';
import { PortpathError } from '../transport/errors.js';
import type { Output } from './trace-command.js';

const PORTS = { open: 80, closed: 81, dropped: 8443, rejected: 3389 };

interface Step {
  title: string;
  args: string[];
  explain: string;
}

function steps(chain: Chain): Step[] {
  const server4 = chain.serverAddress(4);
  const server6 = chain.serverAddress(6);
  return [
    {
      title: `TCP port ${PORTS.open}: a web server listens there`,
      args: [server4, String(PORTS.open)],
      explain: 'Every router answers each probe (3/3) and the server answers the SYN with SYN-ACK: [open].',
    },
    {
      title: `TCP port ${PORTS.closed}: nothing listens there`,
      args: [server4, String(PORTS.closed)],
      explain: "The server's kernel answers with RST: the host is reachable, the port is [closed].",
    },
    {
      title: `TCP port ${PORTS.dropped}: r2's firewall silently drops it`,
      args: [server4, String(PORTS.dropped)],
      explain:
        'r2 discards the probes before it even looks at their TTL, so from hop 2 on nothing answers: the last hop ' +
        'that answers is r1, and portpath stops after 5 silent hops instead of waiting on 27 more: [filtered].',
    },
    {
      title: `TCP port ${PORTS.rejected}: r2's firewall rejects it`,
      args: [server4, String(PORTS.rejected)],
      explain: 'r2 answers with ICMP "communication administratively prohibited" (!X): [filtered], and who said so.',
    },
    {
      title: 'UDP port 53 over IPv6: a DNS server',
      args: ['-U', server6, '53'],
      explain: 'UDP probes to port 53 carry a real DNS query, so the server answers and the port shows [open].',
    },
    {
      title: 'ICMP echo over IPv6',
      args: ['-I', server6],
      explain: 'Plain ICMP echo, the way ping would go.',
    },
  ];
}

/** r2 drops TCP/8443 (blackhole) and rejects TCP/3389 (prohibit) for traffic toward the server, both families. */
function installFirewall(chain: Chain): void {
  const r2 = chain.routers[1]!;
  for (const [family, flag] of [[4, '-4'], [6, '-6']] as const) {
    const serverNet = family === 4 ? `${chain.serverAddress(4)}/32` : `${chain.serverAddress(6)}/128`;
    chain.exec(r2, 'ip', [flag, 'route', 'add', 'blackhole', serverNet, 'table', '100']);
    chain.exec(r2, 'ip', [flag, 'route', 'add', 'prohibit', serverNet, 'table', '101']);
    chain.exec(r2, 'ip', [flag, 'rule', 'add', 'ipproto', 'tcp', 'dport', String(PORTS.dropped), 'table', '100', 'priority', '100']);
    chain.exec(r2, 'ip', [flag, 'rule', 'add', 'ipproto', 'tcp', 'dport', String(PORTS.rejected), 'table', '101', 'priority', '101']);
  }
}

function runTrace(chain: Chain, args: string[]): Promise<number> {
  const main = fileURLToPath(new URL('./main.js', import.meta.url));
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', chain.client.namespace, process.execPath, main, '-n', ...args], {
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    child.on('exit', (code) => resolve(code ?? 1));
    child.on('error', () => resolve(1));
  });
}

export async function demoCommand(_argv: string[], io: Output): Promise<number> {
  if (process.getuid?.() !== 0) {
    throw new PortpathError('ERR_NO_PRIVILEGE', 'The demo builds network namespaces and needs root: run sudo npm run demo.');
  }
  io.out('Building the lab: client — r1 — r2 — r3 — server, each a network namespace with its own Linux kernel stack.\n');
  let chain: Chain | undefined;
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
  };
  process.on('SIGINT', onSigint);
  try {
    chain = await buildChain({ routers: 3, icmpRateLimit: true });
    await chain.startServices({ tcp: [PORTS.open, PORTS.dropped, PORTS.rejected], dns: [53] });
    installFirewall(chain);
    io.out(
      `Addresses: client ${chain.clientAddress(4)}, routers ${[1, 2, 3].map((i) => chain!.routerAddress(i, 4)).join(', ')}, ` +
        `server ${chain.serverAddress(4)} / ${chain.serverAddress(6)}. Routers keep Linux's default ICMP rate limits.\n`,
    );
    let n = 0;
    for (const step of steps(chain)) {
      if (interrupted) break;
      io.out(`\n── ${++n}. ${step.title}\n$ portpath -n ${step.args.join(' ')}\n`);
      await runTrace(chain, step.args);
      io.out(`→ ${step.explain}\n`);
    }
    return interrupted ? 130 : 0;
  } finally {
    process.off('SIGINT', onSigint);
    if (chain) {
      await chain.destroy();
      io.out('\nLab removed.\n');
    }
  }
}
