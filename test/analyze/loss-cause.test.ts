// The rate-limit test against simulations of what it must tell apart: Linux's ICMP token bucket (6 in a burst, one
// a second) in every start state, on paths with forwarded loss; and plain loss at rates up to 50%. Seeded, so the
// counts below are exact and repeat.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BURST, classifyLoss, SPACED } from '../../src/analyze/loss-cause.js';
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

  for (const pathLoss of [0, 0.05, 0.1]) {
    test(`Linux's bucket in any state, ${pathLoss * 100}% path loss: decisions ≥ 95% rate limiting`, () => {
      const random = mulberry32(1000 + pathLoss * 100);
      const counts = tally(() => {
        let tokens = Math.floor(random() * 7);
        const burst = Array.from({ length: BURST }, () => {
          const allowed = tokens >= 1;
          if (allowed) tokens--;
          return allowed && random() >= pathLoss;
        });
        const spaced = Array.from({ length: SPACED }, () => random() >= pathLoss);
        return { burst, spaced };
      });
      const decided = counts['rate-limit']! + counts.loss!;
      assert.ok(counts['rate-limit']! / decided >= 0.95, JSON.stringify(counts));
    });
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
