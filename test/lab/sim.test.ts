// The simulated Internet checked against the kernel, then used as a lab. The same small topology — client — r1 — r2 —
// r3 — server, r1 ICMP-silent, r2 dropping, rejecting and resetting ports, the server with open and closed TCP and UDP ports —
// is built once as namespaces with iptables and once as the simulator (with the namespaces' very addresses), and the
// real CLI must see the same hops, answers, reply TTLs, port states and diagnoses in both. Then: 20 targets of a
// generated Internet against its ground truth (on the bare TUN and behind the veth front), the start time for 10,000
// targets, a 30-hop path, an 8-wide diamond.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import type { Diagnosis } from '../../src/analyze/diagnose.js';
import type { TraceResult } from '../../src/engine/types.js';
import { startSimulatedInternet } from '../../src/lab/sim/simulated-internet.js';
import type { SimulatedInternet, SimulatedInternetOptions } from '../../src/lab/sim/simulated-internet.js';
import type { TargetTruth } from '../../src/lab/sim/ground-truth.js';
import type { TopologySpec } from '../../src/lab/sim/topology.js';
import type { PathsReport } from '../../src/trace/paths.js';
import { onceMoreIfBranchMissed, runCli, withChain, withLab } from './harness.js';

type Diagnosed = TraceResult & { diagnosis: Diagnosis; control?: TraceResult };

async function trace(namespace: string, args: string[]): Promise<Diagnosed> {
  const run = await runCli(namespace, ['-n', '--json', ...args]);
  assert.equal(run.code, 0, `portpath ${args.join(' ')}: ${run.stderr}`);
  return JSON.parse(run.stdout) as Diagnosed;
}

function withSim<T>(t: TestContext, options: SimulatedInternetOptions, fn: (sim: SimulatedInternet) => Promise<T>): Promise<T | undefined> {
  return withLab(t, () => startSimulatedInternet(options), fn);
}

/** Each probe's answer as text: who, what, and the TTL it arrived with. */
function answers(result: TraceResult): string[][] {
  return result.hops.map((hop) => hop.probes.map((p) => (p.from === null ? '*' : `${p.from} ${p.reply?.kind} ${p.reply?.icmpType ?? ''}/${p.reply?.icmpCode ?? ''} ttl=${p.reply?.ttl}`)));
}

/** What must be the same whichever network the trace ran on: everything but times. */
function seen(result: Diagnosed) {
  return {
    hops: answers(result),
    // How much of the probe each router quoted, and what in it changed on the way.
    quotes: result.hops.map((hop) => [hop.quote ?? null, hop.changes ?? []]),
    destination: result.destination,
    stoppedBy: result.stoppedBy,
    control: result.control ? { hops: answers(result.control), destination: result.control.destination } : null,
    evidence: result.diagnosis.evidence,
    verdict: result.diagnosis.verdict,
    hop: result.diagnosis.hop,
    by: result.diagnosis.by,
    upTo: result.diagnosis.upTo,
    confidence: result.diagnosis.confidence,
    explanation: result.diagnosis.explanation,
  };
}

const RULES = [
  { at: 2, protocol: 'tcp' as const, port: 8443, action: 'drop' as const },
  { at: 2, protocol: 'tcp' as const, port: 3389, action: 'reject' as const },
  { at: 2, protocol: 'tcp' as const, port: 25, action: 'reset' as const },
];
const TRACES: string[][] = [
  ['198.18.4.2', '80'],
  ['198.18.4.2', '81'],
  ['198.18.4.2', '8443'],
  ['198.18.4.2', '3389'],
  ['198.18.4.2', '25'],
  ['-U', '198.18.4.2', '53'],
  ['-U', '198.18.4.2', '54'],
  ['-I', '198.18.4.2'],
  ['2001:db8:4::2', '80'],
  ['2001:db8:4::2', '8443'],
  ['2001:db8:4::2', '3389'],
  ['2001:db8:4::2', '25'],
  ['-U', '2001:db8:4::2', '53'],
];

test('the simulator and the kernel give portpath the same hops, answers, port states and diagnoses', async (t) => {
  const kernel = new Map<string, ReturnType<typeof seen>>();
  await withChain(t, { routers: 3 }, async (chain) => {
    await chain.startServices({ tcp: [80], dns: [53] });
    const r = (i: number) => chain.routers[i - 1]!;
    for (const [tool, icmp, reject] of [['iptables', ['-p', 'icmp', '--icmp-type', 'time-exceeded'], 'icmp-admin-prohibited'], ['ip6tables', ['-p', 'icmpv6', '--icmpv6-type', 'time-exceeded'], 'icmp6-adm-prohibited']] as const) {
      chain.exec(r(1), tool, ['-A', 'OUTPUT', ...icmp, '-j', 'DROP']);
      chain.exec(r(2), tool, ['-A', 'FORWARD', '-p', 'tcp', '--dport', '8443', '-j', 'DROP']);
      chain.exec(r(2), tool, ['-A', 'FORWARD', '-p', 'tcp', '--dport', '3389', '-j', 'REJECT', '--reject-with', reject]);
      chain.exec(r(2), tool, ['-A', 'FORWARD', '-p', 'tcp', '--dport', '25', '-j', 'REJECT', '--reject-with', 'tcp-reset']);
    }
    for (const args of TRACES) kernel.set(args.join(' '), seen(await trace(chain.client.namespace, args)));
  });
  if (kernel.size === 0) return;
  await withSim(t, { topology: { preset: 'chain', routers: 3, services: { tcpOpen: [80], udpOpen: [53] }, silent: [1], rules: RULES } }, async (sim) => {
    for (const args of TRACES) {
      const simulated = seen(await trace(sim.namespace, args));
      assert.deepEqual(simulated, kernel.get(args.join(' ')), `portpath ${args.join(' ')}`);
    }
    // Every answer the simulator sent is in its log, with the probe it answered.
    const log = await sim.log();
    assert.ok(log.length > 100);
    assert.ok(log.every((record) => record.source === (record.family === 4 ? '198.18.1.1' : '2001:db8:1::1')));
  });
});

test("Linux's ICMP rate limit and the simulator's agree: 6 of a 10-probe burst answered, then one a second", async (t) => {
  // The burst first, while r3's bucket is full; --control none, so that nothing else spends it meanwhile.
  const burst = ['-q', '10', '-f', '3', '-m', '3', '--control', 'none', '198.18.4.2', '80'];
  const after = ['-q', '3', '-f', '3', '-m', '3', '--control', 'none', '198.18.4.2', '80'];
  const answered = (result: TraceResult) => result.hops.map((hop) => hop.probes.map((p) => (p.from ? '1' : '0')).join(''));
  const run = async (namespace: string) => {
    const first = answered(await trace(namespace, burst));
    await new Promise((resolve) => setTimeout(resolve, 1100));
    return [first, answered(await trace(namespace, after))];
  };
  const kernel = await withChain(t, { routers: 3, icmpRateLimit: [3] }, (chain) => run(chain.client.namespace));
  if (!kernel) return;
  assert.deepEqual(kernel, [['1111110000'], ['100']]);
  assert.deepEqual(await withSim(t, { topology: { preset: 'chain', routers: 3, icmpRateLimit: [3] } }, (sim) => run(sim.namespace)), kernel);
});

// A router that forges RSTs and never sends time exceeded. The tracer's first probe (at the maximum TTL) draws the
// forged RST, whose reply TTL puts the destination at the forger's hop; that hop stays silent, and the trace sends
// nothing past it yet reports the TTLs after it as unanswered probes and ends on the gap limit: filtered-in-path at
// hop 2 instead of reset-in-path at hop 3. The kernel and the simulator agree; the tracer is what is wrong.
const SILENT_FORGER = ['198.18.5.2', '25'];
const silentForger: TopologySpec = {
  preset: 'chain',
  routers: 4,
  ipv6: false,
  services: { tcpOpen: [25] },
  silent: [3],
  rules: [{ at: 3, protocol: 'tcp', port: 25, action: 'reset' }],
  targets: [{ protocol: 'tcp', port: 25 }],
};

test('a silent router forging RSTs: the simulator and the kernel give portpath the same trace', async (t) => {
  const kernel = await withChain(t, { routers: 4, ipv6: false }, async (chain) => {
    await chain.startServices({ tcp: [25] });
    chain.exec(chain.routers[2]!, 'iptables', ['-A', 'OUTPUT', '-p', 'icmp', '--icmp-type', 'time-exceeded', '-j', 'DROP']);
    chain.exec(chain.routers[2]!, 'iptables', ['-A', 'FORWARD', '-p', 'tcp', '--dport', '25', '-j', 'REJECT', '--reject-with', 'tcp-reset']);
    return seen(await trace(chain.client.namespace, SILENT_FORGER));
  });
  if (!kernel) return;
  const simulated = await withSim(t, { topology: silentForger }, async (sim) => seen(await trace(sim.namespace, SILENT_FORGER)));
  assert.deepEqual(simulated, kernel);
});

// The forged RST's TTL puts the destination at the silent forger's hop. When that answer came before the trace's
// first probes went out, the trace launched no farther, and when the silent hop then timed out (which lifts the
// limit) nothing was left to wait for: it ended there, calling TTLs it never probed silent. Five runs: it was a race.
test('a silent router forging RSTs is reset-in-path at its hop, whenever the forged RST arrives', async (t) => {
  await withSim(t, { topology: silentForger }, async (sim) => {
    const truth = sim.truth.targets[0]!;
    assert.deepEqual([truth.verdict, truth.hop, truth.by], ['reset-in-path', 3, null]);
    for (let run = 0; run < 5; run++) {
      const result = await trace(sim.namespace, SILENT_FORGER);
      assert.deepEqual([result.diagnosis.verdict, result.diagnosis.hop, result.diagnosis.by], [truth.verdict, truth.hop, truth.by], `run ${run + 1}`);
    }
  });
});

/** 20 targets of a generated Internet, traced one by one: portpath must find each one's verdict and stop hop. */
async function twentyTargets(t: TestContext, front: SimulatedInternetOptions['front']): Promise<void> {
  // Without ICMP rate limits, as the truth assumes: with Linux's, earlier traces spend the shared routers' budgets, and
  // a router silent for that reason next to a forged RST's distance meets the tracer flaw above.
  await withSim(t, { seed: 2024, targets: 400, ipv6: true, internet: { rateLimit: null }, front }, async (sim) => {
    const chosen = pickMixed(sim.truth.targets, 20);
    const wrong: string[] = [];
    for (const truth of chosen) {
      const args = [...(truth.protocol === 'udp' ? ['-U'] : truth.protocol === 'icmp' ? ['-I'] : []), truth.address, ...(truth.port === null ? [] : [String(truth.port)])];
      const result = await trace(sim.namespace, args);
      const got = { verdict: result.diagnosis.verdict, hop: result.diagnosis.hop };
      if (got.verdict !== truth.verdict || got.hop !== truth.hop) wrong.push(`${args.join(' ')} (${truth.fault}): truth ${truth.verdict} at ${truth.hop}, portpath ${got.verdict} at ${got.hop}: ${result.diagnosis.explanation}`);
    }
    assert.deepEqual(wrong, []);
    const log = await sim.log();
    t.diagnostic(`${chosen.length} traces drew ${log.length} answers from the simulator`);
  });
}

test('20 targets of a generated Internet: portpath finds the ground truth (verdict and stop hop)', (t) => twentyTargets(t, 'tun'));

// The same behind the veth front (the forwarder's TTL increment hides its hop): the truth needs no correction.
test('20 targets behind the veth front: the same verdicts and hops, no extra hop', (t) => twentyTargets(t, 'veth'));

/** `count` targets spread over every verdict and fault the truth has (round robin), IPv4 and IPv6. */
function pickMixed(targets: TargetTruth[], count: number): TargetTruth[] {
  const groups = new Map<string, TargetTruth[]>();
  for (const target of targets) {
    const key = `${target.fault}/${target.verdict}/${target.protocol}/${target.family}`;
    groups.set(key, [...(groups.get(key) ?? []), target]);
  }
  const chosen: TargetTruth[] = [];
  for (let round = 0; chosen.length < count; round++) {
    let added = false;
    for (const group of groups.values()) {
      const target = group[round];
      if (target && chosen.length < count) {
        chosen.push(target);
        added = true;
      }
    }
    if (!added) break;
  }
  return chosen;
}

test('10,000 targets start in under a second (printed), and the first one answers', async (t) => {
  await withSim(t, { seed: 10_000, targets: 10_000, ipv6: true }, async (sim) => {
    t.diagnostic(`simulated Internet with 10,000 targets (${sim.topology.nodes.length} nodes) started in ${sim.startMs.toFixed(0)} ms`);
    const open = sim.truth.targets.find((target) => target.verdict === 'open' && target.protocol === 'tcp')!;
    const result = await trace(sim.namespace, [open.address, String(open.port)]);
    assert.deepEqual([result.diagnosis.verdict, result.diagnosis.hop], ['open', open.hop]);
  });
});

test('a 30-hop path: portpath reaches the server at hop 30', async (t) => {
  await withSim(t, { topology: { preset: 'long', services: { tcpOpen: [443] } } }, async (sim) => {
    const result = await trace(sim.namespace, [sim.topology.nodes.at(-1)!.address[4], '443']);
    assert.deepEqual([result.destination.state, result.destination.hop, result.hops.length], ['open', 30, 30]);
  });
});

test('an 8-wide ECMP diamond: portpath paths finds every branch, each flow where the simulator says it went', async (t) => {
  // Without ICMP rate limits: with Linux's on every router, the joiner (hop 3, shared by all 8 branches) runs out of
  // budget under paths' ~50 flows and paths splits paths there (its known flaw, README "Every path to the port").
  await withSim(t, { topology: { preset: 'diamond', width: 8, services: { tcpOpen: [443] }, targets: [{ protocol: 'tcp', port: 443 }] } }, async (sim) => {
    const target = sim.targets[0]!;
    // At 99% per hop, 58 flows over 8 branches miss one 1 time in 100 (at the default 95%, 38 flows: 1 in 20, which
    // failed a CI run): one more run then, and two misses in a row fail.
    const paths = async () => {
      const run = await runCli(sim.namespace, ['paths', '-n', '--json', '--confidence', '99', target.address, '443']);
      assert.equal(run.code, 0, run.stderr);
      return JSON.parse(run.stdout) as PathsReport;
    };
    const report = await onceMoreIfBranchMissed(t, paths, (r) => r.paths.length === 8);
    assert.equal(report.paths.length, 8, report.summary);
    for (const path of report.paths) {
      for (const port of path.sourcePorts) {
        const expected = sim.path(target, { protocol: 'tcp', source: sim.clientAddress(4), destination: target.address, sourcePort: port, destinationPort: 443 });
        assert.equal(path.hops.find((h) => h.ttl === 2)?.address, expected[1], `flow from port ${port}`);
      }
    }
  });
});
