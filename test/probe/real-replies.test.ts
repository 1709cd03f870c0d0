// The matchers on answers real routers and hosts sent (test/packet/real-captures.ts): given the flow the quoted
// probe belonged to, each is attributed to the probe id its fields carry, with its MPLS labels and interfaces —
// another flow never takes it, and a quote whose UDP checksum is 0 names no probe at all.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodeIpv4 } from '../../src/packet/ipv4.js';
import { decodeIcmpError, replyFromIcmpError } from '../../src/probe/icmp-error.js';
import { flowKey, packetFlowKey } from '../../src/probe/flow-key.js';
import { createProbeMethod } from '../../src/probe/index.js';
import type { Family, Flow, InboundPacket, Protocol } from '../../src/probe/method.js';
import * as real from '../packet/real-captures.js';

/** A whole IPv4 packet as the raw transport hands it over. */
function inboundV4(bytes: Uint8Array): InboundPacket {
  const ip = decodeIpv4(bytes);
  assert.ok(ip.ok);
  const { header, payload } = ip.value;
  return { family: 4, from: header.source, to: header.destination, ttl: header.ttl, ipProtocol: header.protocol, payload, receivedAtNs: 1n };
}

/** An ICMP(v6) message alone, from an address the fixture does not record. */
function inboundIcmp(family: Family, bytes: Uint8Array, from: string): InboundPacket {
  return { family, from, to: '', ttl: 250, ipProtocol: family === 4 ? 1 : 58, payload: bytes, receivedAtNs: 1n };
}

function flow(family: Family, protocol: Protocol, source: string, destination: string, sourcePort: number, destinationPort: number, nonce = 0, icmpId = 0): Flow {
  return { family, protocol, source, destination, sourcePort, destinationPort, icmpId, nonce };
}

/** Flows of other traces that could run on the same host at the same time: none may take this trace's replies. */
function otherTraces(f: Flow): Flow[] {
  const elsewhere = { ...f, destination: f.family === 4 ? '198.18.9.9' : '2001:db8::9' };
  if (f.protocol === 'icmp') return [elsewhere, { ...f, icmpId: f.icmpId + 1 }];
  const ports = [elsewhere, { ...f, sourcePort: f.sourcePort + 1 }, { ...f, destinationPort: f.destinationPort + 1 }];
  return f.protocol === 'tcp' ? [...ports, { ...f, nonce: f.nonce + 1 }] : ports;
}

const V6_CLIENT = 'fd7a:115c:a1e0:ab12:4843:cd96:6263:82a';

interface Case {
  packet: InboundPacket;
  flow: Flow;
  probeId: number;
  kind: string;
  icmpCode?: number;
}

const cases: Record<string, Case> = {
  'IPv4 time exceeded quoting a whole SYN': {
    packet: inboundV4(real.TIME_EXCEEDED_V4_TCP),
    flow: flow(4, 'tcp', '192.168.1.21', '142.250.204.142', 33021, 80, 0x61f2),
    probeId: 0x4d4a,
    kind: 'time-exceeded',
  },
  'IPv4 administratively prohibited quoting a SYN': {
    packet: inboundV4(real.PROHIBITED_V4_TCP),
    flow: flow(4, 'tcp', '192.168.1.21', '9.9.9.9', 33010, 10011, 0x5eb1),
    probeId: 0xfac7,
    kind: 'unreachable',
    icmpCode: 10,
  },
  'IPv6 time exceeded quoting a whole SYN': {
    packet: inboundIcmp(6, real.TIME_EXCEEDED_V6_TCP, '2001:db8::1'),
    flow: flow(6, 'tcp', V6_CLIENT, '2a00:1450:4009:815::200e', 33038, 80, 0xaac4),
    probeId: 0x08e6,
    kind: 'time-exceeded',
  },
  'IPv6 no route quoting a SYN': {
    packet: inboundIcmp(6, real.NO_ROUTE_V6_TCP, '2001:db8::1'),
    flow: flow(6, 'tcp', V6_CLIENT, '2a00:1450:4009:821::200e', 33060, 123, 0x35d2),
    probeId: 0x32c6,
    kind: 'unreachable',
    icmpCode: 0,
  },
  'IPv4 time exceeded quoting UDP': {
    packet: inboundV4(real.TIME_EXCEEDED_V4_UDP),
    flow: flow(4, 'udp', '192.168.1.21', '142.250.204.142', 31829, 33030),
    probeId: 0xe4cb,
    kind: 'time-exceeded',
  },
  'IPv4 administratively prohibited quoting UDP': {
    packet: inboundV4(real.PROHIBITED_V4_UDP),
    flow: flow(4, 'udp', '192.168.1.21', '9.9.9.9', 32779, 33010),
    probeId: 0x2aa1,
    kind: 'unreachable',
    icmpCode: 10,
  },
  'IPv6 time exceeded quoting UDP': {
    packet: inboundIcmp(6, real.TIME_EXCEEDED_V6_UDP, '2001:db8::1'),
    flow: flow(6, 'udp', V6_CLIENT, '2a04:4e42::81', 22694, 33029),
    probeId: 0xd0f1,
    kind: 'time-exceeded',
  },
  'IPv6 no route quoting UDP': {
    packet: inboundIcmp(6, real.NO_ROUTE_V6_UDP, '2001:db8::1'),
    flow: flow(6, 'udp', V6_CLIENT, '2a00:1450:4009:81f::200e', 26477, 33118),
    probeId: 0x9412,
    kind: 'unreachable',
    icmpCode: 0,
  },
  'IPv4 time exceeded quoting an echo request': {
    packet: inboundV4(real.TIME_EXCEEDED_V4_ICMP),
    flow: flow(4, 'icmp', '192.168.1.21', '142.251.222.206', 0, 0, 0, 30167),
    probeId: 33047,
    kind: 'time-exceeded',
  },
  'IPv4 host unreachable quoting 8 bytes of an echo request': {
    packet: inboundV4(real.HOST_UNREACHABLE_V4_ICMP),
    flow: flow(4, 'icmp', '192.168.1.21', '20.0.0.254', 0, 0, 0, 31489),
    probeId: 33060,
    kind: 'unreachable',
    icmpCode: 1,
  },
  'IPv6 time exceeded quoting an echo request': {
    packet: inboundIcmp(6, real.TIME_EXCEEDED_V6_ICMP, '2001:db8::1'),
    flow: flow(6, 'icmp', V6_CLIENT, '2a04:4e42::81', 0, 0, 0, 21945),
    probeId: 33056,
    kind: 'time-exceeded',
  },
};

describe('real ICMP errors are attributed to the probe they quote', () => {
  for (const [name, c] of Object.entries(cases)) {
    test(name, () => {
      const method = createProbeMethod(c.flow.protocol);
      const reply = method.match(c.packet, c.flow);
      assert.deepEqual([reply?.probeId, reply?.kind, reply?.from], [c.probeId, c.kind, c.packet.from]);
      if (c.icmpCode !== undefined) assert.equal(reply?.icmpCode, c.icmpCode);
      assert.ok(reply?.quote && reply.quote.length >= 28, 'the quote is kept for middlebox comparison');
      for (const other of otherTraces(c.flow)) assert.equal(method.match(c.packet, other), null, `taken by ${JSON.stringify(other)}`);
    });
  }
});

describe('the shared raw sockets hand each real answer to the trace whose flow it belongs to', () => {
  for (const [name, c] of Object.entries(cases)) {
    test(name, () => {
      assert.equal(packetFlowKey(c.packet), flowKey(c.flow));
      for (const other of otherTraces(c.flow).filter((o) => o.sourcePort !== c.flow.sourcePort || o.icmpId !== c.flow.icmpId)) {
        assert.notEqual(packetFlowKey(c.packet), flowKey(other));
      }
    });
  }
  test('garbage and strangers belong to no flow', () => {
    const junk = (ipProtocol: number, payload: number[]): InboundPacket => ({ family: 4, from: '198.18.9.9', to: '', ttl: 60, ipProtocol, payload: Uint8Array.from(payload), receivedAtNs: 1n });
    assert.equal(packetFlowKey(junk(6, [1, 2, 3])), null);
    assert.equal(packetFlowKey(junk(1, [11, 0, 0, 0, 0, 0, 0, 0, 0x45])), null);
    assert.equal(packetFlowKey(junk(1, [8, 0, 0, 0, 0, 1, 0, 1])), null, 'an echo request is not an answer');
    assert.equal(packetFlowKey(junk(47, [0, 0, 0, 0])), null);
  });
});

describe('MPLS labels and interfaces travel with the reply', () => {
  test('trippy #804 (IPv4, unpadded length attribute): attributed, with its label', () => {
    const f = flow(4, 'icmp', '100.99.8.42', '93.184.216.34', 0, 0, 0, 0x6583);
    const reply = createProbeMethod('icmp').match(inboundIcmp(4, real.UNPADDED_LENGTH_MPLS_V4_ICMP, '192.0.2.1'), f);
    assert.equal(reply?.probeId, 0x80ef);
    assert.deepEqual(reply?.mpls, [{ label: 416240, trafficClass: 0, bottomOfStack: true, ttl: 1 }]);
  });

  test('trippy test_ipv6 (unpadded length attribute): attributed, with both labels', () => {
    const f = flow(6, 'icmp', '2400:6180:0:d0::1265:b001', '2404:6800:4003:c1c::8a', 0, 0, 0, 0x2a60);
    const reply = createProbeMethod('icmp').match(inboundIcmp(6, real.UNPADDED_LENGTH_MPLS_V6, '2001:db8::1'), f);
    assert.equal(reply?.probeId, 0x80f2);
    assert.deepEqual(reply?.mpls?.map((l) => l.label), [27121, 2]);
  });

  test("tcpdump's RFC 5837 capture: the interface reaches the ProbeReply", () => {
    const packet = inboundV4(real.INTERFACE_INFO_V4);
    const error = decodeIcmpError(packet);
    assert.ok(error);
    const reply = replyFromIcmpError(packet, error, 7);
    assert.deepEqual(reply.interfaces, [{ role: 'incoming', ifIndex: 15, address: '10.10.10.10', name: 'This-is-the-name-of-the-Interface-that-we-are-looking-for-[:-)]' }]);
    assert.equal(reply.mpls, undefined);
  });
});

describe('quoted UDP checksums of 0 (a traceroute through an MPLS core, tcpdump)', () => {
  const udp = createProbeMethod('udp');
  const mplsHop = flow(4, 'udp', '12.4.4.4', '12.1.1.1', 42315, 33440);

  test('time exceeded and port unreachable with checksum-0 quotes match no probe', () => {
    assert.equal(udp.match(inboundV4(real.MPLS_TIME_EXCEEDED_V4_UDP), mplsHop), null);
    assert.equal(udp.match(inboundV4(real.ZERO_CHECKSUM_PORT_UNREACHABLE_V4), { ...mplsHop, destinationPort: 33441 }), null);
    assert.equal(udp.match(inboundV4(real.INTERFACE_INFO_V4), mplsHop), null);
  });

  test('...and only the checksum stops them: with an id there, they are attributed, labels and interface included', () => {
    const withChecksum = (bytes: Buffer, value: number) => {
      const copy = Buffer.from(bytes);
      copy.writeUInt16BE(value, 20 + 8 + 20 + 6); // outer IP, ICMP header, quoted IP, then the UDP checksum
      return inboundV4(copy);
    };
    const expired = udp.match(withChecksum(real.MPLS_TIME_EXCEEDED_V4_UDP, 0x1234), mplsHop);
    assert.deepEqual([expired?.probeId, expired?.kind, expired?.mpls?.[0]?.label], [0x1234, 'time-exceeded', 102672]);
    const closed = udp.match(withChecksum(real.ZERO_CHECKSUM_PORT_UNREACHABLE_V4, 0x4321), { ...mplsHop, destinationPort: 33441 });
    assert.deepEqual([closed?.probeId, closed?.kind, closed?.icmpCode], [0x4321, 'unreachable', 3]);
    const named = udp.match(withChecksum(real.INTERFACE_INFO_V4, 0x0101), mplsHop);
    assert.equal(named?.interfaces?.[0]?.ifIndex, 15);
  });
});

describe('real TCP answers', () => {
  const tcp = createProbeMethod('tcp');

  test('a SYN-ACK from a web server: attributed by its ack, the reply TTL kept', () => {
    const f = flow(4, 'tcp', '131.155.215.69', '137.116.81.94', 46656, 80, 0x2f84);
    const reply = tcp.match(inboundV4(real.SYN_ACK_FROM_WEB_V4), f);
    assert.deepEqual([reply?.probeId, reply?.kind, reply?.replyTtl], [0x2acb, 'syn-ack', 117]);
    assert.equal(tcp.match(inboundV4(real.SYN_ACK_FROM_WEB_V4), { ...f, nonce: 0x2f85 }), null);
  });

  test('an RST-ACK from a closed port, and one carrying an option', () => {
    const closed = tcp.match(inboundV4(real.RST_FROM_CLOSED_V4), flow(4, 'tcp', '1.0.3.2', '1.0.3.1', 43415, 179, 0xfeed));
    assert.deepEqual([closed?.probeId, closed?.kind], [0x4c2f, 'rst']);
    const optioned = tcp.match(inboundV4(real.RST_WITH_OPTION_V4), flow(4, 'tcp', '192.168.76.28', '192.0.2.1', 8080, 55739, 0x81bd));
    assert.deepEqual([optioned?.probeId, optioned?.kind], [0xc285, 'rst']);
  });
});
