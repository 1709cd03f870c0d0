import assert from 'node:assert/strict';
import { test } from 'node:test';
import { unreachedSharedHops } from '../../src/analyze/shared-hops.js';
import type { HopResult, ProbeResult, TraceResult } from '../../src/engine/types.js';

const answer = (from: string): ProbeResult => ({ from, rtt: 1, reply: { kind: 'time-exceeded', ttl: 60 } }) as unknown as ProbeResult;
const silent = (): ProbeResult => ({ from: null, rtt: null, reply: null }) as unknown as ProbeResult;
/** Hops 1-6 shared (an earlier trace's answers), 7-9 the trace's own and silent; `reprobes` by TTL. */
function trace(reprobes: Record<number, ProbeResult[]>, silentShared: number[] = []): TraceResult {
  return path(9, reprobes, silentShared);
}
/** The control, past the same shared hops: its own hops 7-16 each answered (the loss it measures: none in ten). */
const control = (): TraceResult => path(16, {}, [], true);
function path(length: number, reprobes: Record<number, ProbeResult[]>, silentShared: number[], answering = false): TraceResult {
  const hops: HopResult[] = [];
  for (let ttl = 1; ttl <= length; ttl++) {
    const shared = ttl <= 6;
    const probes = (shared && !silentShared.includes(ttl)) || (!shared && answering) ? [answer(`198.18.${ttl}.1`), answer(`198.18.${ttl}.1`), answer(`198.18.${ttl}.1`)] : [silent(), silent(), silent()];
    hops.push({ ttl, probes, ...(shared ? { shared: true } : {}), ...(reprobes[ttl] ? { reprobes: reprobes[ttl] } : {}) } as unknown as HopResult);
  }
  return { target: { address: '198.18.99.1' }, hops, destination: { hop: null } } as unknown as TraceResult;
}

test('shared hops this trace\'s own flow never reached, from the last one down, once their silence is established below an answer', () => {
  const c = control();
  const own = (ttl: number) => [answer(`198.18.${ttl}.1`)];
  assert.deepEqual(unreachedSharedHops(trace({}), c), [], 'not asked yet');
  // The own probes' loss: none in ten tries (the control's own hops; a batch's bursts are one try each), counted as
  // one in twelve: one silent try is loss 1 time in 12, two in a row 1 in 144, under the 1% accepted.
  assert.deepEqual(unreachedSharedHops(trace({ 6: [silent()], 5: own(5) }), c), [], 'one silent try is not enough on this path');
  assert.deepEqual(unreachedSharedHops(trace({ 6: [silent(), silent()], 5: own(5) }), c), [6]);
  const three = () => [silent(), silent(), silent()];
  assert.deepEqual(unreachedSharedHops(trace({ 6: three(), 5: three(), 4: own(4) }), c), [6, 5]);
  assert.deepEqual(unreachedSharedHops(trace({ 6: [silent(), silent(), answer('198.18.6.1')] }), c), [], 'answered once');
  // No shared router answered our own flow below the silence: a router out of ICMP budget looks the same. Kept.
  assert.deepEqual(unreachedSharedHops(trace({ 6: three() }), c), []);
  assert.deepEqual(unreachedSharedHops(trace({ 6: three(), 5: three() }), c), []);
  assert.deepEqual(unreachedSharedHops(trace({ 5: three(), 4: own(4) }), c), [], 'the walk starts at the last shared hop');
  assert.deepEqual(unreachedSharedHops(trace({ 6: three(), 4: own(4) }, []), null), [], 'no own answer to measure loss by: the most tries there are');
  // Our own probe there drew an answer in the destination's name (a forged RST, or the destination is nearer): one
  // is enough, with or without an answer below, and the walk goes on below it.
  const rst = { from: '198.18.99.1', rtt: 1, reply: { kind: 'rst', ttl: 60 } } as unknown as ProbeResult;
  assert.deepEqual(unreachedSharedHops(trace({ 6: [rst], 5: [rst] }), c), [6, 5]);
  assert.deepEqual(unreachedSharedHops(trace({ 6: [rst], 5: own(5) }), c), [6]);
  // A shared hop the earlier trace heard nothing at either says nothing: the walk goes past it.
  assert.deepEqual(unreachedSharedHops(trace({ 6: three(), 4: three(), 3: own(3) }, [5]), c), [6, 4]);
});
