// The rounds of a watch on a fake clock and a simulated path (seeded loss, Linux-like ICMP rate limits, changes
// mid-run): one probe per TTL per round, answers in round order, the horizon following the destination, learned
// ICMP budgets that stop a watch from causing the loss it measures, and pause dropping what is in flight.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ProbeIds } from '../../src/engine/probe-ids.js';
import type { Network } from '../../src/engine/network.js';
import type { InboundPacket, OutgoingPacket, ReplyKind } from '../../src/probe/method.js';
import { mulberry32 } from '../../src/lab/seeded-random.js';
import { WatchRounds } from '../../src/trace/watch-rounds.js';
import type { RoundResult } from '../../src/trace/watch-rounds.js';
import { FakeClock, fakeMethod } from '../engine/fakes.js';
import { traceOptions } from '../engine/trace-options.js';

interface SimHop {
  address: string;
  rttMs: number;
  /** Chance that a probe (or its answer) is lost here, each way. */
  loss?: number;
  /** Linux's ICMP limit: a burst of 6, then one per second. */
  rateLimited?: boolean;
  /** Drops what it would forward. */
  drops?: boolean;
  /** The destination rejects the port with ICMP port unreachable, rate-limited like a router's (burst 6, then 1/s). */
  rejects?: boolean;
}

const KINDS: ReplyKind[] = ['time-exceeded', 'unreachable', 'syn-ack', 'rst', 'echo-reply', 'udp', 'other-icmp'];

/** A path of routers then a destination answering SYN-ACK, on the fake clock. */
class SimPath implements Network {
  private handler: ((packet: InboundPacket) => void) | null = null;
  private readonly tokens = new Map<string, { tokens: number; at: number }>();
  readonly sentPerTtl = new Map<number, number>();

  constructor(
    private readonly clock: FakeClock,
    readonly hops: SimHop[],
    private readonly random: () => number,
  ) {}

  onPacket(handler: (packet: InboundPacket) => void): void {
    this.handler = handler;
  }

  close(): void {
    this.handler = null;
  }

  private icmpAllowed(address: string): boolean {
    const now = this.clock.now();
    const bucket = this.tokens.get(address) ?? { tokens: 6000, at: now };
    bucket.tokens = Math.min(6000, bucket.tokens + (now - bucket.at));
    bucket.at = now;
    this.tokens.set(address, bucket);
    if (bucket.tokens < 1000) return false;
    bucket.tokens -= 1000;
    return true;
  }

  send(packet: OutgoingPacket): bigint {
    const ttl = packet.bytes.readUInt16BE(0);
    const id = packet.bytes.readUInt16BE(2);
    this.sentPerTtl.set(ttl, (this.sentPerTtl.get(ttl) ?? 0) + 1);
    const sentAt = BigInt(Math.round(this.clock.now() * 1e6));
    const last = this.hops.length;
    const reach = Math.min(ttl, last);
    let lost = false;
    for (let i = 0; i < reach; i++) {
      const hop = this.hops[i]!;
      if (this.random() < (hop.loss ?? 0)) lost = true; // on the way out
      if (i < reach - 1 && hop.drops) return sentAt;
    }
    const hop = this.hops[reach - 1]!;
    const isDestination = reach === last;
    const icmp = !isDestination || hop.rejects === true;
    if (icmp && (hop.rateLimited || hop.rejects) && !this.icmpAllowed(hop.address)) return sentAt;
    for (let i = 0; i < reach; i++) if (this.random() < (this.hops[i]!.loss ?? 0)) lost = true; // on the way back
    if (lost) return sentAt;
    const payload = Buffer.alloc(8);
    payload.writeUInt8(KINDS.indexOf(!isDestination ? 'time-exceeded' : hop.rejects ? 'unreachable' : 'syn-ack'), 0);
    payload.writeUInt8(!isDestination ? 11 : hop.rejects ? 3 : 0xff, 1);
    if (isDestination && hop.rejects) payload.writeUInt8(3, 4);
    payload.writeUInt16BE(id, 2);
    this.clock.setTimer(hop.rttMs, () =>
      this.handler?.({ family: 4, from: hop.address, to: '198.18.1.1', ttl: 64 - reach, ipProtocol: 6, payload, receivedAtNs: BigInt(Math.round(this.clock.now() * 1e6)) }),
    );
    return sentAt;
  }
}

function watch(path: SimPath, clock: FakeClock, rounds: number, intervalMs: number, horizon = path.hops.length) {
  const results: RoundResult[] = [];
  const options = traceOptions({ destination: path.hops.at(-1)!.address });
  const watcher = new WatchRounds(options, fakeMethod, path, clock, new ProbeIds(options.nonce), { intervalMs, rounds, horizon, timeoutMs: 1000 }, (r) => results.push(r));
  return { watcher, results };
}

/** Moves the fake clock in small steps, letting promise callbacks (reprobe's answers) run between them. */
async function drive(clock: FakeClock, ms: number, stepMs = 10): Promise<void> {
  for (let t = 0; t < ms; t += stepMs) {
    clock.advance(stepMs);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

const chain = (n: number): SimHop[] => Array.from({ length: n }, (_, i) => ({ address: `198.18.${i + 1}.2`, rttMs: 1 + i }));

/** `rounds` rounds every `intervalMs` on a simulated path of `hops`, run to their end (and 2 s for stragglers). */
async function watchedToEnd(hops: SimHop[], seed: number, rounds: number, intervalMs: number, horizon?: number) {
  const clock = new FakeClock();
  const path = new SimPath(clock, hops, mulberry32(seed));
  const { watcher, results } = watch(path, clock, rounds, intervalMs, horizon);
  watcher.start();
  await drive(clock, rounds * intervalMs + 2000);
  return { path, watcher, results };
}

test('rounds come in order, one probe per TTL, and end after the count; the destination answers every round', async () => {
  const { path, results } = await watchedToEnd(chain(5), 1, 50, 100);
  assert.deepEqual(results.map((r) => r.round), Array.from({ length: 50 }, (_, i) => i + 1));
  assert.ok(results.every((r) => r.probes.length === 5 && r.destination.state === 'open' && r.destination.ttl === 5));
  assert.deepEqual([...path.sentPerTtl.values()], [50, 50, 50, 50, 50]);
});

test('a horizon set too far shrinks to the destination after one round (no SYNs past it afterwards)', async () => {
  const { watcher, results } = await watchedToEnd(chain(4), 2, 20, 100, 8);
  assert.equal(results[0]!.probes.length, 8);
  assert.ok(results.slice(2).every((r) => r.probes.length === 4));
  assert.equal(watcher.lastTtl, 4);
});

test("a router with Linux's ICMP limit, watched 5 rounds a second: its budget is learned, so it stops losing answers", async () => {
  const hops = chain(5);
  hops[1]!.rateLimited = true;
  const { results } = await watchedToEnd(hops, 3, 600, 200);
  const hop2 = (from: number, to: number) => {
    const probes = results.slice(from, to).flatMap((r) => r.probes.filter((p) => p.ttl === 2));
    return { sent: probes.length, answered: probes.filter((p) => p.result.from !== null).length };
  };
  const early = hop2(0, 300);
  const late = hop2(300, 600);
  // Probed about once a second after the first back-off (not five times), and then nearly always answered; a
  // faster pace is retried after a minute and, failing, after two.
  assert.ok(late.sent <= 80 && late.sent >= 55, JSON.stringify({ early, late }));
  assert.ok(late.answered >= 0.85 * late.sent, JSON.stringify({ early, late }));
  assert.ok(early.answered / early.sent < late.answered / late.sent, JSON.stringify({ early, late }));
  // Every other hop kept its five probes a second.
  assert.ok(results.slice(300).every((r) => r.probes.some((p) => p.ttl === 5) && r.probes.some((p) => p.ttl === 3)));
});

test('seeded: a lossy path (10% each way at hop 3) is not slowed by the budgets — every TTL probed in nearly every round', async () => {
  for (const seed of [11, 12, 13, 14, 15]) {
    const hops = chain(5);
    hops[2]!.loss = 0.1;
    const { path } = await watchedToEnd(hops, seed, 400, 200);
    for (const ttl of [3, 4, 5]) assert.ok((path.sentPerTtl.get(ttl) ?? 0) >= 380, `seed ${seed}: TTL ${ttl} probed ${path.sentPerTtl.get(ttl)} times of 400`);
  }
});

test('pause drops the rounds in flight: nothing more is counted until resumed', async () => {
  const clock = new FakeClock();
  const path = new SimPath(clock, chain(3), mulberry32(4));
  const { watcher, results } = watch(path, clock, 100, 100);
  watcher.start();
  await drive(clock, 1000);
  watcher.pause();
  const counted = results.length;
  assert.ok(counted >= 5, String(counted));
  await drive(clock, 5000);
  assert.equal(results.length, counted);
  watcher.start();
  await drive(clock, 100 * 100 + 2000);
  // The rounds dropped at the pause are never delivered; every other round is, in order, up to the count.
  assert.equal(results.at(-1)!.round, 100);
  assert.ok(results.every((r, i) => i === 0 || r.round > results[i - 1]!.round));
  assert.ok(results.length < 100);
});

test('a destination that rejects with rate-limited ICMP, watched 3 rounds a second: paced to 1/s, every probe answered, no silent round', async () => {
  const hops = chain(4);
  hops[3]!.rejects = true;
  const { path, results } = await watchedToEnd(hops, 6, 60, 300);
  assert.equal(results.length, 60);
  const asked = results.filter((r) => r.destination.state !== null);
  // 18 s of rounds: the end is asked about once a second, and answers each time.
  assert.ok((path.sentPerTtl.get(4) ?? 0) <= 20, String(path.sentPerTtl.get(4)));
  assert.ok(asked.every((r) => r.destination.state === 'rejected' && r.destination.ttl === 4), JSON.stringify(asked.map((r) => r.destination)));
  assert.ok(results.every((r) => r.destination.state !== 'silent'));
});

test('a pause that drops the last round of a counted watch: resumed, the rounds end (done resolves)', async () => {
  const clock = new FakeClock();
  const path = new SimPath(clock, chain(3), mulberry32(5));
  const { watcher, results } = watch(path, clock, 3, 100);
  let done = false;
  void watcher.done.then(() => (done = true));
  watcher.start();
  await drive(clock, 205, 5);
  watcher.pause();
  await drive(clock, 500);
  watcher.start();
  await drive(clock, 1000);
  assert.ok(done, `rounds delivered: ${results.map((r) => r.round).join(',')}`);
});
