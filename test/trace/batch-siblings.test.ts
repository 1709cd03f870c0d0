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

test('a target takes its nearest sibling\'s hops up to a margin before the sibling\'s destination, wider for a wider block', () => {
  const siblings = new SiblingPaths();
  const floor = [hop(1, '198.18.1.1'), hop(2, '198.18.1.2'), hop(3, '198.18.1.3')];
  siblings.remember(report('198.18.128.5', routers(11)));
  // Same /28: everything but the last router before the destination (hop 11) and the destination.
  const near = siblings.forTarget('198.18.128.9', 4, floor);
  assert.deepEqual(from(near.hops), routers(10));
  assert.equal(near.expect, '198.18.1.11');
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
