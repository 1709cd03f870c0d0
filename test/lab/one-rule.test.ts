// One port-state rule everywhere: a port the server rejects with ICMP port unreachable (rate-limited like any
// router's ICMP: Linux's defaults on every node) gets the same verdict from a trace, a watch and a compare, and the
// watch calls none of the gaps its own pace would cause path loss. The follow-ups are polite: the server sees a
// handful of SYNs beyond the trace's own, never a burst. A router that answers no protocol next to a dropped port
// is named as a candidate, not re-asked for seconds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Chain } from '../../src/lab/topology.js';
import type { TraceReport } from '../../src/trace/trace.js';
import type { WatchReport } from '../../src/trace/watch.js';
import type { ComparedTrace } from '../../src/trace/compare.js';
import { runCli, withChain } from './harness.js';

async function json<T>(chain: Chain, args: string[]): Promise<T> {
  // A subcommand comes first.
  const [first, ...rest] = args;
  const run = await runCli(chain.client.namespace, first === 'watch' ? ['watch', '-n', '--json', ...rest] : ['-n', '--json', ...args]);
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as T;
}

/** Packets the server's INPUT rule for `port` has seen (iptables' own counter). */
function synsAt(chain: Chain, port: number): number {
  const listing = chain.exec(chain.server, 'iptables', ['-L', 'INPUT', '-v', '-n', '-x']);
  const line = listing.split('\n').find((l) => l.includes(`dpt:${port}`));
  return Number(line?.trim().split(/\s+/)[0] ?? NaN);
}

test('a port the server REJECTs with ICMP port unreachable: one verdict in trace, watch and compare; no path loss; no burst of SYNs', async (t) => {
  await withChain(t, { routers: 3, icmpRateLimit: true }, async (chain) => {
    await chain.startServices({ tcp: [80] });
    chain.exec(chain.server, 'iptables', ['-A', 'INPUT', '-p', 'tcp', '--dport', '9000', '-j', 'REJECT']);
    const server = chain.serverAddress(4);

    // What a trace itself sends the server (the probes at and past its TTL that go out before it is found)…
    const plain = await json<TraceReport>(chain, [server, '9000']);
    const own = synsAt(chain, 9000);
    // …and what the loss test adds on top: a few spaced probes at most, never the 20-probe burst routers get.
    await new Promise((resolve) => setTimeout(resolve, 6000)); // the server's ICMP budget refills
    const trace = await json<TraceReport>(chain, ['--loss-test', server, '9000']);
    const extra = synsAt(chain, 9000) - 2 * own;
    assert.ok(extra <= 5, `the loss test sent the server ${extra} SYNs beyond a trace's own ${own}: ${JSON.stringify(trace.hops.map((h) => h.loss ?? null))}`);
    for (const report of [plain, trace]) {
      assert.equal(report.diagnosis.verdict, 'filtered-at-destination', report.diagnosis.explanation);
      assert.equal(report.diagnosis.by, server);
    }

    // Faster than the server's ICMP budget refills (1/s after a burst of 6): the watch must pace the end itself.
    const watch = await json<WatchReport>(chain, ['watch', '-c', '12', '--interval', '0.3', server, '9000']);
    const context = JSON.stringify({ hops: watch.hops.map((h) => [h.ttl, h.sent, h.received, h.loss?.label]), forwarded: watch.forwardedLoss, port: watch.portState });
    assert.equal(watch.portState, 'rejected', context);
    assert.equal(watch.forwardedLoss, null, context);
    const end = watch.hops.find((h) => h.ttl === trace.destination.hop)!;
    assert.ok(end.sent < 12 && end.received >= end.sent - 1, context);
    assert.equal(watch.diagnosis?.verdict, 'filtered-at-destination', context);
    // The same watch as a person reads it (--report): no path loss, the port rejected, the same diagnosis.
    const text = await runCli(chain.client.namespace, ['watch', '-n', '--report', '-c', '12', '--interval', '0.3', server, '9000']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /Port 9000\/tcp: rejected/);
    assert.match(text.stdout, /Path loss: none/);
    assert.match(text.stdout, /Diagnosis: filtered-at-destination/);

    const compared = await json<{ compare: ComparedTrace[] }>(chain, ['--compare', 'tcp:9000,icmp', server]);
    assert.equal(compared.compare[0]!.diagnosis.verdict, 'filtered-at-destination');
    assert.equal(compared.compare[0]!.destination.state, trace.destination.state);
  });
});

test('a router that answers no protocol right after the hop that drops the port: both named, nothing re-asked', async (t) => {
  await withChain(t, { routers: 4 }, async (chain) => {
    await chain.startServices({ tcp: [9443] });
    // r2 drops TCP/9443 on its way on; r3 never sends time-exceeded (for any protocol).
    chain.exec(chain.routers[1]!, 'iptables', ['-A', 'FORWARD', '-p', 'tcp', '--dport', '9443', '-j', 'DROP']);
    chain.exec(chain.routers[2]!, 'iptables', ['-A', 'OUTPUT', '-p', 'icmp', '--icmp-type', 'time-exceeded', '-j', 'DROP']);
    const started = performance.now();
    const report = await json<TraceReport>(chain, [chain.serverAddress(4), '9443']);
    const seconds = (performance.now() - started) / 1000;
    const d = report.diagnosis;
    assert.equal(d.verdict, 'filtered-in-path', d.explanation);
    assert.equal(d.hop, 2);
    assert.equal(d.upTo, 3, d.explanation);
    assert.match(d.explanation, /or at hop 3, which answers no protocol/);
    assert.ok(report.hops.every((h) => (h.reprobes ?? []).length === 0), 'nothing should have been asked again');
    assert.ok(seconds < 1.5, `took ${seconds.toFixed(2)} s`);
  });
});

for (const limited of [true, [3]] as const) {
test(`three back-to-back traces of a port forwarded to a host that drops it: each names the forwarder (ICMP limits on ${limited === true ? 'every node' : 'the forwarder only'})`, async (t) => {
  await withChain(t, { routers: 3, ipv6: false, icmpRateLimit: limited === true ? true : [...limited] }, async (chain) => {
    const target = chain.routerAddress(3, 4);
    chain.exec(chain.routers[2]!, 'iptables', ['-t', 'nat', '-A', 'PREROUTING', '-d', target, '-p', 'tcp', '--dport', '8081', '-j', 'DNAT', '--to-destination', `${chain.serverAddress(4)}:8081`]);
    chain.exec(chain.routers[2]!, 'iptables', ['-t', 'nat', '-A', 'PREROUTING', '-d', target, '-p', 'tcp', '--dport', '8080', '-j', 'DNAT', '--to-destination', `${chain.serverAddress(4)}:80`]);
    chain.exec(chain.server, 'iptables', ['-A', 'INPUT', '-p', 'tcp', '--dport', '8081', '-j', 'DROP']);
    await chain.startServices({ tcp: [80] });
    // The forwarded open port twice first, as a user checking "that one works" would: the forwarder's budget goes.
    for (let run = 1; run <= 2; run++) assert.equal((await json<TraceReport>(chain, [target, '8080'])).diagnosis.verdict, 'open');
    for (let run = 1; run <= 3; run++) {
      const report = await json<TraceReport>(chain, [target, '8081']);
      const d = report.diagnosis;
      assert.deepEqual(d.forwarder, { hop: 3, address: target, serviceHop: null, stops: 'behind' }, `run ${run}: ${d.verdict} ${d.explanation}\n${d.evidence.join('\n')}`);
    }
  });
});
}
