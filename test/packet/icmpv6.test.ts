import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeMplsObject } from '../../src/packet/extensions.js';
import type { IcmpMessage } from '../../src/packet/icmp.js';
import { decodeIcmpv6, encodeIcmpv6Echo, encodeIcmpv6Error, ICMPV6, ICMPV6_UNREACH, icmpv6Name } from '../../src/packet/icmpv6.js';
import { decodeIpv6 } from '../../src/packet/ipv6.js';
import { decodeTcp } from '../../src/packet/tcp.js';
import { decodeUdp } from '../../src/packet/udp.js';
import { MPLS_V6_L4, PORT_UNREACH_V6_L4, SYN_V6_L4, TIME_EXCEEDED_V6_L4 } from './fixtures.js';

function decoded(bytes: Uint8Array, source?: string, destination?: string): IcmpMessage {
  const result = decodeIcmpv6(bytes, source, destination);
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.value;
}

test('a captured ICMPv6 time exceeded, checksum checked with the addresses', () => {
  const m = decoded(TIME_EXCEEDED_V6_L4, '2001:db8:1::2', '2001:db8:1::1');
  assert.equal(m.family, 6);
  assert.equal(m.type, ICMPV6.TIME_EXCEEDED);
  assert.equal(m.code, 0);
  assert.equal(m.checksumValid, true);
  assert.equal(decoded(TIME_EXCEEDED_V6_L4, '2001:db8:1::3', '2001:db8:1::1').checksumValid, false);
  assert.equal(decoded(TIME_EXCEEDED_V6_L4).checksumValid, undefined);
  assert.equal(decoded(TIME_EXCEEDED_V6_L4, '198.18.1.1', '198.18.1.2').checksumValid, undefined);
  const inner = decodeIpv6(m.quote ?? new Uint8Array(0));
  assert.ok(inner.ok);
  assert.equal(inner.value.upperProtocol, 6);
  assert.equal(inner.value.header.destination, '2001:db8:4::2');
  const tcp = decodeTcp(inner.value.payload);
  assert.ok(tcp.ok);
  assert.equal(tcp.value.header.seq, 0xf5ff2eb6);
});

test('a captured ICMPv6 port unreachable quoting UDP', () => {
  const m = decoded(PORT_UNREACH_V6_L4, '2001:db8:4::2', '2001:db8:1::1');
  assert.equal(m.checksumValid, true);
  assert.equal(m.type, ICMPV6.DEST_UNREACH);
  assert.equal(m.code, ICMPV6_UNREACH.PORT);
  const inner = decodeIpv6(m.quote ?? new Uint8Array(0));
  assert.ok(inner.ok);
  const udp = decodeUdp(inner.value.payload);
  assert.ok(udp.ok);
  assert.equal(udp.value.header.destinationPort, 33434);
  assert.equal(icmpv6Name(m.type, m.code), 'port unreachable');
});

test('MPLS extension behind the ICMPv6 length attribute (8-byte units)', () => {
  const m = decoded(MPLS_V6_L4, '2001:db8:2::2', '2001:db8:1::1');
  assert.equal(m.checksumValid, true);
  assert.equal(m.quote?.length, 128);
  assert.deepEqual(m.extensions?.mpls, [{ label: 1000, trafficClass: 0, bottomOfStack: true, ttl: 1 }]);
  const inner = decodeIpv6(m.quote ?? new Uint8Array(0));
  assert.ok(inner.ok);
  assert.equal(inner.value.payload.length, 40);
});

test('echo round trip with the pseudo-header checksum', () => {
  const bytes = encodeIcmpv6Echo({ identifier: 0xbeef, sequence: 3, payload: Buffer.from('x') }, '2001:db8:1::1', '2001:db8:4::2');
  const m = decoded(bytes, '2001:db8:1::1', '2001:db8:4::2');
  assert.deepEqual([m.type, m.identifier, m.sequence, m.checksumValid], [128, 0xbeef, 3, true]);
  const reply = decoded(encodeIcmpv6Echo({ type: ICMPV6.ECHO_REPLY, identifier: 1, sequence: 2 }, '::1', '::1'), '::1', '::1');
  assert.deepEqual([reply.type, reply.identifier, reply.sequence, reply.checksumValid], [129, 1, 2, true]);
});

test('errors: packet too big MTU, parameter problem pointer, extensions round trip', () => {
  const src = '2001:db8:2::2';
  const dst = '2001:db8:1::1';
  const quote = TIME_EXCEEDED_V6_L4.subarray(8);
  const ptb = decoded(encodeIcmpv6Error({ type: 2, code: 0, mtu: 1280, quote }, src, dst), src, dst);
  assert.deepEqual([ptb.mtu, ptb.checksumValid, ptb.quote?.length], [1280, true, quote.length]);
  const param = decoded(encodeIcmpv6Error({ type: 4, code: 1, pointer: 6, quote }, src, dst), src, dst);
  assert.deepEqual([param.pointer, param.quote?.length], [6, quote.length]);
  assert.equal(icmpv6Name(4, 1), 'parameter problem: unrecognized next header');
  const labels = [{ label: 42, trafficClass: 1, bottomOfStack: true, ttl: 9 }];
  const withExt = encodeIcmpv6Error({ type: 1, code: 4, quote: Buffer.concat([quote, Buffer.alloc(100)]), extensions: [encodeMplsObject(labels)] }, src, dst);
  assert.equal(withExt[4], 23); // 180 bytes of quote padded to 184 = 23 x 8
  const m = decoded(withExt, src, dst);
  assert.equal(m.quote?.length, 184);
  assert.deepEqual(m.extensions?.mpls, labels);
});

test('too short to be ICMPv6; names', () => {
  assert.equal(decodeIcmpv6(SYN_V6_L4.subarray(0, 7)).ok, false);
  assert.equal(icmpv6Name(3, 0), 'time exceeded');
  assert.equal(icmpv6Name(1, 1), 'communication administratively prohibited');
  assert.equal(icmpv6Name(1, 0), 'no route to destination');
  assert.equal(icmpv6Name(2, 0), 'packet too big');
  assert.equal(icmpv6Name(129, 0), 'echo reply');
  assert.equal(icmpv6Name(250, 3), 'ICMPv6 type 250 code 3');
});
