import assert from 'node:assert/strict';
import { test } from 'node:test';
import { deriveSeed, mulberry32 } from '../../src/lab/seeded-random.js';

const first = (seed: number, n = 8): number[] => Array.from({ length: n }, mulberry32(seed));

test('deriveSeed is a pure function of its inputs', () => {
  assert.equal(deriveSeed(7003, 0), deriveSeed(7003, 0));
  assert.deepEqual(first(deriveSeed(7003, 1)), first(deriveSeed(7003, 1)));
});

test('nearby seeds and the two directions give unrelated streams, not shifted copies of one', () => {
  const seen = new Set<number>();
  let count = 0;
  for (const seed of [1001, 1002, 2001, 7003, 2 ** 40 + 1001]) {
    for (const stream of [0, 1]) {
      for (const value of first(deriveSeed(seed, stream), 1000)) {
        seen.add(value);
        count++;
      }
    }
  }
  // A shifted copy would repeat nearly all of another stream's values; chance alone repeats about one in 10,000.
  assert.ok(count - seen.size <= 2, `${count - seen.size} repeated values`);
});

test('the high bits of a large seed count', () => {
  assert.notEqual(deriveSeed(2 ** 40 + 5, 0), deriveSeed(5, 0));
});
