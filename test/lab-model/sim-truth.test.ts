// The ground truth's verdicts for the cases the namespace lab's diagnosis tests build with iptables
// (test/lab/diagnosis.test.ts): the same verdict, hop and culprit the diagnosis gives there, read off the model.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { groundTruth, truthFor } from '../../src/lab/sim/ground-truth.js';
import { SimNetwork } from '../../src/lab/sim/network.js';
import type { SimChainOptions } from '../../src/lab/sim/presets.js';
import { TokenBuckets } from '../../src/lab/sim/token-bucket.js';
import { buildTopology } from '../../src/lab/sim/topology.js';

type Rule = NonNullable<SimChainOptions['rules']>[number];

/** The truth of one TCP target (port `port`) on a chain with these rules and silent routers. */
function chainTruth(routers: number, port: number, options: Partial<SimChainOptions> = {}, protocol: 'tcp' | 'udp' = 'tcp') {
  const topology = buildTopology({ preset: 'chain', routers, services: { tcpOpen: [443, 8443, 3389, 25, 8080], udpOpen: [53] }, targets: [{ protocol, port }], ...options });
  const { verdict, hop, by, upTo, state } = groundTruth(topology).targets[0]!;
  return { verdict, hop, by, ...(upTo !== undefined ? { upTo } : {}), state };
}

const rule = (at: number, port: number, action: Rule['action'], protocol: Rule['protocol'] = 'tcp'): Rule => ({ at, protocol, port, action });
const r = (i: number) => `198.18.${i}.2`;

test('open and closed: the destination, at its hop', () => {
  assert.deepEqual(chainTruth(2, 443), { verdict: 'open', hop: 3, by: r(3), state: 'open' });
  assert.deepEqual(chainTruth(2, 444), { verdict: 'closed', hop: 3, by: r(3), state: 'closed' });
  assert.deepEqual(chainTruth(2, 53, {}, 'udp'), { verdict: 'open', hop: 3, by: r(3), state: 'open' });
  assert.deepEqual(chainTruth(2, 54, {}, 'udp'), { verdict: 'closed', hop: 3, by: r(3), state: 'closed' });
});

test('a drop on r2 is filtered-in-path at r2; behind a silent r2 it is at hop 1 or up to hop 2', () => {
  assert.deepEqual(chainTruth(3, 8443, { rules: [rule(2, 8443, 'drop')] }), { verdict: 'filtered-in-path', hop: 2, by: r(2), state: 'filtered' });
  assert.deepEqual(chainTruth(3, 8443, { rules: [rule(2, 8443, 'drop')], silent: [2] }), { verdict: 'filtered-in-path', hop: 1, by: r(1), upTo: 2, state: 'filtered' });
  assert.deepEqual(chainTruth(3, 53, { rules: [rule(2, 53, 'drop', 'udp')] }, 'udp'), { verdict: 'filtered-in-path', hop: 2, by: r(2), state: 'open|filtered' });
});

test('a reject shows one hop past the rejecting router; a forged RST at its hop, even when it never answers', () => {
  assert.deepEqual(chainTruth(3, 3389, { rules: [rule(2, 3389, 'reject')] }), { verdict: 'rejected-in-path', hop: 3, by: r(2), state: 'filtered' });
  assert.deepEqual(chainTruth(3, 25, { rules: [rule(2, 25, 'reset')] }), { verdict: 'reset-in-path', hop: 2, by: r(2), state: 'closed' });
  assert.deepEqual(chainTruth(3, 25, { rules: [rule(2, 25, 'reset')], silent: [2] }), { verdict: 'reset-in-path', hop: 2, by: null, state: 'closed' });
});

test("at the destination: the server's drop and the last router's look alike; a reject is the server's own", () => {
  assert.deepEqual(chainTruth(2, 8080, { rules: [rule(3, 8080, 'drop')] }), { verdict: 'filtered-at-destination', hop: 2, by: r(3), state: 'filtered' });
  assert.deepEqual(chainTruth(3, 8080, { rules: [rule(3, 8080, 'drop')] }), { verdict: 'filtered-at-destination', hop: 3, by: r(4), state: 'filtered' });
  assert.deepEqual(chainTruth(2, 8080, { rules: [rule(3, 8080, 'reject')] }), { verdict: 'filtered-at-destination', hop: 3, by: r(3), state: 'filtered' });
});

test('a silent router before a filtering server: two stories fit, so the truth is unknown', () => {
  assert.deepEqual(chainTruth(3, 8080, { rules: [rule(4, 8080, 'drop')], silent: [3] }), { verdict: 'unknown', hop: 2, by: r(2), state: 'filtered' });
});

test("the truth of a flow through a diamond with unequal branches follows the flow's branch", () => {
  const topology = buildTopology({ preset: 'diamond', width: 2, branchHops: [1, 3], services: { tcpOpen: [443] }, targets: [{ protocol: 'tcp', port: 443 }] });
  const network = new SimNetwork(topology);
  const target = topology.targets[0]!;
  const hops = new Set<number>();
  for (let port = 40000; port < 40040; port++) {
    const truth = truthFor(network, target, { protocol: 'tcp', source: topology.client[4], destination: target.address, sourcePort: port, destinationPort: 443 });
    assert.equal(truth.path.length, truth.destinationHop);
    hops.add(truth.destinationHop);
  }
  assert.deepEqual([...hops].sort(), [4, 6]);
});

test("token buckets: Linux's burst, one a second after it, capped refills, a bucket each, no limit at all", () => {
  const linux = { burst: 6, intervalMs: 1000 };
  const buckets = new TokenBuckets(3);
  const allowed = (index: number, now: number, n = 1) => Array.from({ length: n }, () => buckets.allow(index, linux, now)).filter(Boolean).length;
  assert.equal(allowed(0, 0, 10), 6);
  assert.equal(allowed(0, 500), 0);
  assert.equal(allowed(0, 1000), 1);
  // What is left over keeps: 999 ms at 1999 (nothing yet), 2000 at 3000 (two).
  assert.equal(allowed(0, 1999, 5), 0);
  assert.equal(allowed(0, 3000, 5), 2);
  // Ten idle minutes refill at most the burst.
  assert.equal(allowed(0, 600_000, 20), 6);
  assert.equal(allowed(1, 0, 7), 6);
  assert.equal(allowed(2, 0, 1000) === 6 && [...Array(100)].every(() => buckets.allow(2, null, 0)), true);
  const quick = new TokenBuckets(1);
  assert.equal([...Array(5)].filter(() => quick.allow(0, { burst: 2, intervalMs: 10 }, 0)).length, 2);
});
