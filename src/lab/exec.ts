// Synchronous command runner for the lab. Building a topology is a short script of `ip`/`sysctl` calls where
// every step depends on the previous one, so blocking calls keep the builder simple and ordered; and the
// process-exit cleanup handler can only run synchronous code, so it needs these too.
import { execFileSync } from 'node:child_process';

export interface RunOptions {
  /** Written to the command's stdin (e.g. an `ip -batch -` script). */
  input?: string;
  /** Return whatever the command printed instead of throwing when it exits non-zero. */
  allowFailure?: boolean;
}

/** Quotes an argument only when needed, so error messages can be pasted into a shell. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

export function commandLine(command: string, args: string[]): string {
  return [command, ...args].map(shellWord).join(' ');
}

interface ExecFailure {
  status?: number | null;
  signal?: string | null;
  stdout?: string | Buffer;
  stderr?: string | Buffer;
  message?: string;
}

/** Runs a command and returns its stdout; on failure throws an Error naming the command line and its stderr. */
export function run(command: string, args: string[], options: RunOptions = {}): string {
  try {
    return execFileSync(command, args, {
      input: options.input ?? '',
      encoding: 'utf8',
      stdio: ['pipe', 'pipe', 'pipe'],
      // A lab command that hangs would hang the whole test run; none of them should take this long.
      timeout: 30_000,
    });
  } catch (error) {
    const failure = error as ExecFailure;
    if (options.allowFailure) return String(failure.stdout ?? '');
    const stderr = String(failure.stderr ?? '').trim();
    const how = failure.signal ? `killed by ${failure.signal}` : `exit status ${String(failure.status)}`;
    const detail = stderr || failure.message || '';
    throw new Error(`lab command failed (${how}): ${commandLine(command, args)}${detail ? `\n${detail}` : ''}`, {
      cause: error,
    });
  }
}

/** Runs a command inside a network namespace (`ip netns exec`, which execs it in place). */
export function runIn(namespace: string, command: string, args: string[], options: RunOptions = {}): string {
  return run('ip', ['netns', 'exec', namespace, command, ...args], options);
}
