// A long watch, for `npm run bench -- --only watch`: a 30-hop path watched at one round a second for --watch-seconds
// (default 600), by three processes side by side on one lab: the portpath CLI (one watch), one process running ten
// watches through the library, and mtr --tcp. Each process's CPU time and RSS are read from /proc every 5 s; the
// figures are CPU as a share of one core after the first minute, and RSS at one minute against the end (flat means
// bounded memory). Routers' ICMP rate limits are off here: three watchers at 1/s each would otherwise share each
// router's 1/s budget, and this phase measures cost, not loss.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildChain } from '../src/lab/topology.js';
import { findCommand, sleep } from './exec.js';
import { PORTPATH_CLI } from './peers.js';
import { cpuPercent, sample } from './proc.js';
import type { Sample } from './proc.js';

export interface WatchCost {
  tool: string;
  /** Share of one core from the first minute to the end, percent. */
  cpuPct: number;
  rssAtMinuteMib: number;
  rssAtEndMib: number;
  rounds: string;
}

const ROUTERS = 29;
const SAMPLE_MS = 5000;

function script(target: string, rounds: number): string {
  const index = pathToFileURL(new URL('../src/index.js', import.meta.url).pathname).href;
  return `import { startWatch } from '${index}';
const watches = Array.from({ length: 10 }, () => startWatch('${target}', { port: 443, intervalMs: 1000, rounds: ${rounds}, mode: 'raw' }));
const reports = await Promise.all(watches.map((w) => w.done));
console.log(JSON.stringify(reports.map((r) => r.rounds)));
`;
}

export async function measureWatch(seconds: number): Promise<WatchCost[]> {
  const chain = await buildChain({ routers: ROUTERS, ipv6: false });
  const dir = mkdtempSync(join(tmpdir(), 'portpath-watch-bench-'));
  try {
    await chain.startServices({ tcp: [443] });
    const target = chain.serverAddress(4);
    const file = join(dir, 'ten-watches.mjs');
    writeFileSync(file, script(target, seconds));
    const runs: { tool: string; command: string; args: string[] }[] = [
      { tool: 'portpath watch (CLI)', command: process.execPath, args: [PORTPATH_CLI, 'watch', '--report', '-n', '-c', String(seconds), target, '443'] },
      { tool: 'portpath, 10 watches in one process', command: process.execPath, args: [file] },
    ];
    const mtr = findCommand('mtr');
    if (mtr) runs.push({ tool: 'mtr --tcp', command: mtr, args: ['-n', '-r', '-c', String(seconds), '-i', '1', '--tcp', '-P', '443', target] });
    const children = runs.map((run) => {
      const child = chain.spawn(chain.client, run.command, run.args);
      child.stdin?.end();
      let stdout = '';
      child.stdout?.on('data', (d: Buffer) => (stdout += d.toString()));
      const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
      return { run, child, samples: [] as Sample[], closed, stdout: () => stdout };
    });
    let running = children.length;
    for (const c of children) void c.closed.then(() => running--);
    const started = performance.now();
    while (running > 0 && performance.now() - started < (seconds + 120) * 1000) {
      for (const c of children) {
        const s = c.child.pid !== undefined ? sample(c.child.pid) : null;
        if (s) c.samples.push(s);
      }
      await sleep(SAMPLE_MS);
    }
    for (const c of children) c.child.kill('SIGKILL');
    return children.map((c) => {
      const afterMinute = c.samples.find((s) => s.atMs - started >= 60_000) ?? c.samples[0];
      const last = c.samples.at(-1);
      const cpuPct = cpuPercent(afterMinute, last);
      const rounds = /(\d+) rounds/.exec(c.stdout())?.[1] ?? (c.stdout().trim().startsWith('[') ? c.stdout().trim() : '?');
      return { tool: c.run.tool, cpuPct, rssAtMinuteMib: (afterMinute?.rssKib ?? NaN) / 1024, rssAtEndMib: (last?.rssKib ?? NaN) / 1024, rounds };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await chain.destroy();
  }
}
