import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SiblingPaths } from '../../src/trace/batch-siblings.js';
import type { HopResult } from '../../src/engine/types.js';
import type { TraceReport } from '../../src/trace/run-types.js';

const hop = (ttl: number, from: string | null, kind = 'time-exceeded'): HopResult =>
  ({ ttl, probes: [1, 2, 3].map(() => ({ from, rtt: from ? 1 : null, reply: from ? { kind, ttl: 64 } : null })) }) as unknown as HopResult;
const routers = (n: number, prefix = '198.18.1.') => Array.from({ length: n }, (_, i) => `${prefix}${i + 1}`);
/** A trace that met `path` and then its destination (or, with `reached` false, nothing more). */
const report = (address: string, path: (string | null)[], reached = true, by = address) =>
  ({
    target: { host: address, address, family: address.includes(':') ? 6 : 4 },
    interrupted: false,
    hops: [...path.map((r, i) => hop(i + 1, r)), ...(reached ? [hop(path.length + 1, by, 'syn-ack')] : [])],
    destination: reached ? { reached: true, hop: path.length + 1, by } : { reached: false, hop: null, by: null },
  }) as unknown as TraceReport;
const from = (hops: HopResult[]) => hops.map((h) => h.probes[0]!.from);
/** Enough outcomes (each weighs less as more come: 12 make the 10 needed) for each of a family's block ranks. */
const trust = (siblings: SiblingPaths, family: 4 | 6, ranks: number[], fit: 'fits' | 'misfits' = 'fits') => {
  for (const rank of ranks) for (let i = 0; i < 12; i++) siblings.fitted({ hops: [], expect: null, path: [], block: { family, rank } }, fit);
};

test('a target takes its nearest sibling\'s hops up to a margin before the sibling\'s destination, wider for a wider block', () => {
  const siblings = new SiblingPaths();
  const floor = [hop(1, '198.18.1.1'), hop(2, '198.18.1.2'), hop(3, '198.18.1.3')];
  siblings.remember(report('198.18.128.5', routers(11)));
  // Same /28: everything but the last router before the destination (hop 11) and the destination.
  const near = siblings.forTarget('198.18.128.9', 4, floor);
  assert.deepEqual(from(near.hops), routers(10));
  assert.equal(near.expect, '198.18.1.11');
  // A wider block is taken once its siblings have fitted (see the test of fitted below).
  trust(siblings, 4, [1, 2, 3]);
  // Same /24, another /28: three hops left to probe.
  assert.deepEqual(from(siblings.forTarget('198.18.128.200', 4, floor).hops), routers(8));
  // Same /16 only: seven.
  assert.deepEqual(from(siblings.forTarget('198.18.200.1', 4, floor).hops), routers(4));
  // Nothing near: the family's near hops.
  assert.deepEqual(siblings.forTarget('198.19.1.1', 4, floor), { hops: floor, expect: null, path: [] });
  // A sibling whose first hops are not the family's (another way out): not taken.
  const other = [hop(1, '198.18.1.1'), hop(2, '198.18.7.7')];
  assert.deepEqual(siblings.forTarget('198.18.128.9', 4, other), { hops: other, expect: null, path: [] });
  // The newest sibling of a block is the one taken.
  siblings.remember(report('198.18.128.6', routers(6)));
  assert.deepEqual(from(siblings.forTarget('198.18.128.9', 4, floor).hops), routers(5));
});

test('a target that is itself a router on its sibling\'s path (the block\'s gateway, a NAT) takes only the hops well before itself', () => {
  const siblings = new SiblingPaths();
  const floor = [hop(1, '198.18.1.1')];
  // The sibling's hop 8 is the target's own address: for the target, TTL 8 is its destination, not a router.
  const path = [...routers(7), '198.18.128.1', '198.18.1.9'];
  siblings.remember(report('198.18.128.5', path));
  const ticket = siblings.forTarget('198.18.128.1', 4, floor);
  assert.deepEqual(from(ticket.hops), routers(6));
  assert.equal(ticket.expect, '198.18.1.7');
  // Too near the source for that margin: the family's near hops.
  siblings.remember(report('198.18.128.6', ['198.18.1.1', '198.18.128.2', '198.18.1.3']));
  assert.deepEqual(siblings.forTarget('198.18.128.2', 4, floor).hops, floor);
});

test('only a trace that reached its destination, from TTL 1 with no gap, becomes a sibling; IPv6 blocks too', () => {
  const siblings = new SiblingPaths();
  const floor = [hop(1, '198.18.1.1')];
  siblings.remember(report('198.18.128.5', routers(9), false));
  siblings.remember(report('198.18.128.6', routers(9), true, '198.18.1.5'));
  assert.deepEqual(siblings.forTarget('198.18.128.7', 4, floor).hops, floor, 'not reached, or an answer in its name from elsewhere');
  trust(siblings, 6, [1]);
  const v6 = routers(9, '2001:db8:1::');
  siblings.remember(report('2001:db8:2::10', v6));
  assert.deepEqual(from(siblings.forTarget('2001:db8:2::1f', 6, [hop(1, '2001:db8:1::1')]).hops), v6.slice(0, 8));
  assert.deepEqual(siblings.forTarget('198.18.128.7', 4, floor).hops, floor, 'families apart');
});

test('the first hop a trace probes itself confirms the sibling when it met the sibling\'s router there, or heard nothing', () => {
  const siblings = new SiblingPaths();
  siblings.remember(report('198.18.128.5', routers(11)));
  const ticket = siblings.forTarget('198.18.128.9', 4, [hop(1, '198.18.1.1')]);
  const own = (router: string | null) => {
    const r = report('198.18.128.9', routers(12));
    r.hops[10] = hop(11, router);
    for (const h of r.hops.slice(0, 10)) (h as { shared?: true }).shared = true;
    return r;
  };
  assert.equal(siblings.confirms(own('198.18.1.11'), ticket), true);
  assert.equal(siblings.confirms(own(null), ticket), true, 'a router out of ICMP budget says nothing');
  assert.equal(siblings.confirms(own('198.18.9.9'), ticket), false, 'another router: the path is another');
  assert.equal(siblings.confirms(own('198.18.9.9'), { hops: [], expect: null, path: [] }), true, 'nothing taken from a sibling');
});

test('what the first hop probed says of the sibling\'s hops: its router (fits), another (misfits, in the trace or its control), or nothing', () => {
  const siblings = new SiblingPaths();
  siblings.remember(report('198.18.128.5', routers(11)));
  const ticket = siblings.forTarget('198.18.128.9', 4, [hop(1, '198.18.1.1')]);
  const traced = (router: string | null, controlRouter?: string | null, kind = 'time-exceeded') => {
    const r = report('198.18.128.9', routers(12));
    r.hops[10] = hop(11, router, kind);
    for (const h of r.hops.slice(0, 10)) (h as { shared?: true }).shared = true;
    if (controlRouter !== undefined) {
      const control = report('198.18.128.9', routers(12));
      control.hops[10] = hop(11, controlRouter);
      return { ...r, control } as unknown as TraceReport;
    }
    return r;
  };
  assert.equal(siblings.fit(traced('198.18.1.11'), ticket), 'fits');
  assert.equal(siblings.fit(traced(null), ticket), 'unknown');
  assert.equal(siblings.fit(traced('198.18.9.9'), ticket), 'misfits');
  assert.equal(siblings.fit(traced(null, '198.18.9.9'), ticket), 'misfits', 'the control met another router');
  assert.equal(siblings.confirms(traced(null, '198.18.9.9'), ticket), false);
  assert.equal(siblings.fit(traced(null, '198.18.1.11'), ticket), 'fits');
  assert.equal(siblings.fit(traced('198.18.128.9', null, 'syn-ack'), ticket), 'unknown', 'the destination itself may hang off the sibling\'s path there');
});

test('a wider block is taken once its siblings have fitted; a block length that misfits is passed over, but every 8th target tries it', () => {
  const siblings = new SiblingPaths();
  const floor = [hop(1, '198.18.1.1')];
  siblings.remember(report('198.18.128.5', routers(11)));
  // Another /28 of the same /24: not yet shown to fit, so only the near hops (the 8th ask explores it).
  const asked = Array.from({ length: 8 }, () => siblings.forTarget('198.18.128.200', 4, floor).hops.length);
  assert.deepEqual(asked, [1, 1, 1, 1, 1, 1, 1, 8]);
  trust(siblings, 4, [1]);
  assert.equal(siblings.forTarget('198.18.128.200', 4, floor).hops.length, 8, 'fitted: taken');
  // Then it misfits, most of the recent outcomes: passed over again, explored every 8th time.
  trust(siblings, 4, [1], 'misfits');
  trust(siblings, 4, [1], 'misfits');
  const later = Array.from({ length: 8 }, () => siblings.forTarget('198.18.128.200', 4, floor).hops.length);
  assert.deepEqual(later.filter((n) => n === 8).length, 1);
  // The narrowest block is taken from the start, and passed over once it misfits (every 8th ask explores it).
  const fresh = new SiblingPaths();
  fresh.remember(report('198.18.128.5', routers(11)));
  assert.equal(fresh.forTarget('198.18.128.9', 4, floor).hops.length, 10);
  trust(fresh, 4, [0], 'misfits');
  assert.deepEqual(Array.from({ length: 8 }, () => fresh.forTarget('198.18.128.9', 4, floor).hops.length), [1, 1, 1, 1, 1, 1, 10, 1]);
});
