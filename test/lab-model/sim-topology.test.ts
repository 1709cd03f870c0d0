// The simulated Internet's topologies: the same seed builds the same Internet, its shape keeps the promises the
// ground truth relies on (addresses in the lab ranges, answering edge routers, nothing flow-dependent), the fault
// mix is what was asked for, and the presets have the shapes and addresses they claim.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { linkAddress } from '../../src/lab/addressing.js';
import { groundTruth } from '../../src/lab/sim/ground-truth.js';
import { DEFAULT_SCENARIOS } from '../../src/lab/sim/internet.js';
import type { SimDiamond, SimTopology } from '../../src/lab/sim/model.js';
import { buildTopology } from '../../src/lab/sim/topology.js';

const internet = (seed: number, targets = 2000) => buildTopology({ preset: 'internet', seed, targets, ipv6: true });

test('the same seed and options build the same Internet; another seed another one', () => {
  assert.deepEqual(internet(7), internet(7));
  assert.deepEqual(groundTruth(internet(7)), groundTruth(internet(7)));
  assert.notDeepEqual(internet(7).nodes, internet(8).nodes);
  assert.notDeepEqual(internet(7).targets, internet(8).targets);
  // Through JSON and back (the simulator process gets the spec, not the topology): nothing lost.
  assert.deepEqual(JSON.parse(JSON.stringify(internet(9))), internet(9));
});

function inLabRanges(address: string): boolean {
  return /^198\.1[89]\.\d+\.\d+$/.test(address) || /^2001:db8:/.test(address);
}

test('a generated Internet keeps its promises: lab addresses, unique, answering edges, nothing that depends on the flow', () => {
  const topology = internet(3, 10_000);
  const addresses = topology.nodes.flatMap((n) => [n.address[4], n.address[6]!]);
  assert.ok(addresses.every(inLabRanges));
  assert.equal(new Set(addresses).size, addresses.length);
  // The client's /24 is the client's alone.
  assert.ok(topology.nodes.every((n) => !n.address[4].startsWith('198.18.0.')));
  assert.equal(topology.targets.length, 10_000);
  const edges = new Set(topology.routes.map((steps) => steps.at(-1) as number));
  for (const edge of edges) assert.equal(topology.nodes[edge]!.kind === 'router' && topology.nodes[edge]!.silent, false);
  const branchRouters = new Set(topology.routes.flatMap((steps) => steps.filter((s): s is SimDiamond => typeof s !== 'number').flatMap((d) => d.branches.flat())));
  assert.ok(branchRouters.size > 0, 'some balanced stretches');
  for (const id of branchRouters) assert.equal(topology.nodes[id]!.kind === 'router' && topology.nodes[id]!.silent, false);
  assert.ok(topology.rules.every((rule) => !branchRouters.has(rule.at)));
  const truth = groundTruth(topology);
  assert.equal(truth.verdicts.unknown, undefined);
  assert.ok(truth.targets.every((t) => !t.flowDependent));
  for (const t of truth.targets) {
    const distance = t.fault === 'nat' ? t.destinationHop - 1 : t.destinationHop;
    assert.ok(distance >= 8 && distance <= 16, `target ${t.id} at ${distance} hops`);
    assert.equal(t.path.length, t.destinationHop);
  }
  assert.ok(topology.nodes.some((n) => n.kind === 'router' && n.mpls !== null));
  assert.ok(topology.nodes.some((n) => n.kind === 'router' && n.silent));
  assert.ok(topology.nodes.some((n) => n.initialTtl === 255));
});

test('the fault mix is the one asked for', () => {
  const topology = internet(5, 20_000);
  const ported = topology.targets.filter((t) => t.protocol !== 'icmp');
  const share = (fault: string) => ported.filter((t) => t.fault === fault).length / ported.length;
  const total = Object.values(DEFAULT_SCENARIOS).reduce((a, b) => a + b, 0);
  // UDP has no forged RSTs: those become rejects on the path.
  assert.ok(Math.abs(share('drop-in-path') - DEFAULT_SCENARIOS['drop-in-path'] / total) < 0.02);
  assert.ok(Math.abs(share('nat') - DEFAULT_SCENARIOS.nat / total) < 0.02);
  assert.ok(Math.abs(share('none') - (DEFAULT_SCENARIOS.open + DEFAULT_SCENARIOS.closed) / total) < 0.02);
  const only = buildTopology({ preset: 'internet', seed: 1, targets: 200, scenarios: { 'reject-in-path': 1 }, protocols: { udp: 1 } });
  assert.ok(only.targets.every((t) => t.fault === 'reject-in-path' && t.protocol === 'udp'));
  assert.equal(only.targets.filter((t) => t.family === 6).length, 0);
});

test('bad options are refused before anything is built', () => {
  assert.throws(() => buildTopology({ preset: 'internet', seed: 1, targets: 0 }), RangeError);
  assert.throws(() => buildTopology({ preset: 'internet', seed: 1, targets: 10, hops: [4, 3] }), RangeError);
  assert.throws(() => buildTopology({ preset: 'internet', seed: 1, targets: 10, hops: [3, 70] }), RangeError);
  assert.throws(() => buildTopology({ preset: 'internet', seed: 1, targets: 10, scenarios: {} }), RangeError);
  assert.throws(() => buildTopology({ preset: 'chain', routers: 0 }), RangeError);
  assert.throws(() => buildTopology({ preset: 'chain', routers: 2, rules: [{ at: 4, protocol: 'tcp', port: 1, action: 'drop' }] }), RangeError);
  assert.throws(() => buildTopology({ preset: 'diamond', width: 1 }), RangeError);
});

test('100,000 targets fit (two to a host) and 30-hop paths are possible (the build time is printed)', (t) => {
  const started = performance.now();
  const big = buildTopology({ preset: 'internet', seed: 1, targets: 100_000 });
  t.diagnostic(`100,000 targets: ${big.nodes.length} nodes built in ${(performance.now() - started).toFixed(0)} ms`);
  assert.equal(big.targets.length, 100_000);
  const deep = groundTruth(buildTopology({ preset: 'internet', seed: 1, targets: 500, hops: [30, 30] }));
  assert.ok(deep.targets.every((target) => target.destinationHop === (target.fault === 'nat' ? 31 : 30)));
});

function hopsOf(topology: SimTopology): number {
  return groundTruth(topology).targets[0]!.destinationHop;
}

test("presets: the chain has buildChain's addresses, the long path 30 hops, a diamond its branches", () => {
  const chain = buildTopology({ preset: 'chain', routers: 3, targets: [{ protocol: 'tcp', port: 80 }] });
  assert.deepEqual(chain.client, { 4: linkAddress(1, 'left', 4), 6: linkAddress(1, 'left', 6) });
  assert.deepEqual(chain.nodes.map((n) => n.address[4]), [1, 2, 3, 4].map((k) => linkAddress(k, 'right', 4)));
  assert.deepEqual(chain.nodes.map((n) => n.address[6]), [1, 2, 3, 4].map((k) => linkAddress(k, 'right', 6)));
  assert.equal(hopsOf(buildTopology({ preset: 'long', targets: [{ protocol: 'icmp' }] })), 30);
  const diamond = buildTopology({ preset: 'diamond', width: 8, before: 2, after: 1, branchHops: 2, targets: [{ protocol: 'tcp', port: 443 }] });
  const truth = groundTruth(diamond).targets[0]!;
  assert.equal(truth.destinationHop, 2 + 1 + 2 + 1 + 1 + 1);
  assert.deepEqual(truth.path.filter((hop) => typeof hop === 'object' && hop !== null).map((hop) => (hop as { ecmp: string[] }).ecmp.length), [8, 8]);
  assert.equal(truth.flowDependent, false);
  const unequal = buildTopology({ preset: 'diamond', width: 2, branchHops: [1, 2], targets: [{ protocol: 'tcp', port: 443 }] });
  assert.equal(groundTruth(unequal).targets[0]!.flowDependent, true);
});

test('addresses are handed out as providers do: one aligned block per edge router, nearer blocks sharing more of their path', (t) => {
  const shape = (addressPlan: 'aggregated' | 'scattered') => {
    const truth = groundTruth(buildTopology({ preset: 'internet', seed: 4, targets: 10_000, addressPlan }));
    const v4 = truth.targets.filter((t) => t.family === 4 && t.fault !== 'nat');
    // The /28 blocks each edge router's hosts fall in (the edge: the last router before the destination).
    const blocks = new Map<string, Set<string>>();
    for (const t of v4) {
      const edge = JSON.stringify(t.path[t.destinationHop - 2]);
      const block = t.address.split('.').map(Number);
      const key = `${block.slice(0, 3).join('.')}.${block[3]! & ~15}`;
      blocks.set(edge, (blocks.get(edge) ?? new Set()).add(key));
    }
    const split = [...blocks.values()].filter((b) => b.size > 1).length;
    // How much of its path a target shares with the next address's target in its /24 (another edge router).
    const byAddress = [...v4].sort((a, b) => a.address.localeCompare(b.address, 'en', { numeric: true }));
    let shared = 0;
    let pairs = 0;
    for (let i = 1; i < byAddress.length; i++) {
      const [a, b] = [byAddress[i - 1]!, byAddress[i]!];
      if (a.address.split('.').slice(0, 3).join() !== b.address.split('.').slice(0, 3).join()) continue;
      if (JSON.stringify(a.path[a.destinationHop - 2]) === JSON.stringify(b.path[b.destinationHop - 2])) continue;
      let common = 0;
      while (common < Math.min(a.path.length, b.path.length) && JSON.stringify(a.path[common]) === JSON.stringify(b.path[common])) common++;
      shared += common;
      pairs++;
    }
    return { split, common: shared / pairs };
  };
  const aggregated = shape('aggregated');
  const scattered = shape('scattered');
  t.diagnostic(`edges split over /28s: ${aggregated.split} aggregated, ${scattered.split} scattered; hops shared with the next edge of a /24: ${aggregated.common.toFixed(2)} and ${scattered.common.toFixed(2)}`);
  assert.equal(aggregated.split, 0, 'every edge router\'s hosts in one /28');
  assert.ok(scattered.split > 100, `the scattered plan (17 hosts an edge) splits edges over /28s: ${scattered.split}`);
  assert.ok(aggregated.common > scattered.common + 1, `neighbouring edges of a /24 share ${aggregated.common.toFixed(1)} hops aggregated, ${scattered.common.toFixed(1)} scattered`);
});
