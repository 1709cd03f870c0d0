// Running commands inside a lab namespace for the benchmark: wall time around the child, a hard timeout, and a
// check that the command exists before we blame a peer tool for failing.
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import type { Chain, LabNode } from '../src/lab/topology.js';

export interface ChildRun {
  /** Exit status; null when killed by a signal (e.g. our timeout). */
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Wall time from spawn to exit, in seconds. */
  seconds: number;
  timedOut: boolean;
}

/** Grace between SIGTERM and SIGKILL when a tool overruns its timeout: tcptraceroute and mtr exit on SIGTERM. */
const KILL_GRACE_MS = 2000;

/**
 * Absolute path of a command, or null when it is not installed. `ip netns exec` searches PATH like a shell does,
 * but root's PATH may lack /usr/sbin (where traceroute lives) when run via sudo or a minimal init, so look there too.
 */
export function findCommand(name: string): string | null {
  if (name.includes('/')) return isExecutable(name) ? name : null;
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/local/sbin', '/usr/sbin', '/sbin', '/usr/local/bin', '/usr/bin', '/bin'];
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return null;
}

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs a command in a lab node and waits for it. The chain's own spawn is used so that a child still running when
 * the benchmark dies is killed with the lab. `ip netns exec` execs the command in place, so the measured wall time
 * is the tool's own (plus one exec).
 */
export function runInNode(chain: Pick<Chain, 'spawn'>, node: LabNode, command: string, args: string[], timeoutSeconds: number): Promise<ChildRun> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = chain.spawn(node, command, args);
    // Nothing reads stdin here; closing it keeps a tool that checks for a terminal from waiting on it.
    child.stdin?.end();
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let killTimer: NodeJS.Timeout | undefined;
    child.stdout?.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
    }, timeoutSeconds * 1000);
    let finished = false;
    const finish = (code: number | null, signal: NodeJS.Signals | null): void => {
      // 'error' (spawn failed) may be followed by 'close': report once.
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      const seconds = (performance.now() - started) / 1000;
      resolve({ code, signal, stdout, stderr, seconds, timedOut });
    };
    child.once('error', (error) => {
      stderr += `${error.message}\n`;
      finish(null, null);
    });
    child.once('close', finish);
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
