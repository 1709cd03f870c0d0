// `portpath demo`: builds a small lab of real Linux routers in network namespaces, traces through it with
// explanations, and removes it again (also on Ctrl-C). Needs root and iproute2; r2's firewall uses nftables or
// iptables when present and falls back to policy routing, so it also runs on a machine with neither.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { buildChain } from '../lab/topology.js';
import type { Chain } from '../lab/topology.js';
import { PortpathError } from '../transport/errors.js';
import type { Output } from './common.js';

const PORTS = { open: 80, closed: 81, dropped: 8443, rejected: 3389, forged: 443 };

interface Step {
  title: string;
  args: string[];
  explain: string;
}

function steps(chain: Chain, canForge: boolean): Step[] {
  const server4 = chain.serverAddress(4);
  const server6 = chain.serverAddress(6);
  const forged: Step[] = canForge
    ? [
        {
          title: `TCP port ${PORTS.forged}: r2 answers for the server with a forged RST`,
          args: [server4, String(PORTS.forged)],
          explain:
            'The port looks [closed] — an RST "from the server" — but the RST comes at TTL 3 while ICMP finds the ' +
            "server at hop 4, and its IP TTL says it was sent 2 hops away: r2 forged it (reset-in-path). Other " +
            "tracers would report a closed port on the server.",
        },
      ]
    : [];
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
        "r2 checks the TTL before its firewall, so it still answers time-exceeded at hop 2; past it there is only " +
        'silence. portpath gives up after 5 silent hops (about half a second) instead of waiting through 27 more ' +
        'TTLs: [filtered], and the last hop that answered is r2.',
    },
    {
      title: `TCP port ${PORTS.rejected}: r2's firewall rejects it`,
      args: [server4, String(PORTS.rejected)],
      explain:
        'Probes that get past r2\'s TTL check draw ICMP "communication administratively prohibited" (!X) from r2 ' +
        "itself, so hop 3 shows r2's address again: [filtered], and who said so.",
    },
    ...forged,
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

function hasCommand(chain: Chain, command: string): boolean {
  return chain.exec(chain.client, 'sh', ['-c', `command -v ${command} || true`]).trim() !== '';
}

/**
 * r2 drops TCP/8443, rejects TCP/3389 (ICMP admin-prohibited) and forges RSTs for TCP/443 toward the server, both
 * families (the forged RSTs only with a real firewall). A real firewall
 * (nft, else iptables) when the machine has one; else policy routing (blackhole / prohibit routes), which needs
 * only iproute2 but whose rejects the kernel limits to about one a second, so some probes show '*'.
 */
function installFirewall(chain: Chain): string {
  const r2 = chain.routers[1]!;
  if (hasCommand(chain, 'nft')) {
    chain.exec(r2, 'nft', ['-f', '-'], {
      input:
        'table inet demo {\n  chain forward {\n    type filter hook forward priority 0;\n' +
        `    tcp dport ${PORTS.dropped} drop\n    tcp dport ${PORTS.rejected} reject with icmpx admin-prohibited\n` +
        `    tcp dport ${PORTS.forged} reject with tcp reset\n  }\n}\n`,
    });
    return 'nftables';
  }
  if (hasCommand(chain, 'iptables') && hasCommand(chain, 'ip6tables')) {
    for (const [tool, reject] of [['iptables', 'icmp-admin-prohibited'], ['ip6tables', 'icmp6-adm-prohibited']] as const) {
      chain.exec(r2, tool, ['-A', 'FORWARD', '-p', 'tcp', '--dport', String(PORTS.dropped), '-j', 'DROP']);
      chain.exec(r2, tool, ['-A', 'FORWARD', '-p', 'tcp', '--dport', String(PORTS.rejected), '-j', 'REJECT', '--reject-with', reject]);
      chain.exec(r2, tool, ['-A', 'FORWARD', '-p', 'tcp', '--dport', String(PORTS.forged), '-j', 'REJECT', '--reject-with', 'tcp-reset']);
    }
    return 'iptables';
  }
  for (const [family, flag] of [[4, '-4'], [6, '-6']] as const) {
    const serverNet = family === 4 ? `${chain.serverAddress(4)}/32` : `${chain.serverAddress(6)}/128`;
    chain.exec(r2, 'ip', [flag, 'route', 'add', 'blackhole', serverNet, 'table', '100']);
    chain.exec(r2, 'ip', [flag, 'route', 'add', 'prohibit', serverNet, 'table', '101']);
    chain.exec(r2, 'ip', [flag, 'rule', 'add', 'ipproto', 'tcp', 'dport', String(PORTS.dropped), 'table', '100', 'priority', '100']);
    chain.exec(r2, 'ip', [flag, 'rule', 'add', 'ipproto', 'tcp', 'dport', String(PORTS.rejected), 'table', '101', 'priority', '101']);
  }
  return 'policy routing (no nft or iptables on this machine)';
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
    // Linux routers answer at most 6 ICMP errors in a burst, then 1 a second, per destination: one trace fits,
    // six back to back do not, so the demo lifts the limit (test/lab keeps it on to prove one trace gets 3/3).
    chain = await buildChain({ routers: 3 });
    await chain.startServices({ tcp: [PORTS.open, PORTS.dropped, PORTS.rejected, PORTS.forged], dns: [53] });
    const firewall = installFirewall(chain);
    io.out(
      `Addresses: client ${chain.clientAddress(4)}, routers ${[1, 2, 3].map((i) => chain!.routerAddress(i, 4)).join(', ')}, ` +
        `server ${chain.serverAddress(4)} / ${chain.serverAddress(6)}; r2's firewall: ${firewall}.\n`,
    );
    let n = 0;
    for (const step of steps(chain, !firewall.startsWith('policy'))) {
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
