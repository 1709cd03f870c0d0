// The lab's long-running helpers (delay links, services) print one line "ready" once their sockets or TUNs exist;
// the builder waits for it so the next step (moving an interface, tracing) never races the helper's setup.
import type { ChildProcess } from 'node:child_process';

const READY_TIMEOUT_MS = 10_000;

export function startHelper(child: ChildProcess, what: string): Promise<void> {
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => fail(`did not start within ${READY_TIMEOUT_MS} ms`), READY_TIMEOUT_MS);
    const fail = (why: string) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`lab ${what} ${why}${stderr ? `: ${stderr.trim()}` : ''}`));
    };
    child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.stdout?.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('ready\n')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code, signal) => fail(`exited (${signal ?? `status ${String(code)}`})`));
    child.once('error', (error) => fail(`could not start: ${error.message}`));
  });
}
