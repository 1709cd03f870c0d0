// The kernel-side filter of the raw TCP sockets, run in the BPF interpreter on real captures (test/packet/
// real-captures.ts) and on seeded random segments: it admits exactly the SYN-ACKs and RSTs (the only answers a SYN
// can get, so nothing the TCP matcher would accept is ever held back), for IPv4 (IP header first, any length) and
// IPv6 (TCP header first).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ACCEPT, encodeBpf, runBpf } from '../../src/packet/bpf.js';
import { int, mulberry32, randomBytes } from '../../src/lab/seeded-random.js';
import { icmpForFlowsFilter, tcpAnswersFilter, udpToPortsFilter } from '../../src/transport/socket-filters.js';
import { createProbeMethod } from '../../src/probe/index.js';
import { flowKey, packetFlowKey } from '../../src/probe/flow-key.js';
import type { Protocol } from '../../src/probe/method.js';
import { flowFor, icmpErrorFor } from '../probe/fixtures.js';
import * as real from '../packet/real-captures.js';
import { encodeTcp } from '../../src/packet/tcp.js';
import { encodeUdp } from '../../src/packet/udp.js';
import { createTcpSynMethod, sequenceFor } from '../../src/probe/tcp-syn.js';
import { createUdpMethod } from '../../src/probe/udp.js';
import type { Flow, InboundPacket } from '../../src/probe/method.js';

const v4 = tcpAnswersFilter(4);
const v6 = tcpAnswersFilter(6);
const tcpOf = (ipv4: Uint8Array) => ipv4.subarray((ipv4[0]! & 0xf) * 4);

test('real captures: SYN-ACKs and RSTs pass, SYNs stay in the kernel, over IPv4 and IPv6', () => {
  for (const packet of [real.SYN_ACK_FROM_WEB_V4, real.RST_FROM_CLOSED_V4, real.RST_WITH_OPTION_V4]) {
    assert.ok(runBpf(v4, packet) > 0);
    assert.ok(runBpf(v6, tcpOf(packet)) > 0);
  }
  for (const packet of [real.SYN_TO_WEB_V4, real.SYN_TO_CLOSED_V4]) {
    assert.equal(runBpf(v4, packet), 0);
    assert.equal(runBpf(v6, tcpOf(packet)), 0);
  }
});

test('seeded random segments (any flags, IPv4 options of any length, truncations): admitted exactly when RST or SYN+ACK', () => {
  const seed = 20261129;
  const random = mulberry32(seed);
  for (let i = 0; i < 5000; i++) {
    const flags = int(random, 256);
    const tcp = Buffer.from(randomBytes(random, 20));
    tcp[13] = flags;
    const ihl = 5 + int(random, 11);
    const ip = Buffer.concat([Buffer.from(randomBytes(random, ihl * 4)), tcp]);
    ip[0] = 0x40 | ihl;
    const want = (flags & 0x04) !== 0 || (flags & 0x12) === 0x12;
    assert.equal(runBpf(v4, ip) > 0, want, `seed ${seed}, case ${i}: flags 0x${flags.toString(16)}, IHL ${ihl}`);
    assert.equal(runBpf(v6, tcp) > 0, want, `seed ${seed}, case ${i}: flags 0x${flags.toString(16)}`);
    // Cut short before the flags byte: dropped, as the kernel drops a load past the end.
    assert.equal(runBpf(v4, ip.subarray(0, ihl * 4 + 13)), 0);
  }
});

test('the program bytes are struct sock_filter entries', () => {
  const bytes = encodeBpf(v6);
  assert.equal(bytes.length, v6.length * 8);
  // ldb [13]: BPF_LD|BPF_B|BPF_ABS = 0x30, k = 13.
  assert.deepEqual([...bytes.subarray(0, 8)], [0x30, 0, 0, 0, 13, 0, 0, 0]);
});

test('UDP: datagrams to the ports our traces listen on pass, others stay in the kernel; no ports, nothing passes', () => {
  const udp = (dstPort: number) => Buffer.from([0x00, 0x35, dstPort >> 8, dstPort & 0xff, 0, 12, 0, 0, 1, 2, 3, 4]);
  const ipv4 = (payload: Buffer, ihl = 5) => {
    const header = Buffer.alloc(ihl * 4);
    header[0] = 0x40 | ihl;
    return Buffer.concat([header, payload]);
  };
  const ports = [40123, 33434, 51000];
  for (const family of [4, 6] as const) {
    const program = udpToPortsFilter(family, ports);
    const wrap = (datagram: Buffer) => (family === 4 ? ipv4(datagram, 6) : datagram);
    for (const port of ports) assert.ok(runBpf(program, wrap(udp(port))) > 0, `IPv${family} port ${port}`);
    for (const port of [53, 40124, 0, 65535]) assert.equal(runBpf(program, wrap(udp(port))), 0, `IPv${family} port ${port}`);
    assert.equal(runBpf(udpToPortsFilter(family, []), wrap(udp(40123))), 0);
  }
  assert.ok(runBpf(udpToPortsFilter(4, Array.from({ length: 300 }, (_, i) => 1000 + i)), ipv4(udp(9))) > 0, 'too many ports: all pass');
});

// The other direction of the contract, driven by the matchers themselves: every segment or datagram the TCP or UDP
// matcher takes as an answer to one of its probes passes the filter, so the kernel never holds back an answer. (The
// converse is not wanted: the TCP program is locked and shared by every trace, so it admits any SYN-ACK or RST and
// the matcher sorts them out; the UDP program admits any datagram to a listening port.)
test('seeded fuzz: every answer the TCP and UDP matchers accept passes the kernel filter, whole or mutated', () => {
  const seed = 4950;
  const random = mulberry32(seed);
  const tcp = createTcpSynMethod();
  const udp = createUdpMethod();
  const ipv4 = (payload: Buffer) => {
    const ihl = 5 + int(random, 11);
    const header = Buffer.from(randomBytes(random, ihl * 4));
    header[0] = 0x40 | ihl;
    return Buffer.concat([header, payload]);
  };
  const accepted = { tcp: 0, udp: 0 };
  for (let i = 0; i < 4000; i++) {
    const flow: Flow = {
      family: 6, protocol: 'tcp', source: '2001:db8::1', destination: '2001:db8::2', sourcePort: 1024 + int(random, 60000),
      destinationPort: 1 + int(random, 65534), icmpId: 0, nonce: int(random, 2 ** 16),
    };
    const probeId = 1 + int(random, 0xfffe);
    const flagChoices = [0x12, 0x14, 0x04, 0x10, 0x02, 0x11, 0x18, 0x16];
    const flags = flagChoices[int(random, flagChoices.length)]!;
    const segment = encodeTcp(
      { sourcePort: flow.destinationPort, destinationPort: flow.sourcePort, seq: int(random, 2 ** 32), ack: (sequenceFor(flow, probeId) + 1) >>> 0, flags: { syn: !!(flags & 2), rst: !!(flags & 4), ack: !!(flags & 0x10), fin: !!(flags & 1), psh: !!(flags & 8) } },
      new Uint8Array(0), flow.destination, flow.source,
    );
    const datagram = encodeUdp({ sourcePort: flow.destinationPort, destinationPort: flow.sourcePort }, randomBytes(random, int(random, 40)), flow.destination, flow.source);
    // A quarter of the cases get one random byte changed anywhere.
    for (const bytes of [segment, datagram]) if (int(random, 4) === 0) bytes[int(random, bytes.length)] = int(random, 256);
    const inbound = (payload: Buffer, ipProtocol: number): InboundPacket => ({ family: 6, from: flow.destination, to: flow.source, ttl: 64, ipProtocol, payload, receivedAtNs: 0n });
    const context = `seed ${seed}, case ${i}`;
    if (tcp.match(inbound(segment, 6), flow)) {
      accepted.tcp++;
      assert.ok(runBpf(v6, segment) > 0, `${context}: TCP, IPv6`);
      assert.ok(runBpf(v4, ipv4(segment)) > 0, `${context}: TCP, IPv4`);
    }
    if (udp.match(inbound(datagram, 17), { ...flow, protocol: 'udp' })) {
      accepted.udp++;
      const ports = [flow.sourcePort, ...Array.from({ length: int(random, 20) }, () => int(random, 65536))];
      ports.sort(() => random() - 0.5);
      assert.ok(runBpf(udpToPortsFilter(6, ports), datagram) > 0, `${context}: UDP, IPv6`);
      assert.ok(runBpf(udpToPortsFilter(4, ports), ipv4(datagram)) > 0, `${context}: UDP, IPv4`);
    }
  }
  // The fuzz exercised both matchers' accepting side, not only their refusals.
  assert.ok(accepted.tcp > 1000 && accepted.udp > 1000, JSON.stringify(accepted));
});

/** What a raw ICMP socket sees: IPv4 with the outer IP header first (any length), IPv6 from the ICMPv6 header. */
function onSocket(packet: InboundPacket, random: () => number): Buffer {
  if (packet.family === 6) return Buffer.from(packet.payload);
  const ihl = 5 + int(random, 11);
  const header = Buffer.alloc(ihl * 4);
  header[0] = 0x40 | ihl;
  header[9] = 1;
  return Buffer.concat([header, Buffer.from(packet.payload)]);
}

// The ICMP socket's filter against the flow keys the hub dispatches by: every ICMP error or echo reply whose flow
// is one a trace listens on passes (the safety direction: an answer is never held back); others' traffic stays in
// the kernel — quoted TCP/UDP by source port (the two protocols' ports together), echo by identifier.
test('seeded fuzz: the ICMP filter passes exactly the errors and echo replies of the flows listened on', () => {
  const seed = 7_2026;
  const random = mulberry32(seed);
  const protocols: Protocol[] = ['tcp', 'udp', 'icmp'];
  let passed = 0;
  let held = 0;
  for (let i = 0; i < 3000; i++) {
    const family = (int(random, 2) === 0 ? 4 : 6) as 4 | 6;
    const protocol = protocols[int(random, 3)]!;
    const flow = { ...flowFor(family, protocol), sourcePort: 1024 + int(random, 60000), icmpId: 1 + int(random, 0xfffe) };
    const probe = createProbeMethod(protocol).build(flow, 1 + int(random, 30), 1 + int(random, 0xfffe));
    const router = family === 4 ? '198.18.2.2' : '2001:db8:2::2';
    const packet =
      protocol === 'icmp' && int(random, 3) === 0
        ? echoReply(flow.family, flow.icmpId, router)
        : icmpErrorFor(flow, probe, router, int(random, 2) === 0 ? 'time-exceeded' : 'unreachable', int(random, 4), 28 + int(random, 100));
    const others = Array.from({ length: int(random, 12) }, () => 1 + int(random, 65534));
    const listened = int(random, 2) === 0;
    const ports = protocol === 'icmp' ? others : listened ? [...others, flow.sourcePort] : others.filter((p) => p !== flow.sourcePort);
    const ids = protocol !== 'icmp' ? others : listened ? [...others, flow.icmpId] : others.filter((p) => p !== flow.icmpId);
    const program = icmpForFlowsFilter(family, ports, ids)!;
    const admitted = runBpf(program, onSocket(packet, random)) > 0;
    const key = packetFlowKey(packet);
    assert.equal(key, flowKey(flow), `seed ${seed}, case ${i}: the fixture's own flow`);
    const want = protocol === 'icmp' ? ids.includes(flow.icmpId) : ports.includes(flow.sourcePort);
    assert.equal(admitted, want, `seed ${seed}, case ${i}: ${family} ${protocol}, listened ${listened}`);
    if (admitted) passed++;
    else held++;
  }
  assert.ok(passed > 1000 && held > 1000, `${passed} passed, ${held} held`);
});

function echoReply(family: 4 | 6, id: number, from: string): InboundPacket {
  const payload = Buffer.alloc(16);
  payload[0] = family === 4 ? 0 : 129;
  payload.writeUInt16BE(id, 4);
  payload.writeUInt16BE(7, 6);
  return { family, from, to: '', ttl: 60, ipProtocol: family === 4 ? 1 : 58, payload, receivedAtNs: 0n };
}

test('the ICMP filter: real captured errors pass for their flow and not for another; echo requests and garbage stay out', () => {
  const random = mulberry32(5);
  for (const capture of [real.TIME_EXCEEDED_V4_TCP, real.PROHIBITED_V4_TCP, real.TIME_EXCEEDED_V4_UDP, real.PROHIBITED_V4_UDP, real.TIME_EXCEEDED_V4_ICMP, real.HOST_UNREACHABLE_V4_ICMP]) {
    const ihl = (capture[0]! & 0xf) * 4;
    const packet: InboundPacket = { family: 4, from: '192.0.2.1', to: '', ttl: 60, ipProtocol: 1, payload: capture.subarray(ihl), receivedAtNs: 0n };
    const key = packetFlowKey(packet)!;
    const value = Number(key.split(':')[1]);
    const [ports, ids] = key.startsWith('icmp:') ? [[], [value]] : [[value], []];
    assert.ok(runBpf(icmpForFlowsFilter(4, ports, ids)!, capture) > 0, key);
    assert.equal(runBpf(icmpForFlowsFilter(4, ports.map((p) => p + 1), ids.map((p) => p + 1))!, capture), 0, key);
  }
  // Another host's echo request to us (type 8) and random bytes: never admitted, whatever is listened on.
  const request = Buffer.from(echoReply(4, 77, '198.18.9.9').payload);
  request[0] = 8;
  assert.equal(runBpf(icmpForFlowsFilter(4, [], [77])!, onSocket({ family: 4, from: '', to: '', ttl: 1, ipProtocol: 1, payload: request, receivedAtNs: 0n }, random)), 0);
  for (let i = 0; i < 2000; i++) {
    const bytes = Buffer.from(randomBytes(random, int(random, 120)));
    const result = runBpf(icmpForFlowsFilter(6, [1, 2, 3], [4, 5])!, bytes);
    assert.ok(result === 0 || result === ACCEPT);
  }
  // Too many flows to encode: null, and the hub then lets all ICMP through.
  assert.equal(icmpForFlowsFilter(4, Array.from({ length: 300 }, (_, i) => 1000 + i), []), null);
  // Where the count alone says so (a batch's thousand flows), and right at the edge, as the assembler finds it.
  for (const family of [4, 6] as const) {
    assert.equal(icmpForFlowsFilter(family, Array.from({ length: 200 }, (_, i) => 1000 + i), Array.from({ length: 56 }, (_, i) => i)), null);
    assert.equal(icmpForFlowsFilter(family, [], Array.from({ length: 4000 }, (_, i) => i)), null);
    let most = 0;
    while (icmpForFlowsFilter(family, Array.from({ length: most + 1 }, (_, i) => 1000 + i), [7]) !== null) most++;
    assert.ok(most > 200 && most < 255, `${most} ports and one id fit`);
  }
});
