// The lab with two vantage points (src/lab/vantage.ts): the real CLI, run as root in each client namespace, reaches
// the server's open TCP port through that client's own first router and the shared core, over IPv4 and IPv6; and
// the management link carries TCP between the two clients, and nothing else.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import type { Family } from '../../src/lab/addressing.js';
import { labNamespaces } from '../../src/lab/cleanup.js';
import { namespaceOwner } from '../../src/lab/names.js';
import { buildVantageLab } from '../../src/lab/vantage.js';
import type { Vantage, VantageLab, VantageOptions } from '../../src/lab/vantage.js';
import { fullyAnswered, hopAddresses, traceJsonIn, withLab } from './harness.js';

const PORT = 443;

const withVantageLab = (t: TestContext, options: VantageOptions, fn: (lab: VantageLab) => Promise<void>) =>
  withLab(t, () => buildVantageLab(options), fn);

const client = (lab: VantageLab, which: Vantage) => (which === 'A' ? lab.clientA : lab.clientB);

/** Traces the server's TCP port from client `which` and checks every hop of its path and the open port. */
async function assertTracesThroughOwnPath(lab: VantageLab, which: Vantage, family: Family): Promise<void> {
  const result = await traceJsonIn(client(lab, which).namespace, [`-${family}`, lab.serverAddress(family), String(PORT)]);
  const hops = hopAddresses(result);
  const firstRouter = which === 'A' ? lab.routerA : lab.routerB;
  assert.deepEqual(hops[0], fullyAnswered([lab.routerAddress(firstRouter, which, family)])[0], `client ${which}, IPv${family}: hop 1`);
  assert.deepEqual(hops[1], fullyAnswered([lab.routerAddress(lab.core[0]!, which, family)])[0], `client ${which}, IPv${family}: hop 2`);
  assert.deepEqual(hops, fullyAnswered(lab.pathFrom(which, family)), `client ${which}, IPv${family}`);
  assert.deepEqual(result.destination, { reached: true, hop: lab.core.length + 2, state: 'open', reason: 'syn-ack', by: lab.serverAddress(family) });
}

/** Whether a TCP connection from `from` to address:port completes (bash's /dev/tcp, within 5 s). */
function connects(lab: VantageLab, from: Vantage, address: string, port: number): boolean {
  const output = lab.exec(client(lab, from), 'timeout', ['5', 'bash', '-c', 'echo > "/dev/tcp/$0/$1" && echo connected', address, String(port)], { allowFailure: true });
  return output.trim() === 'connected';
}

/** The device the client's kernel sends to `address` by. */
function routeDevice(lab: VantageLab, from: Vantage, address: string): string {
  const [route] = JSON.parse(lab.exec(client(lab, from), 'ip', ['-j', 'route', 'get', address])) as { dev: string }[];
  return route!.dev;
}

test('each client traces the server through its own first router and the shared core, IPv4 and IPv6', async (t) => {
  await withVantageLab(t, {}, async (lab) => {
    await lab.startServices({ tcp: [PORT] });
    // The address plan, spelled out once: client A's path is links 1, 3, 5; client B's 2, 4, 5.
    assert.deepEqual(lab.pathFrom('A', 4), ['198.18.1.2', '198.18.3.2', '198.18.5.2']);
    assert.deepEqual(lab.pathFrom('B', 4), ['198.18.2.2', '198.18.4.2', '198.18.5.2']);
    assert.deepEqual(lab.pathFrom('B', 6), ['2001:db8:2::2', '2001:db8:4::2', '2001:db8:5::2']);
    assert.throws(() => lab.routerAddress(lab.routerA, 'B', 4), RangeError);
    // Both vantage points at once, as two exporters would probe.
    for (const family of [4, 6] as const) {
      await Promise.all((['A', 'B'] as const).map((which) => assertTracesThroughOwnPath(lab, which, family)));
    }
  });
  // destroy() left nothing of this lab (nor of any other lab of this process) behind.
  if (process.getuid?.() === 0) {
    assert.deepEqual(labNamespaces().filter((n) => namespaceOwner(n) === process.pid), []);
  }
});

test('with several core routers both paths meet at core1 and share the rest', async (t) => {
  await withVantageLab(t, { coreRouters: 3 }, async (lab) => {
    await lab.startServices({ tcp: [PORT] });
    assert.equal(lab.core.length, 3);
    assert.equal(lab.routerAddress('core2', 'A', 4), lab.routerAddress('core2', 'B', 4));
    for (const family of [4, 6] as const) {
      await Promise.all((['A', 'B'] as const).map((which) => assertTracesThroughOwnPath(lab, which, family)));
    }
  });
});

test('the management link carries TCP between the two clients, and probes never take it', async (t) => {
  await withVantageLab(t, {}, async (lab) => {
    const MANAGEMENT_PORT = 9100;
    // Listeners on the management addresses only, as an exporter bound to its scrape address.
    await lab.startServices({ tcp: [MANAGEMENT_PORT], host: lab.managementAddress('B') }, lab.clientB);
    await lab.startServices({ tcp: [MANAGEMENT_PORT], host: lab.managementAddress('A') }, lab.clientA);
    assert.deepEqual([lab.managementAddress('A'), lab.managementAddress('B')], ['198.18.0.1', '198.18.0.2']);
    assert.ok(connects(lab, 'A', lab.managementAddress('B'), MANAGEMENT_PORT), "client A reaches client B's listener");
    assert.ok(connects(lab, 'B', lab.managementAddress('A'), MANAGEMENT_PORT), "client B reaches client A's listener");
    // The listener is on the management address only: client B's path address has none.
    assert.ok(!connects(lab, 'A', lab.clientAddress('B', 4), MANAGEMENT_PORT));
    // Each client reaches the other by the management link (pp0a/pp0b) and the server by its path (pp1a/pp2a).
    assert.equal(routeDevice(lab, 'A', lab.managementAddress('B')), 'pp0a');
    assert.equal(routeDevice(lab, 'B', lab.managementAddress('A')), 'pp0b');
    assert.equal(routeDevice(lab, 'A', lab.serverAddress(4)), 'pp1a');
    assert.equal(routeDevice(lab, 'B', lab.serverAddress(4)), 'pp2a');
    assert.equal(routeDevice(lab, 'A', lab.clientAddress('B', 4)), 'pp1a');
  });
});

test('a vantage lab has 1..200 core routers; other counts are refused before anything is built', async () => {
  for (const coreRouters of [0, 201, 1.5]) await assert.rejects(buildVantageLab({ coreRouters }), RangeError);
});
