// `portpath paths` against real ECMP diamonds (src/lab/diamond.ts: an L4-hashing splitter, Linux's ICMP rate limits
// on every router): every branch found, each path's flows really on the branch the kernel says (branchOf), a branch
// that drops or rejects the port named with a source port that reproduces it — and a trace with that --sport shows
// the same — a healthy diamond never called broken, one path said to be one, and no raw sockets refused clearly.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { buildDiamond } from '../../src/lab/diamond.js';
import type { Diamond, DiamondOptions } from '../../src/lab/diamond.js';
import type { PathsReport } from '../../src/trace/paths.js';
import type { TraceReport } from '../../src/trace/trace.js';
import { onceMoreIfBranchMissed, requireRoot, runCli, withChain } from './harness.js';

const PORT = 443;

async function withDiamond(t: TestContext, options: DiamondOptions, fn: (diamond: Diamond) => Promise<void>): Promise<void> {
  if (!requireRoot(t)) return;
  const diamond = await buildDiamond({ ipv6: false, icmpRateLimit: true, ...options });
  try {
    await diamond.startServices({ tcp: [PORT] });
    await fn(diamond);
  } finally {
    await diamond.destroy();
  }
}

async function paths(namespace: string, args: string[]): Promise<PathsReport> {
  const run = await runCli(namespace, ['paths', '-n', '--json', ...args]);
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as PathsReport;
}

/** Each path's flows went down the branch the kernel says, and its hop 2 is that branch's router. */
function assertFlowsOnTheirBranches(diamond: Diamond, report: PathsReport): void {
  for (const path of report.paths) {
    const hop2 = path.hops.find((h) => h.ttl === 2)?.address;
    for (const port of path.sourcePorts) {
      const branch = diamond.branchOf('tcp', port, PORT, 4);
      assert.equal(hop2, diamond.branchRouterAddress(branch, 0, 4), `flow ${port} (branch ${branch}) drawn on path ${path.id}: ${report.summary}`);
    }
  }
}

const branchesFound = (diamond: Diamond, report: PathsReport) =>
  new Set(report.paths.flatMap((p) => diamond.branches.flatMap((_, b) => (p.hops.some((h) => h.address === diamond.branchRouterAddress(b, 0, 4)) ? [b] : []))));

/** A paths run that met every branch (by default: each branch's router on some path), run once more when not. */
const pathsMeetingEveryBranch = (t: TestContext, diamond: Diamond, args: string[], met = (report: PathsReport) => branchesFound(diamond, report).size === diamond.branches.length) =>
  onceMoreIfBranchMissed(t, () => paths(diamond.client.namespace, args), met);

test('healthy diamonds of width 2 and 4: the branches found, every flow on its true branch, all paths open (99% per hop)', async (t) => {
  for (const width of [2, 4]) {
    await withDiamond(t, { width }, async (diamond) => {
      const least = width === 2 ? 2 : 3;
      const report = await pathsMeetingEveryBranch(t, diamond, ['--confidence', '99', diamond.serverAddress(4), String(PORT)], (r) => branchesFound(diamond, r).size >= least);
      assert.equal(report.agree, true, report.summary);
      assert.ok(report.paths.every((p) => p.end.kind === 'destination' && p.end.state === 'open'), report.summary);
      assertFlowsOnTheirBranches(diamond, report);
      // The rule makes missing a branch unlikely, not impossible (the kernel's hash is not even): all of two, at
      // least three of four.
      assert.ok(branchesFound(diamond, report).size >= least, `${report.summary} (flows per hop ${JSON.stringify(report.flowsPerHop)})`);
      assert.match(report.summary, /^TCP\/443 is open at hop 4 on all \d paths/);
    });
  }
});

test('branches of unequal length, IPv4 and IPv6: each path is exactly the routers its flows cross, the server one hop later on the longer', async (t) => {
  await withDiamond(t, { width: 2, branchHops: [1, 2], ipv6: true }, async (diamond) => {
    for (const family of [4, 6] as const) {
      const report = await paths(diamond.client.namespace, [`-${family}`, '--confidence', '99', diamond.serverAddress(family), String(PORT)]);
      assert.equal(report.agree, true, report.summary);
      for (const path of report.paths) {
        const branch = diamond.branchOf('tcp', path.reproduce, PORT, family);
        const expected = diamond.pathThrough(branch, family);
        assert.deepEqual([...path.hops.map((h) => h.address), path.end.kind === 'destination' ? path.end.address : null], expected, `IPv${family} path ${path.id}: ${report.summary}`);
        for (const port of path.sourcePorts) assert.equal(diamond.branchOf('tcp', port, PORT, family), branch, `IPv${family} flow ${port}`);
      }
    }
  });
});

test('a branch whose router never answers: its flows drawn on a path of their own with * at that hop, not filled in with the other branch\'s router', async (t) => {
  await withDiamond(t, { width: 2, silentBranch: 1 }, async (diamond) => {
    const hop2s = (r: PathsReport) => new Set(r.paths.map((p) => p.hops.find((h) => h.ttl === 2)?.address ?? null));
    const report = await pathsMeetingEveryBranch(t, diamond, ['--confidence', '99', diamond.serverAddress(4), String(PORT)], (r) => hop2s(r).size === 2);
    assert.ok(report.agree, report.summary);
    // By hop 2 there are two paths: branch 0's router, and * for branch 1. (The joiner, rate-limited by the flows of
    // both, may leave some flows silent at hop 3 too, which can split a path there: a known flaw, left in view.)
    assert.deepEqual(hop2s(report), new Set([diamond.branchRouterAddress(0, 0, 4), null]), report.summary);
    for (const path of report.paths) {
      const hop2 = path.hops.find((h) => h.ttl === 2)?.address ?? null;
      assert.ok(path.sourcePorts.every((port) => (diamond.branchOf('tcp', port, PORT, 4) === 1) === (hop2 === null)), `path ${path.id} mixes branches: ${report.summary}`);
    }
  });
});

test('one branch drops the port: its router named, with a source port that reproduces it — and a trace on that port stops there', async (t) => {
  await withDiamond(t, { width: 2 }, async (diamond) => {
    const bad = diamond.branchRouterAddress(1, 0, 4);
    diamond.exec(diamond.branches[1]![0]!, 'iptables', ['-A', 'FORWARD', '-p', 'tcp', '--dport', String(PORT), '-j', 'DROP']);
    const report = await pathsMeetingEveryBranch(t, diamond, ['--confidence', '99', diamond.serverAddress(4), String(PORT)]);
    assert.equal(report.agree, false, report.summary);
    const broken = report.paths.find((p) => p.end.kind === 'silent')!;
    assert.deepEqual(broken.end, { kind: 'silent', after: { ttl: 2, address: bad } });
    assert.equal(diamond.branchOf('tcp', broken.reproduce, PORT, 4), 1);
    assert.match(report.summary, new RegExp(`flows through ${bad.replaceAll('.', '\\.')} \\(hop 2\\) .* are dropped after hop 2 .* reproduce with --sport ${broken.reproduce}`));
    assertFlowsOnTheirBranches(diamond, report);
    // The reproduction: a trace from that source port goes down the bad branch and stops after it.
    const run = await runCli(diamond.client.namespace, ['-n', '--json', '--sport', String(broken.reproduce), diamond.serverAddress(4), String(PORT)]);
    const traced = JSON.parse(run.stdout) as TraceReport;
    assert.deepEqual([traced.diagnosis.verdict, traced.diagnosis.hop, traced.diagnosis.by], ['filtered-in-path', 2, bad], traced.diagnosis.explanation);
  });
});

test('UDP flows: a branch that drops UDP/7 is named; the UDP echo service answers on the other', async (t) => {
  await withDiamond(t, { width: 2 }, async (diamond) => {
    await diamond.startServices({ udpEcho: [7] });
    const bad = diamond.branchRouterAddress(1, 0, 4);
    diamond.exec(diamond.branches[1]![0]!, 'iptables', ['-A', 'FORWARD', '-p', 'udp', '--dport', '7', '-j', 'DROP']);
    const report = await pathsMeetingEveryBranch(t, diamond, ['-U', '--confidence', '99', diamond.serverAddress(4), '7']);
    assert.equal(report.protocol, 'udp');
    const broken = report.paths.find((p) => p.end.kind === 'silent')!;
    assert.deepEqual(broken.end, { kind: 'silent', after: { ttl: 2, address: bad } }, report.summary);
    assert.equal(diamond.branchOf('udp', broken.reproduce, 7, 4), 1);
    assert.ok(report.paths.some((p) => p.end.kind === 'destination' && p.end.state === 'open'), report.summary);
  });
});

test('one branch rejects the port with admin-prohibited: that path ends rejected at its router, the other open', async (t) => {
  await withDiamond(t, { width: 2 }, async (diamond) => {
    const bad = diamond.branchRouterAddress(1, 0, 4);
    diamond.exec(diamond.branches[1]![0]!, 'iptables', ['-A', 'FORWARD', '-p', 'tcp', '--dport', String(PORT), '-j', 'REJECT', '--reject-with', 'icmp-admin-prohibited']);
    const report = await pathsMeetingEveryBranch(t, diamond, ['--confidence', '99', diamond.serverAddress(4), String(PORT)]);
    const ends = report.paths.map((p) => (p.end.kind === 'rejected' ? `rejected by ${p.end.address}` : p.end.kind === 'destination' ? p.end.state : 'silent'));
    assert.deepEqual(new Set(ends), new Set([`rejected by ${bad}`, 'open']), report.summary);
    assertFlowsOnTheirBranches(diamond, report);
  });
});

test('one branch forges an RST in the destination\'s name: that path is called forged at its router, not closed', async (t) => {
  await withDiamond(t, { width: 2 }, async (diamond) => {
    const bad = diamond.branchRouterAddress(1, 0, 4);
    diamond.exec(diamond.branches[1]![0]!, 'iptables', ['-A', 'FORWARD', '-p', 'tcp', '--dport', String(PORT), '-j', 'REJECT', '--reject-with', 'tcp-reset']);
    const report = await pathsMeetingEveryBranch(t, diamond, ['--confidence', '99', diamond.serverAddress(4), String(PORT)]);
    const forged = report.paths.find((p) => p.end.kind === 'forged');
    assert.deepEqual(forged?.end, { kind: 'forged', ttl: 3, hop: 2, by: bad, reply: 'RST' }, report.summary);
    assert.match(report.summary, /answered with an RST forged in the destination's name at hop 2/);
    assert.ok(report.paths.every((p) => p.end.kind !== 'destination' || p.end.state === 'open'), report.summary);
  });
});

test('ICMP echo flows (the splitter hashes type, code and checksum, as hardware routers do): a branch that drops echo named, reproduced with --icmp-id', async (t) => {
  await withDiamond(t, { width: 2 }, async (diamond) => {
    const bad = diamond.branchRouterAddress(1, 0, 4);
    diamond.exec(diamond.branches[1]![0]!, 'iptables', ['-A', 'FORWARD', '-p', 'icmp', '--icmp-type', 'echo-request', '-j', 'DROP']);
    const report = await pathsMeetingEveryBranch(t, diamond, ['-I', '--confidence', '99', diamond.serverAddress(4)]);
    assert.equal(report.protocol, 'icmp');
    assert.deepEqual(branchesFound(diamond, report), new Set([0, 1]), report.summary);
    const broken = report.paths.find((p) => p.end.kind === 'silent')!;
    assert.deepEqual(broken.end, { kind: 'silent', after: { ttl: 2, address: bad } }, report.summary);
    assert.ok(report.paths.some((p) => p.end.kind === 'destination' && p.end.state === 'reachable'), report.summary);
    assert.equal(broken.reproduceWith, `--icmp-id ${broken.reproduce}`);
    assert.ok(report.flows.every((f) => f.sourcePort === null && f.icmpId !== null));
    // The reproduction: an echo trace with that identifier goes down the bad branch and gets no further.
    const run = await runCli(diamond.client.namespace, ['-n', '--json', '-I', '--icmp-id', String(broken.reproduce), diamond.serverAddress(4)]);
    const traced = JSON.parse(run.stdout) as TraceReport;
    assert.equal(traced.hops.find((h) => h.ttl === 2)?.probes.find((p) => p.from)?.from, bad, run.stdout);
    assert.ok(!traced.hops.some((h) => h.probes.some((p) => p.from === diamond.serverAddress(4))), 'the destination answered the reproduced flow');
  });
});

test('per-packet balancing (one flow\'s packets on both branches) is recognised and said; no --sport is offered for it', async (t) => {
  await withDiamond(t, { width: 2, balance: 'packet' }, async (diamond) => {
    // At 99% per hop, 8 flows all taking one branch (1 in 128) or the 8 repeats all meeting their first router (1 in
    // 256) is a miss the stated confidence allows: one more run then, and two misses in a row fail.
    let report = await paths(diamond.client.namespace, ['--confidence', '99', diamond.serverAddress(4), String(PORT)]);
    if (report.perPacket.length === 0) report = await paths(diamond.client.namespace, ['--confidence', '99', diamond.serverAddress(4), String(PORT)]);
    const routers = [0, 1].map((b) => diamond.branchRouterAddress(b, 0, 4)).sort();
    assert.deepEqual(report.perPacket, [{ ttl: 2, routers }], report.summary);
    assert.match(report.summary, /balanced per packet at hop 2/);
    assert.ok(report.paths.every((p) => p.reproduceWith === null && p.hops.find((h) => h.ttl === 2)?.spread !== undefined), report.summary);
    assert.ok(report.paths.every((p) => p.end.kind === 'destination' && p.end.state === 'open'), report.summary);
  });
});

test('a single path: said to be one, for a few dozen probes; without raw sockets, one clear sentence', async (t) => {
  await withChain(t, { routers: 3, icmpRateLimit: true }, async (chain) => {
    await chain.startServices({ tcp: [PORT] });
    const report = await paths(chain.client.namespace, [chain.serverAddress(4), String(PORT)]);
    assert.equal(report.paths.length, 1);
    assert.match(report.summary, /on the one path found: no port-dependent balancing was seen over \d+ flows/);
    assert.ok(report.probes <= 40, `${report.probes} probes`);
    const text = await runCli(chain.client.namespace, ['paths', '-n', chain.serverAddress(4), String(PORT)]);
    assert.match(text.stdout, /^Path +Flows +Hops/m);
    const refused = await runCli(chain.client.namespace, ['paths', '-n', chain.serverAddress(4), String(PORT)], { asUser: 65534 });
    assert.notEqual(refused.code, 0);
    assert.match(refused.stderr, /paths needs raw sockets/);
    assert.doesNotMatch(refused.stderr, /\n\s+at /);
  });
});
