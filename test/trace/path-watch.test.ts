// One path of a paths watch, fed rounds as a diamond would answer them (no sockets): its flow's rounds counted while
// its routers answer, a port dropped on its branch turned into a port-state change and a verdict that names the last
// hop that still answers, and a flow that moves to the other branch said to have moved — its rounds not counted for
// the path — then back. Also the round strip and the table the text report draws.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FoundPath } from '../../src/analyze/paths.js';
import { PathWatch } from '../../src/trace/path-watch.js';
import type { RoundResult } from '../../src/trace/watch-rounds.js';
import { formatPathsWatchReport, roundsStrip } from '../../src/report/paths-watch-text.js';
import type { PathsWatchReport } from '../../src/trace/watch-paths.js';

const SPLIT = '198.18.1.2';
const SERVER = '198.18.9.2';
const BRANCH = ['198.18.2.2', '198.18.3.2'];
const JOIN = '198.18.8.1';

function found(id: number, branch: number): FoundPath {
  return {
    id,
    hops: [
      { ttl: 1, address: SPLIT },
      { ttl: 2, address: BRANCH[branch]! },
      { ttl: 3, address: JOIN },
    ],
    flows: 1,
    sourcePorts: [40000 + id],
    icmpIds: [],
    share: 0.5,
    end: { kind: 'destination', ttl: 4, address: SERVER, state: 'open', reply: 'SYN-ACK', sentFrom: 4 },
    reproduce: 40000 + id,
    reproduceWith: `--sport ${40000 + id}`,
  };
}

const PATHS = [found(1, 0), found(2, 1)];

/** A round of the flow down `branch`: every router answers; the server answers SYN-ACK unless `dropped`. */
function round(n: number, branch: number, dropped = false): RoundResult {
  const te = (from: string, rtt: number) => ({ from, rtt, reply: { kind: 'time-exceeded' as const, ttl: 64 } });
  const probes = [
    { ttl: 1, result: te(SPLIT, 0.1) },
    { ttl: 2, result: te(BRANCH[branch]!, 0.2) },
    { ttl: 3, result: te(JOIN, 0.3) },
    { ttl: 4, result: dropped ? { from: null, rtt: null, reply: null } : { from: SERVER, rtt: 0.4 + (n % 3) * 0.01, reply: { kind: 'syn-ack' as const, ttl: 61 } } },
  ];
  return { round: n, atMs: n * 50, probes, skipped: [], destination: dropped ? { ttl: null, state: 'silent' } : { ttl: 4, state: 'open' } };
}

test('a path whose port is dropped mid-watch: a port-state change, the verdict names the last hop that answers, loss to the destination', () => {
  const watch = new PathWatch(PATHS[1]!, 40002, PATHS);
  const changes = [];
  for (let n = 1; n <= 20; n++) changes.push(...watch.record(round(n, 1)));
  for (let n = 21; n <= 60; n++) changes.push(...watch.record(round(n, 1, true)));
  const report = watch.report();
  const drop = changes.find((c) => c.type === 'port-state');
  assert.deepEqual(drop && [drop.type === 'port-state' && drop.from, drop.type === 'port-state' && drop.to], ['open', 'silent']);
  assert.ok(!changes.some((c) => c.type === 'flow-moved'));
  assert.equal(report.verdict.state, 'silent');
  assert.match(report.verdict.text, /dropped after hop 3/);
  assert.deepEqual(report.portStates, [
    { fromRound: 1, toRound: 20, state: 'open' },
    { fromRound: 21, toRound: 60, state: 'silent' },
  ]);
  assert.equal(report.rounds, 60);
  assert.deepEqual(report.end && [report.end.ttl, report.end.destination, report.end.sent, report.end.received], [4, true, 60, 20]);
  assert.ok(Math.abs(report.end!.loss - 40 / 60) < 1e-9);
  assert.equal(roundsStrip(report, 10), '..........');
  assert.equal(roundsStrip(report, 45), 'ooooo' + '.'.repeat(40));
});

test("a flow that takes the other branch: said to have moved (onto path 1), its rounds not counted for path 2, then back", () => {
  const watch = new PathWatch(PATHS[1]!, 40002, PATHS);
  for (let n = 1; n <= 10; n++) watch.record(round(n, 1));
  const moved = [...watch.record(round(11, 0)), ...watch.record(round(12, 0))];
  assert.deepEqual(moved, [{ type: 'flow-moved', round: 12, atMs: 600, nowOn: 1, ttl: 2, expected: BRANCH[1], seen: BRANCH[0] }]);
  for (let n = 13; n <= 20; n++) assert.deepEqual(watch.record(round(n, 0)), []);
  let report = watch.report();
  assert.equal(report.verdict.state, 'moved');
  assert.match(report.verdict.text, /left this path \(hop 2: 198\.18\.2\.2, not 198\.18\.3\.2; path 1's routers\)/);
  assert.deepEqual([report.rounds, report.notCounted], [10, 10]);
  assert.equal(report.hops.find((h) => h.ttl === 2)?.responders.length, 1, 'no answer of the other branch counted here');
  // Back: the first matching round is the path's again; the second settles it.
  watch.record(round(21, 1));
  assert.deepEqual(watch.record(round(22, 1)), [{ type: 'flow-back', round: 22, atMs: 1100 }]);
  report = watch.report();
  assert.deepEqual([report.rounds, report.notCounted, report.verdict.state, report.moved], [12, 10, 'open', null]);
  assert.deepEqual(report.portStates.map((r) => r.state), ['open', 'elsewhere', 'open']);
});

test('the text report: one row per path side by side, the routers and verdict of each, the changes with the other paths then', () => {
  const good = new PathWatch(PATHS[0]!, 40001, PATHS);
  const bad = new PathWatch(PATHS[1]!, 40002, PATHS);
  for (let n = 1; n <= 30; n++) {
    good.record(round(n, 0));
    bad.record(round(n, 1, n > 10));
  }
  const paths = [good.report(), bad.report()];
  const change = paths[1]!.changes.find((c) => c.type === 'port-state')!;
  const report = {
    schema: 'portpath-watch-paths',
    version: 1,
    target: { host: SERVER, address: SERVER, family: 4 },
    protocol: 'tcp',
    port: 443,
    mode: 'raw',
    source: '198.18.1.1',
    intervalMs: 50,
    startedAt: '2025-01-01T12:00:00.000Z',
    durationMs: 1500,
    rounds: 30,
    interrupted: false,
    discovery: null,
    paths,
    changes: [{ path: 2, change, others: [{ path: 1, portState: 'open' }] }],
    unwatched: [],
    summary: 'path 1: open at hop 4; path 2: no answer from the port: dropped after hop 3 (a filter, or the path is cut)',
  } satisfies PathsWatchReport;
  const text = formatPathsWatchReport(report, () => null);
  const lines = text.split('\n');
  assert.match(lines[0]!, /^portpath watch --paths 198\.18\.9\.2, TCP\/443 \(https\): 2 paths, 30 rounds, every 0\.05 s/);
  assert.match(lines[1]!, /^Path\s+Sport\s+Rnd\s+Loss%\s+To hop\s+Avg\s+Best\s+Wrst\s+Jttr\s+Port\s+Rounds/);
  assert.match(lines[2]!, /^\s+1\s+40001\s+30\s+0\.0\s+4\s+0\.4\d\s.*\sopen\s+o{30}$/);
  assert.match(lines[3]!, /^\s+2\s+40002\s+30\s+66\.7\s+4\s.*\ssilent\s+o{10}\.{20}$/);
  assert.ok(lines.includes('Path 2 (50% of flows, --sport 40002): 198.18.1.2 > 198.18.3.2 > 198.18.8.1 > 198.18.9.2'), text);
  assert.ok(lines.some((l) => /^ {2}path 2: \+\d\.\ds round \d+: port state open -> silent \(path 1: open\)$/.test(l)), text);
});
