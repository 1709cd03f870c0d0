// The diagnosis against real routers: each firewall or middlebox a real network has, built with iptables on a
// namespace router, and the verdict, hop and culprit portpath names for it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Diagnosis } from '../../src/analyze/diagnose.js';
import type { TraceResult } from '../../src/engine/types.js';
import type { Chain } from '../../src/lab/topology.js';
import { runCli, withChain } from './harness.js';

type Diagnosed = TraceResult & { diagnosis: Diagnosis; control?: TraceResult };

async function diagnosed(chain: Chain, args: string[]): Promise<Diagnosed> {
  const run = await runCli(chain.client.namespace, ['-n', '--json', ...args]);
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as Diagnosed;
}

const verdict = (r: Diagnosed) => ({ verdict: r.diagnosis.verdict, hop: r.diagnosis.hop, by: r.diagnosis.by });
const r = (chain: Chain, i: number, family: 4 | 6 = 4) => chain.routerAddress(i, family);
const iptables = (chain: Chain, router: number, args: string[], tool = 'iptables') => chain.exec(chain.routers[router - 1]!, tool, args);

test('open and closed: the destination answers, the control agrees (high confidence)', async (t) => {
  await withChain(t, { routers: 2 }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    const open = await diagnosed(chain, [chain.serverAddress(4), '443']);
    assert.deepEqual(verdict(open), { verdict: 'open', hop: 3, by: chain.serverAddress(4) });
    assert.equal(open.diagnosis.confidence, 'high');
    assert.equal(open.control?.destination.hop, 3);
    const closed = await diagnosed(chain, [chain.serverAddress(4), '444']);
    assert.deepEqual(verdict(closed), { verdict: 'closed', hop: 3, by: chain.serverAddress(4) });
  });
});

test("FORWARD DROP on r2: filtered-in-path after r2, while ICMP reaches the server", async (t) => {
  await withChain(t, { routers: 3 }, async (chain) => {
    iptables(chain, 2, ['-A', 'FORWARD', '-p', 'tcp', '--dport', '8443', '-j', 'DROP']);
    const result = await diagnosed(chain, [chain.serverAddress(4), '8443']);
    assert.deepEqual(verdict(result), { verdict: 'filtered-in-path', hop: 2, by: r(chain, 2) });
    assert.equal(result.diagnosis.confidence, 'high');
    assert.match(result.diagnosis.explanation, /TCP\/8443 is dropped between hop 2 \(198\.18\.2\.2\) and hop 3; ICMP echo reaches the destination at hop 4/);
    // Without the control the same silence could be a broken path: the verdict stays, the confidence drops.
    const blind = await diagnosed(chain, ['--control', 'none', chain.serverAddress(4), '8443']);
    assert.deepEqual(verdict(blind), { verdict: 'filtered-in-path', hop: 2, by: r(chain, 2) });
    assert.equal(blind.diagnosis.confidence, 'low');
  });
});

test('REJECT with icmp-admin-prohibited on r2: rejected-in-path, by r2', async (t) => {
  await withChain(t, { routers: 3 }, async (chain) => {
    iptables(chain, 2, ['-A', 'FORWARD', '-p', 'tcp', '--dport', '3389', '-j', 'REJECT', '--reject-with', 'icmp-admin-prohibited']);
    const result = await diagnosed(chain, [chain.serverAddress(4), '3389']);
    assert.deepEqual(verdict(result), { verdict: 'rejected-in-path', hop: 3, by: r(chain, 2) });
    assert.match(result.diagnosis.explanation, /administratively prohibited/);
  });
});

test('REJECT with tcp-reset on r2: the RST is forged in the destination\'s name — reset-in-path at r2', async (t) => {
  await withChain(t, { routers: 3 }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    iptables(chain, 2, ['-A', 'FORWARD', '-p', 'tcp', '--dport', '443', '-j', 'REJECT', '--reject-with', 'tcp-reset']);
    const result = await diagnosed(chain, [chain.serverAddress(4), '443']);
    // The plain port state is fooled (a RST from the server's address), the diagnosis is not.
    assert.equal(result.destination.state, 'closed');
    assert.deepEqual(verdict(result), { verdict: 'reset-in-path', hop: 2, by: r(chain, 2) });
    assert.equal(result.diagnosis.confidence, 'high');
    assert.ok(result.diagnosis.evidence.some((e) => /IP TTL says it was sent 2 hops away/.test(e)), result.diagnosis.evidence.join('\n'));
  });
});

test('r2 redirects the port to its own listener: terminated-in-path at r2', async (t) => {
  await withChain(t, { routers: 3 }, async (chain) => {
    await chain.startServices({ tcp: [9999] }, chain.routers[1]!);
    iptables(chain, 2, ['-t', 'nat', '-A', 'PREROUTING', '-p', 'tcp', '--dport', '8080', '-j', 'REDIRECT', '--to-ports', '9999']);
    const result = await diagnosed(chain, [chain.serverAddress(4), '8080']);
    assert.equal(result.destination.state, 'open');
    assert.deepEqual(verdict(result), { verdict: 'terminated-in-path', hop: 2, by: r(chain, 2) });
  });
});

test("dropped at the server's INPUT: filtered-at-destination", async (t) => {
  await withChain(t, { routers: 2 }, async (chain) => {
    chain.exec(chain.server, 'iptables', ['-A', 'INPUT', '-p', 'tcp', '--dport', '8080', '-j', 'DROP']);
    const result = await diagnosed(chain, [chain.serverAddress(4), '8080']);
    assert.deepEqual(verdict(result), { verdict: 'filtered-at-destination', hop: 2, by: chain.serverAddress(4) });
    assert.equal(result.diagnosis.confidence, 'high');
    // r2 dropping it on forwarding would look the same: both are named.
    assert.deepEqual(result.diagnosis.candidates.map((c) => c.by), [r(chain, 2), chain.serverAddress(4)]);
  });
});

test('route removed on r2: no-route at r2 for every protocol', async (t) => {
  await withChain(t, { routers: 3 }, async (chain) => {
    chain.exec(chain.routers[1]!, 'ip', ['route', 'del', '198.18.0.0/15']);
    const result = await diagnosed(chain, [chain.serverAddress(4), '443']);
    assert.deepEqual(verdict(result), { verdict: 'no-route', hop: 2, by: r(chain, 2) });
    assert.equal(result.control?.destination.reached, false);
  });
});

test('everything dropped past r2: no-answer past r2, not claimed a broken path (a dark server looks the same)', async (t) => {
  await withChain(t, { routers: 3 }, async (chain) => {
    iptables(chain, 2, ['-A', 'FORWARD', '-j', 'DROP']);
    const result = await diagnosed(chain, [chain.serverAddress(4), '443']);
    assert.deepEqual(verdict(result), { verdict: 'no-answer', hop: 2, by: r(chain, 2) });
    assert.ok(result.diagnosis.candidates.some((c) => c.role === 'destination'), JSON.stringify(result.diagnosis.candidates));
  });
});

test('a silent router before a filtering server: two stories fit, so the verdict is unknown', async (t) => {
  await withChain(t, { routers: 3 }, async (chain) => {
    iptables(chain, 3, ['-A', 'OUTPUT', '-p', 'icmp', '--icmp-type', 'time-exceeded', '-j', 'DROP']);
    chain.exec(chain.server, 'iptables', ['-A', 'INPUT', '-p', 'tcp', '--dport', '8080', '-j', 'DROP']);
    const result = await diagnosed(chain, [chain.serverAddress(4), '8080']);
    assert.equal(result.diagnosis.verdict, 'unknown');
    assert.equal(result.diagnosis.confidence, 'low');
    assert.equal(result.diagnosis.hop, 2);
  });
});

test('TCPMSS clamping and DSCP re-marking on r2 show in the quotes from hop 3 on', async (t) => {
  await withChain(t, { routers: 3 }, async (chain) => {
    await chain.startServices({ tcp: [80] });
    iptables(chain, 2, ['-t', 'mangle', '-A', 'FORWARD', '-p', 'tcp', '--tcp-flags', 'SYN,RST', 'SYN', '-j', 'TCPMSS', '--set-mss', '1000']);
    iptables(chain, 2, ['-t', 'mangle', '-A', 'FORWARD', '-p', 'tcp', '-j', 'DSCP', '--set-dscp', '10']);
    const result = await diagnosed(chain, [chain.serverAddress(4), '80']);
    assert.equal(result.diagnosis.verdict, 'open');
    assert.deepEqual(result.hops[1]!.changes, []);
    assert.equal(result.hops[1]!.quote, 'full');
    const fields = (result.hops[2]!.changes ?? []).map((c) => `${c.field}:${String(c.sent)}>${String(c.quoted)}`).sort();
    assert.deepEqual(fields, ['ip.dscp:0>10', 'tcp.mss:1460>1000']);
    assert.deepEqual(
      result.diagnosis.middleboxes.map((m) => [m.field, m.hop, m.by]).sort(),
      [['ip.dscp', 3, r(chain, 3)], ['tcp.mss', 3, r(chain, 3)]],
    );
    assert.equal(result.diagnosis.nat, null);
    // --compare runs its traces through the same skeleton: its hops carry the same details.
    const run = await runCli(chain.client.namespace, ['-n', '--json', '--compare', 'tcp:80,icmp', chain.serverAddress(4)]);
    assert.equal(run.code, 0, run.stderr);
    const [tcp] = (JSON.parse(run.stdout) as { compare: Diagnosed[] }).compare;
    const details = (r: Diagnosed) => r.hops.slice(0, 3).map((h) => ({ quote: h.quote, changes: (h.changes ?? []).map((c) => `${c.field}:${String(c.sent)}>${String(c.quoted)}`).sort() }));
    assert.deepEqual(details(tcp!), details(result));
  });
});

test('masquerading NAT on r2: Linux rewrites the quotes back, so the trace works and no NAT is claimed', async (t) => {
  await withChain(t, { routers: 3 }, async (chain) => {
    await chain.startServices({ tcp: [80] });
    iptables(chain, 2, ['-t', 'nat', '-A', 'POSTROUTING', '-o', 'pp3a', '-j', 'MASQUERADE']);
    const result = await diagnosed(chain, [chain.serverAddress(4), '80']);
    assert.deepEqual(
      result.hops.map((h) => h.probes[0]!.from),
      [r(chain, 1), r(chain, 2), r(chain, 3), chain.serverAddress(4)],
    );
    assert.deepEqual(verdict(result), { verdict: 'open', hop: 4, by: chain.serverAddress(4) });
    assert.equal(result.diagnosis.nat, null);
    assert.deepEqual(result.diagnosis.middleboxes, []);
  });
});

test('IPv6: a FORWARD DROP and an admin-prohibited REJECT on r2', async (t) => {
  await withChain(t, { routers: 3 }, async (chain) => {
    iptables(chain, 2, ['-A', 'FORWARD', '-p', 'tcp', '--dport', '8443', '-j', 'DROP'], 'ip6tables');
    iptables(chain, 2, ['-A', 'FORWARD', '-p', 'tcp', '--dport', '3389', '-j', 'REJECT', '--reject-with', 'icmp6-adm-prohibited'], 'ip6tables');
    const dropped = await diagnosed(chain, [chain.serverAddress(6), '8443']);
    assert.deepEqual(verdict(dropped), { verdict: 'filtered-in-path', hop: 2, by: r(chain, 2, 6) });
    assert.equal(dropped.diagnosis.confidence, 'high');
    const rejected = await diagnosed(chain, [chain.serverAddress(6), '3389']);
    assert.deepEqual(verdict(rejected), { verdict: 'rejected-in-path', hop: 3, by: r(chain, 2, 6) });
  });
});

test('rate limiting versus loss: slow re-probes tell them apart', async (t) => {
  await withChain(t, { routers: 2, icmpRateLimit: true }, async (chain) => {
    await chain.startServices({ tcp: [80] });
    // r1 keeps Linux's limit (6 in a burst, then 1/s): 10 probes at once overrun it.
    const limited = await diagnosed(chain, ['-q', '10', '--loss-test', '--control', 'none', chain.serverAddress(4), '80']);
    const hop1 = limited.hops[0]!;
    assert.ok(hop1.probes.filter((p) => p.from).length < 10, 'the burst limit should have cost answers');
    assert.equal(hop1.loss?.cause, 'rate-limit', JSON.stringify(hop1));
    assert.ok(limited.diagnosis.rateLimited.includes(1));
    // r2 loses every other time-exceeded it sends, however slowly it is asked.
    chain.exec(chain.routers[1]!, 'sysctl', ['-q', '-w', 'net.ipv4.icmp_ratelimit=0']);
    iptables(chain, 2, ['-A', 'OUTPUT', '-p', 'icmp', '--icmp-type', 'time-exceeded', '-m', 'statistic', '--mode', 'nth', '--every', '2', '--packet', '0', '-j', 'DROP']);
    const lossy = await diagnosed(chain, ['-q', '4', '--loss-test', '--control', 'none', chain.serverAddress(4), '80']);
    assert.equal(lossy.hops[1]!.loss?.cause, 'loss', JSON.stringify(lossy.hops[1]));
    assert.ok(lossy.diagnosis.lossy.includes(2));
  });
});

test('--compare traces TCP, UDP and ICMP side by side; each is diagnosed against the others', async (t) => {
  await withChain(t, { routers: 3 }, async (chain) => {
    await chain.startServices({ tcp: [80], dns: [53] });
    iptables(chain, 2, ['-A', 'FORWARD', '-p', 'tcp', '--dport', '443', '-j', 'REJECT', '--reject-with', 'tcp-reset']);
    const run = await runCli(chain.client.namespace, ['-n', '--json', '--compare', 'tcp:443,udp:53,icmp', chain.serverAddress(4)]);
    assert.equal(run.code, 0, run.stderr);
    const { compare } = JSON.parse(run.stdout) as { compare: Diagnosed[] };
    assert.deepEqual(compare.map((c) => `${c.protocol}/${String(c.port)}`), ['tcp/443', 'udp/53', 'icmp/null']);
    assert.deepEqual(verdict(compare[0]!), { verdict: 'reset-in-path', hop: 2, by: r(chain, 2) });
    assert.deepEqual(verdict(compare[1]!), { verdict: 'open', hop: 4, by: chain.serverAddress(4) });
    assert.deepEqual(verdict(compare[2]!), { verdict: 'reachable', hop: 4, by: chain.serverAddress(4) });
    const text = await runCli(chain.client.namespace, ['-n', '--compare', 'tcp:443,udp:53,icmp', chain.serverAddress(4)]);
    const header = text.stdout.split('\n')[1]!;
    assert.match(header, /^TTL\s+TCP\/443\s+UDP\/53\s+ICMP echo$/);
    assert.match(text.stdout, /^ {2}4 +\S* +198\.18\.4\.2 [\d.]+ [\d.]+ [\d.]+ +198\.18\.4\.2 /m);
  });
});
