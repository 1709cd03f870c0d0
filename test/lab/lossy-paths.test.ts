// The diagnosis on a bad path: seeded loss and jitter on the wires, Linux's default ICMP rate limits on every
// router, and traces run back to back (so budgets are partly spent). Every verdict must hold, and a port the real
// server answered must never be blamed on a device in the path. The seed is printed with every failure; replay
// with PORTPATH_LAB_SEED=<seed>.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Diagnosis } from '../../src/analyze/diagnose.js';
import type { TraceResult } from '../../src/engine/types.js';
import type { Chain } from '../../src/lab/topology.js';
import { runCli, withChain } from './harness.js';

type Diagnosed = TraceResult & { diagnosis: Diagnosis };

const SEED = Number(process.env.PORTPATH_LAB_SEED ?? Math.floor(Math.random() * 1e6));
const IN_PATH = new Set(['reset-in-path', 'terminated-in-path', 'filtered-in-path', 'rejected-in-path']);
const RUNS = 3;

async function diagnosed(chain: Chain, args: string[]): Promise<Diagnosed> {
  const run = await runCli(chain.client.namespace, ['-n', '--json', ...args]);
  assert.equal(run.code, 0, `seed ${SEED}: ${run.stderr}`);
  return JSON.parse(run.stdout) as Diagnosed;
}

test(`lossy, jittery, rate-limited path: every verdict holds, no false in-path claim (seed ${SEED})`, async (t) => {
  await withChain(
    t,
    {
      routers: 4,
      ipv6: false,
      seed: SEED,
      icmpRateLimit: true,
      // 5% each way on two links (about 19% of round trips lost past link 5), jitter up to 20 ms on link 3.
      links: { 2: { lossToServer: 0.05, lossToClient: 0.05 }, 3: { delayMs: 2, jitterMs: 20 }, 5: { lossToServer: 0.05, lossToClient: 0.05 } },
    },
    async (chain) => {
      await chain.startServices({ tcp: [443, 8443, 9443] });
      await chain.startServices({ tcp: [9999] }, chain.routers[2]!);
      const r3 = chain.routers[2]!;
      chain.exec(r3, 'iptables', ['-A', 'FORWARD', '-p', 'tcp', '--dport', '8443', '-j', 'DROP']);
      chain.exec(r3, 'iptables', ['-A', 'FORWARD', '-p', 'tcp', '--dport', '9443', '-j', 'REJECT', '--reject-with', 'tcp-reset']);
      chain.exec(r3, 'iptables', ['-t', 'nat', '-A', 'PREROUTING', '-p', 'tcp', '--dport', '8080', '-j', 'REDIRECT', '--to-ports', '9999']);
      const server = chain.serverAddress(4);
      const r = (i: number) => chain.routerAddress(i, 4);
      const expected: Record<string, { verdict: string; hop: number; by: string }> = {
        '443': { verdict: 'open', hop: 5, by: server },
        '444': { verdict: 'closed', hop: 5, by: server },
        '8443': { verdict: 'filtered-in-path', hop: 3, by: r(3) },
        '9443': { verdict: 'reset-in-path', hop: 3, by: r(3) },
        '8080': { verdict: 'terminated-in-path', hop: 3, by: r(3) },
      };
      const tally: string[] = [];
      let wrong = 0;
      for (let run = 0; run < RUNS; run++) {
        for (const [port, want] of Object.entries(expected)) {
          const result = await diagnosed(chain, [server, port]);
          const got = { verdict: result.diagnosis.verdict, hop: result.diagnosis.hop, by: result.diagnosis.by };
          tally.push(`${port}: ${got.verdict}@${got.hop} (${result.diagnosis.confidence})`);
          // The claim that must never be wrong: blaming the path for an answer the real server gave.
          if (port === '443' || port === '444') {
            assert.ok(!IN_PATH.has(got.verdict), `seed ${SEED}: port ${port} answered by the server was called ${got.verdict}\n${result.diagnosis.evidence.join('\n')}`);
          }
          if (got.verdict !== want.verdict || got.hop !== want.hop || got.by !== want.by) wrong++;
        }
      }
      // At this loss a verdict may fall back to unknown once in a while; more than one miss in 15 is a regression.
      assert.ok(wrong <= 1, `seed ${SEED}: ${wrong} of ${RUNS * 5} verdicts wrong:\n${tally.join('\n')}`);
    },
  );
});

test('port forwarding: the target address forwards the port to the host behind it, and the diagnosis says so', async (t) => {
  await withChain(t, { routers: 3, ipv6: false }, async (chain) => {
    await chain.startServices({ tcp: [80] });
    const target = chain.routerAddress(3, 4);
    chain.exec(chain.routers[2]!, 'iptables', ['-t', 'nat', '-A', 'PREROUTING', '-d', target, '-p', 'tcp', '--dport', '8080', '-j', 'DNAT', '--to-destination', `${chain.serverAddress(4)}:80`]);
    const result = await diagnosed(chain, [target, '8080']);
    assert.equal(result.diagnosis.verdict, 'open', result.diagnosis.evidence.join('\n'));
    assert.deepEqual(result.diagnosis.forwarder, { hop: 3, address: target, serviceHop: 4, stops: null });
    assert.match(result.diagnosis.explanation, /forwards TCP\/8080 at hop 3 .*answers from hop 4, behind it/);
  });
});

test(`a link whose RTT jumps from 5 to 60 ms: late answers are not called lost, and the trace stays quick (seed ${SEED})`, async (t) => {
  await withChain(t, { routers: 4, ipv6: false, seed: SEED, links: { 3: { delayMs: 2, spikeMs: 55, spikeRate: 0.3 } } }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    for (let run = 0; run < 3; run++) {
      const started = performance.now();
      const result = await diagnosed(chain, [chain.serverAddress(4), '443']);
      const ms = performance.now() - started;
      // The routers that answered: every answer arrives, late or not. (At the server a SYN reordered behind a later
      // one of the same flow meets its half-open connection out of window and gets no answer at all: not a late
      // answer. A router whose every answer came late still shows silent: the late-answer grace starts only where a
      // hop answered some probes, so that a path with a silent router does not wait for nothing.)
      const routers = result.hops.filter((h) => h.ttl < (result.destination.hop ?? Infinity) && h.probes.some((p) => p.from !== null));
      const missed = routers.flatMap((h) => h.probes.filter((p) => p.from === null).map(() => h.ttl));
      assert.deepEqual(missed, [], `seed ${SEED}: answers called lost at TTL ${missed.join(',')}`);
      assert.ok(!IN_PATH.has(result.diagnosis.verdict), `seed ${SEED}: ${result.diagnosis.verdict}`);
      // No slow re-probing (that takes over 2 s) for answers that were only late.
      assert.ok(ms < 2000, `seed ${SEED}: ${Math.round(ms)} ms`);
    }
  });
});
