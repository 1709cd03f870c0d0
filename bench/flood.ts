// A busy host, for `npm run bench -- --only flood`: unrelated TCP SYNs flood the client (hping3 from the server's
// namespace, to a port nobody traces) at several rates while portpath and traceroute -T trace an open port on a
// 3-router chain of its own. Wall and CPU time of each (GNU time), and whether every hop still answered 3/3.
import { buildChain } from '../src/lab/topology.js';
import type { Chain } from '../src/lab/topology.js';
import { findCommand, runInNode, sleep } from './exec.js';
import { parsePortpathJson, parseTracerouteText } from './parse.js';
import type { ParseResult } from './parse.js';
import { PORTPATH_CLI } from './peers.js';

export interface FloodRow {
  rate: string;
  tool: string;
  wall: number;
  cpu: number;
  complete: boolean;
}

/** hping3's interval for each rate; '--flood' sends as fast as the lab allows. */
const RATES: [string, string[]][] = [
  ['idle', []],
  ['~10k SYN/s', ['-i', 'u100']],
  ['~50k SYN/s', ['-i', 'u20']],
  ['flood (as fast as hping3 goes)', ['--flood']],
];

async function timed(chain: Chain, command: string, args: string[]): Promise<{ wall: number; cpu: number; stdout: string }> {
  const time = findCommand('/usr/bin/time') ?? 'time';
  const run = await runInNode(chain, chain.client, time, ['-f', 'TIME %e %U %S', command, ...args], 60);
  const m = /TIME ([\d.]+) ([\d.]+) ([\d.]+)/.exec(run.stderr);
  return { wall: m ? Number(m[1]) : run.seconds, cpu: m ? Number(m[2]) + Number(m[3]) : NaN, stdout: run.stdout };
}

/** Every hop of the 4-hop path answered every probe. */
function complete(parsed: ParseResult): boolean {
  return parsed.ok && parsed.trace.hops.length === 4 && parsed.trace.hops.every((h) => h.sent > 0 && h.answered === h.sent);
}

export async function measureFlood(): Promise<FloodRow[]> {
  const hping = findCommand('hping3');
  if (!hping) throw new Error('hping3 is not installed');
  const chain = await buildChain({ routers: 3, ipv6: false });
  const rows: FloodRow[] = [];
  try {
    await chain.startServices({ tcp: [443] });
    const server = chain.serverAddress(4);
    const client = chain.routerAddress(1, 4).replace(/\.2$/, '.1');
    for (const [rate, interval] of RATES) {
      const flood = interval.length > 0 ? chain.spawn(chain.server, hping, ['-q', '-S', '-p', '9999', ...interval, client]) : null;
      try {
        await sleep(500);
        const pp = await timed(chain, process.execPath, [PORTPATH_CLI, '-n', '--json', server, '443']);
        rows.push({ rate, tool: 'portpath', wall: pp.wall, cpu: pp.cpu, complete: complete(parsePortpathJson(pp.stdout)) });
        const tr = await timed(chain, findCommand('traceroute') ?? 'traceroute', ['-n', '-T', '-p', '443', server]);
        rows.push({ rate, tool: 'traceroute -T', wall: tr.wall, cpu: tr.cpu, complete: complete(parseTracerouteText(tr.stdout)) });
      } finally {
        flood?.kill('SIGKILL');
        await sleep(300);
      }
    }
  } finally {
    await chain.destroy();
  }
  return rows;
}
