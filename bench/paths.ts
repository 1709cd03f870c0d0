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
  /** Routers found at the branching hop (hop 2), or the hops of the one path. */
  found: string;
}

const RUNS = 3;
const COOLDOWN_MS = 7000;
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

function row(where: string, tool: string, runsDone: ChildRun[], read: (run: ChildRun) => { probes: number; found: string }): PathsRow {
  const parsed = runsDone.map(read);
  return { where, tool, wallSeconds: median(runsDone.map((r) => r.seconds)), probes: median(parsed.map((p) => p.probes)), found: parsed.map((p) => p.found).join(' | ') };
}

const pathsRead = (run: ChildRun) => {
  const report = JSON.parse(run.stdout) as PathsReport;
  const hop2 = new Set(report.flows.flatMap((f) => (f.hops[1] ? [f.hops[1]] : [])));
  return { probes: report.probes, found: `${report.paths.length} paths, hop 2: ${[...hop2].sort().join(',')}` };
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
      return { probes, found: report.diagnosis.verdict };
    }));
    await sleep(COOLDOWN_MS);
    rows.push(row('single path', 'portpath paths', await runs(chain, chain.client, process.execPath, [PORTPATH_CLI, 'paths', '-n', '--json', server, String(PORT)]), pathsRead));
  } finally {
    await chain.destroy();
  }
  // A 4-wide diamond.
  const diamond = await buildDiamond({ width: 4, ipv6: false, icmpRateLimit: true, vethClientLink: true });
  try {
    await diamond.startServices({ tcp: [PORT] });
    const server = diamond.serverAddress(4);
    rows.push(row('4-wide diamond', 'portpath paths', await runs(diamond, diamond.client, process.execPath, [PORTPATH_CLI, 'paths', '-n', '--json', server, String(PORT)]), pathsRead));
    const scamper = findCommand('scamper');
    if (scamper) {
      await sleep(COOLDOWN_MS);
      const done = await runs(diamond, diamond.client, scamper, ['-O', 'json', '-c', `tracelb -P tcp-sport -d ${PORT} -c 95`, '-i', server]);
      rows.push(row('4-wide diamond', 'scamper tracelb -P tcp-sport', done, (run) => {
        const lb = run.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type?: string; probec?: number; nodes?: { addr?: string }[] }).find((j) => j.type === 'tracelb');
        const addresses = (lb?.nodes ?? []).flatMap((n) => (n.addr ? [n.addr] : []));
        return { probes: lb?.probec ?? 0, found: `${addresses.length} routers: ${addresses.sort().join(',')}` };
      }));
    }
  } finally {
    await diamond.destroy();
  }
  return rows;
}
