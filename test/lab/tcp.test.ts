// TCP SYN traces through real Linux routers: open, closed, dropped at the server, dropped and rejected in the path.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fullyAnswered, hopAddresses, traceJson, withChain } from './harness.js';

const routers = (chain: { routerAddress(i: number, f: 4 | 6): string }, n: number, family: 4 | 6 = 4) =>
  Array.from({ length: n }, (_, i) => chain.routerAddress(i + 1, family));

test('TCP open: every router and the server answer 3/3, port open by SYN-ACK', async (t) => {
  await withChain(t, { routers: 3 }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    const result = await traceJson(chain, [chain.serverAddress(4), '443']);
    assert.deepEqual(hopAddresses(result), fullyAnswered([...routers(chain, 3), chain.serverAddress(4)]));
    assert.deepEqual(result.destination, { reached: true, hop: 4, state: 'open', reason: 'syn-ack', by: chain.serverAddress(4) });
    assert.ok(result.hops.every((h) => h.probes.every((p) => p.rtt !== null && p.rtt > 0 && p.rtt < 50)));
    assert.equal(result.hops[0]!.probes[0]!.reply?.kind, 'time-exceeded');
    // The client's kernel answered each SYN-ACK with RST (no socket owns those connections): nothing half-open remains.
    const leftovers = chain.exec(chain.server, 'ss', ['-Htn', 'state', 'syn-recv', 'state', 'established', 'sport', '= :443']);
    assert.equal(leftovers.trim(), '', leftovers);
  });
});

test('TCP closed: the server answers RST', async (t) => {
  await withChain(t, { routers: 2 }, async (chain) => {
    const result = await traceJson(chain, [chain.serverAddress(4), '81']);
    assert.deepEqual(hopAddresses(result), fullyAnswered([...routers(chain, 2), chain.serverAddress(4)]));
    assert.deepEqual(result.destination, { reached: true, hop: 3, state: 'closed', reason: 'rst', by: chain.serverAddress(4) });
  });
});

test("TCP dropped at the server's INPUT: routers answer, the server does not, port filtered", async (t) => {
  await withChain(t, { routers: 2 }, async (chain) => {
    chain.exec(chain.server, 'iptables', ['-A', 'INPUT', '-p', 'tcp', '--dport', '8080', '-j', 'DROP']);
    const result = await traceJson(chain, [chain.serverAddress(4), '8080']);
    const hops = hopAddresses(result);
    assert.deepEqual(hops.slice(0, 2), fullyAnswered(routers(chain, 2)));
    assert.ok(hops.slice(2).every((h) => h.every((a) => a === '*')));
    assert.equal(hops.length, 2 + 5);
    assert.deepEqual(result.destination, { reached: false, hop: null, state: 'filtered', reason: 'timeout', by: null });
  });
});

test("TCP dropped by r2's FORWARD rule: the last hop that answers is r2", async (t) => {
  await withChain(t, { routers: 3 }, async (chain) => {
    await chain.startServices({ tcp: [8443] });
    chain.exec(chain.routers[1]!, 'iptables', ['-A', 'FORWARD', '-p', 'tcp', '--dport', '8443', '-j', 'DROP']);
    const result = await traceJson(chain, [chain.serverAddress(4), '8443']);
    const hops = hopAddresses(result);
    assert.deepEqual(hops.slice(0, 2), fullyAnswered(routers(chain, 2)));
    assert.ok(hops.slice(2).every((h) => h.every((a) => a === '*')), JSON.stringify(hops));
    assert.equal(result.destination.state, 'filtered');
    assert.ok(result.durationMs < 2000, `took ${result.durationMs} ms`);
  });
});

test('TCP rejected by r2 with ICMP admin-prohibited: filtered, and r2 is named', async (t) => {
  await withChain(t, { routers: 3 }, async (chain) => {
    await chain.startServices({ tcp: [3389] });
    chain.exec(chain.routers[1]!, 'iptables', ['-A', 'FORWARD', '-p', 'tcp', '--dport', '3389', '-j', 'REJECT', '--reject-with', 'icmp-admin-prohibited']);
    const result = await traceJson(chain, [chain.serverAddress(4), '3389']);
    // r2 answers time-exceeded for TTL 2 (the TTL check comes before FORWARD), then rejects TTL 3.
    assert.deepEqual(hopAddresses(result), fullyAnswered([...routers(chain, 2), chain.routerAddress(2, 4)]));
    assert.deepEqual(result.destination, { reached: false, hop: 3, state: 'filtered', reason: 'icmp-3/13', by: chain.routerAddress(2, 4) });
    assert.deepEqual(result.hops[2]!.probes[0]!.reply, { kind: 'unreachable', icmpType: 3, icmpCode: 13, name: 'communication administratively prohibited', ttl: 63 });
  });
});

test('a router that never sends time-exceeded shows as * and later hops are still found', async (t) => {
  await withChain(t, { routers: 3 }, async (chain) => {
    await chain.startServices({ tcp: [80] });
    chain.exec(chain.routers[1]!, 'iptables', ['-A', 'OUTPUT', '-p', 'icmp', '--icmp-type', 'time-exceeded', '-j', 'DROP']);
    const result = await traceJson(chain, [chain.serverAddress(4), '80']);
    assert.deepEqual(hopAddresses(result), [
      Array(3).fill(chain.routerAddress(1, 4)),
      ['*', '*', '*'],
      Array(3).fill(chain.routerAddress(3, 4)),
      Array(3).fill(chain.serverAddress(4)),
    ]);
    assert.equal(result.destination.state, 'open');
  });
});

test('--max-ttl short of the server: the routers up to it, nothing probed past it, not even by the follow-up', async (t) => {
  await withChain(t, { routers: 3 }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    // Every hop up to the cap answers and nothing ends the trace: the TTL after the last answer is past --max-ttl.
    const result = await traceJson(chain, ['--max-ttl', '2', chain.serverAddress(4), '443']);
    assert.deepEqual(hopAddresses(result), fullyAnswered(routers(chain, 2)));
    assert.ok(result.hops.every((h) => h.ttl <= 2), JSON.stringify(result.hops.map((h) => h.ttl)));
    assert.equal(result.destination.reached, false);
  });
});
