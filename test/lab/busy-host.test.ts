// A busy host: a flood of unrelated TCP SYNs arriving at the client (hping3 --flood from the server's namespace) while
// it traces. The raw TCP socket's kernel filter keeps the flood out of JavaScript: the trace stays complete and
// about as quick as on an idle host, and nothing is blamed on the routers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawn } from 'node:child_process';
import { CLI, fullyAnswered, hopAddresses, runCli, withChain } from './harness.js';
import type { TraceResult } from '../../src/engine/types.js';

test('a SYN flood at the client: the trace is complete, quick, and blames no router', async (t) => {
  await withChain(t, { routers: 3 }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    const server = chain.serverAddress(4);
    const path = [1, 2, 3].map((i) => chain.routerAddress(i, 4)).concat(server);
    const trace = async () => {
      const run = await runCli(chain.client.namespace, ['-n', '--json', server, '443']);
      assert.equal(run.code, 0, run.stderr);
      return { result: JSON.parse(run.stdout) as TraceResult & { diagnosis: { verdict: string; notes: string[] } }, ms: run.ms };
    };
    const idle = await trace();
    const flood = chain.spawn(chain.server, 'hping3', ['--flood', '-q', '-S', '-p', '9999', '198.18.1.1']);
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (let i = 0; i < 2; i++) {
        const busy = await trace();
        assert.deepEqual(hopAddresses(busy.result), fullyAnswered(path));
        assert.equal(busy.result.diagnosis.verdict, 'open');
        assert.deepEqual(busy.result.diagnosis.notes, []);
        assert.equal(busy.result.receiveDrops, 0);
        assert.ok(busy.ms <= idle.ms * 1.5 + 100, `under the flood ${busy.ms.toFixed(0)} ms, idle ${idle.ms.toFixed(0)} ms`);
      }
    } finally {
      flood.kill('SIGKILL');
    }
  });
});

test('Ctrl-C under a flood ends the trace at once, with the hops traced so far', async (t) => {
  await withChain(t, { routers: 2 }, async (chain) => {
    // Everything past r2 is dropped, so the trace would wait on silent hops for seconds.
    chain.exec(chain.routers[1]!, 'iptables', ['-A', 'FORWARD', '-p', 'tcp', '--dport', '443', '-j', 'DROP']);
    const flood = chain.spawn(chain.server, 'hping3', ['--flood', '-q', '-S', '-p', '9999', '198.18.1.1']);
    try {
      await new Promise((resolve) => setTimeout(resolve, 500));
      const child = spawn('ip', ['netns', 'exec', chain.client.namespace, process.execPath, CLI, '-n', '-w', '10', chain.serverAddress(4), '443'], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let interruptedAt = 0;
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (!interruptedAt && /^ 2 /m.test(stdout)) {
          interruptedAt = performance.now();
          child.kill('SIGINT');
        }
      });
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      const ms = performance.now() - interruptedAt;
      assert.equal(code, 130);
      assert.match(stdout, /interrupted/i);
      assert.ok(ms < 300, `exit ${ms.toFixed(0)} ms after Ctrl-C`);
    } finally {
      flood.kill('SIGKILL');
    }
  });
});
