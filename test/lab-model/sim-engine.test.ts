// The simulator's packet engine against portpath's own probes and matchers: what each hop answers and with which
// TTL, the quote Linux would send, rate limits, loss, delays, forged RSTs, NAT, balancers, and that every answer is
// attributed to the probe it answers. Ends with a throughput measurement (printed, never asserted).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeIcmp } from '../../src/packet/icmp.js';
import { decodeIcmpv6 } from '../../src/packet/icmpv6.js';
import { decodeIpv4 } from '../../src/packet/ipv4.js';
import { decodeIpv6 } from '../../src/packet/ipv6.js';
import { internetChecksum } from '../../src/packet/checksum.js';
import { createProbeMethod } from '../../src/probe/index.js';
import { SimEngine } from '../../src/lab/sim/engine.js';
import { SimNetwork } from '../../src/lab/sim/network.js';
import { buildTopology } from '../../src/lab/sim/topology.js';
import type { TopologySpec } from '../../src/lab/sim/topology.js';
import { groundTruth, pathFor } from '../../src/lab/sim/ground-truth.js';
import type { SimTopology } from '../../src/lab/sim/model.js';
import type { PresetTarget } from '../../src/lab/sim/presets.js';
import { drain, flowTo, probe, probePacket } from './sim-probes.js';

function simulate(spec: TopologySpec, seed = 1): { topology: SimTopology; engine: SimEngine; network: SimNetwork } {
  const topology = buildTopology(spec);
  const network = new SimNetwork(topology);
  return { topology, network, engine: new SimEngine(network, seed) };
}

const chainSpec = (extra: Partial<Extract<TopologySpec, { preset: 'chain' }>> = {}): TopologySpec => ({
  preset: 'chain',
  routers: 3,
  services: { tcpOpen: [80], udpOpen: [53] },
  targets: [
    { protocol: 'tcp', port: 80 },
    { protocol: 'tcp', port: 81 },
    { protocol: 'udp', port: 53 },
    { protocol: 'udp', port: 54 },
    { protocol: 'icmp' },
    { protocol: 'tcp', port: 80, family: 6 },
    { protocol: 'udp', port: 54, family: 6 },
    { protocol: 'icmp', family: 6 },
  ],
  ...extra,
});

test('a chain answers like Linux: time exceeded from each router (TTL 64 minus the hops back), then the server', () => {
  const { topology, engine } = simulate(chainSpec());
  const expectations: [number, string, string, number][] = [
    // target, kind at TTL 4, from, reply TTL there
    [0, 'syn-ack', '198.18.4.2', 61],
    [1, 'rst', '198.18.4.2', 61],
    [2, 'udp', '198.18.4.2', 61],
    [3, 'unreachable', '198.18.4.2', 61],
    [4, 'echo-reply', '198.18.4.2', 61],
    [5, 'syn-ack', '2001:db8:4::2', 61],
    [6, 'unreachable', '2001:db8:4::2', 61],
    [7, 'echo-reply', '2001:db8:4::2', 61],
  ];
  for (const [index, kind, from, replyTtl] of expectations) {
    const target = topology.targets[index]!;
    for (let ttl = 1; ttl <= 3; ttl++) {
      const { answers, replies } = probe(engine, topology, target, ttl, 100 + ttl);
      assert.equal(answers.length, 1, `target ${index} TTL ${ttl}`);
      assert.equal(replies[0]?.kind, 'time-exceeded');
      assert.equal(replies[0]?.probeId, 100 + ttl);
      assert.equal(replies[0]?.from, target.family === 4 ? `198.18.${ttl}.2` : `2001:db8:${ttl}::2`);
      assert.equal(replies[0]?.replyTtl, 64 - (ttl - 1));
    }
    // Past the server too: it answers whatever TTL is left.
    for (const ttl of [4, 30]) {
      const { replies } = probe(engine, topology, target, ttl, 200 + ttl);
      assert.equal(replies.length, 1);
      assert.equal(replies[0]?.kind, kind, `target ${index} TTL ${ttl}`);
      assert.equal(replies[0]?.from, from);
      assert.equal(replies[0]?.replyTtl, replyTtl);
      if (target.protocol !== 'udp' || kind !== 'udp') assert.equal(replies[0]?.probeId, 200 + ttl, `target ${index} TTL ${ttl}: attributed`);
    }
  }
});

test('time exceeded quotes the probe as the router saw it: whole, TTL 1, header checksum right (IPv4 and IPv6)', () => {
  const { topology, engine } = simulate(chainSpec());
  for (const index of [0, 5]) {
    const target = topology.targets[index]!;
    const method = createProbeMethod('tcp');
    const flow = flowTo(topology, target);
    const sent = probePacket(method, flow, 2, 7);
    engine.handle(sent, 0);
    const [answer] = drain(engine);
    const packet = answer!.packet;
    if (target.family === 4) {
      const ip = decodeIpv4(packet);
      assert.ok(ip.ok && ip.value.checksumValid);
      const icmp = decodeIcmp(ip.value.payload);
      assert.ok(icmp.ok && icmp.value.checksumValid && icmp.value.type === 11 && icmp.value.code === 0);
      const quote = Buffer.from(icmp.value.quote!);
      assert.equal(quote.length, sent.length);
      assert.equal(quote[8], 1);
      assert.equal(internetChecksum(quote.subarray(0, 20)), 0);
      const expected = Buffer.from(sent);
      expected[8] = 1;
      expected.writeUInt16BE(quote.readUInt16BE(10), 10);
      assert.deepEqual(quote, expected);
    } else {
      const ip = decodeIpv6(packet);
      assert.ok(ip.ok);
      const icmp = decodeIcmpv6(ip.value.payload, ip.value.header.source, ip.value.header.destination);
      assert.ok(icmp.ok && icmp.value.checksumValid && icmp.value.type === 3);
      const quote = Buffer.from(icmp.value.quote!);
      const expected = Buffer.from(sent);
      expected[7] = 1;
      assert.deepEqual(quote, expected);
    }
  }
});

test('the quote stops where Linux stops it: 576 bytes in all over IPv4, 1280 over IPv6', () => {
  const { topology, engine } = simulate(chainSpec());
  for (const [family, limit] of [[4, 576], [6, 1280]] as const) {
    const target = topology.targets.find((t) => t.family === family && t.protocol === 'udp')!;
    const flow = flowTo(topology, target);
    const small = probePacket(createProbeMethod('udp'), flow, 1, 9);
    // A 1400-byte datagram: the probe's headers, then padding (its UDP checksum is not what is checked here).
    const big = Buffer.alloc(1400);
    small.copy(big);
    if (family === 4) big.writeUInt16BE(1400, 2);
    else big.writeUInt16BE(1400 - 40, 4);
    engine.handle(big, 0);
    const [answer] = drain(engine);
    assert.equal(answer!.packet.length, limit);
  }
});

test('an MPLS router appends its label stack (RFC 4884 + RFC 4950) after a 128-byte quote, and portpath reads it', () => {
  const labels = [{ label: 24005, trafficClass: 0, bottomOfStack: true, ttl: 1 }];
  const { topology, engine } = simulate(chainSpec({ mpls: { 2: labels } }));
  for (const index of [0, 5]) {
    const { replies } = probe(engine, topology, topology.targets[index]!, 2, 3);
    assert.deepEqual(replies[0]?.mpls, labels);
    assert.equal(replies[0]?.kind, 'time-exceeded');
    assert.equal(replies[0]?.probeId, 3);
  }
  const { replies } = probe(engine, topology, topology.targets[0]!, 1, 3);
  assert.equal(replies[0]?.mpls, undefined);
});

test('an ICMP-silent router forwards but never answers time exceeded', () => {
  const { topology, engine } = simulate(chainSpec({ silent: [2] }));
  const target = topology.targets[0]!;
  assert.equal(probe(engine, topology, target, 2, 1).answers.length, 0);
  assert.equal(probe(engine, topology, target, 3, 2).replies[0]?.from, '198.18.3.2');
  assert.equal(probe(engine, topology, target, 4, 3).replies[0]?.kind, 'syn-ack');
  assert.equal(engine.counters.unanswered, 1);
});

test('firewall rules: drop, reject (3/13, ICMPv6 1/1) from the router after its hop, an RST forged with its TTL', () => {
  const rules = [
    { at: 2, protocol: 'tcp' as const, port: 8443, action: 'drop' as const },
    { at: 2, protocol: 'tcp' as const, port: 3389, action: 'reject' as const },
    { at: 2, protocol: 'tcp' as const, port: 25, action: 'reset' as const },
    { at: 4, protocol: 'tcp' as const, port: 8080, action: 'drop' as const },
    { at: 4, protocol: 'udp' as const, port: 161, action: 'reject' as const },
  ];
  const targets: PresetTarget[] = [8443, 3389, 25, 8080].map((port) => ({ protocol: 'tcp', port }));
  targets.push({ protocol: 'udp', port: 161 }, { protocol: 'tcp', port: 3389, family: 6 });
  const { topology, engine } = simulate(chainSpec({ rules, targets, services: { tcpOpen: [8443, 3389, 25, 8080] } }));
  const [drop, reject, reset, hostDrop, hostReject, reject6] = topology.targets;
  // TTL 2 still expires at r2: time exceeded comes before the forwarding rules.
  for (const target of [drop!, reject!, reset!]) assert.equal(probe(engine, topology, target, 2, 1).replies[0]?.kind, 'time-exceeded');
  assert.equal(probe(engine, topology, drop!, 3, 2).answers.length, 0);
  assert.equal(probe(engine, topology, drop!, 30, 2).answers.length, 0);
  const rejected = probe(engine, topology, reject!, 3, 4).replies[0]!;
  assert.deepEqual([rejected.kind, rejected.icmpType, rejected.icmpCode, rejected.from, rejected.replyTtl, rejected.probeId], ['unreachable', 3, 13, '198.18.2.2', 63, 4]);
  const rejected6 = probe(engine, topology, reject6!, 3, 4).replies[0]!;
  assert.deepEqual([rejected6.kind, rejected6.icmpType, rejected6.icmpCode, rejected6.from], ['unreachable', 1, 1, '2001:db8:2::2']);
  const forged = probe(engine, topology, reset!, 3, 5);
  assert.deepEqual([forged.replies[0]?.kind, forged.replies[0]?.from, forged.replies[0]?.replyTtl, forged.replies[0]?.probeId], ['rst', '198.18.4.2', 63, 5]);
  assert.equal(forged.answers[0]!.facts.by, topology.nodes.findIndex((n) => n.name === 'r2'));
  assert.equal(probe(engine, topology, hostDrop!, 4, 6).answers.length, 0);
  assert.equal(probe(engine, topology, hostDrop!, 3, 6).replies[0]?.from, '198.18.3.2');
  const hostRejected = probe(engine, topology, hostReject!, 4, 7).replies[0]!;
  assert.deepEqual([hostRejected.kind, hostRejected.icmpCode, hostRejected.from, hostRejected.replyTtl], ['unreachable', 13, '198.18.4.2', 61]);
});

test("Linux's ICMP rate limit: a burst of 6 errors, then one a second, per source; TCP answers are not limited", () => {
  const { topology, engine } = simulate(chainSpec({ icmpRateLimit: true }));
  const target = topology.targets[0]!;
  const answeredAt = (ttl: number, now: number) => probe(engine, topology, target, ttl, 1, now).answers.length;
  const burst = Array.from({ length: 10 }, () => answeredAt(1, 0));
  assert.deepEqual(burst, [1, 1, 1, 1, 1, 1, 0, 0, 0, 0]);
  assert.equal(answeredAt(1, 999), 0);
  assert.equal(answeredAt(1, 1001), 1);
  assert.equal(answeredAt(1, 1500), 0);
  // Another router has its own budget, and the IPv6 client is another source.
  assert.equal(answeredAt(2, 1500), 1);
  assert.equal(probe(engine, topology, topology.targets[5]!, 1, 1, 1500).answers.length, 1);
  assert.deepEqual(Array.from({ length: 10 }, () => answeredAt(4, 1500)), Array<number>(10).fill(1));
});

test('delays add up both ways; loss is seeded: the same seed loses the same probes', () => {
  const { topology, engine } = simulate(chainSpec({ links: { 1: { delayMs: 1 }, 2: { delayMs: 2 }, 3: { delayMs: 3 }, 4: { delayMs: 4 } } }));
  const target = topology.targets[0]!;
  const flow = flowTo(topology, target);
  const method = createProbeMethod('tcp');
  for (let ttl = 1; ttl <= 4; ttl++) engine.handle(probePacket(method, flow, ttl, ttl), 100);
  assert.deepEqual(drain(engine, 100 + 2 * 6).map((a) => a.due), [102, 106, 112]);
  assert.deepEqual(drain(engine).map((a) => a.due), [120]);
  const lossy = (seed: number) => {
    const sim = simulate(chainSpec({ loss: 0.1 }), seed);
    return Array.from({ length: 400 }, (_, i) => probe(sim.engine, sim.topology, sim.topology.targets[0]!, 4, i + 1).answers.length);
  };
  const first = lossy(7);
  assert.deepEqual(lossy(7), first);
  assert.notDeepEqual(lossy(8), first);
  // 4 links each way at 10%: 0.9^8 ≈ 43% come back.
  const rate = first.filter(Boolean).length / first.length;
  assert.ok(rate > 0.33 && rate < 0.53, `${rate}`);
});

test('an ECMP diamond keeps each flow on one branch (Paris), spreads flows over all of them, and path() says which', () => {
  const { topology, engine, network } = simulate({ preset: 'diamond', width: 8, branchHops: 2, after: 1, targets: [{ protocol: 'tcp', port: 443 }], services: { tcpOpen: [443] } });
  const target = topology.targets[0]!;
  const branchesSeen = new Set<string>();
  for (let port = 33000; port < 33200; port++) {
    const flow = flowTo(topology, target, port);
    const hops = [1, 2, 3, 4, 5, 6].map((ttl) => probe(engine, topology, target, ttl, ttl, 0, flow).replies[0]?.from ?? null);
    // Twice the same TTL: the same branch.
    assert.equal(probe(engine, topology, target, 2, 9, 0, flow).replies[0]?.from, hops[1]);
    assert.deepEqual(hops, pathFor(network, target, { protocol: 'tcp', source: flow.source, destination: flow.destination, sourcePort: port, destinationPort: 443 }));
    branchesSeen.add(hops[1]!);
  }
  assert.equal(branchesSeen.size, 8);
});

test('behind a NAT: the target address answers time exceeded for a forwarded port, the service answers one hop further', () => {
  const { topology, engine } = simulate({ preset: 'internet', seed: 3, targets: 400, scenarios: { nat: 1 }, protocols: { tcp: 1 }, rateLimit: null, silentRouters: 0 });
  const target = topology.targets[0]!;
  const truth = groundTruth(topology).targets[0]!;
  const natHop = truth.destinationHop - 1;
  const atNat = probe(engine, topology, target, natHop, 1).replies[0]!;
  assert.deepEqual([atNat.kind, atNat.from], ['time-exceeded', target.address]);
  const service = probe(engine, topology, target, natHop + 1, 2).replies[0]!;
  assert.deepEqual([service.kind, service.from, service.replyTtl], ['syn-ack', target.address, 64 - natHop]);
  // Other ports are the NAT's own: closed, at its hop.
  const own = probe(engine, topology, { ...target, port: 1 }, natHop + 1, 3).replies[0]!;
  assert.deepEqual([own.kind, own.replyTtl], ['rst', 64 - (natHop - 1)]);
});

test('every answer of a generated Internet is attributed by portpath to the probe it answers, and agrees with the truth', () => {
  const { topology, engine } = simulate({ preset: 'internet', seed: 11, targets: 300, ipv6: true, rateLimit: null });
  const truth = groundTruth(topology);
  let answers = 0;
  for (const target of topology.targets) {
    const t = truth.targets[target.id]!;
    // As a tracer sees it: the last router that answered, and the first answer that is not time exceeded.
    let lastRouter: number | null = null;
    let final: { ttl: number; kind: string; from: string; replyTtl: number | null } | null = null;
    for (let ttl = 1; ttl <= t.destinationHop + 1; ttl++) {
      const { replies } = probe(engine, topology, target, ttl, ttl, 0, flowTo(topology, target, 20000 + target.id));
      for (const reply of replies) {
        answers++;
        assert.ok(reply, `target ${target.id} TTL ${ttl}: an answer portpath does not attribute`);
        if (reply.kind !== 'udp') assert.equal(reply.probeId, ttl, `target ${target.id} TTL ${ttl}`);
        if (reply.kind === 'time-exceeded') {
          lastRouter = ttl;
          const hop = t.path[ttl - 1];
          if (hop !== null && typeof hop === 'object') assert.ok(hop.ecmp.includes(reply.from), `target ${target.id} TTL ${ttl}`);
          else assert.equal(reply.from, hop, `target ${target.id} TTL ${ttl}`);
        } else {
          final ??= { ttl, kind: reply.kind, from: reply.from, replyTtl: reply.replyTtl };
        }
      }
    }
    const where = `target ${target.id} (${t.fault}, ${t.verdict})`;
    switch (t.verdict) {
      case 'open':
      case 'closed':
      case 'reachable':
        assert.deepEqual([final?.ttl, final?.from], [t.destinationHop, target.address], where);
        break;
      case 'rejected-in-path':
        assert.deepEqual([final?.ttl, final?.kind, final?.from], [t.hop, 'unreachable', t.by], where);
        break;
      case 'reset-in-path': {
        assert.deepEqual([final?.kind, final?.ttl, final?.from], ['rst', t.hop! + 1, target.address], where);
        // The forged RST's TTL gives its sender away: it comes from the forging router's hop, not the destination's.
        const sent = final!.replyTtl! > 64 ? 255 - final!.replyTtl! + 1 : 64 - final!.replyTtl! + 1;
        assert.equal(sent, t.hop, where);
        break;
      }
      case 'filtered-in-path':
      case 'filtered-at-destination':
        if (t.fault === 'reject-at-destination') assert.deepEqual([final?.ttl, final?.kind, final?.from], [t.destinationHop, 'unreachable', target.address], where);
        else assert.deepEqual([final, lastRouter], [null, t.hop], where);
        break;
      default:
        assert.fail(`${where}: a verdict the generator should not make`);
    }
  }
  assert.ok(answers > 3000);
});

test('throughput: packets per second the engine handles on one core (printed; the target is ≥ 20,000)', (t) => {
  for (const rateLimit of [undefined, null]) {
    const { topology, engine } = simulate({ preset: 'internet', seed: 5, targets: 2000, ipv6: true, ...(rateLimit === null ? { rateLimit } : {}) });
    const truth = groundTruth(topology);
    const packets: Buffer[] = [];
    for (const target of topology.targets) {
      const method = createProbeMethod(target.protocol);
      const flow = flowTo(topology, target, 30000 + (target.id % 20000));
      for (let ttl = 1; ttl <= truth.targets[target.id]!.destinationHop; ttl++) packets.push(probePacket(method, flow, ttl, ttl));
    }
    let answered = 0;
    const rounds = 3;
    const started = performance.now();
    for (let round = 0; round < rounds; round++) {
      packets.forEach((packet, i) => {
        // Virtual time: 20 µs apart, as 50,000 packets a second would come.
        const now = (round * packets.length + i) * 0.02;
        engine.handle(packet, now);
        for (let answer = engine.popDue(now); answer; answer = engine.popDue(now)) answered++;
      });
    }
    answered += drain(engine).length;
    const seconds = (performance.now() - started) / 1000;
    const rate = Math.round((rounds * packets.length) / seconds);
    t.diagnostic(`engine: ${rate} packets/s (${rounds * packets.length} probes, ${answered} answers, rate limit ${rateLimit === null ? 'off' : "Linux's"})`);
    assert.ok(answered > 0);
  }
});
