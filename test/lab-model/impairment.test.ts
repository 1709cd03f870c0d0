import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NO_IMPAIRMENT, formatImpairment, isImpaired, packetFate, parseImpairment } from '../../src/lab/impairment.js';
import type { Impairment, PacketFate } from '../../src/lab/impairment.js';
import { mulberry32 } from '../../src/lab/seeded-random.js';

const N = 100_000;

function fates(impairment: Partial<Impairment>, seed = 1, n = N): PacketFate[] {
  const random = mulberry32(seed);
  return Array.from({ length: n }, () => packetFate({ ...NO_IMPAIRMENT, ...impairment }, random));
}

const delays = (list: PacketFate[]): number[] => list.flatMap((f) => (f.drop ? [] : [f.delayMs]));
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** |observed - expected| within 5 standard deviations of a binomial(N, p) share. */
function assertShare(observed: number, p: number, n = N): void {
  const sd = Math.sqrt(p * (1 - p) / n);
  assert.ok(Math.abs(observed - p) <= 5 * sd, `share ${observed} vs ${p} (±${(5 * sd).toFixed(4)})`);
}

test('no impairment: nothing dropped, no delay, nothing reordered', () => {
  assert.equal(isImpaired(NO_IMPAIRMENT), false);
  assert.ok(fates({}, 1, 1000).every((f) => !f.drop && f.delayMs === 0 && !f.reorder));
});

test('loss drops the given share', () => {
  const list = fates({ loss: 0.1 });
  assertShare(list.filter((f) => f.drop).length / N, 0.1);
});

test('uniform jitter stays in [base, base + jitter] with mean base + jitter/2', () => {
  const list = delays(fates({ delayMs: 5, jitterMs: 40 }));
  assert.ok(list.every((d) => d >= 5 && d <= 45));
  assert.ok(Math.abs(mean(list) - 25) < 0.3, `mean ${mean(list)}`);
  assert.ok(list.filter((d) => d < 9).length / N > 0.09 && list.filter((d) => d > 41).length / N > 0.09);
});

test('queue-shaped jitter stays in [base, base + jitter] but most packets wait little', () => {
  const list = delays(fates({ delayMs: 5, jitterMs: 40, jitterShape: 'queue' }));
  assert.ok(list.every((d) => d >= 5 && d <= 45));
  // Truncated exponential with rate 4 on [0, 1]: mean 1/4 - e^-4/(1 - e^-4) ≈ 0.2313 of the jitter.
  assert.ok(Math.abs(mean(list) - (5 + 40 * 0.2313)) < 0.3, `mean ${mean(list)}`);
  assert.ok(Math.max(...list) > 43);
});

test('spikes add spikeMs to the given share of packets', () => {
  const list = delays(fates({ delayMs: 5, spikeMs: 55, spikeRate: 0.2 }));
  assert.ok(list.every((d) => d === 5 || d === 60));
  assertShare(list.filter((d) => d === 60).length / N, 0.2);
});

test('reorder picks the given share of packets', () => {
  assertShare(fates({ reorder: 0.05 }).filter((f) => !f.drop && f.reorder).length / N, 0.05);
});

test('the loss pattern of a seed does not change with the other parameters', () => {
  const dropped = (list: PacketFate[]) => list.map((f) => f.drop);
  const plain = dropped(fates({ loss: 0.3 }, 42, 5000));
  assert.deepEqual(dropped(fates({ loss: 0.3, jitterMs: 40, spikeMs: 50, spikeRate: 0.5, reorder: 0.2 }, 42, 5000)), plain);
  assert.notDeepEqual(dropped(fates({ loss: 0.3 }, 43, 5000)), plain);
});

test('the command-line form round-trips and names only what is set', () => {
  const impairment: Impairment = { delayMs: 5, jitterMs: 12.5, jitterShape: 'queue', loss: 0.1, reorder: 0.02, spikeMs: 55, spikeRate: 0.2 };
  assert.deepEqual(parseImpairment(formatImpairment(impairment)), impairment);
  assert.equal(formatImpairment({ ...NO_IMPAIRMENT, loss: 0.1 }), 'loss=0.1');
  assert.equal(formatImpairment(NO_IMPAIRMENT), 'none');
  assert.deepEqual(parseImpairment('none'), NO_IMPAIRMENT);
});

test('bad parameters are refused with the name of the culprit', () => {
  assert.throws(() => parseImpairment('loss=1.5'), /loss must be a fraction/);
  assert.throws(() => parseImpairment('delayMs=-1'), /delayMs must be ≥ 0/);
  assert.throws(() => parseImpairment('jitterMs='), /jitterMs/);
  assert.throws(() => parseImpairment('jitterShape=pareto'), /jitterShape/);
  assert.throws(() => parseImpairment('lag=5'), /bad impairment "lag=5"/);
  assert.throws(() => parseImpairment('delayMs'), /bad impairment/);
});
