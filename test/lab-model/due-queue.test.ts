import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DueQueue } from '../../src/lab/due-queue.js';
import { int, mulberry32 } from '../../src/lab/seeded-random.js';

function drain<T>(queue: DueQueue<T>, now = Infinity): T[] {
  const out: T[] = [];
  for (let item = queue.popDue(now); item !== undefined; item = queue.popDue(now)) out.push(item);
  return out;
}

test('items leave by due time, not by insertion', () => {
  const queue = new DueQueue<string>();
  queue.push(30, 'c');
  queue.push(10, 'a');
  queue.push(20, 'b');
  assert.equal(queue.peekDue(), 10);
  assert.deepEqual(drain(queue), ['a', 'b', 'c']);
  assert.equal(queue.peekDue(), undefined);
});

test('equal due times leave first in, first out', () => {
  const queue = new DueQueue<number>();
  for (let i = 0; i < 50; i++) queue.push(i % 2 === 0 ? 5 : 7, i);
  const out = drain(queue);
  assert.deepEqual(out, [...out.filter((i) => i % 2 === 0), ...out.filter((i) => i % 2 === 1)]);
  assert.deepEqual(out.filter((i) => i % 2 === 0), [...Array(25).keys()].map((i) => 2 * i));
});

test('popDue gives nothing before its time', () => {
  const queue = new DueQueue<string>();
  queue.push(10, 'a');
  assert.equal(queue.popDue(9.99), undefined);
  assert.equal(queue.size, 1);
  assert.equal(queue.popDue(10), 'a');
});

test('10,000 random pushes and pops agree with a stable sort', () => {
  const random = mulberry32(77);
  const queue = new DueQueue<number>();
  const reference: { due: number; id: number }[] = [];
  const popped: number[] = [];
  const expected: number[] = [];
  let now = 0;
  for (let id = 0; id < 10_000; id++) {
    const due = now + int(random, 50);
    queue.push(due, id);
    reference.push({ due, id });
    if (int(random, 3) === 0) {
      now += int(random, 20);
      popped.push(...drain(queue, now));
      reference.sort((a, b) => a.due - b.due || a.id - b.id);
      while (reference.length > 0 && reference[0]!.due <= now) expected.push(reference.shift()!.id);
    }
  }
  popped.push(...drain(queue));
  reference.sort((a, b) => a.due - b.due || a.id - b.id);
  expected.push(...reference.map((r) => r.id));
  assert.deepEqual(popped, expected);
});
