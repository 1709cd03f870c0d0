// Changes over a watch are believed from runs of rounds, never one probe: a path change, the port going filtered,
// loss episodes — and on a lossy path no change is invented (seeded, counts stated).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { binomialTail } from '../../src/analyze/evidence.js';
import { ChangeDetector, silentRunNeeded } from '../../src/analyze/watch-events.js';
import { wilson } from '../../src/analyze/watch-loss.js';
import type { RoundPortState, RoundView, WatchChange } from '../../src/analyze/watch-events.js';
import { mulberry32 } from '../../src/lab/seeded-random.js';

function view(round: number, hop2: string | null, state: RoundPortState): RoundView {
  return {
    round,
    atMs: round * 1000,
    responders: new Map([[1, '198.18.1.2'], [2, hop2], [3, state === 'silent' ? null : '198.18.3.2']]),
    destination: { ttl: state === 'silent' ? null : 3, state },
  };
}

/** A detector, the changes it reported, and feed(state, n): n rounds with that port state. */
function fedDetector() {
  const detector = new ChangeDetector();
  const changes: WatchChange[] = [];
  let round = 0;
  const feed = (state: RoundPortState, n: number) => {
    for (let i = 0; i < n; i++) changes.push(...detector.see(view(++round, 'A', state)));
  };
  return { changes, feed };
}

test('a new responder at hop 2 for three rounds in a row is a path change at hop 2; one odd answer is not', () => {
  const detector = new ChangeDetector();
  const changes: WatchChange[] = [];
  const hop2 = ['A', 'A', 'A', 'A', 'B', 'A', 'A', 'B', 'B', 'B', 'B'];
  hop2.forEach((address, i) => changes.push(...detector.see(view(i + 1, address, 'open'))));
  assert.deepEqual(changes, [{ type: 'path-change', round: 10, atMs: 10_000, ttl: 2, from: 'A', to: 'B' }]);
});

test('the port going quiet becomes "silent" only after enough rounds for the loss seen; its return to open is quick', () => {
  const { changes, feed } = fedDetector();
  feed('open', 100);
  // After 100 answered rounds the loss could still be up to the 95% interval's top: the run is chosen for that.
  const needed = silentRunNeeded(wilson(0, 100).high);
  assert.equal(needed, 5);
  const portChanges = () => changes.flatMap((c) => (c.type === 'port-state' ? [`${c.from}->${c.to}`] : []));
  feed('silent', needed - 1);
  assert.deepEqual(portChanges(), []);
  feed('silent', 1);
  assert.deepEqual(portChanges(), ['open->silent']);
  feed('open', 2);
  assert.deepEqual(portChanges(), ['open->silent', 'silent->open']);
});

test('silentRunNeeded grows with the loss rate: loss alone fakes such a run less than once in 10^7 rounds', () => {
  assert.equal(silentRunNeeded(0), 5);
  assert.equal(silentRunNeeded(0.1), 8);
  assert.equal(silentRunNeeded(0.2), 11);
  assert.equal(silentRunNeeded(0.5), 20);
  for (const p of [0.05, 0.1, 0.2, 0.3]) assert.ok(Math.pow(p, silentRunNeeded(p)) <= 1e-7 * (1 + 1e-9), String(p));
});

test('binomialTail is the upper tail of the binomial distribution', () => {
  assert.ok(Math.abs(binomialTail(0, 10, 0.3) - 1) < 1e-12);
  assert.ok(Math.abs(binomialTail(10, 10, 0.5) - 1 / 1024) < 1e-12);
  // P(X >= 3 | n = 10, p = 0.2) = 0.3222
  assert.ok(Math.abs(binomialTail(3, 10, 0.2) - 0.32220) < 1e-4);
});

test('seeded lossy paths (20% of rounds lost at random), 50 watches of 2,000 rounds: no path, port or distance change invented; few loss episodes', (t) => {
  let episodes = 0;
  for (let seed = 1; seed <= 50; seed++) {
    const random = mulberry32(seed);
    const detector = new ChangeDetector();
    for (let round = 1; round <= 2000; round++) {
      const lost = random() < 0.2;
      const hop2Lost = random() < 0.2;
      for (const change of detector.see(view(round, hop2Lost ? null : 'A', lost ? 'silent' : 'open'))) {
        assert.ok(change.type === 'loss-start' || change.type === 'loss-end', `seed ${seed}: ${JSON.stringify(change)}`);
        if (change.type === 'loss-start') episodes++;
      }
    }
  }
  // An episode needs a window of 10 rounds that a 20% rate gives with p < 0.001: about 2 per 2,000 rounds by chance.
  t.diagnostic(`${episodes} loss episodes over 100,000 rounds at a steady 20% loss`);
  assert.ok(episodes <= 60, `${episodes}`);
});

test('a burst of loss on a clean path is an episode, with its start and end', () => {
  const { changes, feed } = fedDetector();
  feed('open', 50);
  // Lost, answered, lost...: too short a silence for a port change, but far more loss than this path has.
  for (let i = 0; i < 5; i++) {
    feed('silent', 1);
    feed('open', 1);
  }
  feed('open', 30);
  const types = changes.map((c) => c.type);
  assert.deepEqual(types, ['loss-start', 'loss-end']);
});
