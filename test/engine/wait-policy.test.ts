import assert from 'node:assert/strict';
import { test } from 'node:test';
import { waitFor } from '../../src/engine/wait-policy.js';

const wait = { maxMs: 3000, here: 3, near: 3, minMs: 50, trailingMs: 500 };

test('nothing known: the maximum wait', () => {
  assert.equal(waitFor(4, new Map(), wait), 3000);
});

test('HERE: a hop that answered waits 3x its own RTT, but not below the floor', () => {
  assert.equal(waitFor(2, new Map([[2, 40]]), wait), 120);
  assert.equal(waitFor(2, new Map([[2, 1]]), wait), 50);
});

test('NEAR: uses the nearest later hop, not the farthest', () => {
  assert.equal(waitFor(2, new Map([[3, 30], [7, 90]]), wait), 90);
});

test('trailing: past every answer, at least the trailing floor or NEAR x the largest RTT', () => {
  assert.equal(waitFor(5, new Map([[1, 10], [3, 30]]), wait), 500);
  assert.equal(waitFor(5, new Map([[3, 400]]), wait), 1200);
});

test('never above the maximum', () => {
  assert.equal(waitFor(2, new Map([[2, 5000]]), wait), 3000);
  assert.equal(waitFor(9, new Map([[2, 5000]]), wait), 3000);
});

test('jitter: once answers of one hop were seen 55 ms apart, a probe is waited for its RTT plus twice that', () => {
  assert.equal(waitFor(2, new Map([[2, 5]]), wait, 55), 115);
  assert.equal(waitFor(2, new Map([[3, 5]]), wait, 55), 115);
  // A steady path keeps the tight waits.
  assert.equal(waitFor(2, new Map([[2, 40]]), wait, 1), 120);
});
