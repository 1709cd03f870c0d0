// The model of a router's ICMP budget (6 at once, then one a second): probes that ask for tokens at one moment are
// given them one refill apart, never all the same next token.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IcmpBudget } from '../../src/engine/icmp-budget.js';

test('a burst of 6 at once, then probes asking together queue up a second apart', () => {
  const budget = new IcmpBudget();
  const at = Array.from({ length: 9 }, () => budget.take(3, 0));
  assert.deepEqual(at.slice(0, 6), [0, 0, 0, 0, 0, 0]);
  // The 7th waits for a token (plus the margin); the 8th and 9th one refill after the one before.
  assert.deepEqual(at.slice(6), [1100, 2100, 3100]);
});

test('a router left spent until later (set for a future time) gives no token before then', () => {
  const budget = new IcmpBudget();
  budget.set(2, 0, 5000);
  assert.equal(budget.readyAt(2, 0), 6100);
  // Other TTLs' routers are untouched.
  assert.equal(budget.readyAt(4, 0), 0);
});

test('a token given back (its probe met another router) is there for the next probe, up to the burst', () => {
  const budget = new IcmpBudget();
  for (let i = 0; i < 6; i++) budget.take(2, 0);
  budget.refund(2);
  assert.equal(budget.take(2, 0), 0);
  assert.equal(budget.take(2, 0), 1100);
  // Never above the burst.
  const full = new IcmpBudget();
  full.take(5, 0);
  full.refund(5);
  full.refund(5);
  assert.deepEqual(Array.from({ length: 7 }, () => full.take(5, 0)), [0, 0, 0, 0, 0, 0, 1100]);
});
