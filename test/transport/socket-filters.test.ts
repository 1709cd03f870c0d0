// The kernel-side filter of the raw TCP sockets, run in the BPF interpreter on real captures (test/packet/
// real-captures.ts) and on seeded random segments: it admits exactly the SYN-ACKs and RSTs (the only answers a SYN
// can get, so nothing the TCP matcher would accept is ever held back), for IPv4 (IP header first, any length) and
// IPv6 (TCP header first).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeBpf, runBpf } from '../../src/packet/bpf.js';
import { int, mulberry32, randomBytes } from '../../src/lab/seeded-random.js';
import { tcpAnswersFilter, udpToPortsFilter } from '../../src/transport/socket-filters.js';
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
