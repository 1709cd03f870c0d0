// UDP and ICMP echo traces through real routers.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fullyAnswered, hopAddresses, traceJson, withChain } from './harness.js';

test('UDP closed: the server answers port-unreachable', async (t) => {
  await withChain(t, { routers: 2 }, async (chain) => {
    const result = await traceJson(chain, ['-U', chain.serverAddress(4), '33434']);
    assert.deepEqual(hopAddresses(result), fullyAnswered([chain.routerAddress(1, 4), chain.routerAddress(2, 4), chain.serverAddress(4)]));
    assert.deepEqual(result.destination, { reached: true, hop: 3, state: 'closed', reason: 'icmp-3/3', by: chain.serverAddress(4) });
  });
});

test('UDP open: a DNS server answers the DNS query the probes carry', async (t) => {
  await withChain(t, { routers: 2 }, async (chain) => {
    await chain.startServices({ dns: [53] });
    const result = await traceJson(chain, ['-U', chain.serverAddress(4), '53']);
    assert.deepEqual(hopAddresses(result), fullyAnswered([chain.routerAddress(1, 4), chain.routerAddress(2, 4), chain.serverAddress(4)]));
    assert.deepEqual(result.destination, { reached: true, hop: 3, state: 'open', reason: 'udp', by: chain.serverAddress(4) });
  });
});

test('UDP open with an echo service on another port', async (t) => {
  await withChain(t, { routers: 1 }, async (chain) => {
    await chain.startServices({ udpEcho: [7007] });
    const result = await traceJson(chain, ['-U', chain.serverAddress(4), '7007']);
    assert.equal(result.destination.state, 'open');
    assert.ok(result.hops.at(-1)!.probes.every((p) => p.reply?.kind === 'udp'));
  });
});

test('UDP silently dropped at the server: open|filtered', async (t) => {
  await withChain(t, { routers: 1 }, async (chain) => {
    chain.exec(chain.server, 'iptables', ['-A', 'INPUT', '-p', 'udp', '--dport', '5000', '-j', 'DROP']);
    const result = await traceJson(chain, ['-U', chain.serverAddress(4), '5000']);
    assert.deepEqual(result.destination, { reached: false, hop: null, state: 'open|filtered', reason: 'timeout', by: null });
  });
});

test('ICMP echo reaches the server', async (t) => {
  await withChain(t, { routers: 3 }, async (chain) => {
    const result = await traceJson(chain, ['-I', chain.serverAddress(4)]);
    assert.equal(result.port, null);
    assert.deepEqual(
      hopAddresses(result),
      fullyAnswered([1, 2, 3].map((i) => chain.routerAddress(i, 4)).concat(chain.serverAddress(4))),
    );
    assert.deepEqual(result.destination, { reached: true, hop: 4, state: null, reason: 'echo-reply', by: chain.serverAddress(4) });
  });
});
