// The same scenarios over IPv6 (hop limit per packet, ICMPv6, no IP header on raw sockets).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fullyAnswered, hopAddresses, traceJson, withChain } from './harness.js';

const path = (chain: { routerAddress(i: number, f: 6): string }, n: number) => Array.from({ length: n }, (_, i) => chain.routerAddress(i + 1, 6));

test('IPv6 TCP open and closed', async (t) => {
  await withChain(t, { routers: 2 }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    const open = await traceJson(chain, [`[${chain.serverAddress(6)}]:443`]);
    assert.equal(open.target.family, 6);
    assert.deepEqual(hopAddresses(open), fullyAnswered([...path(chain, 2), chain.serverAddress(6)]));
    assert.deepEqual(open.destination, { reached: true, hop: 3, state: 'open', reason: 'syn-ack', by: chain.serverAddress(6) });
    const closed = await traceJson(chain, [chain.serverAddress(6), '444']);
    assert.equal(closed.destination.state, 'closed');
    assert.ok(closed.hops.every((h) => h.probes.every((p) => p.reply?.ttl !== null)), 'hop limits of replies are known');
  });
});

test("IPv6 TCP dropped by r2's FORWARD rule: r2 is the last hop that answers", async (t) => {
  await withChain(t, { routers: 3 }, async (chain) => {
    chain.exec(chain.routers[1]!, 'ip6tables', ['-A', 'FORWARD', '-p', 'tcp', '--dport', '8443', '-j', 'DROP']);
    const result = await traceJson(chain, [chain.serverAddress(6), '8443']);
    const hops = hopAddresses(result);
    assert.deepEqual(hops.slice(0, 2), fullyAnswered(path(chain, 2)));
    assert.ok(hops.slice(2).every((h) => h.every((a) => a === '*')));
    assert.equal(result.destination.state, 'filtered');
  });
});

test('IPv6 TCP rejected by r2 with admin-prohibited', async (t) => {
  await withChain(t, { routers: 3 }, async (chain) => {
    chain.exec(chain.routers[1]!, 'ip6tables', ['-A', 'FORWARD', '-p', 'tcp', '--dport', '3389', '-j', 'REJECT', '--reject-with', 'icmp6-adm-prohibited']);
    const result = await traceJson(chain, [chain.serverAddress(6), '3389']);
    assert.deepEqual(result.destination, { reached: false, hop: 3, state: 'filtered', reason: 'icmpv6-1/1', by: chain.routerAddress(2, 6) });
  });
});

test('IPv6 UDP closed and ICMPv6 echo', async (t) => {
  await withChain(t, { routers: 2 }, async (chain) => {
    const udp = await traceJson(chain, ['-U', chain.serverAddress(6), '33434']);
    assert.deepEqual(udp.destination, { reached: true, hop: 3, state: 'closed', reason: 'icmpv6-1/4', by: chain.serverAddress(6) });
    const icmp = await traceJson(chain, ['-I', chain.serverAddress(6)]);
    assert.deepEqual(hopAddresses(icmp), fullyAnswered([...path(chain, 2), chain.serverAddress(6)]));
    assert.equal(icmp.destination.reason, 'echo-reply');
  });
});
