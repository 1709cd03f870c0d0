// A busy host: floods of unrelated traffic arriving at the client (hping3 --flood from the server's namespace) while
// it traces. The raw sockets' kernel filters keep the floods out of JavaScript: the traces stay complete and about
// as quick and cheap as on an idle host, and nothing is blamed on the routers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spawn } from 'node:child_process';
import { CLI, fullyAnswered, hopAddresses, withChain } from './harness.js';
import type { TraceResult } from '../../src/engine/types.js';
import type { Chain } from '../../src/lab/topology.js';

type Diagnosed = TraceResult & { diagnosis: { verdict: string; notes: string[] } };

/** One CLI run in the client's namespace with its wall time and CPU time (user + system, from bash's `times`). */
function timedTrace(chain: Chain, args: string[]): Promise<{ result: Diagnosed; ms: number; cpuMs: number }> {
  const started = performance.now();
  const script = '"$@"; status=$?; times >&2; exit $status';
  const child = spawn('ip', ['netns', 'exec', chain.client.namespace, 'bash', '-c', script, 'bash', process.execPath, CLI, '-n', '--json', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    child.on('close', (code) => {
      const ms = performance.now() - started;
      // `times` prints the shell's own times, then its children's: "0m0.210s 0m0.040s".
      const children = stderr.trim().split('\n').at(-1)?.match(/(\d+)m([\d.]+)s (\d+)m([\d.]+)s/);
      if (code !== 0 || !children) return reject(new Error(`portpath ${args.join(' ')} exited ${code}: ${stderr}`));
      const cpuMs = (Number(children[1]) * 60 + Number(children[2]) + Number(children[3]) * 60 + Number(children[4])) * 1000;
      resolve({ result: JSON.parse(stdout) as Diagnosed, ms, cpuMs });
    });
  });
}

// One flood kind at a time, each as fast as hping3 goes: on a small CI machine (2 cores) three floods at once take
// every core, and the trace's wall time then measures the scheduler, not portpath.
const FLOODS: Record<string, string[]> = {
  'TCP SYNs to another port': ['-S', '-p', '9999'],
  'UDP to another port': ['--udp', '-p', '9999'],
  'ICMP echo requests': ['--icmp'],
};

test('floods of SYNs, UDP and ICMP echo at the client: TCP and UDP traces stay complete, quick and cheap, and blame no router', async (t) => {
  await withChain(t, { routers: 3, ipv6: false }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    const server = chain.serverAddress(4);
    const path = [1, 2, 3].map((i) => chain.routerAddress(i, 4)).concat(server);
    const runs = { tcp: [server, '443'], udp: ['-U', server, '33434'] };
    const idle = { tcp: await timedTrace(chain, runs.tcp), udp: await timedTrace(chain, runs.udp) };
    for (const [flood, args] of Object.entries(FLOODS)) {
      const sender = chain.spawn(chain.server, 'hping3', ['--flood', '-q', ...args, '198.18.1.1']);
      try {
        await new Promise((resolve) => setTimeout(resolve, 500));
        for (const kind of ['tcp', 'udp'] as const) {
          // Two traces under each flood; the times asserted are the better of the two. An ICMP echo flood also
          // fills the links with the client's echo replies, so a probe or its answer is now and then lost on the
          // wire and waited for: that is the path's loss, not the host's work, which the CPU time measures.
          const tries = [await timedTrace(chain, runs[kind]), await timedTrace(chain, runs[kind])];
          const ms = Math.min(...tries.map((r) => r.ms));
          const cpuMs = Math.min(...tries.map((r) => r.cpuMs));
          const context = `${flood}, ${kind} trace: ${tries.map((r) => r.ms.toFixed(0)).join(' and ')} ms wall, ${tries.map((r) => r.cpuMs.toFixed(0)).join(' and ')} ms CPU; idle ${idle[kind].ms.toFixed(0)} ms, ${idle[kind].cpuMs.toFixed(0)} ms`;
          t.diagnostic(context);
          for (const busy of tries) {
            assert.deepEqual(hopAddresses(busy.result), fullyAnswered(path), context);
            assert.equal(busy.result.diagnosis.verdict, kind === 'tcp' ? 'open' : 'closed', context);
            assert.deepEqual(busy.result.diagnosis.notes, [], context);
            assert.equal(busy.result.receiveDrops, 0, context);
          }
          // 100 ms of slack on each: a loaded CI machine's scheduling noise, not the trace's work.
          assert.ok(ms <= idle[kind].ms * 1.5 + 100, context);
          assert.ok(cpuMs <= idle[kind].cpuMs * 2 + 100, context);
        }
      } finally {
        sender.kill('SIGKILL');
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
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
