// The watch's text: the table with its Cause column, what the loss means in words, and the changes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HopStats } from '../../src/analyze/hop-stats.js';
import { readLoss } from '../../src/analyze/watch-loss.js';
import { changeText, formatWatchReport } from '../../src/report/watch-text.js';
import { WATCH_SCHEMA } from '../../src/trace/watch.js';
import type { WatchReport } from '../../src/trace/watch.js';

function report(): WatchReport {
  const hops = [1, 2, 3].map((ttl) => new HopStats(ttl));
  for (let round = 0; round < 100; round++) {
    hops[0]!.record({ from: '198.18.1.2', rttMs: 1 });
    hops[1]!.record(round % 2 === 0 ? { from: '198.18.2.2', rttMs: 2 } : { from: null, rttMs: null });
    hops[2]!.record(round % 10 === 0 ? { from: null, rttMs: null } : { from: '198.18.3.2', rttMs: 3 });
  }
  const snapshots = hops.map((h) => h.snapshot());
  const loss = readLoss(snapshots);
  return {
    ...WATCH_SCHEMA,
    target: { host: 'web.lab', address: '198.18.3.2', family: 4 },
    protocol: 'tcp', port: 443, mode: 'raw', source: '198.18.1.1', sourcePort: 40000, intervalMs: 1000,
    startedAt: '2026-11-29T08:00:00.000Z', durationMs: 100_000, rounds: 100, interrupted: false,
    hops: snapshots.map((s, i) => ({ ...s, loss: loss.hops[i]! })),
    portState: 'open', distance: 3, forwardedLoss: loss.forwarded, control: { sent: 20, received: 20 },
    changes: [{ type: 'path-change', round: 7, atMs: 7000, ttl: 2, from: '198.18.2.2', to: '198.18.2.9' }],
    diagnosis: null,
  };
}

test('the table shows each hop with its cause, then the port, the path loss with its interval, and the ICMP-limited hop', () => {
  const text = formatWatchReport(report(), (a) => (a === '198.18.1.2' ? 'r1.lab' : null));
  const lines = text.split('\n');
  assert.match(lines[0]!, /^portpath watch web\.lab \(198\.18\.3\.2\), TCP\/443 \(https\): 100 rounds, every 1\.0 s, since 08:00:00 UTC$/);
  assert.match(lines[1]!, /^Hop\s+Address\s+Loss%\s+Cause\s+Snt\s+Rcv\s+Last/);
  assert.match(text, /^\s+1\s+r1\.lab \(198\.18\.1\.2\)\s+0\.0\s+100\s+100\s/m);
  assert.match(text, /^\s+2\s+198\.18\.2\.2\s+50\.0\s+ICMP limit \(hop 3 ok\)\s+100\s+50\s/m);
  assert.match(text, /^\s+3\s+198\.18\.3\.2 \[open\]\s+10\.0\s+path loss from hop 3\s+100\s+90\s/m);
  assert.match(text, /^Port 443\/tcp: open at hop 3; ICMP echo answered 20\/20$/m);
  // Hop 2's ICMP limit hides whether the loss begins on the link into hop 2 or into hop 3: said so.
  assert.match(text, /^Path loss: 10% \(95% interval 5\.5-17%, 10 of 100 lost\) at hop 3, starting somewhere after hop 1\.$/m);
  assert.match(text, /^Hop 2: its 50% loss is the router's own ICMP/m);
  assert.match(text, /^ {2}\+7\.0s round 7: path change at hop 2: 198\.18\.2\.9 answers \(was 198\.18\.2\.2\)$/m);
});

test('names from DNS are printed with control characters escaped', () => {
  const text = formatWatchReport(report(), () => 'evil\x1b[2Jname');
  assert.ok(!text.includes('\x1b'));
  assert.match(text, /evil\\x1b\[2Jname/);
});

test('each change kind reads as a sentence', () => {
  assert.equal(changeText({ type: 'port-state', round: 3, atMs: 1500, from: 'open', to: 'silent' }), '+1.5s round 3: port state open -> silent');
  assert.equal(changeText({ type: 'distance-change', round: 4, atMs: 2000, from: 5, to: 6 }), '+2.0s round 4: the destination is now 6 hops away (was 5)');
  assert.match(changeText({ type: 'loss-start', round: 5, atMs: 2500, lossPct: 60 }), /loss episode begins: 60% of the last rounds lost/);
});
