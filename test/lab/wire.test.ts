// The lab's bad-path wire measured from outside, with ping through real namespaces: loss each way, jitter,
// reordering, RTT spikes, the same seed dropping the same packets again, and per-router ICMP rate limits.
// Bounds are about 4.5 standard deviations wide, and the wire is seeded: a pass is no fluke and a failure replays.
// Timing has hard lower bounds (a wire never delivers early) but upper bounds on quantiles, not maxima: on a busy
// machine a wire process is sometimes descheduled for tens of ms, and the packets it holds then come out late.
import assert from 'node:assert/strict';
import { suite, test } from 'node:test';
import type { Chain, ChainOptions, LabNode, LinkImpairment } from '../../src/lab/topology.js';
import { withChain } from './harness.js';

interface PingRun {
  transmitted: number;
  /** icmp_seq of each reply, in the order the replies arrived. */
  arrivals: number[];
  /** RTT in ms of each reply, by icmp_seq. */
  rtt: Map<number, number>;
}

/**
 * `ping -c count -i interval` from the client to the server, every reply line kept. Spawned, not run synchronously,
 * so the tests' labs ping at the same time.
 */
async function ping(chain: Chain, count: number, intervalS: number): Promise<PingRun> {
  const child = chain.spawn(chain.client, 'ping', ['-n', '-c', String(count), '-i', String(intervalS), chain.serverAddress(4)]);
  let out = '';
  child.stdout!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (out += chunk.toString()));
  await new Promise((resolve) => child.once('close', resolve));
  const transmitted = Number(/(\d+) packets transmitted/.exec(out)?.[1] ?? NaN);
  assert.equal(transmitted, count, out);
  const arrivals: number[] = [];
  const rtt = new Map<number, number>();
  for (const [, seq, ms] of out.matchAll(/icmp_seq=(\d+) ttl=\d+ time=([\d.]+) ms/g)) {
    arrivals.push(Number(seq));
    rtt.set(Number(seq), Number(ms));
  }
  return { transmitted, arrivals, rtt };
}

/** Replies that arrived after a reply to a later request. */
function outOfOrder(arrivals: number[]): number {
  let latest = -Infinity;
  let late = 0;
  for (const seq of arrivals) {
    if (seq < latest) late++;
    latest = Math.max(latest, seq);
  }
  return late;
}

function lost(run: PingRun): number[] {
  return Array.from({ length: run.transmitted }, (_, i) => i + 1).filter((seq) => !run.rtt.has(seq));
}

/** The ICMP counters of a node's kernel (Icmp: InEchos, OutEchoReps, …). */
function icmpCounters(chain: Chain, node: LabNode): Record<string, number> {
  const lines = chain.exec(node, 'cat', ['/proc/net/snmp']).split('\n').filter((line) => line.startsWith('Icmp: '));
  const [names, values] = lines.map((line) => line.split(' ').slice(1));
  return Object.fromEntries(names!.map((name, i) => [name, Number(values![i])]));
}

/** The value below which a share q of the sorted values lie. */
function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** A binomial(n, p) count's range at ±4.5 standard deviations. */
function binomialRange(n: number, p: number): [number, number] {
  const sd = Math.sqrt(n * p * (1 - p));
  return [n * p - 4.5 * sd, n * p + 4.5 * sd];
}

function assertWithin(value: number, [low, high]: [number, number], what: string): void {
  assert.ok(value >= low && value <= high, `${what}: ${value}, expected ${low.toFixed(1)}..${high.toFixed(1)}`);
}

const oneLink = (link: LinkImpairment, seed = 1): ChainOptions => ({ routers: 0, seed, links: { 1: link } });

// Each test builds its own lab, so they run side by side: the whole file takes about as long as its slowest test.
suite('the lab wire', { concurrency: true }, () => {
  test('loss is per link and per direction: 10% toward the server on link 1, 20% toward the client on link 2', async (t) => {
    const options: ChainOptions = { routers: 1, seed: 7, links: { 1: { lossToServer: 0.1 }, 2: { lossToClient: 0.2 } } };
    await withChain(t, options, async (chain) => {
      const run = await ping(chain, 200, 0.005);
      const requestsIn = icmpCounters(chain, chain.server).InEchos!;
      const replies = run.arrivals.length;
      t.diagnostic(`200 requests: ${requestsIn} reached the server, ${replies} replies came back`);
      assertWithin(requestsIn, binomialRange(200, 0.9), 'requests past link 1');
      assertWithin(replies, binomialRange(requestsIn, 0.8), 'replies past link 2');
      // No jitter and no reordering asked for: a lossy wire at 0 ms is still first in, first out.
      assert.equal(outOfOrder(run.arrivals), 0);
    });
  });

  test('the same seed drops the same packets; another seed drops others', async (t) => {
    const lostWith = async (seed: number): Promise<number[] | undefined> =>
      withChain(t, oneLink({ lossToServer: 0.2 }, seed), async (chain) => lost(await ping(chain, 100, 0.005)));
    const [first, again, other] = await Promise.all([lostWith(7), lostWith(7), lostWith(8)]);
    if (!first) return;
    t.diagnostic(`seed 7 lost ${first.join(' ')}; again ${again!.join(' ')}; seed 8 lost ${other!.join(' ')}`);
    assertWithin(first.length, binomialRange(100, 0.2), 'lost with seed 7');
    assert.deepEqual(again, first);
    assert.notDeepEqual(other, first);
  });

  test('jitter 0..40 ms each way on a 5 ms link: RTTs spread over 10..90 ms, and replies overtake each other', async (t) => {
    await withChain(t, oneLink({ delayMs: 5, jitterMs: 40 }), async (chain) => {
      const run = await ping(chain, 200, 0.005);
      const rtts = [...run.rtt.values()];
      const [min, p90, max] = [Math.min(...rtts), quantile(rtts, 0.9), Math.max(...rtts)];
      const late = outOfOrder(run.arrivals);
      t.diagnostic(`RTT min ${min} ms, 90th percentile ${p90} ms, max ${max} ms; ${late} of ${rtts.length} replies out of order`);
      assert.equal(rtts.length, 200);
      // The extra is the sum of two uniform 0..40 draws: below 15 ms for 7% of packets and above 60 ms for 12.5%
      // (the chance that none of 200 is, either way, is under 10⁻⁶); 90% of them are below 62 ms.
      assert.ok(min >= 10 && min < 25, `min RTT ${min}`);
      assert.ok(max > 70, `max RTT ${max}`);
      assert.ok(p90 < 85, `90th percentile ${p90}`);
      assert.ok(late > 20, `${late} out of order`);
    });
  });

  test('reorder 10% each way without jitter: about a fifth of the replies arrive behind a later one', async (t) => {
    await withChain(t, oneLink({ delayMs: 5, reorder: 0.1 }), async (chain) => {
      const run = await ping(chain, 200, 0.005);
      const rtts = [...run.rtt.values()];
      const late = outOfOrder(run.arrivals);
      t.diagnostic(`${late} of ${rtts.length} replies out of order; RTT ${Math.min(...rtts)}..${Math.max(...rtts)} ms, 90th percentile ${quantile(rtts, 0.9)}`);
      assert.equal(rtts.length, 200);
      // A pick in either direction swaps a reply with the next one (unless the next is picked too): ≈ 2 · 0.1 · 0.9.
      assertWithin(late, binomialRange(200, 0.18), 'replies out of order');
      // A held packet waits for its successor, one ping interval (5 ms, more with ping's own pacing) behind.
      assert.ok(Math.min(...rtts) >= 10 && quantile(rtts, 0.9) < 25);
    });
  });

  test('spikes: 20% of packets each way get +55 ms on a 2 ms link, so RTTs sit near 4, 59 or 114 ms', async (t) => {
    await withChain(t, oneLink({ delayMs: 2, spikeMs: 55, spikeRate: 0.2 }), async (chain) => {
      const run = await ping(chain, 200, 0.005);
      const rtts = [...run.rtt.values()];
      const spiked = rtts.filter((rtt) => rtt > 30).length;
      // Nothing below a level's floor, and only the odd late straggler between levels.
      const between = rtts.filter((rtt) => (rtt > 25 && rtt < 59) || (rtt > 80 && rtt < 114));
      t.diagnostic(`${spiked} of ${rtts.length} RTTs spiked; ${between.length} between levels; levels ${[4, 59, 114].map((l) => rtts.filter((r) => r >= l && r <= l + 21).length).join(' / ')}`);
      assert.equal(rtts.length, 200);
      // Spiked unless neither direction spikes: 1 - 0.8².
      assertWithin(spiked, binomialRange(200, 0.36), 'spiked RTTs');
      assert.ok(Math.min(...rtts) >= 4, `min RTT ${Math.min(...rtts)}`);
      assert.ok(between.length <= 10, `between levels: ${between.join(' ')}`);
    });
  });

  test('icmpRateLimit: [2] keeps the ICMP rate limit on r2 only', async (t) => {
    await withChain(t, { routers: 3, icmpRateLimit: [2] }, async (chain) => {
      const limits = chain.nodes.map((node) => chain.exec(node, 'sysctl', ['-n', 'net.ipv4.icmp_ratelimit', 'net.ipv6.icmp.ratelimit']).split('\n').filter(Boolean).map(Number));
      t.diagnostic(`icmp_ratelimit (v4, v6) by node: ${limits.map((l) => l.join(',')).join(' | ')}`);
      assert.deepEqual(limits.map((l) => l.every((v) => v > 0)), [false, false, true, false, false]);
    });
  });
});
