// `node dist/bench/paths-sweep.js`: portpath paths on seeded ECMP diamonds, counted. Per run a fresh diamond (the
// splitter's hash seed is the run's seed, so each run spreads flows differently; Linux's ICMP rate limits on; the
// given loss each way on the client's link), then one `portpath paths`: on a healthy 4-wide diamond, right = every
// branch found, every flow on the branch the kernel sends it down, no path called broken; on a 2-wide diamond whose
// branch 1 drops the port, right = exactly one failing path, ending after branch 1's router, with a reproducing source
// port that the kernel sends down branch 1. Prints counts, misses with their seeds (so they replay), median time.
// A report, not a test: exits 0 whatever the figures. Options: --runs N (default 100), --loss P (percent, default
// 0), --seed S (first seed, default 1), --parallel K (labs at once, default 3), --scenarios healthy,drop.
import { spawn } from 'node:child_process';
import { parseArgs } from 'node:util';
import { buildDiamond } from '../src/lab/diamond.js';
import type { Diamond } from '../src/lab/diamond.js';
import type { PathsReport } from '../src/trace/paths.js';
import { PORTPATH_CLI } from './peers.js';
import { median, table } from './report.js';

const PORT = 443;
const out = (line = ''): void => void process.stdout.write(`${line}\n`);

function run(diamond: Diamond, args: string[]): Promise<{ stdout: string; seconds: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', diamond.client.namespace, process.execPath, PORTPATH_CLI, ...args], { stdio: ['ignore', 'pipe', 'ignore'] });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.on('close', () => resolve({ stdout, seconds: (performance.now() - started) / 1000 }));
  });
}

const onTheirBranches = (diamond: Diamond, report: PathsReport) =>
  report.paths.every((p) => p.sourcePorts.every((port) => diamond.branchRouterAddress(diamond.branchOf('tcp', port, PORT, 4), 0, 4) === p.hops.find((h) => h.ttl === 2)?.address));

const SCENARIOS = {
  healthy: {
    width: 4,
    setup: (_: Diamond) => undefined,
    right: (d: Diamond, r: PathsReport) => r.agree && new Set(r.paths.map((p) => p.hops.find((h) => h.ttl === 2)?.address)).size === 4 && onTheirBranches(d, r),
  },
  drop: {
    width: 2,
    setup: (d: Diamond) => void d.exec(d.branches[1]![0]!, 'iptables', ['-A', 'FORWARD', '-p', 'tcp', '--dport', String(PORT), '-j', 'DROP']),
    right: (d: Diamond, r: PathsReport) => {
      const failing = r.paths.filter((p) => p.end.kind !== 'destination');
      const bad = failing[0];
      return failing.length === 1 && bad?.end.kind === 'silent' && bad.end.after?.address === d.branchRouterAddress(1, 0, 4) && d.branchOf('tcp', bad.reproduce, PORT, 4) === 1 && onTheirBranches(d, r);
    },
  },
} as const;

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '100' }, loss: { type: 'string', default: '0' }, seed: { type: 'string', default: '1' }, parallel: { type: 'string', default: '3' }, scenarios: { type: 'string', default: 'healthy,drop' } } });
  const runs = Number(values.runs);
  const loss = Number(values.loss) / 100;
  const first = Number(values.seed);
  const names = values.scenarios.split(',') as (keyof typeof SCENARIOS)[];
  out(`paths sweep: ${runs} runs per scenario, seeds ${first}-${first + runs - 1}, ${values.loss}% loss each way on the client's link, ICMP rate limits on`);
  const rows: string[][] = [];
  for (const name of names) {
    const scenario = SCENARIOS[name];
    let right = 0;
    const seconds: number[] = [];
    const probes: number[] = [];
    const misses: string[] = [];
    const queue = Array.from({ length: runs }, (_, i) => first + i);
    const worker = async () => {
      for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) {
        const diamond = await buildDiamond({ width: scenario.width, ipv6: false, icmpRateLimit: true, seed, ...(loss > 0 ? { clientLink: { lossToServer: loss, lossToClient: loss } } : {}) });
        try {
          await diamond.startServices({ tcp: [PORT] });
          scenario.setup(diamond);
          const result = await run(diamond, ['paths', '-n', '--json', diamond.serverAddress(4), String(PORT)]);
          seconds.push(result.seconds);
          let report: PathsReport | null = null;
          try {
            report = JSON.parse(result.stdout) as PathsReport;
          } catch {
            /* counted as a miss */
          }
          if (report) probes.push(report.probes);
          if (report && scenario.right(diamond, report)) right++;
          else misses.push(`seed ${seed}: ${report ? report.summary.slice(0, 140) : 'no result'}`);
        } finally {
          await diamond.destroy();
        }
        process.stderr.write(`  … ${name} seed ${seed} done\n`);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Number(values.parallel)) }, worker));
    rows.push([name, `${right}/${runs}`, `${median(seconds).toFixed(2)} s`, String(median(probes)), misses.slice(0, 3).join('; ')]);
  }
  out(table(['scenario', 'right', 'median time', 'median probes', 'first misses'], rows));
}

main().catch((error: unknown) => {
  process.stderr.write(`paths sweep failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
});
