import assert from 'node:assert/strict';
import { test } from 'node:test';
import { spreadDelays } from '../../src/exporter/watches.js';

test('watches started together begin spread evenly over their interval, a minute at most, the first at once', () => {
  assert.deepEqual(spreadDelays([]), []);
  assert.deepEqual(spreadDelays([{ intervalMs: 10_000 }]), [0]);
  assert.deepEqual(spreadDelays(Array.from({ length: 4 }, () => ({ intervalMs: 10_000 }))), [0, 2500, 5000, 7500]);
  // An hourly watch still starts within the minute; each watch's own interval bounds its place.
  assert.deepEqual(spreadDelays([{ intervalMs: 3_600_000 }, { intervalMs: 3_600_000 }, { intervalMs: 1000 }]), [0, 20_000, 2000 / 3]);
  // 200 watches at 10 s: one every 50 ms.
  const delays = spreadDelays(Array.from({ length: 200 }, () => ({ intervalMs: 10_000 })));
  assert.equal(delays.at(-1), 9950);
  assert.ok(delays.every((d, i) => i === 0 || Math.abs(d - delays[i - 1]! - 50) < 1e-9));
});
