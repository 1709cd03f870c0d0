// The rate-limit test against simulations of what it must tell apart: Linux's ICMP token bucket (6 in a burst, one
// a second, earning tokens while the burst goes by) in every start state, on paths with forwarded loss and with
// jitter that may reorder the burst; and plain loss at rates up to 50%. Seeded, so the counts below are exact and
// repeat.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BURST, burstSpacing, classifyLoss, SPACED } from '../../src/analyze/loss-cause.js';
import type { HopResult } from '../../src/engine/types.js';
import { mulberry32 } from '../../src/lab/seeded-random.js';

const RUNS = 4000;

function tally(trial: () => { burst: boolean[]; spaced: boolean[] }): Record<string, number> {
  const counts: Record<string, number> = { 'rate-limit': 0, loss: 0, unknown: 0 };
  for (let i = 0; i < RUNS; i++) {
    const { burst, spaced } = trial();
    counts[classifyLoss(burst, spaced).cause]!++;
  }
  return counts;
}

describe('classifyLoss', () => {
  test('a limiter that cut the burst short and answered the spaced probes is rate limiting', () => {
    assert.equal(classifyLoss([true, false, false, false, false, false, false, false, false, false], [true, true]).cause, 'rate-limit');
    assert.equal(classifyLoss([true, true, true, true, true, true, false, false, false, false], [true, true]).cause, 'rate-limit');
  });

  test('misses spread over the burst and the spaced probes are loss', () => {
    assert.equal(classifyLoss([true, false, true, true, false, true, true, true, false, true], [false, true]).cause, 'loss');
  });

  test('nothing missing this time: unknown', () => {
    assert.equal(classifyLoss(Array<boolean>(BURST).fill(true), Array<boolean>(SPACED).fill(true)).cause, 'unknown');
  });

  test('a drained bucket that earned one token during the burst is rate limiting', () => {
    const late = (at: number) => Array.from({ length: BURST }, (_, i) => i === at);
    for (let at = 0; at < BURST; at++) assert.equal(classifyLoss(late(at), [true, true, true]).cause, 'rate-limit', `token at ${at}`);
    // Two answers spread over a burst are not a limiter's pattern.
    assert.notEqual(classifyLoss(late(2).map((x, i) => x || i === 7), [true, true, true]).cause, 'rate-limit');
  });

  test('the burst is spaced wider than the jitter the trace saw, within 2..20 ms', () => {
    const hop = (ttl: number, rtts: (number | null)[]): HopResult => ({ ttl, probes: rtts.map((rtt) => ({ from: rtt === null ? null : '198.18.0.1', rtt, reply: null })) });
    assert.equal(burstSpacing([hop(1, [0.4, 0.5, 0.6])]), 2);
    assert.equal(burstSpacing([hop(1, [1, 1.2, null]), hop(2, [3, 10.5, 6])]), 8);
    assert.equal(burstSpacing([hop(1, [5, 60, 30])]), 20);
  });

  /**
   * Linux's bucket (icmp_ratelimit 1000 ms, burst 6) meeting the burst: `tokens` to start with (fractional: the
   * bucket refills continuously), one more earned per 1000 ms as the burst goes by; each probe reaches the router
   * after a uniform random delay of up to `jitterMs`, so on a jittery path it may overtake the one before.
   */
  function limiterTrial(random: () => number, pathLoss: number, jitterMs: number) {
    const spacing = Math.min(20, Math.max(2, Math.ceil(jitterMs)));
    let tokens = random() * 7;
    const arrivals = Array.from({ length: BURST }, (_, i) => ({ i, at: i * spacing + random() * jitterMs })).sort((a, b) => a.at - b.at);
    const burst = Array<boolean>(BURST).fill(false);
    let last = arrivals[0]!.at;
    for (const { i, at } of arrivals) {
      tokens = Math.min(6, tokens + (at - last) / 1000);
      last = at;
      if (tokens < 1) continue;
      tokens--;
      burst[i] = random() >= pathLoss;
    }
    return { burst, spaced: Array.from({ length: SPACED }, () => random() >= pathLoss) };
  }

  for (const pathLoss of [0, 0.05, 0.1]) {
    for (const jitterMs of [0, 10]) {
      test(`Linux's bucket in any state, ${pathLoss * 100}% path loss, ${jitterMs} ms jitter: rate limiting called right in ≥ ${pathLoss === 0 ? 99 : pathLoss <= 0.05 ? 95 : 92}% of all tests, wrong ≤ 1%`, () => {
        const random = mulberry32(1000 + pathLoss * 100 + jitterMs);
        const counts = tally(() => limiterTrial(random, pathLoss, jitterMs));
        // Right over every test, 'unknown' counted as not right (it says less, but it is not the answer): at seed
        // 1000+ these were 4000, 3899/3877 and 3772/3735 of 4000 at 0, 5 and 10% loss; wrong at most 30 of 4000.
        const floor = pathLoss === 0 ? 0.99 : pathLoss <= 0.05 ? 0.95 : 0.92;
        assert.ok(counts['rate-limit']! / RUNS >= floor, JSON.stringify(counts));
        assert.ok(counts.loss! / RUNS <= 0.01, JSON.stringify(counts));
        // On a clean path every test is decided, and rightly.
        if (pathLoss === 0) assert.ok(counts['rate-limit']! / RUNS >= 0.99, JSON.stringify(counts));
      });
    }
  }

  for (const p of [0.05, 0.1, 0.2, 0.3, 0.5]) {
    test(`plain loss of ${p * 100}%: called rate limiting under 1% of the time`, () => {
      const random = mulberry32(2000 + p * 100);
      const counts = tally(() => ({
        burst: Array.from({ length: BURST }, () => random() >= p),
        spaced: Array.from({ length: SPACED }, () => random() >= p),
      }));
      assert.ok(counts['rate-limit']! / RUNS < 0.01, JSON.stringify(counts));
    });
  }
});
