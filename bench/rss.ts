// Peak resident memory of one portpath trace. GNU time reports the kernel's own figure (ru_maxrss of the child);
// without it, /proc/<pid>/status VmHWM (the high-water mark) is polled while the trace runs.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Chain } from '../src/lab/topology.js';
import { findCommand, runInNode, sleep } from './exec.js';

export interface PeakRss {
  mib: number;
  method: string;
  /** The trace's own outcome, so a crashed trace is not reported as a small footprint. */
  exitCode: number | null;
}

export async function peakRss(chain: Chain, command: string, args: string[], timeoutSeconds: number): Promise<PeakRss> {
  const time = findCommand('/usr/bin/time') ?? findCommand('time');
  return time ? withGnuTime(chain, time, command, args, timeoutSeconds) : byPolling(chain, command, args, timeoutSeconds);
}

async function withGnuTime(chain: Chain, time: string, command: string, args: string[], timeoutSeconds: number): Promise<PeakRss> {
  const dir = mkdtempSync(join(tmpdir(), 'portpath-bench-'));
  const report = join(dir, 'time.txt');
  try {
    // -o keeps time's report out of the traced program's own stderr.
    const run = await runInNode(chain, chain.client, time, ['-v', '-o', report, command, ...args], timeoutSeconds);
    const text = readFileSync(report, 'utf8');
    const kb = /Maximum resident set size \(kbytes\):\s*(\d+)/.exec(text);
    const status = /Exit status:\s*(\d+)/.exec(text);
    if (!kb) throw new Error(`GNU time printed no maximum RSS:\n${text}`);
    return { mib: Number(kb[1]) / 1024, method: 'GNU time -v (ru_maxrss)', exitCode: status ? Number(status[1]) : run.code };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function byPolling(chain: Chain, command: string, args: string[], timeoutSeconds: number): Promise<PeakRss> {
  // `ip netns exec` execs the command in place, so the child's pid is the traced program's.
  const child = chain.spawn(chain.client, command, args);
  child.stdin?.end();
  let peakKb = 0;
  let exitCode: number | null = null;
  let exited = false;
  child.once('exit', (code) => {
    exited = true;
    exitCode = code;
  });
  const deadline = performance.now() + timeoutSeconds * 1000;
  while (!exited && performance.now() < deadline) {
    try {
      const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
      const hwm = /VmHWM:\s*(\d+) kB/.exec(status);
      if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
    } catch {
      // gone between the check and the read
    }
    await sleep(5);
  }
  if (!exited) child.kill('SIGKILL');
  return { mib: peakKb / 1024, method: '/proc VmHWM polled every 5 ms (a lower bound)', exitCode };
}
