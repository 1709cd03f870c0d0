// The watch's per-hop statistics against a plain reference computation over every sample, for a million rounds, and
// in constant memory: a watch that runs for days keeps the same few rings.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HISTORY_LENGTH, HopStats, MAX_RESPONDERS, percentile, PERCENTILE_WINDOW, Ring } from '../../src/analyze/hop-stats.js';
import { mulberry32 } from '../../src/lab/seeded-random.js';

const close = (actual: number | null, expected: number, what: string) => {
  assert.ok(actual !== null && Math.abs(actual - expected) <= 1e-9 * Math.max(1, Math.abs(expected)), `${what}: ${actual} vs ${expected}`);
};

test('a million rounds: counts, mean, stdev, extremes, jitter and percentiles equal the reference; memory stays flat', () => {
  const seed = 1_000_000;
  const random = mulberry32(seed);
  const stats = new HopStats(3);
  const rtts: number[] = [];
  let sent = 0;
  let jitterSum = 0;
  let jitterMax = 0;
  let jitters = 0;
  let previous: number | null = null;
  let heapAtTenth = 0;
  for (let round = 1; round <= 1_000_000; round++) {
    sent++;
    // 5% lost; RTTs around 20 ms with a long tail; two responders (a balancer) in a 3:1 ratio.
    if (random() < 0.05) stats.record({ from: null, rttMs: null });
    else {
      const rtt = 20 + random() * 5 + (random() < 0.01 ? random() * 200 : 0);
      rtts.push(rtt);
      if (previous !== null) {
        const j = Math.abs(rtt - previous);
        jitterSum += j;
        jitters++;
        jitterMax = Math.max(jitterMax, j);
      }
      previous = rtt;
      stats.record({ from: random() < 0.75 ? '198.18.3.2' : '198.18.3.6', rttMs: rtt });
    }
    if (round === 100_000) heapAtTenth = process.memoryUsage().heapUsed;
  }
  const snapshot = stats.snapshot();
  assert.equal(snapshot.sent, sent);
  assert.equal(snapshot.received, rtts.length);
  close(snapshot.lossPct, ((sent - rtts.length) / sent) * 100, 'loss');
  const mean = rtts.reduce((a, b) => a + b, 0) / rtts.length;
  close(snapshot.avgMs, mean, 'mean');
  close(snapshot.stdevMs, Math.sqrt(rtts.reduce((a, b) => a + (b - mean) ** 2, 0) / rtts.length), 'stdev');
  close(snapshot.bestMs, rtts.reduce((a, b) => Math.min(a, b), Infinity), 'best');
  close(snapshot.worstMs, rtts.reduce((a, b) => Math.max(a, b), -Infinity), 'worst');
  close(snapshot.lastMs, rtts.at(-1)!, 'last');
  close(snapshot.jitterMeanMs, jitterSum / jitters, 'jitter mean');
  close(snapshot.jitterMaxMs, jitterMax, 'jitter max');
  const window = rtts.slice(-PERCENTILE_WINDOW).sort((a, b) => a - b);
  close(snapshot.p50Ms, percentile(window, 50)!, 'p50');
  close(snapshot.p95Ms, percentile(window, 95)!, 'p95');
  assert.equal(snapshot.history.length, HISTORY_LENGTH);
  assert.deepEqual(snapshot.responders.map((r) => r.address), ['198.18.3.2', '198.18.3.6']);
  assert.equal(snapshot.responders.reduce((a, r) => a + r.answers, 0), rtts.length);
  assert.ok(Math.abs(snapshot.responders[0]!.share - 0.75) < 0.01);
  // Nine tenths of the rounds later the statistics hold no more than they did (the reference array aside): the
  // heap grew by the reference's 950,000 numbers (~8 MB as doubles, more as a JS array) and nothing else of note.
  const grown = process.memoryUsage().heapUsed - heapAtTenth;
  assert.ok(grown < 40 * 1024 * 1024, `heap grew ${(grown / 1048576).toFixed(1)} MiB (seed ${seed})`);
});

test('the statistics themselves do not grow: a hop watched for a million rounds holds the same state as after a thousand', () => {
  const stats = new HopStats(1);
  const sizeOf = () => JSON.stringify(stats).length;
  for (let i = 0; i < 2000; i++) stats.record({ from: '198.18.1.2', rttMs: 1 + (i % 7) });
  const early = sizeOf();
  for (let i = 0; i < 1_000_000; i++) stats.record({ from: '198.18.1.2', rttMs: 1 + (i % 7) });
  // Same rings, same map: only the digits of the counters grow.
  assert.ok(sizeOf() - early < 64, `${early} -> ${sizeOf()}`);
});

test('responders past the limit count as one "other"; the history marks lost probes as null', () => {
  const stats = new HopStats(2);
  for (let i = 0; i < MAX_RESPONDERS + 5; i++) stats.record({ from: `198.18.2.${i + 1}`, rttMs: 1 });
  stats.record({ from: null, rttMs: null });
  const snapshot = stats.snapshot();
  assert.equal(snapshot.responders.length, MAX_RESPONDERS + 1);
  assert.equal(snapshot.responders.find((r) => r.address === 'other')?.answers, 5);
  assert.equal(snapshot.history.at(-1), null);
  assert.equal(snapshot.lossPct, (1 / (MAX_RESPONDERS + 6)) * 100);
});

test('an empty hop has no RTT figures; a ring keeps the newest values in order', () => {
  const snapshot = new HopStats(1).snapshot();
  assert.equal(snapshot.avgMs, null);
  assert.equal(snapshot.p95Ms, null);
  assert.equal(snapshot.lossPct, 0);
  const ring = new Ring(3);
  for (const v of [1, 2, 3, 4, 5]) ring.push(v);
  assert.deepEqual(ring.toArray(), [3, 4, 5]);
});
