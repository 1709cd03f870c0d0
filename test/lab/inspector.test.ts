// SIGUSR1 opens no debugger into a portpath that holds raw sockets after dropping root (Node 20 has no
// --disable-sigusr1; the CLI's own listener takes the signal), and an inspector opened by Node's options is refused.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import type { Chain } from '../../src/lab/topology.js';
import { CLI, runCli, withChain } from './harness.js';

const INSPECTOR_PORT = 9229;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function start(chain: Chain, args: string[], env: Record<string, string> = {}): { child: ChildProcess; ended: Promise<{ code: number | null; stdout: string; stderr: string }> } {
  const child = spawn('ip', ['netns', 'exec', chain.client.namespace, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return { child, ended: new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr }))) };
}

/** Waits until /proc/<pid>/status satisfies `ready` (`ip netns exec` execs in place: the pid becomes node's). */
async function waitForStatus(pid: number, ready: (status: string) => boolean): Promise<string> {
  for (let i = 0; i < 250; i++) {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    if (ready(status)) return status;
    await sleep(20);
  }
  throw new Error(`process ${pid} never got ready`);
}

/** Whether anything in the client's namespace listens on the inspector's port, and who. */
function inspectorListeners(chain: Chain): string {
  return chain.exec(chain.client, 'ss', ['-Hltnp', `sport = :${INSPECTOR_PORT}`]).trim();
}

test('SIGUSR1 to a running, privilege-dropped watch opens no inspector, and the watch goes on to its report', async (t) => {
  await withChain(t, { routers: 1 }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    // The check is worth something only if a plain node in the same namespace does open the inspector on SIGUSR1.
    const plain = start(chain, ['-e', 'setTimeout(() => {}, 3000)']);
    await waitForStatus(plain.child.pid!, (s) => /^Name:\s*node/m.test(s));
    await sleep(300);
    process.kill(plain.child.pid!, 'SIGUSR1');
    await sleep(500);
    assert.match(inspectorListeners(chain), new RegExp(`pid=${plain.child.pid}`), 'a plain node listens after SIGUSR1');
    plain.child.kill('SIGKILL');
    await plain.ended;

    const watch = start(chain, [CLI, 'watch', '--report', '-n', '-c', '40', '--interval', '0.05', chain.serverAddress(4), '443'], { SUDO_UID: '4242', SUDO_GID: '4343' });
    // NoNewPrivs is the drop's last step: from then on user 4242 may signal the process.
    await waitForStatus(watch.child.pid!, (s) => /^NoNewPrivs:\s*1$/m.test(s));
    process.kill(watch.child.pid!, 'SIGUSR1');
    await sleep(500);
    assert.equal(inspectorListeners(chain), '', 'nothing listens on the inspector port');
    const { code, stdout, stderr } = await watch.ended;
    assert.equal(code, 0, stderr);
    assert.equal(stderr, '');
    assert.match(stdout, /40 rounds/);
  });
});

test('run as root with the inspector opened by NODE_OPTIONS: refused in one sentence before any socket is used', async (t) => {
  await withChain(t, { routers: 1 }, async (chain) => {
    const run = await runCli(chain.client.namespace, ['-n', chain.serverAddress(4), '443'], { env: { NODE_OPTIONS: '--inspect=127.0.0.1:0' } });
    assert.equal(run.code, 2, run.stderr);
    assert.equal(run.stdout, '');
    // Node itself announces the debugger first; portpath's sentence is the last line.
    assert.match(run.stderr.trim().split('\n').at(-1)!, /^portpath: Node's inspector is open \(--inspect\): portpath does not run with raw-socket privileges/);
  });
});
