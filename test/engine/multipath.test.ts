// The Multipath Detection Algorithm on simulated diamonds (no network): the stopping rule's figures, every branch
// found for widths 2 to 8, flows grouped into paths, a branch that drops the port named with its share and a source
// port that reproduces it, routers' ICMP budgets respected, and a single path said to be one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exploreMultipath, flowsNeeded, repeatsNeeded } from '../../src/engine/multipath.js';
import type { FlowProbe } from '../../src/engine/multipath.js';
import type { ProbeResult } from '../../src/engine/types.js';
import { pathsVerdict } from '../../src/analyze/paths.js';
import { mulberry32 } from '../../src/lab/seeded-random.js';
import { FakeClock } from './fakes.js';

const SERVER = '198.18.9.2';
const SPLITTER = '198.18.1.2';
const JOINER = '198.18.3.2';
const branch = (i: number) => `198.18.2.${10 + i}`;

interface Diamond {
  width: number;
  /** The branch that drops the port: its flows go silent after it. */
  dropOn?: number;
  /** Routers answer a burst of 6 time-exceeded, then one a second (per router); 'joiner': only the joiner does. */
  rateLimited?: boolean | 'joiner';
  /**
   * The server's first answers to this flow's SYNs, in order, before its SYN-ACKs: RSTs (our own half-open
   * connection's, or a port closed to it) and silences (a SYN or its SYN-ACK lost).
   */
  server?: { flow: number; replies: ('rst' | 'silent')[] };
  /** This branch's router never answers (it still forwards). */
  silentBranch?: number;
  /** Probability a probe or its answer is lost. */
  loss?: number;
  /** The splitter balances each packet at random, not each flow by its hash. */
  perPacket?: boolean;
  /** The first this many flows all hash to branch 0 (the rule's bad luck: the flows asked at a hop took one branch). */
  firstOnBranch0?: number;
  seed?: number;
}

/** A simulated diamond: splitter at hop 1, `width` branch routers at hop 2 chosen by a hash of the flow, joiner at 3, server at 4. */
function diamond(clock: FakeClock, d: Diamond): { probe: FlowProbe; branchOf: (flow: number) => number; sent: () => number; sentAt: (ttl: number) => number } {
  const random = mulberry32(d.seed ?? 1);
  const hash = (flow: number) => (flow < (d.firstOnBranch0 ?? 0) ? 0 : ((flow * 2654435761) >>> 0) % d.width);
  const buckets = new Map<string, { tokens: number; at: number }>();
  let sent = 0;
  const sentAt = new Map<number, number>();
  const tokenFor = (router: string) => {
    if (!d.rateLimited || (d.rateLimited === 'joiner' && router !== JOINER)) return true;
    const b = buckets.get(router) ?? { tokens: 6, at: clock.now() };
    b.tokens = Math.min(6, b.tokens + (clock.now() - b.at) / 1000);
    b.at = clock.now();
    buckets.set(router, b);
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  };
  const probe: FlowProbe = (flow, ttl) => {
    sent++;
    sentAt.set(ttl, (sentAt.get(ttl) ?? 0) + 1);
    const path = [SPLITTER, branch(d.perPacket ? Math.floor(random() * d.width) : hash(flow)), JOINER];
    const dropped = d.dropOn !== undefined && hash(flow) === d.dropOn && ttl >= 3;
    let result: ProbeResult = { from: null, rtt: null, reply: null };
    const lost = d.loss !== undefined && random() < d.loss;
    if (!dropped && !lost) {
      if (ttl <= 3) {
        const silent = ttl === 2 && hash(flow) === d.silentBranch;
        if (!silent && tokenFor(path[ttl - 1]!)) result = { from: path[ttl - 1]!, rtt: ttl * 2, reply: { kind: 'time-exceeded', ttl: 64 - ttl } };
      } else if (flow === d.server?.flow && d.server.replies.length > 0) {
        if (d.server.replies.shift() === 'rst') result = { from: SERVER, rtt: 8, reply: { kind: 'rst', ttl: 61 } };
      }
      else result = { from: SERVER, rtt: 8, reply: { kind: 'syn-ack', ttl: 61 } };
    }
    return new Promise((resolve) => clock.setTimer(result.rtt ?? 100, () => resolve(result)));
  };
  return { probe, branchOf: hash, sent: () => sent, sentAt: (ttl) => sentAt.get(ttl) ?? 0 };
}

async function drive<T>(clock: FakeClock, work: Promise<T>): Promise<T> {
  let done = false;
  void work.finally(() => (done = true)).catch(() => undefined);
  while (!done) {
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(1);
  }
  return work;
}

const OPTIONS = { confidence: 0.95, firstTtl: 1, maxTtl: 30, maxFlows: 64, gapLimit: 3, destination: SERVER };
const target = { protocol: 'tcp' as const, port: 443, family: 4 as const, destination: SERVER };
const ports = Array.from({ length: 64 }, (_, i) => 40000 + i);

test('the stopping rule reproduces the published MDA table at 95% and grows at 99%', () => {
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 9].map((k) => flowsNeeded(k, 0.95)), [6, 11, 16, 21, 27, 33, 38, 44, 51]);
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7, 8, 9].map((k) => flowsNeeded(k, 0.99)), [8, 15, 21, 28, 36, 43, 51, 58, 66]);
});

for (const width of [2, 4, 8]) {
  test(`a ${width}-way diamond: every branch found, the flows grouped into ${width} paths that agree`, async () => {
    const clock = new FakeClock();
    const sim = diamond(clock, { width });
    const outcome = await drive(clock, exploreMultipath(sim.probe, OPTIONS, clock));
    const verdict = pathsVerdict(outcome, ports, target, 0.95);
    assert.equal(verdict.paths.length, width, verdict.summary);
    assert.deepEqual(new Set(verdict.paths.map((p) => p.hops[1]!.address)), new Set(Array.from({ length: width }, (_, i) => branch(i))));
    assert.ok(verdict.agree);
    assert.match(verdict.summary, new RegExp(`is open at hop 4 on all ${width} paths`));
    // The rule at the branching hop: at least the flows it asks for after `width` next hops.
    const hop2 = outcome.figures.find((f) => f.ttl === 2)!;
    assert.ok(hop2.flows >= flowsNeeded(width, 0.95), JSON.stringify(outcome.figures));
    // One-router hops are not asked by every flow.
    assert.equal(outcome.figures.find((f) => f.ttl === 1)!.flows, 6);
    for (const path of verdict.paths) for (const port of path.sourcePorts) assert.equal(branch(sim.branchOf(port - 40000)), path.hops[1]!.address);
  });
}

test('one branch of four drops the port: its flows named, with their share and a source port that reproduces it', async () => {
  const clock = new FakeClock();
  const sim = diamond(clock, { width: 4, dropOn: 2 });
  const outcome = await drive(clock, exploreMultipath(sim.probe, OPTIONS, clock));
  const verdict = pathsVerdict(outcome, ports, target, 0.95);
  assert.equal(verdict.agree, false);
  const bad = verdict.paths.find((p) => p.end.kind === 'silent')!;
  assert.equal(bad.hops.at(-1)!.address, branch(2));
  assert.equal(sim.branchOf(bad.reproduce - 40000), 2);
  assert.match(verdict.summary, /TCP\/443 is open at hop 4 on 3 of 4 paths; flows through 198\.18\.2\.12 \(hop 2\) \(about 1 in \d+: \d+ of \d+ flows\) are dropped after hop 2 \(198\.18\.2\.12\) — reproduce with --sport \d+\./);
});

test('the flows asked at the branching hop all took one branch: a drop is never put behind a router its flows did not cross (20 seeds, 15% loss)', async () => {
  let seen = 0;
  for (let seed = 1; seed <= 20; seed++) {
    const clock = new FakeClock();
    // Loss makes the rule want flows beyond the first six, which took branch 0 at the branching hop; the later ones
    // inherit that hop, and those that take branch 1 are dropped after it.
    const sim = diamond(clock, { width: 2, dropOn: 1, firstOnBranch0: 6, loss: 0.15, seed });
    const outcome = await drive(clock, exploreMultipath(sim.probe, OPTIONS, clock));
    const verdict = pathsVerdict(outcome, ports, target, 0.95);
    for (const path of verdict.paths.filter((p) => p.end.kind === 'silent')) {
      seen++;
      assert.deepEqual(path.end, { kind: 'silent', after: { ttl: 2, address: branch(1) } }, `seed ${seed}: ${verdict.summary}`);
      for (const port of path.sourcePorts) assert.equal(sim.branchOf(port - 40000), 1, `seed ${seed}`);
    }
  }
  // Where no later flow took branch 1 the drop does not show at all (the rule's own miss, forced here); it must show
  // in some seeds for the test to say anything.
  assert.ok(seen >= 3, `the drop showed in only ${seen} of 20 seeds`);
});

/** Seeds 1-20 of a rate-limited diamond with 5% loss: how many of their verdicts `right` rejects. */
async function wrongSeeds(width: number, right: (verdict: ReturnType<typeof pathsVerdict>) => boolean): Promise<number> {
  let wrong = 0;
  for (let seed = 1; seed <= 20; seed++) {
    const clock = new FakeClock();
    const sim = diamond(clock, { width, rateLimited: true, loss: 0.05, seed });
    const outcome = await drive(clock, exploreMultipath(sim.probe, OPTIONS, clock));
    if (!right(pathsVerdict(outcome, ports, target, 0.95))) wrong++;
  }
  return wrong;
}

test('rate-limited routers (6, then 1/s) and 5% loss: still every branch, no path called broken (20 seeds)', async () => {
  const wrong = await wrongSeeds(4, (verdict) => {
    const branches = new Set(verdict.paths.flatMap((p) => (p.hops[1]?.address ? [p.hops[1].address] : [])));
    return verdict.agree && branches.size === 4;
  });
  assert.ok(wrong <= 1, `${wrong} of 20 seeds wrong`);
});

test('a rate-limited joiner that every branch\'s flows meet splits no path: 8 paths of an 8-way diamond, 5% loss (20 seeds)', async () => {
  const wrong = await wrongSeeds(8, (verdict) => verdict.paths.length === 8 && verdict.paths.every((p) => p.hops[2]?.address === JOINER) && verdict.agree);
  // Before the joiner's budget was one ledger, every seed drew 10 or more paths (flows silent at the joiner split off).
  assert.ok(wrong <= 1, `${wrong} of 20 seeds wrong`);
});

test('the flows asked first at a joiner come from every branch: its burst of 6 covers a 4-way diamond whose first five flows took one branch', async () => {
  const clock = new FakeClock();
  const sim = diamond(clock, { width: 4, firstOnBranch0: 4, rateLimited: 'joiner' });
  const outcome = await drive(clock, exploreMultipath(sim.probe, OPTIONS, clock));
  const verdict = pathsVerdict(outcome, ports, target, 0.95);
  assert.equal(verdict.paths.length, 4, verdict.summary);
  // Asked in the order the flows were made (five from branch 0 first), the joiner's burst went to two branches, and
  // the other two each waited a second for a token of their own.
  assert.equal(sim.sentAt(3), 6);
  assert.ok(clock.now() < 1000, `${clock.now()} ms`);
});

test('per-packet repeats follow the stated confidence and the routers they spread over', () => {
  assert.deepEqual([2, 4, 8].map((k) => repeatsNeeded(k, 0.95)), [6, 3, 2]);
  assert.deepEqual([2, 4, 8].map((k) => repeatsNeeded(k, 0.99)), [8, 4, 3]);
});

test('a branch router that never answers beside a rate-limited joiner: two paths, * on the silent branch, every flow on its own (20 seeds)', async () => {
  let wrong = 0;
  for (let seed = 1; seed <= 20; seed++) {
    const clock = new FakeClock();
    const sim = diamond(clock, { width: 2, silentBranch: 1, rateLimited: true, loss: 0.05, seed });
    const outcome = await drive(clock, exploreMultipath(sim.probe, OPTIONS, clock));
    const verdict = pathsVerdict(outcome, ports, target, 0.95);
    const drawn = verdict.paths.map((p) => p.hops.map((h) => h.address));
    const right =
      JSON.stringify([...drawn].sort()) === JSON.stringify([[SPLITTER, branch(0), JOINER], [SPLITTER, null, JOINER]].sort()) &&
      verdict.paths.every((p) => p.sourcePorts.every((port) => (sim.branchOf(port - 40000) === 1) === (p.hops[1]!.address === null)));
    if (!right) wrong++;
  }
  assert.ok(wrong <= 1, `${wrong} of 20 seeds wrong`);
});

test('a lone RST, where the flows from the same router got SYN-ACKs, is asked again before it is believed', async () => {
  // Our own half-open connection's RST (answered once): the flow is open like its siblings.
  const clock = new FakeClock();
  const sim = diamond(clock, { width: 2, server: { flow: 0, replies: ['rst'] } });
  const outcome = await drive(clock, exploreMultipath(sim.probe, OPTIONS, clock));
  const verdict = pathsVerdict(outcome, ports, target, 0.95);
  assert.ok(verdict.agree, verdict.summary);
  assert.equal(outcome.flows.get(0)!.get(4)!.kind === 'end' && (outcome.flows.get(0)!.get(4) as { result: ProbeResult }).result.reply?.kind, 'syn-ack');
  // A port really closed to that one flow answers RST again: it stays closed, on a path of its own.
  const closedClock = new FakeClock();
  const closed = diamond(closedClock, { width: 2, server: { flow: 0, replies: Array<'rst'>(20).fill('rst') } });
  const closedVerdict = pathsVerdict(await drive(closedClock, exploreMultipath(closed.probe, OPTIONS, closedClock)), ports, target, 0.95);
  const odd = closedVerdict.paths.filter((p) => p.end.kind === 'destination' && p.end.state === 'closed');
  assert.deepEqual(odd.map((p) => p.sourcePorts), [[ports[0]]], closedVerdict.summary);
});

test('a doubtful RST is asked again until an answer can be trusted: silences, and RSTs right after them, do not settle it', async () => {
  const clock = new FakeClock();
  // Each silent try may leave the server half-open again, so the RST after it is doubtful too: four tries give
  // nothing to trust before the fifth's SYN-ACK.
  const sim = diamond(clock, { width: 2, server: { flow: 0, replies: ['rst', 'silent', 'rst', 'silent', 'rst'] } });
  const outcome = await drive(clock, exploreMultipath(sim.probe, OPTIONS, clock));
  const verdict = pathsVerdict(outcome, ports, target, 0.95);
  assert.ok(verdict.agree, verdict.summary);
});

test('per-packet balancing is recognised and said, not drawn as paths; per-flow balancing never is (20 seeds each)', async () => {
  let missed = 0;
  let falsePerPacket = 0;
  for (let seed = 1; seed <= 20; seed++) {
    for (const perPacket of [true, false]) {
      const clock = new FakeClock();
      const sim = diamond(clock, { width: 2, perPacket, seed });
      const outcome = await drive(clock, exploreMultipath(sim.probe, OPTIONS, clock));
      const verdict = pathsVerdict(outcome, ports, target, 0.95);
      if (!perPacket) {
        if (verdict.perPacket.length > 0) falsePerPacket++;
        continue;
      }
      if (verdict.perPacket.length === 0) {
        missed++;
        continue;
      }
      assert.deepEqual(verdict.perPacket, [{ ttl: 2, routers: [branch(0), branch(1)] }], `seed ${seed}`);
      assert.equal(verdict.paths.length, 1, `seed ${seed}: ${verdict.summary}`);
      assert.deepEqual(verdict.paths[0]!.hops[1], { ttl: 2, address: null, spread: [branch(0), branch(1)] });
      assert.equal(verdict.paths[0]!.reproduceWith, null);
      assert.match(verdict.summary, /balanced per packet at hop 2 \(198\.18\.2\.10, 198\.18\.2\.11\)/);
    }
  }
  // Six repeats over two routers (95%) miss with chance 1 in 64: a miss in 20 is chance, more is a bug.
  assert.ok(missed <= 1, `per-packet balancing missed in ${missed} of 20 seeds`);
  assert.equal(falsePerPacket, 0, `per-flow balancing called per-packet in ${falsePerPacket} of 20 seeds`);
});

test('ICMP echo flows: paths named by their identifiers, reproduced with --icmp-id', async () => {
  const clock = new FakeClock();
  const sim = diamond(clock, { width: 2, dropOn: 1 });
  const outcome = await drive(clock, exploreMultipath(sim.probe, OPTIONS, clock));
  const verdict = pathsVerdict(outcome, ports, { ...target, protocol: 'icmp', port: null }, 0.95);
  const bad = verdict.paths.find((p) => p.end.kind === 'silent')!;
  assert.deepEqual(bad.sourcePorts, []);
  assert.ok(bad.icmpIds.includes(bad.reproduce));
  assert.equal(bad.reproduceWith, `--icmp-id ${bad.reproduce}`);
  assert.match(verdict.summary, /^ICMP echo .* reproduce with --icmp-id \d+\./);
});

test('a single path: said to be one, with the flows that showed no port-dependent balancing', async () => {
  const clock = new FakeClock();
  const sim = diamond(clock, { width: 1 });
  const outcome = await drive(clock, exploreMultipath(sim.probe, OPTIONS, clock));
  const verdict = pathsVerdict(outcome, ports, target, 0.95);
  assert.equal(verdict.paths.length, 1);
  assert.match(verdict.summary, /on the one path found: no port-dependent balancing was seen over 6 flows/);
  assert.ok(sim.sent() <= 6 * 4, `${sim.sent()} probes`);
});
