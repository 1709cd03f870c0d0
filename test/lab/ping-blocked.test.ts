// Destinations that drop ICMP echo (most cloud servers: security groups do by default) and boundaries that cannot be
// split, against real routers: where the echo control fails, the reach check finds the server with another method,
// and the diagnosis claims only what the evidence shows — a filtered port there is never called a broken path, the
// last router and the server are named together where a drop at either looks the same, and a server that answers
// nothing is 'no-answer', with what was tried. The reach check's cost is counted: a ping-blocked server with the port
// open costs nothing extra (the check does not run), a filtered one a few probes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Chain, LabNode } from '../../src/lab/topology.js';
import type { TraceReport } from '../../src/trace/trace.js';
import type { ComparedTrace } from '../../src/trace/compare.js';
import { runCli, withChain } from './harness.js';

async function trace(chain: Chain, args: string[]): Promise<TraceReport> {
  const run = await runCli(chain.client.namespace, ['-n', '--json', ...args]);
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as TraceReport;
}

const iptables = (chain: Chain, node: LabNode, ...rule: string[]) => chain.exec(node, 'iptables', ['-A', ...rule]);
const dropPing = (chain: Chain) => iptables(chain, chain.server, 'INPUT', '-p', 'icmp', '--icmp-type', 'echo-request', '-j', 'DROP');
const r = (chain: Chain, i: number) => chain.routerAddress(i, 4);
const context = (report: TraceReport) => `${report.diagnosis.verdict}@${report.diagnosis.hop}: ${report.diagnosis.explanation}\n${report.diagnosis.evidence.join('\n')}`;

test('the server drops ping and the port: filtered at the destination or r3, found on TCP/443 — not a broken path', async (t) => {
  await withChain(t, { routers: 3, icmpRateLimit: true }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    dropPing(chain);
    iptables(chain, chain.server, 'INPUT', '-p', 'tcp', '--dport', '9443', '-j', 'DROP');
    const report = await trace(chain, [chain.serverAddress(4), '9443']);
    assert.equal(report.diagnosis.verdict, 'filtered-at-destination', context(report));
    assert.deepEqual(report.diagnosis.candidates.map((c) => [c.hop, c.by, c.role]), [[3, r(chain, 3), 'router'], [4, chain.serverAddress(4), 'destination']]);
    assert.match(report.diagnosis.explanation, /ICMP echo gets no further than hop 3 .*, but TCP\/443 reaches the destination at hop 4/);
    assert.match(report.diagnosis.explanation, /cannot be told apart/);
    assert.deepEqual([report.diagnosis.reach?.found, report.diagnosis.reach?.hop, report.diagnosis.reach?.by], ['tcp:443', 4, chain.serverAddress(4)]);
    // The cost: one probe found it; placing it, one per TTL from hop 4 to two past where its reply TTL puts it.
    assert.ok(report.reach && report.reach.probes <= 4, JSON.stringify(report.reach?.probes));
  });
});

test('the server drops ping, the port is open or closed: the port answers, no reach check runs (no probe, no second)', async (t) => {
  await withChain(t, { routers: 3, icmpRateLimit: true }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    dropPing(chain);
    const open = await trace(chain, [chain.serverAddress(4), '443']);
    assert.deepEqual([open.diagnosis.verdict, open.diagnosis.hop], ['open', 4], context(open));
    assert.equal(open.reach, undefined);
    const closed = await trace(chain, [chain.serverAddress(4), '444']);
    assert.deepEqual([closed.diagnosis.verdict, closed.diagnosis.hop], ['closed', 4], context(closed));
    assert.equal(closed.reach, undefined);
  });
});

test('the server drops ping, r2 drops the port: filtered in the path at r2, the reach check shows traffic gets past it', async (t) => {
  await withChain(t, { routers: 3, icmpRateLimit: true }, async (chain) => {
    dropPing(chain);
    iptables(chain, chain.routers[1]!, 'FORWARD', '-p', 'tcp', '--dport', '9443', '-j', 'DROP');
    const report = await trace(chain, [chain.serverAddress(4), '9443']);
    assert.deepEqual([report.diagnosis.verdict, report.diagnosis.hop, report.diagnosis.by], ['filtered-in-path', 2, r(chain, 2)], context(report));
    assert.ok(report.diagnosis.candidates.some((c) => c.by === r(chain, 2)));
    assert.equal(report.diagnosis.confidence, 'high', context(report));
  });
});

test('r2 drops forwarded echo and the server drops the port: the echo stops after hop 2, TCP/443 finds the server; not a broken path', async (t) => {
  await withChain(t, { routers: 3, icmpRateLimit: true }, async (chain) => {
    iptables(chain, chain.routers[1]!, 'FORWARD', '-p', 'icmp', '--icmp-type', 'echo-request', '-j', 'DROP');
    iptables(chain, chain.server, 'INPUT', '-p', 'tcp', '--dport', '9443', '-j', 'DROP');
    const report = await trace(chain, [chain.serverAddress(4), '9443']);
    assert.equal(report.diagnosis.verdict, 'filtered-at-destination', context(report));
    assert.equal(report.diagnosis.control?.lastHop, 2);
    assert.ok(report.diagnosis.candidates.some((c) => c.by === chain.serverAddress(4)));
    assert.match(report.diagnosis.explanation, /ICMP echo gets no further than hop 2/);
  });
});

test('the last router filters the port, ping allowed: r3 and the server named together, with echo or --control tcp:80', async (t) => {
  await withChain(t, { routers: 3, icmpRateLimit: true }, async (chain) => {
    await chain.startServices({ tcp: [80] });
    iptables(chain, chain.routers[2]!, 'FORWARD', '-p', 'tcp', '--dport', '9444', '-j', 'DROP');
    for (const control of [[], ['--control', 'tcp:80']]) {
      const report = await trace(chain, [...control, chain.serverAddress(4), '9444']);
      assert.equal(report.diagnosis.verdict, 'filtered-at-destination', context(report));
      assert.deepEqual(report.diagnosis.candidates.map((c) => c.by), [r(chain, 3), chain.serverAddress(4)], context(report));
      assert.match(report.diagnosis.explanation, /dropped by hop 3 \(198\.18\.3\.2\) or by the destination/);
    }
  });
});

test('a server that drops everything: no-answer past r3, every method tried named, never unreachable; --compare says the same', async (t) => {
  await withChain(t, { routers: 3, icmpRateLimit: true }, async (chain) => {
    iptables(chain, chain.server, 'INPUT', '-j', 'DROP');
    const report = await trace(chain, [chain.serverAddress(4), '9443']);
    assert.deepEqual([report.diagnosis.verdict, report.diagnosis.hop, report.diagnosis.by], ['no-answer', 3, r(chain, 3)], context(report));
    assert.ok(report.diagnosis.candidates.some((c) => c.role === 'destination' && c.by === chain.serverAddress(4)));
    assert.deepEqual(report.diagnosis.reach?.tried.map((m) => m.method), ['tcp:443', 'tcp:80', 'tcp:22', 'tcp-ack:9443', 'udp:33434']);
    assert.match(report.diagnosis.explanation, /none of TCP\/9443, ICMP echo, TCP\/443, TCP\/80, TCP\/22, TCP ACK\/9443 or UDP\/33434/);
    assert.match(report.diagnosis.explanation, /security group/);
    // A few probes, spaced: one per method, and a second round when the first found nothing.
    assert.equal(report.reach?.probes, 10);
    // The user's own extra control is tried first.
    const own = await trace(chain, ['--control', 'icmp,tcp:8080', chain.serverAddress(4), '9443']);
    assert.equal(own.diagnosis.reach?.tried[0]?.method, 'tcp:8080');
    const run = await runCli(chain.client.namespace, ['-n', '--json', '--compare', 'tcp:9443,icmp', chain.serverAddress(4)]);
    assert.equal(run.code, 0, run.stderr);
    const compared = (JSON.parse(run.stdout) as { compare: ComparedTrace[] }).compare;
    assert.deepEqual(compared.map((c) => c.diagnosis.verdict), ['no-answer', 'no-answer']);
  });
});

test('a ping-blocked server found by TCP ACK: SYNs to every port dropped statelessly, the ACK draws its RST', async (t) => {
  await withChain(t, { routers: 2, icmpRateLimit: true }, async (chain) => {
    dropPing(chain);
    iptables(chain, chain.server, 'INPUT', '-p', 'tcp', '--syn', '-j', 'DROP');
    iptables(chain, chain.server, 'INPUT', '-p', 'udp', '-j', 'DROP');
    const report = await trace(chain, [chain.serverAddress(4), '9443']);
    assert.equal(report.diagnosis.reach?.found, 'tcp-ack:9443', context(report));
    assert.equal(report.diagnosis.verdict, 'filtered-at-destination', context(report));
    assert.match(report.diagnosis.explanation, /TCP ACK\/9443 reaches the destination at hop 3/);
  });
});

test('as an unprivileged user: the reach check finds the server with connect() on TCP/443 (no TCP ACK without raw sockets)', async (t) => {
  await withChain(t, { routers: 3, icmpRateLimit: true }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    chain.exec(chain.client, 'sysctl', ['-q', '-w', `net.ipv4.ping_group_range=0 ${2 ** 31 - 1}`]);
    dropPing(chain);
    iptables(chain, chain.server, 'INPUT', '-p', 'tcp', '--dport', '9443', '-j', 'DROP');
    const run = await runCli(chain.client.namespace, ['-n', '--json', chain.serverAddress(4), '9443'], { asUser: 65534 });
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as TraceReport;
    assert.equal(report.mode, 'unprivileged');
    assert.equal(report.diagnosis.verdict, 'filtered-at-destination', context(report));
    assert.deepEqual([report.diagnosis.reach?.found, report.diagnosis.reach?.hop], ['tcp:443', 4]);
    iptables(chain, chain.server, 'INPUT', '-j', 'DROP');
    const dark = JSON.parse((await runCli(chain.client.namespace, ['-n', '--json', chain.serverAddress(4), '9443'], { asUser: 65534 })).stdout) as TraceReport;
    assert.equal(dark.diagnosis.verdict, 'no-answer', context(dark));
    assert.ok(!dark.diagnosis.reach?.tried.some((m) => m.method.startsWith('tcp-ack')), JSON.stringify(dark.diagnosis.reach));
  });
});
