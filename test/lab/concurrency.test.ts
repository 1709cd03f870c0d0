// Several portpath processes on one host must never take each other's replies, and Linux's default ICMP rate
// limits must not turn answering hops into '*'.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TraceResult } from '../../src/engine/types.js';
import { fullyAnswered, hopAddresses, traceJson, withChain } from './harness.js';

test('three traces at once from the same host (TCP open, TCP closed, UDP closed) each get only their own replies', async (t) => {
  await withChain(t, { routers: 3 }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    const server = chain.serverAddress(4);
    const path = [1, 2, 3].map((i) => chain.routerAddress(i, 4)).concat(server);
    const [open, closed, udp, open6] = await Promise.all([
      traceJson(chain, [server, '443']),
      traceJson(chain, [server, '444']),
      traceJson(chain, ['-U', server, '33434']),
      traceJson(chain, [chain.serverAddress(6), '443']),
    ]);
    for (const result of [open, closed, udp] as TraceResult[]) assert.deepEqual(hopAddresses(result), fullyAnswered(path));
    assert.equal(open.destination.state, 'open');
    assert.equal(closed.destination.state, 'closed');
    assert.equal(udp.destination.state, 'closed');
    assert.equal(open6.destination.state, 'open');
    assert.deepEqual(hopAddresses(open6).at(-1), Array(3).fill(chain.serverAddress(6)));
    // Each trace used its own source port, and no trace adopted another's replies as its own.
    assert.notEqual(open.source.port, closed.source.port);
    for (const result of [open, closed, udp, open6]) {
      assert.ok(result.hops.every((hop) => hop.probes.every((p) => p.reply === null || p.rtt !== null)));
    }
  });
});

test("Linux's default ICMP rate limits (kept on every router): every hop still answers 3/3 in one trace", async (t) => {
  await withChain(t, { routers: 6, icmpRateLimit: true }, async (chain) => {
    await chain.startServices({ tcp: [80] });
    const path = [1, 2, 3, 4, 5, 6].map((i) => chain.routerAddress(i, 4)).concat(chain.serverAddress(4));
    const v4 = await traceJson(chain, [chain.serverAddress(4), '80']);
    assert.deepEqual(hopAddresses(v4), fullyAnswered(path));
    const path6 = [1, 2, 3, 4, 5, 6].map((i) => chain.routerAddress(i, 6)).concat(chain.serverAddress(6));
    const v6 = await traceJson(chain, ['-U', chain.serverAddress(6), '33434']);
    assert.deepEqual(hopAddresses(v6), fullyAnswered(path6));
    assert.equal(v6.destination.state, 'closed');
  });
});
