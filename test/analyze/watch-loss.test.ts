// Reading a watch's loss: a router's own ICMP limit vs loss of the traffic itself, where path loss starts, and the
// 95% intervals behind both — on fixed cases and on seeded simulated paths (counts stated).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readLoss, wilson } from '../../src/analyze/watch-loss.js';
import type { HopCounts } from '../../src/analyze/watch-loss.js';
import { mulberry32 } from '../../src/lab/seeded-random.js';

test('Wilson intervals match published values', () => {
  // Newcombe (1998), method 3: 0/10 -> 0-0.2775; 5/10 -> 0.2366-0.7634; 81/263 -> 0.2553-0.3662.
  const near = (a: number, b: number) => Math.abs(a - b) < 5e-4;
  const cases: [number, number, number, number][] = [[0, 10, 0, 0.2775], [5, 10, 0.2366, 0.7634], [81, 263, 0.2553, 0.3662]];
  for (const [lost, sent, low, high] of cases) {
    const interval = wilson(lost, sent);
    assert.ok(near(interval.low, low) && near(interval.high, high), `${lost}/${sent}: ${JSON.stringify(interval)}`);
  }
});

test("mtr's misread: 60% loss at hop 2 while every later hop answers is hop 2's ICMP limit, and the path loses nothing", () => {
  const reading = readLoss([
    { ttl: 1, sent: 200, received: 200 },
    { ttl: 2, sent: 200, received: 80 },
    { ttl: 3, sent: 200, received: 200 },
    { ttl: 4, sent: 200, received: 200 },
  ]);
  assert.equal(reading.hops[1]!.label, 'icmp-limit');
  assert.equal(reading.hops[1]!.comparedWith, 3);
  assert.equal(reading.forwarded, null);
  assert.deepEqual(reading.hops.filter((h) => h.ttl !== 2).map((h) => h.label), ['none', 'none', 'none']);
});

test('loss from hop 3 to the end is path loss starting at hop 3, with the interval from the end of the path', () => {
  const reading = readLoss([
    { ttl: 1, sent: 200, received: 200 },
    { ttl: 2, sent: 200, received: 199 },
    { ttl: 3, sent: 200, received: 161 },
    { ttl: 4, sent: 200, received: 158 },
    { ttl: 5, sent: 200, received: 160 },
  ]);
  assert.equal(reading.forwarded?.fromTtl, 3);
  assert.equal(reading.forwarded?.afterTtl, 2);
  assert.equal(reading.forwarded?.atTtl, 5);
  assert.equal(reading.forwarded?.lossPct, 20);
  assert.ok(reading.forwarded!.lowPct < 20 && reading.forwarded!.highPct > 20);
  assert.deepEqual(reading.hops.slice(2).map((h) => h.label), ['forwarded', 'forwarded', 'forwarded']);
});

test('a handful of samples says "unsure", not a cause', () => {
  const reading = readLoss([
    { ttl: 1, sent: 5, received: 4 },
    { ttl: 2, sent: 5, received: 5 },
  ]);
  assert.equal(reading.hops[0]!.label, 'unsure');
});

/** One simulated watch of `rounds` rounds: path loss p per direction from link `lossLink` on, a router answering at most `limitShare` of its probes. */
function simulate(random: () => number, hops: number, rounds: number, lossLink: number, p: number, limited: number, limitShare: number): HopCounts[] {
  const counts = Array.from({ length: hops }, (_, i) => ({ ttl: i + 1, sent: 0, received: 0 }));
  for (let r = 0; r < rounds; r++) {
    for (let ttl = 1; ttl <= hops; ttl++) {
      const hop = counts[ttl - 1]!;
      hop.sent++;
      // The probe crosses links 1..ttl toward the server, the answer crosses them back: loss on each from lossLink on.
      const crossings = Math.max(0, ttl - lossLink + 1);
      let through = true;
      for (let c = 0; c < 2 * crossings; c++) if (random() < p) through = false;
      if (ttl === limited && random() > limitShare) through = false;
      if (through) hop.received++;
    }
  }
  return counts;
}

test('seeded simulated watches (200 rounds): the rate-limited hop and the start of path loss are read right in >= 95% of 400 runs', (t) => {
  let right = 0;
  let runs = 0;
  const failures: string[] = [];
  for (let seed = 1; seed <= 400; seed++) {
    const random = mulberry32(seed);
    // 6 hops; 5% loss per direction on links 4.. (about 10% to the end); hop 2 answers a quarter of its probes.
    const counts = simulate(random, 6, 200, 4, 0.05, 2, 0.25);
    const reading = readLoss(counts);
    runs++;
    const ok = reading.hops[1]!.label === 'icmp-limit' && reading.forwarded?.fromTtl === 4 && reading.hops[0]!.label === 'none';
    if (ok) right++;
    else if (failures.length < 5) failures.push(`seed ${seed}: ${JSON.stringify(reading.hops.map((h) => h.label))} from ${reading.forwarded?.fromTtl}`);
  }
  t.diagnostic(`${right}/${runs} read right`);
  assert.ok(right / runs >= 0.95, `${right}/${runs} right; e.g. ${failures.join('; ')}`);
});

test('seeded simulated clean watches: no path loss and no ICMP limit invented, in all of 400 runs', () => {
  for (let seed = 1; seed <= 400; seed++) {
    const reading = readLoss(simulate(mulberry32(seed), 5, 200, 99, 0, 0, 1));
    assert.equal(reading.forwarded, null, `seed ${seed}`);
    assert.ok(reading.hops.every((h) => h.label === 'none'), `seed ${seed}`);
  }
});

test('an end answering with rate-limited ICMP errors: loss persisting to it is read against the control echoes, not called path loss', () => {
  // Every hop, the end included, lost a third of its answers to its ICMP budget; the echoes all came back.
  const hops = [1, 2, 3, 4].map((ttl) => ({ ttl, sent: 12, received: ttl === 4 ? 8 : 4 }));
  assert.equal(readLoss(hops).forwarded?.fromTtl, 1);
  const echoed = readLoss(hops, { ttl: 4, sent: 10, received: 10 });
  assert.equal(echoed.forwarded, null);
  assert.ok(echoed.hops.every((h) => h.label !== 'forwarded'), JSON.stringify(echoed.hops));
  assert.deepEqual(echoed.hops.map((h) => h.ttl), [1, 2, 3, 4]);
  // No echoes yet: nothing can be called forwarded.
  const none = readLoss(hops, { ttl: 4, sent: 0, received: 0 });
  assert.equal(none.forwarded, null);
  assert.ok(none.hops.every((h) => h.label !== 'forwarded'));
  // Echoes that are lost too: that is path loss.
  assert.ok(readLoss(hops, { ttl: 4, sent: 30, received: 18 }).forwarded !== null);
});
