// The multipath scenarios `portpath paths` is counted on, and what "right" means for each: shared by the sweep
// (bench/paths-sweep.ts, 100 runs a scenario) and its CI sample (test/lab/paths-sweep.test.ts), so the two count the
// same thing. Each run: a fresh diamond whose splitter hashes with the run's seed (flows spread differently each run),
// Linux's ICMP rate limits on every router, the given loss each way on two links — the client's (the wire, seeded)
// and the server's (iptables statistic on the server, the kernel's own randomness) — then one `portpath paths`, read
// as JSON. "Right" is strict: every branch found, every flow on the path the kernel sends it down (branchOf), one path
// per branch, the broken branch named with exactly its flows' share and a flow that reproduces it, no healthy path
// called broken; anything else (a missed branch, an `unresolved`-only answer, no result) counts as not right.
import { spawn } from 'node:child_process';
import { buildDiamond } from '../src/lab/diamond.js';
import type { Diamond, DiamondOptions } from '../src/lab/diamond.js';
import type { FoundPath } from '../src/analyze/paths.js';
import type { PathsReport } from '../src/trace/paths.js';
import { PORTPATH_CLI } from './peers.js';

const PORT = 443;

interface Scenario {
  diamond: Pick<DiamondOptions, 'width' | 'balance' | 'silentBranch'>;
  /** Extra arguments to `portpath paths` (the method). */
  args: string[];
  setup(d: Diamond): void;
  /** Null when right; else what was wrong. */
  wrong(d: Diamond, r: PathsReport): string | null;
}

const hop2 = (p: FoundPath) => p.hops.find((h) => h.ttl === 2)?.address ?? null;

/** The branches whose first router some path crosses. */
function branchesFound(d: Diamond, r: PathsReport): number {
  return d.branches.filter((_, b) => r.paths.some((p) => hop2(p) === d.branchRouterAddress(b, 0, 4))).length;
}

/** The TCP flows put on a path other than the branch the kernel sends them down, as "port: drawn via A, kernel B". */
function flowsOffTheirBranch(d: Diamond, r: PathsReport): string[] {
  return r.paths.flatMap((p) =>
    p.sourcePorts.flatMap((port) => {
      const kernel = d.branchRouterAddress(d.branchOf('tcp', port, PORT, 4), 0, 4);
      return kernel === hop2(p) ? [] : [`${port}: drawn via ${hop2(p)}, kernel ${kernel}`];
    }),
  );
}

const reaches = (p: FoundPath) => p.end.kind === 'destination' && (p.end.state === 'open' || p.end.state === 'reachable');

/**
 * Right for a diamond where every path is healthy: all branches, flows on theirs, nothing called broken, and one
 * path drawn per branch (a path split in two at a hop where a rate-limited router left some flows silent is wrong).
 */
function healthy(d: Diamond, r: PathsReport): string | null {
  if (!r.paths.every(reaches)) return `a path called broken: ${r.summary}`;
  if (branchesFound(d, r) !== d.branches.length) return `${branchesFound(d, r)} of ${d.branches.length} branches`;
  if (r.paths.length !== d.branches.length) return `${r.paths.length} paths drawn for ${d.branches.length} branches`;
  if (r.perPacket.length > 0) return 'per-flow balancing called per-packet';
  const off = r.protocol === 'tcp' ? flowsOffTheirBranch(d, r) : [];
  return off.length > 0 ? `flows drawn off their branch: ${off.join('; ')}` : null;
}

/** Right where branch 1 fails as `expected` says and the rest reach: exactly one failing path, on branch 1, share exact. */
function oneBranchFails(expected: (d: Diamond, p: FoundPath) => boolean) {
  return (d: Diamond, r: PathsReport): string | null => {
    const failing = r.paths.filter((p) => !reaches(p));
    if (failing.length !== 1) return `${failing.length} failing paths: ${r.summary}`;
    const bad = failing[0]!;
    if (!expected(d, bad)) return `wrong end ${JSON.stringify(bad.end)}`;
    if (branchesFound(d, r) !== d.branches.length) return `${branchesFound(d, r)} of ${d.branches.length} branches`;
    if (r.protocol !== 'tcp') return null;
    if (d.branchOf('tcp', bad.reproduce, PORT, 4) !== 1) return `--sport ${bad.reproduce} does not take branch 1`;
    const off = flowsOffTheirBranch(d, r);
    if (off.length > 0) return `flows drawn off their branch: ${off.join('; ')}`;
    // The share said is the share of the flows put on paths that the kernel sends down branch 1.
    const placed = r.flows.filter((f) => f.path !== 0 && f.sourcePort !== null);
    const share = placed.filter((f) => d.branchOf('tcp', f.sourcePort!, PORT, 4) === 1).length / placed.length;
    return Math.abs(bad.share - share) > 1e-9 ? `share ${bad.share.toFixed(3)}, kernel ${share.toFixed(3)}` : null;
  };
}

const branchRouter = (d: Diamond) => d.branchRouterAddress(1, 0, 4);
const onBranch1 = (d: Diamond, rule: string[]) => void d.exec(d.branches[1]![0]!, 'iptables', ['-A', 'FORWARD', ...rule]);

export const PATHS_SCENARIOS: Record<string, Scenario> = {
  'healthy 4-wide': { diamond: { width: 4 }, args: [], setup: () => undefined, wrong: healthy },
  'healthy 8-wide': { diamond: { width: 8 }, args: [], setup: () => undefined, wrong: healthy },
  'silent branch router': {
    diamond: { width: 2, silentBranch: 1 },
    args: [],
    setup: () => undefined,
    wrong: (d, r) => {
      if (!r.paths.every(reaches)) return `a path called broken: ${r.summary}`;
      // Branch 1's router never answers: its flows' path has no router at hop 2, the other path branch 0's.
      const want = [d.branchRouterAddress(0, 0, 4), null];
      const got = r.paths.map(hop2);
      if (r.paths.length !== 2 || !want.every((w) => got.includes(w))) return `paths via ${JSON.stringify(got)}: ${r.summary}`;
      const off = r.paths.flatMap((p) => p.sourcePorts.filter((port) => (d.branchOf('tcp', port, PORT, 4) === 1) !== (hop2(p) === null)).map((port) => `${port} via ${hop2(p)}`));
      return off.length > 0 ? `flows drawn off their branch: ${off.join('; ')}` : null;
    },
  },
  'branch drops the port': {
    diamond: { width: 2 },
    args: [],
    setup: (d) => onBranch1(d, ['-p', 'tcp', '--dport', String(PORT), '-j', 'DROP']),
    wrong: oneBranchFails((d, p) => p.end.kind === 'silent' && p.end.after?.address === branchRouter(d)),
  },
  'branch rejects (admin-prohibited)': {
    diamond: { width: 2 },
    args: [],
    setup: (d) => onBranch1(d, ['-p', 'tcp', '--dport', String(PORT), '-j', 'REJECT', '--reject-with', 'icmp-admin-prohibited']),
    wrong: oneBranchFails((d, p) => p.end.kind === 'rejected' && p.end.address === branchRouter(d)),
  },
  'branch forges an RST': {
    diamond: { width: 2 },
    args: [],
    setup: (d) => onBranch1(d, ['-p', 'tcp', '--dport', String(PORT), '-j', 'REJECT', '--reject-with', 'tcp-reset']),
    wrong: oneBranchFails((d, p) => p.end.kind === 'forged' && p.end.by === branchRouter(d)),
  },
  'ICMP echo: branch drops echo': {
    diamond: { width: 2 },
    args: ['-I'],
    setup: (d) => onBranch1(d, ['-p', 'icmp', '--icmp-type', 'echo-request', '-j', 'DROP']),
    wrong: oneBranchFails((d, p) => p.end.kind === 'silent' && p.end.after?.address === branchRouter(d)),
  },
  'per-packet balancing': {
    diamond: { width: 2, balance: 'packet' },
    args: [],
    setup: () => undefined,
    wrong: (d, r) => {
      const routers = [0, 1].map((b) => d.branchRouterAddress(b, 0, 4)).sort();
      if (JSON.stringify(r.perPacket) !== JSON.stringify([{ ttl: 2, routers }])) return `per-packet said at ${JSON.stringify(r.perPacket)}`;
      return r.paths.every(reaches) ? null : `a path called broken: ${r.summary}`;
    },
  },
};

export interface ScenarioRun {
  seed: number;
  /** Null when right. */
  wrong: string | null;
  seconds: number;
  probes: number | null;
  /** The run's JSON, to look into a miss. */
  report?: PathsReport;
  /** With `packets`: every packet sent and received (-d), to look into a miss. */
  packets?: string;
}

export interface ScenarioOptions {
  /** Loss (0..1) each way on the client's and the server's links. */
  loss: number;
  /** --confidence (default: portpath's, 95). */
  confidence?: 95 | 99;
  /** Keep every packet sent and received (-d) in the result. */
  packets?: boolean;
}

/** One run of a scenario on a fresh diamond (removed afterwards). */
export async function runScenario(name: string, seed: number, options: ScenarioOptions): Promise<ScenarioRun> {
  const { loss, packets = false } = options;
  const scenario = PATHS_SCENARIOS[name];
  if (!scenario) throw new Error(`no paths scenario '${name}' (${Object.keys(PATHS_SCENARIOS).join(', ')})`);
  const diamond = await buildDiamond({ ...scenario.diamond, ipv6: false, icmpRateLimit: true, seed, ...(loss > 0 ? { clientLink: { lossToServer: loss, lossToClient: loss } } : {}) });
  try {
    await diamond.startServices({ tcp: [PORT] });
    if (loss > 0) {
      for (const chain of ['INPUT', 'OUTPUT']) diamond.exec(diamond.server, 'iptables', ['-A', chain, '-m', 'statistic', '--mode', 'random', '--probability', String(loss), '-j', 'DROP']);
    }
    scenario.setup(diamond);
    const started = performance.now();
    const { stdout, stderr } = await cli(diamond, ['paths', '-n', '--json', ...(packets ? ['-d'] : []), ...(options.confidence ? ['--confidence', String(options.confidence)] : []), ...scenario.args, diamond.serverAddress(4), ...(scenario.args.includes('-I') ? [] : [String(PORT)])]);
    const seconds = (performance.now() - started) / 1000;
    let report: PathsReport;
    try {
      report = JSON.parse(stdout) as PathsReport;
    } catch {
      return { seed, wrong: 'no result', seconds, probes: null };
    }
    return { seed, wrong: scenario.wrong(diamond, report), seconds, probes: report.probes, report, ...(packets ? { packets: stderr } : {}) };
  } finally {
    await diamond.destroy();
  }
}

function cli(diamond: Diamond, args: string[]): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', diamond.client.namespace, process.execPath, PORTPATH_CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('close', () => resolve({ stdout, stderr }));
  });
}
