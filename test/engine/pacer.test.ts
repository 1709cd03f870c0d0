import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pacer } from '../../src/engine/pacer.js';

test('the pacer lets a burst through, then one slot per interval, and saves nothing up beyond the burst', () => {
  const pacer = new Pacer(100, 3);
  assert.deepEqual([0, 0, 0, 0, 0].map(() => pacer.reserve(0)), [0, 0, 0, 10, 20]);
  // Later than the last slot: at once again, with the burst restored only as time passes.
  assert.equal(pacer.reserve(1000), 1000);
  assert.equal(pacer.reserve(1000), 1000);
  assert.equal(pacer.reserve(1000), 1000);
  assert.equal(pacer.reserve(1000), 1010);
  assert.throws(() => new Pacer(0), RangeError);
});

test('over a long run, reservations keep to the rate', () => {
  const pacer = new Pacer(200);
  let last = 0;
  for (let i = 0; i < 2000; i++) last = pacer.reserve(0);
  // 2000 probes at 200/s: the last slot ~10 s out (less the burst).
  assert.ok(last > 9_900 && last <= 10_000, String(last));
});
