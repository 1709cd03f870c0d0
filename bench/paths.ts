// What `portpath paths` costs and finds (bench --only paths): on a single-path chain beside a plain trace (a paths run
// must not cost much more), and on a 4-wide ECMP diamond beside scamper's `tracelb -P tcp-sport` (MDA over TCP source
// ports; the diamond's client link is a veth pair there, which scamper needs). Medians of a few runs, a cool-down
// between runs so none starts with routers' ICMP budgets spent by the one before.
import { setTimeout as sleep } from 'node:timers/promises';
import { buildDiamond } from '../src/lab/diamond.js';
import { buildChain } from '../src/lab/topology.js';
import type { LabNode } from '../src/lab/topology.js';
import type { PathsReport } from '../src/trace/paths.js';
import type { TraceReport } from '../src/trace/trace.js';
import { findCommand, runInNode } from './exec.js';
import type { ChildRun } from './exec.js';
import { PORTPATH_CLI } from './peers.js';
import { median } from './report.js';

export interface PathsRow {
  where: string;
  tool: string;
  wallSeconds: number;
  probes: number;
  /**
   * For scamper, its probes the server answered; for portpath, its flows that ended at the server (many by
   * inheritance from their siblings, not a SYN each), so the two are not the same count.
   */
  toServer: number;
  /** Routers found at the branching hop (hop 2), or the hops of the one path. */
  found: string;
}

/**
 * Runs per row. Which branch each flow takes is chance (the splitter's hash of a random source port), and a run whose
 * flows bunch on one branch waits a second or more for its routers' tokens: the times are bimodal, and three runs
 * made a median of chance.
 */
export const PATHS_RUNS = 7;
export const PATHS_COOLDOWN_MS = 7000;
const RUNS = PATHS_RUNS;
const COOLDOWN_MS = PATHS_COOLDOWN_MS;
const PORT = 443;

type Spawner = { spawn: (node: LabNode, command: string, args: string[]) => import('node:child_process').ChildProcess };

async function runs(lab: Spawner, node: LabNode, command: string, args: string[]): Promise<ChildRun[]> {
  const all: ChildRun[] = [];
  for (let i = 0; i < RUNS; i++) {
    if (i > 0) await sleep(COOLDOWN_MS);
    all.push(await runInNode(lab, node, command, args, 180));
  }
  return all;
}

interface Read {
  probes: number;
  toServer: number;
  found: string;
}

function row(where: string, tool: string, runsDone: ChildRun[], read: (run: ChildRun) => Read): PathsRow {
  const parsed = runsDone.map(read);
  return {
    where,
    tool,
    wallSeconds: median(runsDone.map((r) => r.seconds)),
    probes: median(parsed.map((p) => p.probes)),
    toServer: median(parsed.map((p) => p.toServer)),
    found: parsed.map((p) => p.found).join(' | '),
  };
}

const hop2Count = (addresses: Iterable<string>) => new Set(addresses).size;

const pathsRead = (run: ChildRun): Read => {
  const report = JSON.parse(run.stdout) as PathsReport;
  const hop2 = report.flows.flatMap((f) => (f.hops[1] ? [f.hops[1]] : []));
  // The flows the destination answered (one SYN each, more where a SYN went unanswered and was asked again).
  const reached = report.flows.filter((f) => f.hops.at(-1) === report.target.address).length;
  return { probes: report.probes, toServer: reached, found: `${report.paths.length} paths, ${hop2Count(hop2)} routers at hop 2` };
};

/**
 * scamper's tracelb JSON: the branching nodes, each with links that are lists of hops ({addr, probes: [{ttl, …}]});
 * the routers at hop 2 are the hops whose probes went out with TTL 2, and the probes that reached the server are those
 * its address answered.
 */
const scamperRead = (server: string) => (run: ChildRun): Read => {
  const lb = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type?: string; probec?: number; nodes?: unknown }).find((j) => j.type === 'tracelb');
  const hop2 = new Set<string>();
  let toServer = 0;
  const walk = (o: unknown): void => {
    if (Array.isArray(o)) return o.forEach(walk);
    if (o === null || typeof o !== 'object') return;
    const hop = o as { addr?: string; probes?: { ttl?: number }[] };
    if (hop.addr && Array.isArray(hop.probes)) {
      if (hop.probes.some((p) => p.ttl === 2)) hop2.add(hop.addr);
      if (hop.addr === server) toServer += hop.probes.length;
    }
    Object.values(o).forEach(walk);
  };
  walk(lb?.nodes);
  return { probes: lb?.probec ?? 0, toServer, found: `${hop2.size} routers at hop 2` };
};

export async function measurePaths(): Promise<PathsRow[]> {
  const rows: PathsRow[] = [];
  // A single path: a trace and a paths run.
  const chain = await buildChain({ routers: 3, ipv6: false, icmpRateLimit: true });
  try {
    await chain.startServices({ tcp: [PORT] });
    const server = chain.serverAddress(4);
    const traced = await runs(chain, chain.client, process.execPath, [PORTPATH_CLI, '-n', '--json', server, String(PORT)]);
    rows.push(row('single path', 'portpath (trace)', traced, (run) => {
      const report = JSON.parse(run.stdout) as TraceReport;
      const probes = report.hops.reduce((n, h) => n + h.probes.length + (h.reprobes?.length ?? 0), 0) + (report.control?.hops.length ?? 0);
      return { probes, toServer: report.hops.filter((h) => h.probes.some((p) => p.from === server)).reduce((n, h) => n + h.probes.length, 0), found: report.diagnosis.verdict };
    }));
    await sleep(COOLDOWN_MS);
    rows.push(row('single path', 'portpath paths', await runs(chain, chain.client, process.execPath, [PORTPATH_CLI, 'paths', '-n', '--json', server, String(PORT)]), pathsRead));
  } finally {
    await chain.destroy();
  }
  // Diamonds 4 and 8 wide, the client's link a veth pair (scamper needs a link layer).
  for (const width of [4, 8]) {
    const diamond = await buildDiamond({ width, ipv6: false, icmpRateLimit: true, vethClientLink: true });
    const where = `${width}-wide diamond`;
    try {
      await diamond.startServices({ tcp: [PORT] });
      const server = diamond.serverAddress(4);
      rows.push(row(where, 'portpath paths', await runs(diamond, diamond.client, process.execPath, [PORTPATH_CLI, 'paths', '-n', '--json', server, String(PORT)]), pathsRead));
      const scamper = findCommand('scamper');
      if (scamper) {
        await sleep(COOLDOWN_MS);
        const done = await runs(diamond, diamond.client, scamper, ['-O', 'json', '-c', `tracelb -P tcp-sport -d ${PORT} -c 95`, '-i', server]);
        rows.push(row(where, 'scamper tracelb -P tcp-sport', done, scamperRead(server)));
      }
    } finally {
      await diamond.destroy();
    }
    await sleep(COOLDOWN_MS);
  }
  return rows;
}
