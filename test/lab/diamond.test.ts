// The diamond lab (src/lab/diamond.ts): an ECMP splitter really spreads flows over its branches by source port,
// branchOf() says which branch a flow takes, and the real CLI, run as root in the client namespace, goes where
// branchOf says — over IPv4 and IPv6, on branches of unequal length, and past a branch whose routers stay silent.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import type { Family } from '../../src/lab/addressing.js';
import { buildDiamond } from '../../src/lab/diamond.js';
import type { Diamond, DiamondOptions } from '../../src/lab/diamond.js';
import type { TraceResult } from '../../src/engine/types.js';
import { fullyAnswered, hopAddresses, requireRoot, runCli } from './harness.js';

const PORT = 443;
/** 64 consecutive source ports: flows that differ only there. */
const SOURCE_PORTS = Array.from({ length: 64 }, (_, i) => 33000 + i);

async function withDiamond(t: TestContext, options: DiamondOptions, fn: (diamond: Diamond) => Promise<void>): Promise<void> {
  if (!requireRoot(t)) return;
  const diamond = await buildDiamond(options);
  try {
    await diamond.startServices({ tcp: [PORT] });
    await fn(diamond);
  } finally {
    await diamond.destroy();
  }
}

/** How many of the 64 flows the splitter sends down each branch. */
function spread(diamond: Diamond, family: Family): number[] {
  const counts = diamond.branches.map(() => 0);
  for (const port of SOURCE_PORTS) counts[diamond.branchOf('tcp', port, PORT, family)]!++;
  return counts;
}

/** Every branch gets a plausible share: at least a third of an even split (a fair hash misses that by > 3 sigma). */
function assertSpread(diamond: Diamond, family: Family): void {
  const counts = spread(diamond, family);
  const floor = SOURCE_PORTS.length / diamond.branches.length / 3;
  assert.ok(counts.every((count) => count >= floor), `IPv${family}: flows per branch ${counts.join(', ')}, each should get ≥ ${floor.toFixed(1)}`);
}

/** For each branch, the first of the source ports that the splitter sends down it. */
function portPerBranch(diamond: Diamond, family: Family): number[] {
  return diamond.branches.map((_, branch) => {
    const port = SOURCE_PORTS.find((p) => diamond.branchOf('tcp', p, PORT, family) === branch);
    assert.ok(port !== undefined, `no source port of ${SOURCE_PORTS[0]}..${SOURCE_PORTS.at(-1)} takes branch ${branch}`);
    return port;
  });
}

async function trace(diamond: Diamond, family: Family, sourcePort: number): Promise<TraceResult> {
  const run = await runCli(diamond.client.namespace, ['-n', '--json', '--sport', String(sourcePort), diamond.serverAddress(family), String(PORT)]);
  assert.equal(run.code, 0, `portpath --sport ${sourcePort} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as TraceResult;
}

/** A trace on the flow branchOf sends down `branch` meets that branch's routers, then the joiner, and reaches the server. */
async function assertTraceTakes(diamond: Diamond, family: Family, branch: number, sourcePort: number): Promise<void> {
  const result = await trace(diamond, family, sourcePort);
  const hops = hopAddresses(result);
  assert.deepEqual(hops[1], Array(3).fill(diamond.branchRouterAddress(branch, 0, family)), `sport ${sourcePort}: hop 2 should be branch ${branch}'s router`);
  assert.deepEqual(hops, fullyAnswered(diamond.pathThrough(branch, family)), `sport ${sourcePort} by branch ${branch}`);
  assert.deepEqual(result.destination, {
    reached: true,
    hop: diamond.branches[branch]!.length + 3,
    state: 'open',
    reason: 'syn-ack',
    by: diamond.serverAddress(family),
  });
}

/** SYNs counted on each branch's first router, for the client's own connections. */
function synCounts(diamond: Diamond): number[] {
  return diamond.branches.map((routers) => {
    const rules = diamond.exec(routers[0]!, 'iptables', ['-L', 'FORWARD', '-v', '-x', '-n']).split('\n');
    return Number(rules[2]!.trim().split(/\s+/)[0]);
  });
}

test('width 2: 64 source ports spread over both branches; traces over IPv4 and IPv6 take the branch branchOf names', async (t) => {
  await withDiamond(t, { width: 2 }, async (diamond) => {
    assertSpread(diamond, 4);
    assertSpread(diamond, 6);
    for (const family of [4, 6] as const) {
      const ports = portPerBranch(diamond, family);
      for (const [branch, port] of ports.entries()) await assertTraceTakes(diamond, family, branch, port);
    }
    // The joiner answers IPv4 from its return-branch interface whatever the branch, IPv6 from the one the probe came by.
    assert.equal(diamond.joinerAddress(4, 1), diamond.joinerAddress(4, 0));
    assert.notEqual(diamond.joinerAddress(6, 1), diamond.joinerAddress(6, 0));
  });
});

test("width 4: every branch gets its share and a traced flow; the client's own TCP connections follow branchOf too", async (t) => {
  await withDiamond(t, { width: 4 }, async (diamond) => {
    assertSpread(diamond, 4);
    assertSpread(diamond, 6);
    const ports = portPerBranch(diamond, 4);
    for (const [branch, port] of ports.entries()) await assertTraceTakes(diamond, 4, branch, port);

    // A kernel TCP socket gives its packets a random flow hash; it must not reach the splitter (whose L4 hash would
    // use it instead of the 5-tuple), or connections would take random branches.
    for (const routers of diamond.branches) diamond.exec(routers[0]!, 'iptables', ['-A', 'FORWARD', '-p', 'tcp', '--dport', String(PORT), '--syn']);
    for (const port of SOURCE_PORTS.slice(0, 8)) {
      const before = synCounts(diamond);
      const connect =
        `const s = require('net').connect({ host: '${diamond.serverAddress(4)}', port: ${PORT}, localAddress: '${diamond.clientAddress(4)}', localPort: ${port} });` +
        `s.on('connect', () => s.destroy()); s.on('error', (e) => { console.error(e.message); process.exit(1); });`;
      diamond.exec(diamond.client, process.execPath, ['-e', connect]);
      const after = synCounts(diamond);
      const took = after.map((count, branch) => count - before[branch]!);
      const expected = diamond.branches.map((_, branch) => (branch === diamond.branchOf('tcp', port, PORT, 4) ? 1 : 0));
      assert.deepEqual(took, expected, `connection from port ${port}: SYNs per branch`);
    }
  });
});

test('unequal branches [1, 2], returning by the longer one: each flow meets its own branch, the joiner one hop later on the long one', async (t) => {
  await withDiamond(t, { width: 2, branchHops: [1, 2], returnBranch: 1, ipv6: false }, async (diamond) => {
    assertSpread(diamond, 4);
    assert.deepEqual(diamond.branches.map((routers) => routers.length), [1, 2]);
    const ports = portPerBranch(diamond, 4);
    for (const [branch, port] of ports.entries()) await assertTraceTakes(diamond, 4, branch, port);
    assert.equal(diamond.joinerAddress(4), diamond.pathThrough(1, 4)[3]);
  });
});

test("a silent branch: its router's hop shows no answer, the joiner and the server still do; the other branch answers in full", async (t) => {
  await withDiamond(t, { width: 2, silentBranch: 1, ipv6: false }, async (diamond) => {
    const [loud, quiet] = portPerBranch(diamond, 4) as [number, number];
    await assertTraceTakes(diamond, 4, 0, loud);
    const result = await trace(diamond, 4, quiet);
    const [splitter, , joiner, server] = diamond.pathThrough(1, 4);
    assert.deepEqual(hopAddresses(result), [Array(3).fill(splitter), ['*', '*', '*'], Array(3).fill(joiner), Array(3).fill(server)]);
    assert.equal(result.destination.state, 'open');
  });
});
