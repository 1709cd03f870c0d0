import assert from 'node:assert/strict';
import { test } from 'node:test';
import { drainedNear, leansOnShared, NearHops, probesSent } from '../../src/trace/batch-knowledge.js';
import type { TraceReport } from '../../src/trace/run-types.js';

const hop = (ttl: number, from: string | null, kind = 'time-exceeded') => ({ ttl, probes: [1, 2, 3].map(() => ({ from, rtt: from ? 1 : null, reply: from ? { kind, ttl: 64 } : null })) });
const report = (destination: string, routers: (string | null)[], interrupted = false) =>
  ({ target: { host: destination, address: destination, family: 4 }, interrupted, destination: { hop: routers.length + 1 }, hops: [...routers.map((r, i) => hop(i + 1, r)), hop(routers.length + 1, destination, 'syn-ack')] }) as unknown as TraceReport;

test('the near hops are shared once three full traces agree, and only as far as all of them agree', () => {
  const near = new NearHops();
  assert.deepEqual(near.forTrace(4).hops, []);
  near.learn(report('198.18.9.1', ['198.18.1.1', '198.18.2.1', '198.18.3.1']), false);
  near.learn(report('198.18.9.2', ['198.18.1.1', '198.18.2.1', '198.18.3.7']), false);
  assert.deepEqual(near.forTrace(4).hops, [], 'still learning after two');
  near.learn(report('198.18.9.3', ['198.18.1.1', '198.18.2.1', '198.18.3.1', '198.18.4.1']), false);
  assert.deepEqual(near.forTrace(4).hops.map((h) => h.probes[0]!.from), ['198.18.1.1', '198.18.2.1']);
  assert.deepEqual(near.forTrace(6).hops, [], 'per family');
  assert.deepEqual(near.forTrace(null).hops, [], 'a name whose family is not known yet');
});

test('a silent hop ends the prefix; a full check trace that disagrees cuts it', () => {
  const near = new NearHops();
  for (const d of ['198.18.9.1', '198.18.9.2', '198.18.9.3']) near.learn(report(d, ['198.18.1.1', '198.18.2.1', null, '198.18.4.1']), false);
  assert.equal(near.forTrace(4).hops.length, 2);
  let check = near.forTrace(4);
  for (let i = 0; i < 40 && !check.check; i++) check = near.forTrace(4);
  assert.ok(check.check, 'a full trace now and then');
  assert.deepEqual(check.hops, []);
  near.learn(report('198.18.9.4', ['198.18.1.1', '198.18.2.9']), true);
  assert.deepEqual(near.forTrace(4).hops.map((h) => h.probes[0]!.from), ['198.18.1.1']);
});

test('three traces down one branch share too much; a full trace cuts the prefix to where the branches part', () => {
  const near = new NearHops();
  // The first three targets lie behind one transit router (198.18.4.1); a later one leaves at hop 4.
  for (const d of ['198.18.9.1', '198.18.9.2', '198.18.9.3']) near.learn(report(d, ['198.18.1.1', '198.18.2.1', '198.18.3.1', '198.18.4.1', '198.18.5.1']), false);
  assert.equal(near.forTrace(4).hops.length, 5);
  near.correct(report('198.18.9.4', ['198.18.1.1', '198.18.2.1', '198.18.3.1', '198.18.4.7']));
  assert.deepEqual(near.forTrace(4).hops.map((h) => h.probes[0]!.from), ['198.18.1.1', '198.18.2.1', '198.18.3.1']);
  // A full trace that agrees, or saw less (an interrupted one), cuts nothing.
  near.correct(report('198.18.9.5', ['198.18.1.1', '198.18.2.1', '198.18.3.1', '198.18.4.9']));
  near.correct(report('198.18.9.6', ['198.18.1.1', '198.18.2.9'], true));
  assert.equal(near.forTrace(4).hops.length, 3);
});

test('a full trace that heard nothing at the first routers (out of ICMP budget) cuts nothing; another router past them does', () => {
  const near = new NearHops();
  for (const d of ['198.18.9.1', '198.18.9.2', '198.18.9.3']) near.learn(report(d, ['198.18.1.1', '198.18.2.1', '198.18.3.1', '198.18.4.1']), false);
  near.correct(report('198.18.9.4', [null, null, null, '198.18.4.1']));
  near.correct(report('198.18.9.5', [null, null, null, null, '198.18.5.1']));
  assert.equal(near.forTrace(4).hops.length, 4);
  assert.deepEqual(near.routers(4), ['198.18.1.1', '198.18.2.1', '198.18.3.1', '198.18.4.1']);
  near.correct(report('198.18.9.6', [null, '198.18.2.1', null, '198.18.4.9']));
  assert.equal(near.forTrace(4).hops.length, 3);
  // The destination within the prefix: the prefix ends before it.
  near.correct(report('198.18.9.7', [null, null]));
  assert.equal(near.forTrace(4).hops.length, 2);
  assert.deepEqual(near.routers(6), [], 'a family still learning');
});

test('a verdict whose stop is at the shared hops, or at the first TTL after them with no reply TTL placing it there, leans on them', () => {
  // Shared hops 1-3; the trace's own hops from TTL 4, each answer arriving with `replyTtl`.
  const diagnosed = (hop: number | null, replyTtl: number | null = null, kind = 'time-exceeded', from = '198.18.4.1', interrupted = false) => {
    const r = report('198.18.9.1', ['198.18.1.1', '198.18.2.1', '198.18.3.1', from]);
    for (const h of r.hops.slice(0, 3)) (h as { shared?: true }).shared = true;
    for (const p of r.hops[3]!.probes) p.reply = { kind, ttl: replyTtl } as never;
    return { ...r, interrupted, diagnosis: { hop } } as unknown as TraceReport;
  };
  assert.equal(leansOnShared(diagnosed(2), 3), true, 'a shared hop');
  const confirmed = diagnosed(3);
  (confirmed.hops[2] as { reprobes?: unknown[] }).reprobes = [{ from: '198.18.3.1', rtt: 1, reply: { kind: 'time-exceeded', ttl: 62 } }];
  assert.equal(leansOnShared(confirmed, 3), false, 'a shared hop whose router answered this trace\'s own probe');
  (confirmed.hops[2] as { reprobes?: unknown[] }).reprobes = [{ from: '198.18.3.9', rtt: 1, reply: { kind: 'time-exceeded', ttl: 62 } }];
  assert.equal(leansOnShared(confirmed, 3), true, 'another router answered there');
  assert.equal(leansOnShared(diagnosed(null), 3), true, 'nothing answered');
  assert.equal(leansOnShared(diagnosed(4), 3), true, 'the first probed TTL, no reply TTL');
  assert.equal(leansOnShared(diagnosed(4, 61), 3), false, 'a router 4 hops away (64 - 3) answers TTL 4');
  assert.equal(leansOnShared(diagnosed(4, 252), 3), false, 'a router starting at 255');
  assert.equal(leansOnShared(diagnosed(4, 62), 3), true, 'the answer at TTL 4 comes from 3 hops away: the prefix is too long for this target');
  assert.equal(leansOnShared(diagnosed(4, 61, 'syn-ack', '198.18.9.1'), 3), false, 'the destination at hop 4');
  assert.equal(leansOnShared(diagnosed(4, 62, 'rst', '198.18.9.1'), 3), true, 'an RST in its name from 3 hops away');
  assert.equal(leansOnShared(diagnosed(4, 62, 'unreachable'), 3), false, 'a reject drawn by TTL 4 comes from the router at hop 3');
  assert.equal(leansOnShared(diagnosed(4, 63, 'unreachable'), 3), true, 'a reject from hop 2');
  assert.equal(leansOnShared(diagnosed(5, 62), 3), false, 'a stop the trace heard itself, past the first TTL');
  assert.equal(leansOnShared(diagnosed(4), 0), false, 'nothing shared');
  assert.equal(leansOnShared(diagnosed(null, null, 'time-exceeded', '198.18.4.1', true), 3), false, 'interrupted');
});

test('a reject or a forged RST placed among the shared hops is the trace\'s own evidence where the path to it is shown to be the shared one', () => {
  // Shared hops 1-5; the trace probes from TTL 6 and meets a stop placed at hop 3 by its reply's TTL.
  const stopped = (verdict: string, hop: number, by: string | null, own: { from: string; kind: string }) => {
    const r = report('198.18.9.1', ['198.18.1.1', '198.18.2.1', '198.18.3.1', '198.18.4.1', '198.18.5.1', own.from]);
    for (const h of r.hops.slice(0, 5)) (h as { shared?: true }).shared = true;
    for (const p of r.hops[5]!.probes) p.reply = { kind: own.kind, ttl: 62 } as never;
    return { ...r, diagnosis: { verdict, hop, by } } as unknown as TraceReport;
  };
  // The router at hop 3 rejected this trace's own probes: the hops before it are its path.
  assert.equal(leansOnShared(stopped('rejected-in-path', 4, '198.18.3.1', { from: '198.18.3.1', kind: 'unreachable' }), 5), false);
  assert.equal(leansOnShared(stopped('rejected-in-path', 4, '198.18.3.9', { from: '198.18.3.9', kind: 'unreachable' }), 5), true, 'a router the shared hops did not meet there');
  const forged = stopped('reset-in-path', 3, '198.18.3.1', { from: '198.18.9.1', kind: 'rst' });
  assert.equal(leansOnShared(forged, 5), true, 'no control to show the path');
  const withControl = (router: string | null) => {
    const control = report('198.18.9.1', ['198.18.1.1', '198.18.2.1', '198.18.3.1', '198.18.4.1', '198.18.5.1', router]);
    for (const h of control.hops.slice(0, 5)) (h as { shared?: true }).shared = true;
    return { ...forged, control } as unknown as TraceReport;
  };
  assert.equal(leansOnShared(withControl('198.18.6.1'), 5, '198.18.6.1'), false, 'the control met the sibling\'s router right after the shared hops');
  assert.equal(leansOnShared(withControl('198.18.6.9'), 5, '198.18.6.1'), true, 'the control met another router there');
  assert.equal(leansOnShared(withControl(null), 5, '198.18.6.1'), true, 'the control heard nothing there');
});

test('the probes a report sent: its own hops and re-probes, main and control, not the shared ones', () => {
  const r = report('198.18.9.1', ['198.18.1.1', '198.18.2.1']);
  (r.hops[0] as { shared?: true }).shared = true;
  (r.hops[1] as { reprobes?: unknown[] }).reprobes = [{ from: null, rtt: null, reply: null }];
  const control = report('198.18.9.1', ['198.18.1.1']);
  assert.equal(probesSent({ ...r, control } as unknown as TraceReport), 3 + 1 + 3 + 6);
});

test('a hop one learner heard nothing at is the router the others met there; a hop none heard ends what is shared', () => {
  const near = new NearHops();
  near.learn(report('198.18.9.1', [null, '198.18.2.1', '198.18.3.1']), false);
  near.learn(report('198.18.9.2', ['198.18.1.1', '198.18.2.1', null]), false);
  near.learn(report('198.18.9.3', ['198.18.1.1', null, '198.18.3.1']), false);
  assert.deepEqual(near.forTrace(4).hops.map((h) => h.probes[0]!.from), ['198.18.1.1', '198.18.2.1', '198.18.3.1']);
  // Nothing heard at hop 1 by any of them: nothing in common; the next three are learned from.
  const again = new NearHops();
  for (const d of ['198.18.9.1', '198.18.9.2', '198.18.9.3']) again.learn(report(d, [null, '198.18.2.1', '198.18.3.1']), false);
  assert.deepEqual(again.forTrace(4).hops, []);
  for (const d of ['198.18.9.4', '198.18.9.5', '198.18.9.6']) again.learn(report(d, ['198.18.1.1', '198.18.2.1', '198.18.3.1']), false);
  assert.equal(again.forTrace(4).hops.length, 3);
});

test('while the prefix is learned only three traces of the family run; three rounds with nothing in common end the learning', () => {
  const near = new NearHops();
  const tickets = [near.forTrace(4), near.forTrace(4), near.forTrace(4)];
  assert.ok(tickets.every((t) => t.learner));
  assert.equal(near.mayStart(4), false, 'a fourth waits');
  assert.equal(near.mayStart(6), true, 'another family learns on its own');
  assert.equal(near.mayStart(null), true, 'a name of unknown family is not held');
  near.done(tickets[0]!);
  assert.equal(near.mayStart(4), true, 'a learner ended (learned from or failed)');
  // Rounds of silent first hops (an ICMP budget spent): learned again, twice, then no sharing and no holding.
  for (let round = 0; round < 3; round++) {
    assert.equal(near.forTrace(4).hops.length, 0);
    for (const d of ['198.18.9.1', '198.18.9.2', '198.18.9.3']) near.learn(report(d, [null, '198.18.2.1']), false);
  }
  assert.equal(near.mayStart(4), true);
  assert.deepEqual(near.forTrace(4), { hops: [], check: false, family: 4, learner: false });
});

test('a hop where a probe went unanswered (a router out of ICMP budget) is still the same router', () => {
  const near = new NearHops();
  const partial = (d: string) => {
    const r = report(d, ['198.18.1.1', '198.18.2.1', '198.18.3.1']);
    const probe = r.hops[0]!.probes[1]!;
    Object.assign(probe, { from: null, rtt: null, reply: null });
    return r;
  };
  for (const d of ['198.18.9.1', '198.18.9.2', '198.18.9.3']) near.learn(partial(d), false);
  assert.equal(near.forTrace(4).hops.length, 3);
});

test('a full trace whose near routers answered nothing while passing its control on is out of their budget, not evidence', () => {
  // Full trace and control from TTL 1; the control reaches 198.18.9.9 at TTL 6.
  const full = (near: (string | null)[], controlNear: (string | null)[], controlOn: boolean) => {
    const main = report('198.18.9.9', [...near, null, null]);
    main.hops = main.hops.slice(0, -1);
    const control = report('198.18.9.9', [...controlNear, controlOn ? '198.18.4.1' : null, controlOn ? '198.18.5.1' : null]);
    return { ...main, control, diagnosis: { hop: null } } as unknown as TraceReport;
  };
  assert.equal(drainedNear(full([null, null, null], [null, null, null], true), 3), true, 'silent near, the control answered past them');
  assert.equal(drainedNear(full([null, '198.18.2.1', null], [null, null, null], true), 3), false, 'a near router answered the port');
  assert.equal(drainedNear(full([null, null, null], ['198.18.1.1', null, null], true), 3), false, 'or the control');
  const stopped = full([null, null, null], [null, null, null], false);
  stopped.control!.hops = stopped.control!.hops.slice(0, 5);
  assert.equal(drainedNear(stopped, 3), false, 'nothing answered the control past them either: traffic may stop before them');
  const placed = full([null, null, null], [null, null, null], true);
  placed.diagnosis.hop = 4;
  assert.equal(drainedNear(placed, 3), false, 'a stop of its own past them');
});
