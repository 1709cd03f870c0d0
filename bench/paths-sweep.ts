// `node dist/bench/paths-sweep.js`: portpath paths on seeded ECMP diamonds, counted, scenario by scenario
// (bench/paths-scenarios.ts says what each is and what "right" means). Prints per scenario the runs right, the misses
// with their seeds (so they replay) and why, the median time and probes. A report, not a test: exits 0 whatever the
// figures. Options: --runs N (default 100), --loss P (percent each way on the client's and the server's links,
// default 0), --seed S (first seed, default 1), --parallel K (labs at once, default 3), --scenarios a,b (default all),
// --keep DIR (each miss's JSON report written there, to look into).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PATHS_SCENARIOS, runScenario } from './paths-scenarios.js';
import type { ScenarioRun } from './paths-scenarios.js';
import { median, table } from './report.js';

const out = (line = ''): void => void process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '100' },
      loss: { type: 'string', default: '0' },
      seed: { type: 'string', default: '1' },
      parallel: { type: 'string', default: '3' },
      scenarios: { type: 'string', default: Object.keys(PATHS_SCENARIOS).join(',') },
      keep: { type: 'string' },
    },
  });
  const runs = Number(values.runs);
  const loss = Number(values.loss) / 100;
  const first = Number(values.seed);
  const names = values.scenarios.split(',');
  out(`paths sweep: ${runs} runs per scenario, seeds ${first}-${first + runs - 1}, ${values.loss}% loss each way on the client's and the server's links, ICMP rate limits on`);
  const rows: string[][] = [];
  for (const name of names) {
    const results: ScenarioRun[] = [];
    const queue = Array.from({ length: runs }, (_, i) => first + i);
    const worker = async () => {
      for (let seed = queue.shift(); seed !== undefined; seed = queue.shift()) {
        const result = await runScenario(name, seed, { loss });
        results.push(result);
        if (values.keep && result.wrong !== null && result.report) {
          mkdirSync(values.keep, { recursive: true });
          writeFileSync(join(values.keep, `${name.replace(/[^a-z0-9]+/gi, '-')}-${seed}.json`), JSON.stringify({ wrong: result.wrong, report: result.report }, null, 2));
        }
        process.stderr.write(`  … ${name} seed ${seed}: ${result.wrong ?? 'right'}\n`);
      }
    };
    await Promise.all(Array.from({ length: Math.max(1, Number(values.parallel)) }, worker));
    const misses = results.filter((r) => r.wrong !== null).sort((a, b) => a.seed - b.seed);
    const probes = results.flatMap((r) => (r.probes === null ? [] : [r.probes]));
    rows.push([name, `${runs - misses.length}/${runs}`, `${median(results.map((r) => r.seconds)).toFixed(2)} s`, String(median(probes)), misses.slice(0, 3).map((m) => `seed ${m.seed}: ${m.wrong!.slice(0, 120)}`).join('; ')]);
  }
  out(table(['scenario', 'right', 'median time', 'median probes', 'first misses'], rows));
}

main().catch((error: unknown) => {
  process.stderr.write(`paths sweep failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(2);
});
