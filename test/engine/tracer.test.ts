import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Pacer } from '../../src/engine/pacer.js';
import { Tracer } from '../../src/engine/tracer.js';
import type { TraceOutcome } from '../../src/engine/tracer.js';
import type { TraceOptions } from '../../src/engine/types.js';
import { FakeClock, FakeNetwork, fakeMethod } from './fakes.js';
import type { FakePath } from './fakes.js';
import { traceOptions } from './trace-options.js';

const router = (n: number, rtt: number) => ({ address: `198.18.${n}.2`, rtt });
const SYN_ACK = { kind: 'syn-ack' as const };

async function trace(path: FakePath, overrides: Partial<TraceOptions> = {}, pacedPerSecond: number | null = null) {
  const clock = new FakeClock();
  const network = new FakeNetwork(clock, path);
  const pacer = pacedPerSecond === null ? null : new Pacer(pacedPerSecond, clock, 1);
  const tracer = new Tracer(traceOptions(overrides), fakeMethod, network, clock, undefined, pacer);
  const hopsDone: number[] = [];
  tracer.on('hop-done', (hop) => hopsDone.push(hop.ttl));
  const running = tracer.run();
  const endedAt = pacer ? await clock.runAllSettling() : clock.runAll();
  const outcome: TraceOutcome = await running;
  return { outcome, network, endedAt, hopsDone, clock, tracer };
}

test('an open port three routers away: every hop answers every probe and the port is open', async () => {
  const { outcome, hopsDone } = await trace({
    hops: [router(1, 10), router(2, 20), router(3, 30)],
    destination: { address: '198.18.9.2', rtt: 40, reply: SYN_ACK },
  });
  assert.deepEqual(
    outcome.hops.map((h) => h.probes.map((p) => p.from)),
    [1, 2, 3].map((n) => Array(3).fill(`198.18.${n}.2`)).concat([Array(3).fill('198.18.9.2')]),
  );
  assert.deepEqual(outcome.destination, { reached: true, hop: 4, state: 'open', reason: 'syn-ack', by: '198.18.9.2' });
  assert.equal(outcome.stoppedBy, 'final-reply');
  assert.deepEqual(hopsDone, [1, 2, 3, 4]);
  assert.equal(outcome.hops[1]!.probes[0]!.rtt, 20);
});

test('the RTT is the reply timestamp minus the send timestamp, to the microsecond', async () => {
  const { outcome } = await trace({ hops: [], destination: { address: '198.18.9.2', rtt: 12.3456, reply: SYN_ACK } });
  assert.equal(outcome.hops[0]!.probes[0]!.rtt, 12.346);
});

test('probes to one hop are spaced; probes to different hops go together', async () => {
  const { network } = await trace(
    { hops: [router(1, 10)], destination: { address: '198.18.9.2', rtt: 20, reply: SYN_ACK } },
    { probeSpacingMs: 7 },
  );
  const hop1 = network.sent.filter((s) => s.ttl === 1).map((s) => s.atMs);
  assert.deepEqual(hop1, [0, 7, 14]);
  const firstRound = network.sent.filter((s) => s.index === 0 && s.atMs === 0).map((s) => s.ttl);
  assert.deepEqual(firstRound, [1, 2, 3, 4, 5, 6, 7, 8]);
});

test('a silent hop costs only NEAR times the next hop RTT, not the maximum wait', async () => {
  const { outcome, endedAt } = await trace({
    hops: [router(1, 10), router(2, 20), router(3, 30), { address: '198.18.4.2', rtt: 40, silent: true }, router(5, 50)],
    destination: { address: '198.18.9.2', rtt: 60, reply: SYN_ACK },
  });
  assert.deepEqual(outcome.hops[3]!.probes, Array(3).fill({ from: null, rtt: null, reply: null }));
  assert.equal(outcome.destination.state, 'open');
  // Hop 4's last probe leaves at 10 ms and waits 3 x 50 ms (hop 5's RTT).
  assert.ok(endedAt <= 10 + 3 * 50 + 1, `ended at ${endedAt} ms`);
});

test('never probes past the destination once it is found', async () => {
  const { network } = await trace({
    hops: [router(1, 10), router(2, 20)],
    destination: { address: '198.18.9.2', rtt: 30, reply: SYN_ACK },
  });
  const foundAt = 30;
  const pastDestination = network.sent.filter((s) => s.ttl > 3 && s.atMs >= foundAt);
  assert.deepEqual(pastDestination, []);
});

test('a port dropped in the path: stops after the silent-gap limit with the last answering hop kept', async () => {
  const { outcome, endedAt } = await trace({
    hops: [router(1, 10), router(2, 20), { ...router(3, 30), dropsForward: true }, router(4, 40)],
    destination: { address: '198.18.9.2', rtt: 50, reply: SYN_ACK },
  });
  assert.equal(outcome.stoppedBy, 'gap-limit');
  assert.deepEqual(outcome.destination, { reached: false, hop: null, state: 'filtered', reason: 'timeout', by: null });
  assert.equal(outcome.hops.length, 3 + 5);
  assert.equal(outcome.hops[2]!.probes[0]!.from, '198.18.3.2');
  assert.ok(outcome.hops.slice(3).every((h) => h.probes.every((p) => p.from === null)));
  // Trailing hops wait 500 ms (the floor) from their send time; they were all sent within a few ms.
  assert.ok(endedAt < 600, `ended at ${endedAt} ms`);
});

test('a router rejecting with ICMP admin-prohibited ends the trace there: filtered, by that router', async () => {
  const { outcome } = await trace({
    hops: [router(1, 10), { ...router(2, 20), reply: { kind: 'unreachable', icmpType: 3, icmpCode: 13 } }],
    destination: { address: '198.18.9.2', rtt: 30, reply: SYN_ACK },
  });
  assert.equal(outcome.hops.length, 2);
  assert.deepEqual(outcome.destination, { reached: false, hop: 2, state: 'filtered', reason: 'icmp-3/13', by: '198.18.2.2' });
});

test('a closed port answers RST', async () => {
  const { outcome } = await trace({ hops: [router(1, 10)], destination: { address: '198.18.9.2', rtt: 20, reply: { kind: 'rst' } } });
  assert.deepEqual(outcome.destination, { reached: true, hop: 2, state: 'closed', reason: 'rst', by: '198.18.9.2' });
});

test('UDP: the destination port-unreachable means closed; silence means open|filtered', async () => {
  const closed = await trace(
    { hops: [], destination: { address: '198.18.9.2', rtt: 5, reply: { kind: 'unreachable', icmpType: 3, icmpCode: 3 } } },
    { protocol: 'udp', port: 53 },
  );
  assert.equal(closed.outcome.destination.state, 'closed');
  assert.equal(closed.outcome.destination.reached, true);
  const silent = await trace(
    { hops: [router(1, 5)], destination: { address: '198.18.9.2', rtt: 5, silent: true, reply: { kind: 'udp' } } },
    { protocol: 'udp', port: 53 },
  );
  assert.equal(silent.outcome.destination.state, 'open|filtered');
});

test('a hop that loses one probe still waits only HERE times its RTT for it', async () => {
  const { outcome, endedAt } = await trace({
    hops: [{ ...router(1, 10), answers: [0, 2] }],
    destination: { address: '198.18.9.2', rtt: 20, reply: SYN_ACK },
  });
  assert.deepEqual(outcome.hops[0]!.probes.map((p) => p.from !== null), [true, false, true]);
  assert.ok(endedAt <= 5 + 50 + 1, `ended at ${endedAt}`); // floor of 50 ms beats 3 x 10 ms
});

test('stops at the maximum TTL', async () => {
  const { outcome } = await trace(
    { hops: [router(1, 1), router(2, 2), router(3, 3), router(4, 4)], destination: { address: '198.18.9.2', rtt: 5, reply: SYN_ACK } },
    { maxTtl: 2 },
  );
  assert.equal(outcome.stoppedBy, 'max-ttl');
  assert.deepEqual(outcome.hops.map((h) => h.ttl), [1, 2]);
});

test('starts at the first TTL', async () => {
  const { outcome, network } = await trace(
    { hops: [router(1, 1), router(2, 2)], destination: { address: '198.18.9.2', rtt: 5, reply: SYN_ACK } },
    { firstTtl: 2 },
  );
  assert.deepEqual(outcome.hops.map((h) => h.ttl), [2, 3]);
  assert.ok(network.sent.every((s) => s.ttl >= 2));
});

test('packets that match no probe are counted and ignored', async () => {
  const clock = new FakeClock();
  const network = new FakeNetwork(clock, { hops: [], destination: { address: '198.18.9.2', rtt: 10, reply: SYN_ACK } });
  const tracer = new Tracer(traceOptions(), fakeMethod, network, clock);
  const running = tracer.run();
  const junk = { family: 4 as const, from: '198.18.7.7', to: '', ttl: 1, ipProtocol: 6, receivedAtNs: 0n };
  network.inject({ ...junk, payload: new Uint8Array(3) });
  network.inject({ ...junk, payload: Buffer.from([2, 0xff, 0xee, 0xee, 0, 0, 0, 0]) }); // unknown probe id
  clock.runAll();
  const outcome = await running;
  assert.equal(outcome.unmatchedPackets, 2);
  assert.equal(outcome.destination.state, 'open');
});

test('interrupting returns what was traced so far', async () => {
  const clock = new FakeClock();
  const network = new FakeNetwork(clock, {
    hops: [router(1, 10), { address: '198.18.2.2', rtt: 0, silent: true }],
    destination: { address: '198.18.9.2', rtt: 100, silent: true, reply: SYN_ACK },
  });
  const tracer = new Tracer(traceOptions(), fakeMethod, network, clock);
  const running = tracer.run();
  clock.advance(40);
  tracer.interrupt();
  const outcome = await running;
  assert.equal(outcome.interrupted, true);
  assert.equal(outcome.stoppedBy, 'interrupted');
  assert.equal(outcome.hops[0]!.probes[0]!.from, '198.18.1.2');
});

test('a send failure (no route) rejects the trace', async () => {
  const clock = new FakeClock();
  const network = new FakeNetwork(clock, { hops: [], destination: { address: '198.18.9.2', rtt: 10, reply: SYN_ACK } });
  network.send = () => {
    throw Object.assign(new Error('sendmsg: Network is unreachable'), { code: 'ENETUNREACH' });
  };
  const tracer = new Tracer(traceOptions(), fakeMethod, network, clock);
  await assert.rejects(tracer.run(), { code: 'ENETUNREACH' });
});

test('with nothing answering at all, the trace waits the maximum once and stops at the gap limit', async () => {
  const { outcome, endedAt } = await trace({
    hops: [{ ...router(1, 1), silent: true, dropsForward: true }],
    destination: { address: '198.18.9.2', rtt: 5, reply: SYN_ACK },
  });
  assert.equal(outcome.hops.length, 5);
  assert.ok(endedAt >= 3000 && endedAt < 3100, `ended at ${endedAt}`);
});

test('confirmRepeats: the destination gets at most window + probes - 1 probes, and every hop still gets all its probes', async () => {
  const destination = '198.18.9.2';
  const { outcome, network } = await trace(
    {
      hops: [router(1, 10), router(2, 20), router(3, 30), { address: '198.18.4.2', rtt: 40, silent: true }],
      destination: { address: destination, rtt: 50, reply: { kind: 'unreachable', icmpType: 3, icmpCode: 3 } },
    },
    { protocol: 'udp', port: 33434, window: 3, confirmRepeats: true },
  );
  assert.deepEqual(
    outcome.hops.map((h) => h.probes.map((p) => p.from)),
    [[1, 1, 1], [2, 2, 2], [3, 3, 3], [null, null, null], [9, 9, 9]].map((hop) =>
      hop.map((n) => (n === null ? null : n === 9 ? destination : `198.18.${n}.2`)),
    ),
  );
  assert.equal(outcome.destination.state, 'closed');
  const toDestination = network.sent.filter((s) => s.ttl >= 5).length;
  assert.ok(toDestination <= 3 + 3 - 1, `${toDestination} probes reached the destination`);
  // A repeat goes out only after its hop is known to be on the path: hop 2's once hop 1 answered (10 ms).
  const hop2Repeats = network.sent.filter((s) => s.ttl === 2 && s.index > 0).map((s) => s.atMs);
  assert.ok(hop2Repeats.every((at) => at >= 10), String(hop2Repeats));
});

test('a window smaller than the silent-gap limit still slides over silent hops and ends the trace', async () => {
  const { outcome } = await trace(
    { hops: [router(1, 10)], destination: { address: '198.18.9.2', rtt: 20, silent: true, reply: { kind: 'udp' } } },
    { protocol: 'udp', port: 5000, window: 3, confirmRepeats: true },
  );
  assert.equal(outcome.stoppedBy, 'gap-limit');
  assert.equal(outcome.hops.length, 1 + 5);
  assert.equal(outcome.destination.state, 'open|filtered');
});

test('repeats held behind a first probe that times out in the last pass still go out before the trace ends', async () => {
  const { outcome, network } = await trace(
    { hops: [router(1, 10)], destination: { address: '198.18.9.2', rtt: 20, silent: true, reply: { kind: 'udp' } } },
    { protocol: 'udp', port: 5000, window: 1, confirmRepeats: true },
  );
  // The last hops' first probes time out together, in the pass that finds nothing else to wait for: their repeats,
  // held until then, must still be sent (the trace ended on the spot, leaving them unsent and the hops one probe each).
  const sentAt = (ttl: number) => network.sent.filter((s) => s.ttl === ttl).length;
  assert.deepEqual(outcome.hops.map((h) => sentAt(h.ttl)), Array(outcome.hops.length).fill(3));
});

test('distance probe: the destination 13 hops away answers the probe at maxTtl, and no SYN goes past hop 13', async () => {
  const path: FakePath = {
    hops: Array.from({ length: 12 }, (_, i) => router(i + 1, 2 * (i + 1))),
    destination: { address: '198.18.99.2', rtt: 26, reply: SYN_ACK },
  };
  const polite = await trace(path, { destination: '198.18.99.2', distancePort: 40001 });
  assert.equal(polite.outcome.destination.hop, 13);
  assert.deepEqual(polite.outcome.hops.map((h) => h.probes.filter((p) => p.from).length), Array(13).fill(3));
  // One probe at maxTtl (30), then nothing past the destination's hop.
  assert.deepEqual(polite.network.sent.filter((p) => p.ttl > 13).map((p) => p.ttl), [30]);
  // Without it the window slides past the destination before its answer is back.
  const eager = await trace(path, { destination: '198.18.99.2' });
  assert.ok(eager.network.sent.filter((p) => p.ttl > 13).length > 3, `${eager.network.sent.filter((p) => p.ttl > 13).length}`);
});

test('distance probe answered while the first window waits for its rate slots: no probe past the destination goes when its slot comes', async () => {
  // A batch's pacer gives this trace a slot every 50 ms; the destination 3 hops away answers the distance probe in
  // 6 ms. The first window (TTL 1-8) was queued at the start, before the distance was known.
  const path: FakePath = { hops: [router(1, 2), router(2, 4)], destination: { address: '198.18.99.2', rtt: 6, reply: SYN_ACK } };
  const { outcome, network } = await trace(path, { destination: '198.18.99.2', distancePort: 40001 }, 20);
  assert.equal(outcome.destination.hop, 3);
  assert.deepEqual(outcome.hops.map((h) => h.probes.filter((p) => p.from).length), [3, 3, 3]);
  assert.deepEqual(network.sent.filter((p) => p.ttl > 3).map((p) => p.ttl), [30], 'only the distance probe past hop 3');
});

test('a trace starting past the distance the destination answered from (a batch took a farther sibling\'s hops) sends only its first TTL', async () => {
  // The destination is 8 hops away; the trace starts at TTL 9. Before, a distance inside the hops taken counted as
  // proven wrong and the whole window (TTL 9-16) went out, every probe drawing a SYN-ACK.
  const path: FakePath = { hops: Array.from({ length: 7 }, (_, i) => router(i + 1, i + 1)), destination: { address: '198.18.99.2', rtt: 8, reply: SYN_ACK } };
  // As in a batch, the window's probes wait (here for their routers' turns, until 100 ms); the distance probe's answer
  // (8 ms) comes before they go.
  const clock = new FakeClock();
  const network = new FakeNetwork(clock, path);
  const gate = (_ttl: number, nowMs: number) => Math.max(nowMs, 100);
  const tracer = new Tracer(traceOptions({ destination: '198.18.99.2', distancePort: 40001, firstTtl: 9 }), fakeMethod, network, clock, undefined, null, gate);
  const running = tracer.run();
  clock.runAll();
  const outcome = await running;
  assert.equal(outcome.destination.reached, true);
  assert.deepEqual(network.sent.filter((p) => p.ttl !== 30).map((p) => p.ttl), [9, 9, 9]);
});

test('distance probe unanswered (a filtered port): the trace goes on as without it', async () => {
  const path: FakePath = {
    hops: [...Array.from({ length: 9 }, (_, i) => router(i + 1, 2 * (i + 1))), { ...router(10, 20), dropsForward: true }],
    destination: { address: '198.18.99.2', rtt: 26, reply: SYN_ACK },
  };
  const { outcome } = await trace(path, { destination: '198.18.99.2', distancePort: 40001 });
  assert.equal(outcome.destination.reached, false);
  assert.equal(outcome.stoppedBy, 'gap-limit');
  assert.deepEqual(outcome.hops.slice(0, 10).map((h) => h.probes[0]!.from), Array.from({ length: 10 }, (_, i) => `198.18.${i + 1}.2`));
});

test('RSTs that may reset our own half-open connection do not make a closed port: doubt, not a verdict', async () => {
  // Long path (RTT 40 ms, probes 5 ms apart): the first SYN's SYN-ACK is lost; the server resets the next SYN.
  const collided = await trace({ hops: [router(1, 10)], destination: { address: '198.18.9.2', rtt: 40, reply: { kind: 'rst' }, answers: [1] } });
  assert.equal(collided.outcome.destination.state, 'closed');
  assert.equal(collided.outcome.destination.doubt, 'own-half-open');
  // A closed port that lost its first SYN looks the same from here (RSTs around a silent SYN), and a jittery path can
  // reorder SYNs, so send order cannot tell them apart: doubt too (the run owner's follow-up SYNs, sent one at a
  // time, settle it).
  const lostFirst = await trace({ hops: [router(1, 10)], destination: { address: '198.18.9.2', rtt: 40, reply: { kind: 'rst' }, answers: [1, 2] } });
  assert.equal(lostFirst.outcome.destination.doubt, 'own-half-open');
  // A short path too: the server holds the half-open connection until its SYN-ACK retransmit, not for one RTT.
  const short = await trace({ hops: [router(1, 1)], destination: { address: '198.18.9.2', rtt: 2, reply: { kind: 'rst' }, answers: [1] } });
  assert.equal(short.outcome.destination.doubt, 'own-half-open');
  // Every SYN answered with RST: closed, no doubt.
  const plain = await trace({ hops: [router(1, 1)], destination: { address: '198.18.9.2', rtt: 2, reply: { kind: 'rst' } } });
  assert.equal(plain.outcome.destination.doubt, undefined);
});

test('answers handed over inside send (an error queue read there) never make a probe go out twice', async () => {
  const { outcome, network } = await trace({
    answerDuringSend: true,
    hops: [router(1, 0), router(2, 0), router(3, 0)],
    destination: { address: '198.18.9.2', rtt: 0, reply: SYN_ACK },
  });
  assert.equal(outcome.destination.state, 'open');
  const perTtl = new Map<number, number>();
  for (const s of network.sent) perTtl.set(s.ttl, (perTtl.get(s.ttl) ?? 0) + 1);
  for (const ttl of [1, 2, 3, 4]) assert.equal(perTtl.get(ttl), 3, `TTL ${ttl}: ${perTtl.get(ttl)} probes`);
  assert.equal(new Set(network.sent.map((s) => s.id)).size, network.sent.length, 'every probe id sent once');
});

test('a stretch of silent hops longer than the gap limit does not end a trace whose distance probe the destination answered', async () => {
  // A batch's traces find the routers near the source out of ICMP budget: hops 1-8 stay silent, yet the open port
  // answered the distance probe from 14 hops away (and every router on the way is out of budget). The hops up to it
  // are transit, not the end of the path.
  const path: FakePath = {
    hops: Array.from({ length: 13 }, (_, i) => ({ ...router(i + 1, 2 * (i + 1)), silent: true })),
    destination: { address: '198.18.99.2', rtt: 28, reply: SYN_ACK },
  };
  // Paced as in a busy batch: the TTLs past the first window wait for their slots behind the first window's probes.
  for (const paced of [null, 2]) {
    const { outcome } = await trace(path, { destination: '198.18.99.2', distancePort: 40001 }, paced);
    assert.equal(outcome.destination.reached, true, `paced ${paced}`);
    assert.equal(outcome.destination.hop, 14);
    assert.equal(outcome.destination.state, 'open');
    assert.equal(outcome.stoppedBy, 'final-reply');
  }
});

test('a silent router forging RSTs: every probe at the TTL where the forged RST came is waited for', async () => {
  // The forged RST's TTL puts the destination at the forger's hop (3), which is silent; the trace goes past it and
  // meets the RSTs at TTL 4. The first of them must not bring the distance limit (3) back: the others at TTL 4 were
  // already out, and the trace ended without them, calling answered probes unanswered.
  const path: FakePath = {
    hops: [router(1, 2), router(2, 4), { ...router(3, 6), silent: true, forges: { kind: 'rst' } }],
    destination: { address: '198.18.99.2', rtt: 8, reply: SYN_ACK },
  };
  const { outcome } = await trace(path, { destination: '198.18.99.2', distancePort: 40001 });
  assert.equal(outcome.stoppedBy, 'final-reply');
  assert.equal(outcome.destination.hop, 4);
  assert.equal(outcome.destination.state, 'closed');
  assert.deepEqual(outcome.hops.map((h) => h.probes.map((p) => p.reply?.kind ?? '*').join(',')), ['time-exceeded,time-exceeded,time-exceeded', 'time-exceeded,time-exceeded,time-exceeded', '*,*,*', 'rst,rst,rst']);
});

test("a probe whose router's turn is too far off (the gate says null) is not sent, and is left out of the hop (no evidence of silence)", async () => {
  const clock = new FakeClock();
  const network = new FakeNetwork(clock, { hops: [router(1, 2), router(2, 4)], destination: { address: '198.18.9.2', rtt: 6, reply: SYN_ACK } });
  const gate = (ttl: number, nowMs: number) => (ttl === 2 ? null : nowMs);
  const tracer = new Tracer(traceOptions({ destination: '198.18.9.2' }), fakeMethod, network, clock, undefined, null, gate);
  const running = tracer.run();
  clock.runAll();
  const outcome = await running;
  assert.deepEqual(network.sent.filter((p) => p.ttl === 2), []);
  assert.deepEqual(outcome.hops.map((h) => h.probes.filter((p) => p.from !== null).length), [3, 0, 3]);
  assert.deepEqual(outcome.hops.map((h) => h.probes.length), [3, 0, 3]);
  assert.equal(outcome.destination.state, 'open');
});

test('a probe not sent for its router\'s turn goes after all when the distance probe puts the destination at its TTL', async () => {
  const clock = new FakeClock();
  const network = new FakeNetwork(clock, { hops: [router(1, 2), router(2, 4)], destination: { address: '198.18.9.2', rtt: 6, reply: SYN_ACK } });
  // A router expected at TTL 3 (another target's path) is too busy: the gate would not send there.
  const gate = (ttl: number, nowMs: number) => (ttl === 3 ? null : nowMs);
  const tracer = new Tracer(traceOptions({ destination: '198.18.9.2', distancePort: 40001 }), fakeMethod, network, clock, undefined, null, gate);
  const running = tracer.run();
  clock.runAll();
  const outcome = await running;
  assert.equal(outcome.destination.hop, 3);
  assert.equal(outcome.destination.state, 'open');
  assert.ok(network.sent.some((p) => p.ttl === 3 && p.index === 0), 'TTL 3 probed after all');
});

test('answers that reached the socket in time but wait unread behind a busy process are not timed out', async () => {
  const path = (readLagMs: number, hidesLag = false): FakePath => ({
    hops: [router(1, 10), router(2, 20), router(3, 30)],
    destination: { address: '198.18.9.2', rtt: 40, reply: SYN_ACK },
    readLagMs,
    hidesLag,
  });
  // Read 700 ms late, past every wait (the trailing wait is 500 ms): the transport says it reads behind.
  const behind = await trace(path(700));
  assert.equal(behind.outcome.destination.state, 'open');
  assert.deepEqual(behind.outcome.hops.map((h) => h.probes.filter((p) => p.from !== null).length), [3, 3, 3, 3]);
  assert.equal(behind.outcome.hops[1]!.probes[0]!.rtt, 20, 'the RTT is the socket\'s timestamp, not the read');
  // The same lag where the transport cannot tell: the probes time out (what a busy batch did before).
  const blind = await trace(path(700, true));
  assert.notEqual(blind.outcome.destination.state, 'open');
  // Behind for longer than the longest wait (3 s past the deadline): the trace still ends, within 10 s.
  const clock = new FakeClock();
  const tracer = new Tracer(traceOptions(), fakeMethod, new FakeNetwork(clock, path(60_000)), clock);
  let outcome: TraceOutcome | null = null;
  const running = tracer.run().then((o) => (outcome = o));
  clock.advance(10_000);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(outcome!.stoppedBy, 'gap-limit');
  clock.runAll();
  await running;
});
