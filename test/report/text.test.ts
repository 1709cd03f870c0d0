// The human output, line by line, for the cases users read most: open, rejected in the path, filtered, interrupted.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { HopResult, ProbeResult, TraceResult } from '../../src/engine/types.js';
import { renderJson, withNames } from '../../src/report/json.js';
import { buildTraceResult } from '../../src/trace/result.js';
import { formatHeader, formatHop, formatPortState, formatSummary } from '../../src/report/text.js';
import type { TraceMeta } from '../../src/trace/meta.js';

const meta: TraceMeta = {
  host: 'web.example',
  address: '198.18.4.2',
  family: 4,
  protocol: 'tcp',
  port: 443,
  source: '198.18.1.1',
  sourcePort: 40123,
  interface: 'eth0',
  firstTtl: 1,
  maxTtl: 30,
  probesPerHop: 3,
  mode: 'raw',
  startedAt: new Date('2026-11-23T12:00:00Z'),
};

const expired = (from: string, rtt: number): ProbeResult => ({ from, rtt, reply: { kind: 'time-exceeded', icmpType: 11, icmpCode: 0, ttl: 64 } });
const silent: ProbeResult = { from: null, rtt: null, reply: null };
const hop = (ttl: number, probes: ProbeResult[]): HopResult => ({ ttl, probes });

function result(hops: HopResult[], destination: TraceResult['destination'], extra: Partial<TraceResult> = {}): TraceResult {
  return {
    ...buildTraceResult(meta, { hops, destination, unmatchedPackets: 0, interrupted: false, stoppedBy: 'final-reply' }, 1234),
    ...extra,
  };
}

const noNames = () => null;

test('header names the service, the limits, the interface, source address and port', () => {
  assert.equal(
    formatHeader(meta),
    'Tracing the path to web.example (198.18.4.2) on TCP port 443 (https), 30 hops max, 3 probes per hop\n' +
      'Probes leave on eth0, from 198.18.1.1, source port 40123\n',
  );
  assert.match(formatHeader({ ...meta, protocol: 'icmp', port: null, host: '198.18.4.2' }), /^Tracing the path to 198\.18\.4\.2 on ICMP echo,/);
});

test('an open port: hop lines, the [open] tag on the destination, the reason and a summary', () => {
  const synAck = (rtt: number): ProbeResult => ({ from: '198.18.4.2', rtt, reply: { kind: 'syn-ack', ttl: 61 } });
  const r = result(
    [hop(1, [expired('198.18.1.2', 0.412), expired('198.18.1.2', 0.3), silent]), hop(2, [synAck(1.5), synAck(1.25), synAck(1.125)])],
    { reached: true, hop: 2, state: 'open', reason: 'syn-ack', by: '198.18.4.2' },
  );
  assert.equal(formatHop(r.hops[0]!, r, noNames), ' 1  198.18.1.2  0.412 ms  0.300 ms  *\n');
  assert.equal(formatHop(r.hops[1]!, r, (a) => (a === '198.18.4.2' ? 'web.example' : null)), ' 2  web.example (198.18.4.2) [open]  1.500 ms  1.250 ms  1.125 ms\n');
  assert.equal(formatPortState(r), 'Port 443/tcp: [open] (SYN-ACK from 198.18.4.2 at hop 2)\n');
  assert.equal(formatSummary(r), 'Reached 198.18.4.2 at hop 2: 6 probes, 5 answered, 1.23 s.\n');
});

test('a destination hop none of whose own probes was answered shows what answered when it was re-probed', () => {
  // A jittery short path: the first SYNs to the destination's TTL met our own half-open connection there.
  const synAck = (rtt: number): ProbeResult => ({ from: '198.18.4.2', rtt, reply: { kind: 'syn-ack', ttl: 61 } });
  const destination = { ...hop(2, [silent, silent, silent]), reprobes: [synAck(10.795), silent] };
  const r = result([hop(1, [expired('198.18.1.2', 0.4)]), destination], { reached: true, hop: 2, state: 'open', reason: 'syn-ack', by: '198.18.4.2' });
  assert.equal(formatHop(r.hops[1]!, r, noNames), ' 2  *  *  *  re-probed:  198.18.4.2 [open]  10.795 ms  *\n');
  // A hop that answered is shown by its own probes only.
  const answered = { ...hop(1, [expired('198.18.1.2', 0.4), silent]), reprobes: [expired('198.18.1.2', 0.5)] };
  assert.equal(formatHop(answered, r, noNames), ' 1  198.18.1.2  0.400 ms  *\n');
});

test('a router rejecting with admin-prohibited gets !X and is named in the port state', () => {
  const prohibited: ProbeResult = { from: '198.18.2.2', rtt: 0.8, reply: { kind: 'unreachable', icmpType: 3, icmpCode: 13, ttl: 63 } };
  const r = result([hop(1, [expired('198.18.1.2', 0.4)]), hop(2, [prohibited])], {
    reached: false,
    hop: 2,
    state: 'filtered',
    reason: 'icmp-3/13',
    by: '198.18.2.2',
  });
  assert.equal(formatHop(r.hops[1]!, r, noNames), ' 2  198.18.2.2 [filtered]  0.800 ms !X\n');
  assert.equal(formatPortState(r), 'Port 443/tcp: [filtered] (ICMP 3/13 (communication administratively prohibited) from 198.18.2.2 at hop 2)\n');
});

test('silence past a hop: filtered by timeout, the last answering hop, and why the trace stopped', () => {
  const r = result([hop(1, [expired('198.18.1.2', 0.4)]), hop(2, [silent]), hop(3, [silent])], {
    reached: false,
    hop: null,
    state: 'filtered',
    reason: 'timeout',
    by: null,
  });
  assert.equal(formatPortState(r), 'Port 443/tcp: [filtered] (timeout: no answer past hop 1 (198.18.1.2))\n');
  assert.equal(
    formatSummary({ ...r, stoppedBy: 'gap-limit' }),
    'Did not reach 198.18.4.2; last answer from hop 1 (198.18.1.2); stopped after 2 silent hops: 3 probes, 1 answered, 1.23 s.\n',
  );
  const interrupted = { ...r, interrupted: true };
  assert.match(formatSummary({ ...interrupted, stoppedBy: 'interrupted' }), /^Interrupted after 3 hops/);
});

test('JSON is the documented contract, and names are added only when resolved', () => {
  const r = result([hop(1, [expired('198.18.1.2', 0.4)])], { reached: false, hop: null, state: 'filtered', reason: 'timeout', by: null });
  const parsed = JSON.parse(renderJson(r)) as TraceResult;
  assert.equal(parsed.version, 1);
  assert.deepEqual(Object.keys(parsed), ['version', 'target', 'protocol', 'port', 'source', 'mode', 'destination', 'hops', 'startedAt', 'durationMs', 'unmatchedPackets', 'interrupted', 'stoppedBy']);
  assert.deepEqual(parsed.source, { address: '198.18.1.1', port: 40123, interface: 'eth0' });
  const named = withNames(r, new Map([['198.18.1.2', 'r1.lab']]));
  assert.equal((named.hops[0]!.probes[0] as ProbeResult & { name?: string }).name, 'r1.lab');
});

test('names from reverse DNS reach the terminal with control characters escaped', () => {
  const hop: HopResult = { ttl: 2, probes: [{ from: '198.18.2.2', rtt: 1.5, reply: { kind: 'time-exceeded', ttl: 63 } }] };
  const pending = { target: { host: '198.18.4.2', address: '198.18.4.2', family: 4 as const }, destination: { reached: false, hop: null, state: null, reason: 'timeout' as const, by: null } };
  const line = formatHop(hop, pending, () => 'evil\u001b[2J\u0007\u009b31m\u202eexample.net');
  // eslint-disable-next-line no-control-regex -- no control character may be left
  assert.doesNotMatch(line, /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
  assert.match(line, /evil\\x1b\[2J\\x07\\x9b31m\\u\{202e\}example\.net \(198\.18\.2\.2\)/);
});

test('a TTL only the follow-up asked (past where the trace ended) shows its re-probes, answered or not', () => {
  const r = result([hop(1, [expired('198.18.1.2', 1)])], { reached: false, hop: null, state: 'filtered', reason: 'timeout', by: null });
  const asked = { ttl: 2, probes: [], reprobes: [silent, silent] };
  assert.equal(formatHop(asked, r, noNames), ' 2  re-probed:  *  *\n');
  assert.equal(formatHop({ ...asked, reprobes: [expired('198.18.2.2', 2.5)] }, r, noNames), ' 2  re-probed:  198.18.2.2  2.500 ms\n');
});
