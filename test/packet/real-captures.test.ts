// The decoders on packets real routers and hosts sent (see real-captures.ts for where each comes from): checksums
// verify, quotes lead back to the probe's ports and id fields, extensions are found in the layouts routers use,
// and TCP answers decode with the options other stacks send.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { describePacket } from '../../src/packet/describe.js';
import { decodeIcmp } from '../../src/packet/icmp.js';
import type { IcmpMessage } from '../../src/packet/icmp.js';
import { decodeIcmpv6 } from '../../src/packet/icmpv6.js';
import { decodeIpv4 } from '../../src/packet/ipv4.js';
import { decodeIpv6 } from '../../src/packet/ipv6.js';
import { decodeTcp, tcpChecksumValid } from '../../src/packet/tcp.js';
import { decodeUdp } from '../../src/packet/udp.js';
import * as real from './real-captures.js';

/** What a quote must lead back to: the probe's addresses and the fields that identify it. */
interface Expected {
  bytes: Buffer;
  type: number;
  code: number;
  from?: string;
  to: string;
  /** 'tcp sport>dport seq' | 'udp sport>dport cksum' | 'icmp id seq' */
  probe: string;
  quoteLength: number;
}

function probeOf(protocol: number, l4: Uint8Array): string {
  if (protocol === 6) {
    const tcp = decodeTcp(l4);
    assert.ok(tcp.ok);
    const h = tcp.value.header;
    return `tcp ${h.sourcePort}>${h.destinationPort} 0x${h.seq.toString(16)}`;
  }
  if (protocol === 17) {
    const udp = decodeUdp(l4);
    assert.ok(udp.ok);
    const h = udp.value.header;
    return `udp ${h.sourcePort}>${h.destinationPort} 0x${h.checksum.toString(16)}`;
  }
  const view = Buffer.from(l4.buffer, l4.byteOffset, l4.byteLength);
  return `icmp ${view.readUInt16BE(4)} ${view.readUInt16BE(6)}`;
}

function icmpOf(bytes: Uint8Array): { message: IcmpMessage; from: string } {
  const ip = decodeIpv4(bytes);
  assert.ok(ip.ok);
  assert.equal(ip.value.checksumValid, true);
  assert.equal(ip.value.truncated, false);
  const icmp = decodeIcmp(ip.value.payload);
  assert.ok(icmp.ok);
  return { message: icmp.value, from: ip.value.header.source };
}

describe('ICMPv4 errors from Internet routers', () => {
  const cases: Record<string, Expected> = {
    'time exceeded quoting an echo request': { bytes: real.TIME_EXCEEDED_V4_ICMP, type: 11, code: 0, from: '142.250.61.129', to: '142.251.222.206', probe: 'icmp 30167 33047', quoteLength: 84 },
    'host unreachable quoting 8 bytes of an echo request': { bytes: real.HOST_UNREACHABLE_V4_ICMP, type: 3, code: 1, from: '20.0.0.254', to: '20.0.0.254', probe: 'icmp 31489 33060', quoteLength: 28 },
    'time exceeded quoting UDP': { bytes: real.TIME_EXCEEDED_V4_UDP, type: 11, code: 0, from: '192.168.1.1', to: '142.250.204.142', probe: 'udp 31829>33030 0xe4cb', quoteLength: 84 },
    'administratively prohibited quoting UDP': { bytes: real.PROHIBITED_V4_UDP, type: 3, code: 10, from: '9.9.9.9', to: '9.9.9.9', probe: 'udp 32779>33010 0x2aa1', quoteLength: 84 },
    'time exceeded quoting a whole SYN': { bytes: real.TIME_EXCEEDED_V4_TCP, type: 11, code: 0, from: '209.85.240.235', to: '142.250.204.142', probe: 'tcp 33021>80 0x61f24d4a', quoteLength: 64 },
    'administratively prohibited quoting a SYN': { bytes: real.PROHIBITED_V4_TCP, type: 3, code: 10, from: '9.9.9.9', to: '9.9.9.9', probe: 'tcp 33010>10011 0x5eb1fac7', quoteLength: 64 },
    'port unreachable quoting UDP with checksum 0': { bytes: real.ZERO_CHECKSUM_PORT_UNREACHABLE_V4, type: 3, code: 3, from: '12.1.1.1', to: '12.1.1.1', probe: 'udp 42315>33441 0x0', quoteLength: 28 },
  };
  for (const [name, want] of Object.entries(cases)) {
    test(name, () => {
      const { message, from } = icmpOf(want.bytes);
      assert.deepEqual([message.type, message.code, message.checksumValid, from], [want.type, want.code, true, want.from]);
      assert.equal(message.quote?.length, want.quoteLength);
      assert.equal(message.extensions, undefined);
      assert.equal(message.extensionError, undefined);
      const inner = decodeIpv4(message.quote ?? new Uint8Array(0));
      assert.ok(inner.ok);
      assert.equal(inner.value.checksumValid, true, 'routers quote the header as it arrived');
      assert.equal(inner.value.header.destination, want.to);
      assert.equal(probeOf(inner.value.header.protocol, inner.value.payload), want.probe);
      assert.doesNotMatch(describePacket(4, want.bytes), /undecodable/);
    });
  }

  test('the whole quoted SYN keeps its options (mss, wscale, sackOK, timestamps)', () => {
    const inner = decodeIpv4(icmpOf(real.TIME_EXCEEDED_V4_TCP).message.quote ?? new Uint8Array(0));
    assert.ok(inner.ok);
    const tcp = decodeTcp(inner.value.payload);
    assert.ok(tcp.ok);
    assert.equal(tcp.value.partial, false);
    assert.deepEqual(tcp.value.header.options, { mss: 1460, wscale: 6, timestamps: { value: 0x55597fcd, echo: 0 }, sackPermitted: true, other: [] });
  });
});

describe('ICMPv6 errors from Internet routers', () => {
  const cases: Record<string, Expected> = {
    'time exceeded quoting an echo request': { bytes: real.TIME_EXCEEDED_V6_ICMP, type: 3, code: 0, to: '2a04:4e42::81', probe: 'icmp 21945 33056', quoteLength: 84 },
    'time exceeded quoting UDP': { bytes: real.TIME_EXCEEDED_V6_UDP, type: 3, code: 0, to: '2a04:4e42::81', probe: 'udp 22694>33029 0xd0f1', quoteLength: 84 },
    'no route quoting UDP': { bytes: real.NO_ROUTE_V6_UDP, type: 1, code: 0, to: '2a00:1450:4009:81f::200e', probe: 'udp 26477>33118 0x9412', quoteLength: 84 },
    'time exceeded quoting a whole SYN': { bytes: real.TIME_EXCEEDED_V6_TCP, type: 3, code: 0, to: '2a00:1450:4009:815::200e', probe: 'tcp 33038>80 0xaac408e6', quoteLength: 84 },
    'no route quoting a SYN': { bytes: real.NO_ROUTE_V6_TCP, type: 1, code: 0, to: '2a00:1450:4009:821::200e', probe: 'tcp 33060>123 0x35d232c6', quoteLength: 84 },
  };
  for (const [name, want] of Object.entries(cases)) {
    test(name, () => {
      const icmp = decodeIcmpv6(want.bytes);
      assert.ok(icmp.ok);
      const m = icmp.value;
      assert.deepEqual([m.type, m.code, m.quote?.length, m.extensions, m.extensionError], [want.type, want.code, want.quoteLength, undefined, undefined]);
      const inner = decodeIpv6(m.quote ?? new Uint8Array(0));
      assert.ok(inner.ok);
      assert.equal(inner.value.header.hopLimit, 1);
      assert.equal(inner.value.header.destination, want.to);
      assert.equal(probeOf(inner.value.upperProtocol, inner.value.payload), want.probe);
    });
  }

  test('a length attribute beyond the message: the whole body is the quote, and the fault is named', () => {
    const icmp = decodeIcmpv6(real.LENGTH_BEYOND_MESSAGE_V6);
    assert.ok(icmp.ok);
    assert.equal(icmp.value.quote?.length, 84);
    assert.equal(icmp.value.extensions, undefined);
    assert.match(icmp.value.extensionError ?? '', /length attribute says 128 quoted bytes, message has 84/);
  });
});

describe('ICMP extensions in the layouts routers use', () => {
  test('pre-RFC 4884 (no length attribute): MPLS labels at 128, the 128 bytes before them the quote', () => {
    const fromTrippy = decodeIcmp(real.MPLS_COMPAT_V4_ICMP_REAL);
    assert.ok(fromTrippy.ok);
    assert.deepEqual([fromTrippy.value.checksumValid, fromTrippy.value.quote?.length], [true, 128]);
    assert.deepEqual(fromTrippy.value.extensions?.mpls, [{ label: 19380, trafficClass: 0, bottomOfStack: true, ttl: 1 }]);
    const { message } = icmpOf(real.MPLS_TIME_EXCEEDED_V4_UDP);
    assert.equal(message.quote?.length, 128);
    assert.deepEqual(message.extensions?.mpls, [{ label: 102672, trafficClass: 0, bottomOfStack: true, ttl: 1 }]);
    assert.match(describePacket(4, real.MPLS_TIME_EXCEEDED_V4_UDP), /quoting UDP 12\.4\.4\.4:42315 > 12\.1\.1\.1:33440 cksum 0x0000, MPLS L=102672,TC=0,S=1,TTL=1$/);
  });

  test('a length attribute and no extension: the stated 68 bytes are the quote, nothing is missing', () => {
    const m = decodeIcmp(real.LENGTH_ATTRIBUTE_NO_EXTENSION_V4_ICMP);
    assert.ok(m.ok);
    assert.deepEqual([m.value.checksumValid, m.value.quote?.length, m.value.extensions, m.value.extensionError], [true, 68, undefined, undefined]);
  });

  test('a fuzzer-made interface object (length 8016, name length 0) is survived and not believed', () => {
    const icmp = decodeIcmp(real.INTERFACE_NAME_LENGTH_ZERO_V4.subarray(20));
    assert.ok(icmp.ok);
    assert.equal(icmp.value.extensions, undefined);
    assert.match(describePacket(4, real.INTERFACE_NAME_LENGTH_ZERO_V4), /time exceeded/);
  });
});

describe('TCP answers from real stacks', () => {
  test("a SYN-ACK with another stack's option order; its ack is the SYN's sequence + 1", () => {
    const syn = decodeIpv4(real.SYN_TO_WEB_V4);
    const synAck = decodeIpv4(real.SYN_ACK_FROM_WEB_V4);
    assert.ok(syn.ok && synAck.ok);
    const sent = decodeTcp(syn.value.payload);
    const got = decodeTcp(synAck.value.payload);
    assert.ok(sent.ok && got.ok);
    assert.equal(tcpChecksumValid(synAck.value.payload, '137.116.81.94', '131.155.215.69'), true);
    const h = got.value.header;
    assert.deepEqual([h.flags?.syn, h.flags?.ack, h.sourcePort, h.destinationPort], [true, true, 80, 46656]);
    assert.equal(h.ack, (sent.value.header.seq + 1) >>> 0);
    assert.deepEqual(h.options, { mss: 1440, wscale: 8, sackPermitted: true, timestamps: { value: 0x0df5af50, echo: 0x436a0362 }, other: [] });
    assert.equal(got.value.partial, false);
  });

  test('an RST-ACK to a SYN for a closed port: seq 0, ack = seq + 1, no options', () => {
    const syn = decodeIpv4(real.SYN_TO_CLOSED_V4);
    const rst = decodeIpv4(real.RST_FROM_CLOSED_V4);
    assert.ok(syn.ok && rst.ok);
    const sent = decodeTcp(syn.value.payload);
    const got = decodeTcp(rst.value.payload);
    assert.ok(sent.ok && got.ok);
    assert.equal(tcpChecksumValid(rst.value.payload, '1.0.3.1', '1.0.3.2'), true);
    assert.deepEqual([got.value.header.flags?.rst, got.value.header.flags?.ack, got.value.header.seq, got.value.header.window], [true, true, 0, 0]);
    assert.equal(got.value.header.ack, (sent.value.header.seq + 1) >>> 0);
    assert.deepEqual(got.value.header.options, { other: [] });
  });

  test('an RST carrying an option we do not interpret (MPTCP, kind 30): kept by kind, nothing malformed', () => {
    const rst = decodeIpv4(real.RST_WITH_OPTION_V4);
    assert.ok(rst.ok);
    const got = decodeTcp(rst.value.payload);
    assert.ok(got.ok);
    assert.equal(tcpChecksumValid(rst.value.payload, '192.0.2.1', '192.168.76.28'), true);
    assert.deepEqual([got.value.header.flags?.rst, got.value.header.headerLength, got.value.header.ack], [true, 24, 0x81bdc286]);
    assert.deepEqual(got.value.header.options, { other: [30] });
  });
});
