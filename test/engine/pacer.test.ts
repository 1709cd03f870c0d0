import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pacer } from '../../src/engine/pacer.js';
import { FakeClock } from './fakes.js';

test('the pacer lets a burst through, then one probe per interval, first come first served', () => {
  const clock = new FakeClock();
  const pacer = new Pacer(100, clock, 3);
  const sent: [number, number][] = [];
  for (let i = 0; i < 6; i++) pacer.request(() => (sent.push([i, clock.now()]), true));
  assert.deepEqual(sent, [[0, 0], [1, 0], [2, 0]]);
  clock.advance(1000);
  assert.deepEqual(sent, [[0, 0], [1, 0], [2, 0], [3, 10], [4, 20], [5, 30]]);
  assert.equal(pacer.waiting, 0);
  assert.throws(() => new Pacer(0, clock), RangeError);
});

test('a slot is spent only on a probe sent: one no longer wanted, or taken out of the queue, passes it on', () => {
  const clock = new FakeClock();
  const pacer = new Pacer(10, clock, 1);
  const sent: number[] = [];
  pacer.request(() => (sent.push(clock.now()), true));
  pacer.request(() => false);
  const cancel = pacer.request(() => (sent.push(-1), true));
  pacer.request(() => (sent.push(clock.now()), true));
  cancel();
  clock.advance(1000);
  assert.deepEqual(sent, [0, 100]);
});

test('over a long run the queue drains at the rate, and a charged probe takes its slot', () => {
  const clock = new FakeClock();
  const pacer = new Pacer(200, clock);
  let count = 0;
  pacer.charge();
  for (let i = 0; i < 2000; i++) pacer.request(() => (count++, true));
  clock.advance(5000);
  // 5 s at 200/s, one slot charged, a burst of 10 at the start.
  assert.ok(count >= 995 && count <= 1010, String(count));
  clock.advance(10_000);
  assert.equal(count, 2000);
});

test('no slot is handed out while the answers wait unread (holdWhile); the pace resumes after, within its burst', () => {
  const clock = new FakeClock();
  let behind = true;
  const pacer = new Pacer(100, clock, 2, () => behind);
  const sent: number[] = [];
  for (let i = 0; i < 5; i++) pacer.request(() => (sent.push(clock.now()), true));
  clock.advance(50);
  assert.deepEqual(sent, [], 'held');
  behind = false;
  clock.advance(100);
  // Looked at again every 5 ms: released at 55 ms, a burst of 2, then one each 10 ms.
  assert.deepEqual(sent, [55, 55, 65, 75, 85]);
});
