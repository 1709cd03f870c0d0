import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NO_IMPAIRMENT, packetFate } from '../../src/lab/impairment.js';
import type { Impairment } from '../../src/lab/impairment.js';
import { deriveSeed, mulberry32 } from '../../src/lab/seeded-random.js';
import { REORDER_MAX_HOLD_MS, WireDirection } from '../../src/lab/wire-direction.js';

function wire(impairment: Partial<Impairment>, seed = 1): WireDirection<number> {
  return new WireDirection<number>({ ...NO_IMPAIRMENT, ...impairment }, mulberry32(seed));
}

interface Delivery {
  packet: number;
  at: number;
}

/**
 * Sends packets 0..n-1 `gapMs` apart and steps the clock 0.25 ms at a time, as the forwarder's timer would:
 * what was dropped, and what came out when.
 */
function replay(direction: WireDirection<number>, n: number, gapMs: number): { dropped: number[]; delivered: Delivery[] } {
  const dropped: number[] = [];
  const delivered: Delivery[] = [];
  let next = 0;
  for (let now = 0; next < n || direction.nextDue() !== undefined; now += 0.25) {
    while (next < n && next * gapMs <= now) {
      if (!direction.accept(next, now)) dropped.push(next);
      next++;
    }
    for (const packet of direction.release(now)) delivered.push({ packet, at: now });
  }
  return { dropped, delivered };
}

const order = (deliveries: Delivery[]): number[] => deliveries.map((d) => d.packet);
const isSorted = (xs: number[]): boolean => xs.every((x, i) => i === 0 || xs[i - 1]! < x);

test('a plain delay keeps order and holds every packet exactly that long', () => {
  const { dropped, delivered } = replay(wire({ delayMs: 5 }), 100, 1);
  assert.deepEqual(dropped, []);
  assert.deepEqual(order(delivered), [...Array(100).keys()]);
  assert.ok(delivered.every((d) => d.at === d.packet + 5));
});

test('zero delay: a packet is due the moment it arrives', () => {
  const direction = wire({ loss: 0.5 });
  const kept = [...Array(20).keys()].filter((packet) => direction.accept(packet, 100));
  assert.deepEqual(direction.release(100), kept);
  assert.equal(direction.nextDue(), undefined);
});

test('same seed, same packets: the same drops and the same delivery order and times', () => {
  const bad: Partial<Impairment> = { delayMs: 5, jitterMs: 20, loss: 0.1, reorder: 0.1, spikeMs: 30, spikeRate: 0.1 };
  const seed = deriveSeed(7003, 0);
  const a = replay(wire(bad, seed), 500, 2);
  const b = replay(wire(bad, seed), 500, 2);
  assert.deepEqual(b, a);
  assert.ok(a.dropped.length > 25 && a.dropped.length < 80, `${a.dropped.length} dropped`);
  const other = replay(wire(bad, deriveSeed(7004, 0)), 500, 2);
  assert.notDeepEqual(other.dropped, a.dropped);
});

test('jitter spreads delays over [base, base + jitter] and, being per packet, reorders', () => {
  const { delivered } = replay(wire({ delayMs: 5, jitterMs: 40 }), 400, 2);
  const held = delivered.map((d) => d.at - d.packet * 2);
  assert.ok(held.every((h) => h >= 5 && h <= 45.25), `${Math.min(...held)}..${Math.max(...held)}`);
  assert.ok(Math.min(...held) < 7 && Math.max(...held) > 43);
  assert.equal(isSorted(order(delivered)), false);
});

test('a reordered packet goes out right behind its successor', () => {
  const reorder: Partial<Impairment> = { delayMs: 5, reorder: 0.2 };
  const { delivered } = replay(wire(reorder, 9), 300, 2);
  const sequence = order(delivered);
  assert.equal(sequence.length, 300);
  // The same seed's picks, read straight from the fates.
  const random = mulberry32(9);
  const picked = Array.from({ length: 300 }, () => packetFate({ ...NO_IMPAIRMENT, ...reorder }, random)).map((f) => !f.drop && f.reorder);
  // A pick is overtaken by its successor, which it then follows at once; when the successor is picked too, the
  // first goes out at the successor's time and the successor waits for the next.
  const overtaken = sequence.filter((packet) => sequence.indexOf(packet + 1) >= 0 && sequence.indexOf(packet + 1) < sequence.indexOf(packet));
  const expected = picked.flatMap((pick, packet) => (pick && packet + 1 < 300 && !picked[packet + 1] ? [packet] : []));
  assert.deepEqual(overtaken.sort((a, b) => a - b), expected);
  assert.ok(expected.length > 30 && expected.length < 70, `${expected.length} overtaken`);
  for (const packet of overtaken) assert.equal(sequence.indexOf(packet), sequence.indexOf(packet + 1) + 1);
});

test('a reordered packet with no successor leaves at its deadline, not never', () => {
  const direction = wire({ delayMs: 5, reorder: 1 });
  assert.equal(direction.accept(1, 0), true);
  assert.equal(direction.release(5 + REORDER_MAX_HOLD_MS - 0.01).length, 0);
  assert.equal(direction.nextDue(), 5 + REORDER_MAX_HOLD_MS);
  assert.deepEqual(direction.release(5 + REORDER_MAX_HOLD_MS), [1]);
});

test('spikes put a share of packets spikeMs late, the rest on time', () => {
  const { delivered } = replay(wire({ delayMs: 5, spikeMs: 55, spikeRate: 0.25 }, 3), 400, 1);
  const held = delivered.map((d) => d.at - d.packet);
  assert.ok(held.every((h) => h === 5 || h === 60));
  const spiked = held.filter((h) => h === 60).length;
  assert.ok(spiked > 60 && spiked < 140, `${spiked} of 400 spiked`);
});

test('packets carried unimpaired draw nothing: the others keep their fates', () => {
  const bad: Partial<Impairment> = { delayMs: 5, loss: 0.3 };
  const plain = wire(bad, 11);
  const interrupted = wire(bad, 11);
  const kept = (direction: WireDirection<number>, packets: number[]) => packets.filter((p) => direction.accept(p, p));
  const first = kept(plain, [...Array(200).keys()]);
  interrupted.acceptUnimpaired(-1, 0);
  interrupted.acceptUnimpaired(-2, 0);
  assert.deepEqual(kept(interrupted, [...Array(200).keys()]), first);
  assert.deepEqual(interrupted.release(5).slice(0, 2), [-1, -2]);
});
