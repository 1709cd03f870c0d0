// Reading flows as paths, on hand-made outcomes: what a rate-limited rejecting router does to the TTLs its answers
// come at must not split its flows into several paths.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { pathsVerdict } from '../../src/analyze/paths.js';
import type { MultipathOutcome, Outcome } from '../../src/engine/multipath.js';

const SPLITTER = '198.18.1.2';
const GOOD = '198.18.2.2';
const BAD = '198.18.4.2';
const SERVER = '198.18.6.2';
const target = { protocol: 'tcp' as const, port: 443, family: 4 as const, destination: SERVER };

const router = (address: string): Outcome => ({ kind: 'router', address });
const silent: Outcome = { kind: 'silent' };
const rejected: Outcome = { kind: 'end', address: BAD, result: { from: BAD, rtt: 1, reply: { kind: 'unreachable', ttl: 63, name: 'communication administratively prohibited', icmpType: 3, icmpCode: 13 } } };
const open: Outcome = { kind: 'end', address: SERVER, result: { from: SERVER, rtt: 1, reply: { kind: 'syn-ack', ttl: 61 } } };

/**
 * Flows by index, their outcomes from TTL 1. Every silence stayed silent when asked again with a token, but those
 * in `budgetSilent` ("flow|ttl": never so asked, so the router's ICMP budget or a lost answer as far as is known).
 */
function outcomeOf(flows: Outcome[][], budgetSilent: string[] = []): MultipathOutcome {
  return {
    flows: new Map(flows.map((list, i) => [i, new Map(list.map((o, j) => [j + 1, o]))])),
    figures: [],
    probes: 0,
    ruleMet: true,
    perPacket: new Set(),
    silentWithToken: new Set(flows.flatMap((list, i) => list.flatMap((o, j) => (o.kind === 'silent' && !budgetSilent.includes(`${i}|${j + 1}`) ? [`${i}|${j + 1}`] : [])))),
  };
}

test('a rejecting router out of ICMP budget (rejections at hops 3, 4 and 7, seen as a router once or never): one rejected path', () => {
  const flows = [
    [router(SPLITTER), router(BAD), rejected],
    [router(SPLITTER), router(BAD), silent, rejected],
    [router(SPLITTER), router(BAD), silent, silent, silent, silent, rejected],
    [router(SPLITTER), router(GOOD), router('198.18.3.2'), open],
    [router(SPLITTER), router(GOOD), router('198.18.3.2'), open],
  ];
  const verdict = pathsVerdict(outcomeOf(flows), [40001, 40002, 40003, 40004, 40005], target, 0.95);
  assert.equal(verdict.paths.length, 2, verdict.summary);
  const bad = verdict.paths.find((p) => p.end.kind === 'rejected')!;
  assert.deepEqual(bad.sourcePorts, [40001, 40002, 40003]);
  assert.deepEqual(bad.end, { kind: 'rejected', ttl: 3, address: BAD, reply: 'communication administratively prohibited' });
  assert.deepEqual(bad.hops, [{ ttl: 1, address: SPLITTER }, { ttl: 2, address: BAD }]);
  assert.match(verdict.summary, /flows through 198\.18\.4\.2 \(hop 2\)/);
});

test('a rejecting router never seen as a router: its flows still one path, rejected from the lowest TTL any drew', () => {
  const flows = [
    [router(SPLITTER), silent, silent, rejected],
    [router(SPLITTER), silent, rejected],
    [router(SPLITTER), silent, silent, silent, silent, rejected],
    [router(SPLITTER), router(GOOD), router('198.18.3.2'), open],
  ];
  const verdict = pathsVerdict(outcomeOf(flows), [40001, 40002, 40003, 40004], target, 0.95);
  const bad = verdict.paths.filter((p) => p.end.kind === 'rejected');
  assert.equal(bad.length, 1, verdict.summary);
  assert.equal(bad[0]!.flows, 3);
  assert.deepEqual(bad[0]!.end, { kind: 'rejected', ttl: 3, address: BAD, reply: 'communication administratively prohibited' });
});

test('a flow whose probes at the destination\'s TTL were lost and that was answered farther on joins its path', () => {
  const flows = [
    [router(SPLITTER), router(GOOD), router('198.18.3.2'), open],
    [router(SPLITTER), router(GOOD), router('198.18.3.2'), silent, silent, open],
    [router(SPLITTER), router(GOOD), router('198.18.3.2'), open],
  ];
  const verdict = pathsVerdict(outcomeOf(flows), [40001, 40002, 40003], target, 0.95);
  assert.equal(verdict.paths.length, 1, verdict.summary);
  assert.deepEqual(verdict.paths[0]!.end, { kind: 'destination', ttl: 4, address: SERVER, state: 'open', reply: 'SYN-ACK', sentFrom: 4 });
});

test('a flow silent where flows met different routers stays unresolved, even when the destination answered it farther on', () => {
  const flows = [
    [router(SPLITTER), router(GOOD), router('198.18.3.2'), open],
    [router(SPLITTER), router(BAD), router('198.18.3.2'), open],
    [router(SPLITTER), silent, silent, open],
  ];
  const verdict = pathsVerdict(outcomeOf(flows), [40001, 40002, 40003], target, 0.95);
  assert.equal(verdict.unresolved, 1, verdict.summary);
  assert.equal(verdict.paths.length, 2);
});

test('a next hop that never answers (a share of the flows silent there through a re-ask with a token, answered beyond) is a path of its own; one such flow, or a lost answer, is filled in', () => {
  const JOINER = '198.18.3.2';
  const viaGood = [router(SPLITTER), router(GOOD), router(JOINER), open];
  const viaSilent = [router(SPLITTER), silent, router(JOINER), open];
  const branchOfItsOwn = pathsVerdict(outcomeOf([viaGood, viaGood, viaGood, viaSilent, viaSilent, viaSilent]), [1, 2, 3, 4, 5, 6], target, 0.95);
  assert.deepEqual(branchOfItsOwn.paths.map((p) => p.hops.map((h) => h.address)), [[SPLITTER, GOOD, JOINER], [SPLITTER, null, JOINER]], branchOfItsOwn.summary);
  // One flow silent through the re-asks is not enough (a router now and then leaves one flow unanswered that long).
  const one = pathsVerdict(outcomeOf([viaGood, viaGood, viaGood, viaGood, viaGood, viaGood, viaSilent]), [1, 2, 3, 4, 5, 6, 7], target, 0.95);
  assert.deepEqual(one.paths.map((p) => [p.flows, p.hops.map((h) => h.address)]), [[7, [SPLITTER, GOOD, JOINER]]], one.summary);
  // A silence never asked again with a token (a lost answer, a spent budget, as far as is known) is filled in.
  const lost = pathsVerdict(outcomeOf([viaGood, viaGood, viaGood, viaGood, viaGood, viaGood, viaGood, viaGood, viaGood, viaSilent], ['9|2']), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], target, 0.95);
  assert.equal(lost.paths.length, 1, lost.summary);
  assert.deepEqual(lost.paths[0]!.hops.map((h) => h.address), [SPLITTER, GOOD, JOINER]);
});

test('a flow silent at a hop is not filled in with a router none of whose flows ended as it did', () => {
  const JOINER = '198.18.3.2';
  const dropped = [router(SPLITTER), router(BAD), silent, silent];
  // Branch 0's router never answered this run (its budget spent): the open flow went through it unseen.
  const openUnseen = [router(SPLITTER), silent, router(JOINER), open];
  const verdict = pathsVerdict(outcomeOf([dropped, dropped, dropped, dropped, dropped, dropped, openUnseen]), [1, 2, 3, 4, 5, 6, 7], target, 0.95);
  const reaching = verdict.paths.find((p) => p.end.kind === 'destination')!;
  assert.deepEqual(reaching.hops.map((h) => h.address), [SPLITTER, null, JOINER], verdict.summary);
});

test('flows silent at a rate-limited joiner, beside siblings that met it, join their paths; silences that outlast a token are a next hop', () => {
  const JOINER = '198.18.3.2';
  const OTHER = '198.18.5.2';
  const via = (router: string) => [SPLITTER, router, JOINER].map((a) => ({ kind: 'router', address: a }) as Outcome).concat(open);
  const unseenJoiner = (router: string) => [SPLITTER, router].map((a) => ({ kind: 'router', address: a }) as Outcome).concat(silent, open);
  const flows = [via(GOOD), via(GOOD), via(GOOD), unseenJoiner(GOOD), unseenJoiner(GOOD), via(OTHER), via(OTHER), via(OTHER), unseenJoiner(OTHER), unseenJoiner(OTHER)];
  // The joiner's silences were its budget (never asked again with a token): two paths, each with the joiner.
  const budget = pathsVerdict(outcomeOf(flows, ['3|3', '4|3', '8|3', '9|3']), flows.map((_, i) => 40001 + i), target, 0.95);
  assert.deepEqual(budget.paths.map((p) => [p.flows, p.hops.map((h) => h.address)]), [[5, [SPLITTER, GOOD, JOINER]], [5, [SPLITTER, OTHER, JOINER]]], budget.summary);
  assert.match(budget.summary, /open at hop 4 on all 2 paths \(10 flows/);
  // The same silences, outlasting a token: a next hop of each router that never answers, drawn with * there.
  const unanswering = pathsVerdict(outcomeOf(flows), flows.map((_, i) => 40001 + i), target, 0.95);
  assert.equal(unanswering.paths.length, 4, unanswering.summary);
});

test('a branch router that never answers, with some of its flows silent at the rate-limited joiner too: one path with * at the branch', () => {
  const JOINER = '198.18.3.2';
  const viaGood = [router(SPLITTER), router(GOOD), router(JOINER), open];
  const viaSilent = [router(SPLITTER), silent, router(JOINER), open];
  const silentTwice = [router(SPLITTER), silent, silent, open];
  const flows = [viaGood, viaGood, viaGood, viaGood, viaSilent, viaSilent, viaSilent, silentTwice, silentTwice];
  // The silent branch's flows stayed silent at hop 2 with a token; the two silences at the joiner were its budget.
  const verdict = pathsVerdict(outcomeOf(flows, ['7|3', '8|3']), flows.map((_, i) => 40001 + i), target, 0.95);
  assert.deepEqual(verdict.paths.map((p) => [p.flows, p.hops.map((h) => h.address)]), [[5, [SPLITTER, null, JOINER]], [4, [SPLITTER, GOOD, JOINER]]], verdict.summary);
});
