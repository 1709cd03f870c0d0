import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BUSY_MS, LoopLag, TICK_MS } from '../../src/trace/batch-load.js';

test('the loop lag: ticks on time are not busy; ticks late by more than BUSY_MS for a while are, and it passes', () => {
  const lag = new LoopLag();
  let now = 0;
  for (let i = 0; i < 50; i++) lag.observe((now += TICK_MS + 1));
  assert.equal(lag.busy, false);
  lag.observe((now += TICK_MS + 4 * BUSY_MS));
  assert.equal(lag.busy, false, 'one late tick (a collection) is smoothed');
  for (let i = 0; i < 10; i++) lag.observe((now += TICK_MS + 2 * BUSY_MS));
  assert.equal(lag.busy, true);
  for (let i = 0; i < 30; i++) lag.observe((now += TICK_MS));
  assert.equal(lag.busy, false);
});

test('the sampling timer starts and stops without holding the process', () => {
  const lag = new LoopLag().start();
  lag.stop();
  lag.stop();
  assert.equal(lag.busy, false);
});
