// Routers that set the RFC 4884 length attribute to the unpadded quote length but still pad the quote to 128 bytes
// before the extension structure (seen in the wild: trippy issue #804, and trippy's real IPv6 capture). Their MPLS
// labels and interfaces must be read at 128 — and only when what is there checks out, so that zero padding, a
// damaged structure or a plain long quote is never taken for one.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { finishChecksum, internetChecksum, onesComplementSum, pseudoHeaderSum } from '../../src/packet/checksum.js';
import { encodeExtensionStructure, encodeInterfaceInfoObject, encodeMplsObject, splitQuote } from '../../src/packet/extensions.js';
import type { IcmpExtensionObject } from '../../src/packet/extensions.js';
import { decodeIcmp, encodeIcmpError } from '../../src/packet/icmp.js';
import type { IcmpMessage } from '../../src/packet/icmp.js';
import { decodeIcmpv6, encodeIcmpv6Error } from '../../src/packet/icmpv6.js';
import { decodeIpv4 } from '../../src/packet/ipv4.js';
import { decodeIpv6 } from '../../src/packet/ipv6.js';
import { SYN_V4_AS_SENT, TIME_EXCEEDED_V6_L4 } from './fixtures.js';
import { UNPADDED_LENGTH_MPLS_V4_ICMP, UNPADDED_LENGTH_MPLS_V6 } from './real-captures.js';

const V6_ROUTER = '2001:db8:2::2';
const V6_CLIENT = '2001:db8:1::1';
const LABEL = { label: 299792, trafficClass: 0, bottomOfStack: true, ttl: 1 };

function decode(family: 4 | 6, icmp: Uint8Array): IcmpMessage {
  const result = family === 4 ? decodeIcmp(icmp) : decodeIcmpv6(icmp, V6_ROUTER, V6_CLIENT);
  assert.ok(result.ok);
  return result.value;
}

/** Recomputes the ICMP(v6) checksum after an edit, so only what the test changed is wrong. */
function reChecksum(family: 4 | 6, icmp: Buffer): Buffer {
  icmp.writeUInt16BE(0, 2);
  const sum = family === 4 ? onesComplementSum(icmp) : onesComplementSum(icmp, pseudoHeaderSum(V6_ROUTER, V6_CLIENT, 58, icmp.length));
  icmp.writeUInt16BE(finishChecksum(sum), 2);
  return icmp;
}

/** A time exceeded laid out as those routers do: quote padded to 128 + extension, attribute = unpadded length. */
function unpadded(family: 4 | 6, quote: Uint8Array, objects: IcmpExtensionObject[], edit?: (body: Buffer) => void): IcmpMessage {
  const fields = { type: family === 4 ? 11 : 3, code: 0, quote, extensions: objects };
  const icmp = family === 4 ? encodeIcmpError(fields) : encodeIcmpv6Error(fields, V6_ROUTER, V6_CLIENT);
  const unit = family === 4 ? 4 : 8;
  icmp[family === 4 ? 5 : 4] = Math.ceil(quote.length / unit);
  edit?.(icmp.subarray(8));
  return decode(family, reChecksum(family, icmp));
}

test('the real IPv4 capture (trippy #804): the 68 quoted bytes the attribute states, and the label at 128', () => {
  const m = decode(4, UNPADDED_LENGTH_MPLS_V4_ICMP);
  assert.equal(m.checksumValid, true);
  assert.equal(m.quote?.length, 68);
  assert.equal(m.extensionError, undefined);
  assert.deepEqual(m.extensions?.mpls, [{ label: 416240, trafficClass: 0, bottomOfStack: true, ttl: 1 }]);
  const inner = decodeIpv4(m.quote ?? new Uint8Array(0));
  assert.ok(inner.ok);
  assert.deepEqual([inner.value.header.source, inner.value.header.destination], ['100.99.8.42', '93.184.216.34']);
  assert.deepEqual([...inner.value.payload.subarray(4, 8)], [0x65, 0x83, 0x80, 0xef], 'echo id and sequence');
});

test('the real IPv6 capture (trippy test_ipv6): 80 bytes quoted, two labels at 128', () => {
  const m = decode(6, UNPADDED_LENGTH_MPLS_V6);
  assert.equal(m.quote?.length, 80);
  assert.equal(m.extensionError, undefined);
  assert.deepEqual(m.extensions?.mpls, [
    { label: 27121, trafficClass: 4, bottomOfStack: false, ttl: 1 },
    { label: 2, trafficClass: 4, bottomOfStack: true, ttl: 255 },
  ]);
  const inner = decodeIpv6(m.quote ?? new Uint8Array(0));
  assert.ok(inner.ok);
  assert.equal(inner.value.header.destination, '2404:6800:4003:c1c::8a');
  assert.deepEqual([...inner.value.payload.subarray(0, 8)], [0x80, 0, 0xb2, 0xe1, 0x2a, 0x60, 0x80, 0xf2]);
});

test('built, both families, MPLS and interface information: every unpadded length below 128', () => {
  const info = { role: 'incoming' as const, ifIndex: 3, address: '198.18.2.2', name: 'eth0', mtu: 1500 };
  const objects = [encodeMplsObject([LABEL]), encodeInterfaceInfoObject(info)];
  for (const family of [4, 6] as const) {
    const whole = family === 4 ? SYN_V4_AS_SENT : TIME_EXCEEDED_V6_L4.subarray(8);
    const unit = family === 4 ? 4 : 8;
    for (let length = 8; length < 128 && length <= whole.length; length += unit) {
      const m = unpadded(family, whole.subarray(0, length), objects);
      assert.equal(m.checksumValid, true);
      assert.equal(m.quote?.length, length, `IPv${family} ${length}`);
      assert.equal(m.extensionError, undefined, `IPv${family} ${length}`);
      assert.deepEqual(m.extensions?.mpls, [LABEL]);
      assert.deepEqual(m.extensions?.interfaces, [info]);
    }
  }
});

test('believed only when it checks out: anything in the padding, a zero or wrong checksum, another version', () => {
  const quote = SYN_V4_AS_SENT.subarray(0, 28);
  const objects = [encodeMplsObject([LABEL])];
  const notBelieved = (what: string, edit: (body: Buffer) => void) => {
    const m = unpadded(4, quote, objects, edit);
    assert.equal(m.extensions?.mpls, undefined, what);
    assert.equal(m.quote?.length, 28, what);
    assert.match(m.extensionError ?? '', /extension version 0/, `${what}: the attribute's offset holds no structure`);
  };
  notBelieved('a byte in the padding', (body) => (body[100] = 1));
  notBelieved('zero checksum', (body) => body.writeUInt16BE(0, 130));
  notBelieved('wrong checksum', (body) => (body[body.length - 1]! ^= 0x10));
  notBelieved('version 1', (body) => {
    const structure = body.subarray(128);
    structure[0] = 0x10;
    structure.writeUInt16BE(0, 2);
    structure.writeUInt16BE(internetChecksum(structure), 2);
  });
  // Too short to hold a structure and an object at 128: nothing to believe.
  const short = Buffer.concat([quote, Buffer.alloc(100), Buffer.from([0x20, 0, 0, 0])]);
  assert.equal(splitQuote(short, 28).extensions, undefined);
});

test('a structure right at the attribute offset is still read there', () => {
  const structure = encodeExtensionStructure([encodeMplsObject([LABEL])]);
  const body = Buffer.concat([SYN_V4_AS_SENT.subarray(0, 28), structure]);
  const split = splitQuote(body, 28);
  assert.equal(split.quote.length, 28);
  assert.deepEqual(split.extensions?.mpls, [LABEL]);
  assert.equal(split.extensionError, undefined);
});
