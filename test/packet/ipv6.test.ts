import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeIpv6, encodeIpv6 } from '../../src/packet/ipv6.js';
import type { Ipv6Packet } from '../../src/packet/ipv6.js';
import { SYN_V6_L4, TIME_EXCEEDED_V6_L4 } from './fixtures.js';

const SRC = '2001:db8:1::1';
const DST = '2001:db8:4::2';

function decoded(bytes: Uint8Array): Ipv6Packet {
  const result = decodeIpv6(bytes);
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.value;
}

/** An extension header of `kind` with next header `next`, padded to `length` bytes. */
function ext(kind: number, next: number, length: number): Buffer {
  const b = Buffer.alloc(length);
  b[0] = next;
  if (kind === 51) b[1] = length / 4 - 2;
  else if (kind !== 44) b[1] = length / 8 - 1;
  return b;
}

test('decodes the datagram a captured ICMPv6 time exceeded quotes', () => {
  const { header, upperProtocol, payload, truncated, extensionHeaders } = decoded(TIME_EXCEEDED_V6_L4.subarray(8));
  assert.deepEqual(header, {
    version: 6,
    trafficClass: 0,
    dscp: 0,
    ecn: 0,
    flowLabel: 0x18ce3,
    payloadLength: 40,
    nextHeader: 6,
    hopLimit: 1,
    source: SRC,
    destination: DST,
  });
  assert.equal(upperProtocol, 6);
  assert.equal(payload.length, 40);
  assert.equal(truncated, false);
  assert.deepEqual(extensionHeaders, []);
});

test('encode/decode round trip with traffic class and flow label', () => {
  const packet = encodeIpv6({ source: SRC, destination: DST, nextHeader: 6, hopLimit: 7, trafficClass: 0xb9, flowLabel: 0xabcde }, SYN_V6_L4);
  assert.ok(Buffer.isBuffer(packet));
  const { header, payload } = decoded(packet);
  assert.equal(header.trafficClass, 0xb9);
  assert.equal(header.dscp, 0xb9 >> 2);
  assert.equal(header.ecn, 1);
  assert.equal(header.flowLabel, 0xabcde);
  assert.equal(header.hopLimit, 7);
  assert.deepEqual(Buffer.from(payload), SYN_V6_L4);
  assert.deepEqual(decoded(TIME_EXCEEDED_V6_L4.subarray(8)).header.flowLabel, 0x18ce3);
});

test('walks hop-by-hop, routing, destination options, fragment (first) and AH to the upper layer', () => {
  const chain = Buffer.concat([ext(0, 43, 8), ext(43, 60, 24), ext(60, 44, 16), ext(44, 51, 8), ext(51, 6, 12), SYN_V6_L4]);
  const packet = encodeIpv6({ source: SRC, destination: DST, nextHeader: 0, hopLimit: 1 }, chain);
  const { upperProtocol, payload, extensionHeaders, fragment, truncated } = decoded(packet);
  assert.deepEqual(extensionHeaders, [0, 43, 60, 44, 51]);
  assert.equal(upperProtocol, 6);
  assert.deepEqual(Buffer.from(payload), SYN_V6_L4);
  assert.deepEqual(fragment, { offset: 0, moreFragments: false, id: 0 });
  assert.equal(truncated, false);
});

test('a later fragment has no upper-layer header: the walk stops at the fragment header', () => {
  const frag = ext(44, 6, 8);
  frag.writeUInt16BE((185 << 3) | 1, 2);
  frag.writeUInt32BE(0xcafe, 4);
  const { upperProtocol, fragment, payload } = decoded(encodeIpv6({ source: SRC, destination: DST, nextHeader: 44, hopLimit: 1 }, Buffer.concat([frag, SYN_V6_L4])));
  assert.equal(upperProtocol, 44);
  assert.deepEqual(fragment, { offset: 1480, moreFragments: true, id: 0xcafe });
  assert.equal(payload.length, SYN_V6_L4.length);
});

test('a quote cut inside an extension header stops safely and says so', () => {
  const packet = encodeIpv6({ source: SRC, destination: DST, nextHeader: 0, hopLimit: 1 }, Buffer.concat([ext(0, 60, 8), ext(60, 6, 24), SYN_V6_L4]));
  for (const cut of [41, 48, 49, 60]) {
    const { truncated, upperProtocol, payload } = decoded(packet.subarray(0, cut));
    assert.equal(truncated, true, `cut at ${cut}`);
    assert.notEqual(upperProtocol, 6);
    assert.ok(payload.length <= cut - 40);
  }
  const { truncated, upperProtocol, payload } = decoded(packet.subarray(0, 40 + 32 + 8));
  assert.equal(truncated, true);
  assert.equal(upperProtocol, 6);
  assert.equal(payload.length, 8);
});

test('payload length shorter than the data trims; longer marks truncated; 0 with hop-by-hop is a jumbogram', () => {
  const packet = encodeIpv6({ source: SRC, destination: DST, nextHeader: 6, hopLimit: 1 }, SYN_V6_L4);
  const trailing = decoded(Buffer.concat([packet, Buffer.alloc(4)]));
  assert.equal(trailing.payload.length, 40);
  assert.equal(decoded(packet.subarray(0, 48)).truncated, true);
  const jumbo = encodeIpv6({ source: SRC, destination: DST, nextHeader: 0, hopLimit: 1 }, Buffer.concat([ext(0, 6, 8), SYN_V6_L4]));
  jumbo.writeUInt16BE(0, 4);
  const j = decoded(jumbo);
  assert.equal(j.upperProtocol, 6);
  assert.equal(j.payload.length, 40);
  assert.equal(j.truncated, false);
});

test('structurally impossible input fails; an endless chain is cut off', () => {
  assert.equal(decodeIpv6(new Uint8Array(39)).ok, false);
  const v4 = encodeIpv6({ source: SRC, destination: DST, nextHeader: 6, hopLimit: 1 }, SYN_V6_L4);
  v4[0] = 0x45;
  assert.equal(decodeIpv6(v4).ok, false);
  const loop = Buffer.concat(Array.from({ length: 40 }, () => ext(60, 60, 8)));
  assert.equal(decodeIpv6(encodeIpv6({ source: SRC, destination: DST, nextHeader: 60, hopLimit: 1 }, loop)).ok, false);
});
