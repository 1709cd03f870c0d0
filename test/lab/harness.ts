// Shared by the lab tests: build a chain, run the real CLI inside the client namespace, parse its JSON.
import { execFileSync, spawn } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestContext } from 'node:test';
import { buildChain } from '../../src/lab/topology.js';
import type { Chain, ChainOptions } from '../../src/lab/topology.js';
import type { TraceResult } from '../../src/engine/types.js';

export const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

/** Lab tests need root. Outside CI they skip without it; in CI (CI=true) they must run, so they fail instead. */
export function requireRoot(t: TestContext): boolean {
  if (process.getuid?.() === 0) return true;
  if (process.env.CI === 'true') throw new Error('lab tests must run as root in CI');
  t.skip('needs root (network namespaces)');
  return false;
}

/** Builds a lab of any shape (as root; see requireRoot), runs fn with it, and destroys it whatever happens. */
export async function withLab<L extends { destroy(): Promise<void> }, T>(t: TestContext, build: () => Promise<L>, fn: (lab: L) => Promise<T>): Promise<T | undefined> {
  if (!requireRoot(t)) return undefined;
  const lab = await build();
  try {
    return await fn(lab);
  } finally {
    await lab.destroy();
  }
}

export function withChain<T>(t: TestContext, options: ChainOptions, fn: (chain: Chain) => Promise<T>): Promise<T | undefined> {
  return withLab(t, () => buildChain(options), fn);
}

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

export interface RunCliOptions {
  /** Run as this uid/gid (setpriv). */
  asUser?: number;
  /** Stay root but without CAP_NET_RAW (removed from the bounding set, so exec cannot regain it). */
  withoutNetRaw?: boolean;
  env?: Record<string, string>;
}

let unprivilegedCopy: string | undefined;

/**
 * The CLI where any user can run it. The checkout may sit in a directory only root can enter (CI clones into
 * private temp directories), so unprivileged runs use a world-readable copy of what the CLI needs at run time.
 */
export function cliForAnyUser(): string {
  if (unprivilegedCopy) return unprivilegedCopy;
  const root = fileURLToPath(new URL('../../../', import.meta.url));
  const copy = mkdtempSync(join(tmpdir(), 'portpath-anyuser-'));
  for (const part of ['package.json', 'dist/src', 'build/Release/portpath.node', 'node_modules/commander']) {
    cpSync(join(root, part), join(copy, part), { recursive: true });
  }
  execFileSync('chmod', ['-R', 'a+rX', copy]);
  process.on('exit', () => rmSync(copy, { recursive: true, force: true }));
  unprivilegedCopy = join(copy, 'dist/src/cli/main.js');
  return unprivilegedCopy;
}

/** Runs the portpath CLI in a namespace, optionally with fewer privileges. */
export function runCli(namespace: string, args: string[], options: RunCliOptions = {}): Promise<CliRun> {
  const cli = options.asUser !== undefined ? cliForAnyUser() : CLI;
  const prefix =
    options.asUser !== undefined
      ? ['setpriv', `--reuid=${options.asUser}`, `--regid=${options.asUser}`, '--clear-groups']
      : options.withoutNetRaw
        ? ['setpriv', '--bounding-set=-net_raw']
        : [];
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', namespace, ...prefix, process.execPath, cli, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...options.env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr, ms: performance.now() - started }));
  });
}

/** Runs `portpath watch --stream -n ...` in a namespace, calling onLine for every JSON line as it comes. */
export function streamWatch(namespace: string, args: string[], onLine: (line: Record<string, unknown>) => void): Promise<{ code: number | null; lines: Record<string, unknown>[]; stderr: string }> {
  const child = spawn('ip', ['netns', 'exec', namespace, process.execPath, CLI, 'watch', '--stream', '-n', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: Record<string, unknown>[] = [];
  let buffered = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    buffered += d.toString();
    let newline;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = JSON.parse(buffered.slice(0, newline)) as Record<string, unknown>;
      buffered = buffered.slice(newline + 1);
      lines.push(line);
      onLine(line);
    }
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, lines, stderr })));
}

export function traceJson(chain: Chain, args: string[], options: RunCliOptions = {}): Promise<TraceResult> {
  return traceJsonIn(chain.client.namespace, args, options);
}

/** `portpath -n --json ...` run in any namespace (a lab with several clients), its result parsed. */
export async function traceJsonIn(namespace: string, args: string[], options: RunCliOptions = {}): Promise<TraceResult> {
  const run = await runCli(namespace, ['-n', '--json', ...args], options);
  if (run.code !== 0) throw new Error(`portpath ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  try {
    return JSON.parse(run.stdout) as TraceResult;
  } catch {
    throw new Error(`portpath printed no JSON: ${run.stdout}\n${run.stderr}`);
  }
}

/** The responders of each hop, in order: one entry per hop, '*' for a silent probe. */
export function hopAddresses(result: TraceResult): string[][] {
  return result.hops.map((hop) => hop.probes.map((p) => p.from ?? '*'));
}

/** What a path of routers then the destination looks like when every probe is answered. */
export function fullyAnswered(addresses: string[], probes = 3): string[][] {
  return addresses.map((a) => Array<string>(probes).fill(a));
}

/**
 * A multipath run that must meet every branch of a diamond, run once more when it did not. The rule's stopping
 * point makes a missed branch unlikely, not impossible (at 99% per hop, all flows down one branch of two is about 1
 * in 128; more with the kernel's uneven hash), so a test that needs both branches would fail on the rule's own miss
 * about once in a hundred runs. The miss is said as a diagnostic; two in a row fail the test.
 */
export async function onceMoreIfBranchMissed<T>(t: TestContext, run: () => Promise<T>, metEveryBranch: (result: T) => boolean): Promise<T> {
  const first = await run();
  if (metEveryBranch(first)) return first;
  t.diagnostic('a branch was missed (the stopping rule allows it): run once more');
  return run();
}
