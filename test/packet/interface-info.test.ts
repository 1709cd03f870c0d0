// RFC 5837 interface information objects: decoded from tcpdump's capture and golang/net's vectors, every field
// combination, and every way the bytes can lie — which must give a typed failure, never a throw or a half-believed
// interface.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describePacket } from '../../src/packet/describe.js';
import { decodeExtensionStructure, encodeExtensionStructure, encodeInterfaceInfoObject, encodeMplsObject, EXTENSION_CLASS } from '../../src/packet/extensions.js';
import type { IcmpExtensionObject } from '../../src/packet/extensions.js';
import { decodeIcmp, encodeIcmpError } from '../../src/packet/icmp.js';
import { decodeInterfaceInfo, encodeInterfaceInfo, interfaceInfoText } from '../../src/packet/interface-info.js';
import type { InterfaceInfo } from '../../src/packet/interface-info.js';
import { decodeIpv4 } from '../../src/packet/ipv4.js';
import { hex, SYN_V4 } from './fixtures.js';
import { GO_INTERFACE_ALL_FIELDS, GO_INTERFACE_EMPTY, GO_INTERFACE_INDEX_AND_NAME, INTERFACE_INFO_V4 } from './real-captures.js';

/** An object's bytes (header included) as the decoder's input. */
function objectOf(bytes: Uint8Array): IcmpExtensionObject {
  return { classNum: bytes[2]!, cType: bytes[3]!, data: bytes.subarray(4) };
}

function decoded(cType: number, data: Uint8Array): InterfaceInfo {
  const result = decodeInterfaceInfo(cType, data);
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.value;
}

function failure(cType: number, data: Uint8Array): string {
  const result = decodeInterfaceInfo(cType, data);
  assert.equal(result.ok, false, `decoded ${JSON.stringify(result.ok ? result.value : null)}`);
  return result.ok ? '' : result.error;
}

test("tcpdump's RFC 5837 capture: incoming interface, ifIndex, IPv4 address and a name padded to 64 bytes", () => {
  const ip = decodeIpv4(INTERFACE_INFO_V4);
  assert.ok(ip.ok);
  const icmp = decodeIcmp(ip.value.payload);
  assert.ok(icmp.ok);
  const m = icmp.value;
  assert.equal(m.checksumValid, true);
  assert.equal(m.quote?.length, 128, 'no length attribute: the structure sits at the compatibility offset');
  assert.equal(m.extensionError, undefined);
  assert.equal(m.extensions?.checksumValid, true);
  assert.deepEqual(m.extensions?.interfaces, [
    { role: 'incoming', ifIndex: 15, address: '10.10.10.10', name: 'This-is-the-name-of-the-Interface-that-we-are-looking-for-[:-)]' },
  ]);
  assert.equal(m.extensions?.mpls, undefined);
  assert.match(describePacket(4, INTERFACE_INFO_V4), /, interface incoming This-is-the-name-of-the-Interface-that-we-are-looking-for-\[:-\)\] \(ifIndex 15, 10\.10\.10\.10\)$/);
});

test("golang/net's vectors: no fields; ifIndex and a padded name; every field with an IPv6 address and MTU", () => {
  for (const [bytes, want] of [
    [GO_INTERFACE_EMPTY, { role: 'incoming' }],
    [GO_INTERFACE_INDEX_AND_NAME, { role: 'incoming', ifIndex: 16, name: 'en101' }],
    [GO_INTERFACE_ALL_FIELDS, { role: 'incoming', ifIndex: 15, address: 'fe80::1', name: 'en101', mtu: 8192 }],
  ] as const) {
    const object = objectOf(bytes);
    assert.equal(object.classNum, EXTENSION_CLASS.INTERFACE_INFO);
    assert.deepEqual(decoded(object.cType, object.data), want);
    // Our encoder writes the same bytes back.
    const encoded = encodeInterfaceInfoObject(want);
    assert.equal(encoded.cType, object.cType);
    assert.equal(Buffer.from(encoded.data).toString('hex'), Buffer.from(object.data).toString('hex'));
  }
});

test("golang/net's name sub-object cases: length 0 and 7 are invalid, 4 holds 3 bytes of name, 8 with 7 present is short", () => {
  assert.match(failure(0x02, hex('00656e30')), /name sub-object length 0/);
  assert.deepEqual(decoded(0x02, hex('04656e30')), { role: 'incoming', name: 'en0' });
  assert.match(failure(0x02, hex('07656e30 ffffffff')), /length 7 is not a multiple of 4/);
  assert.match(failure(0x02, hex('08656e30 ffffff')), /name sub-object needs 8 bytes/);
});

test('the role is the top two bits of the C-Type; each flag adds its field in order', () => {
  const roles = ['incoming', 'incoming-sub-ip', 'outgoing', 'next-hop'] as const;
  roles.forEach((role, i) => assert.equal(decoded(i << 6, new Uint8Array(0)).role, role));
  // Reserved bits 4-5 are ignored.
  assert.deepEqual(decoded(0xb0, new Uint8Array(0)), { role: 'outgoing' });
  const all: InterfaceInfo = { role: 'next-hop', ifIndex: 0xffffffff, address: '2001:db8:2::2', name: 'xe-0/0/1.100', mtu: 9000 };
  for (let flags = 0; flags < 16; flags++) {
    const want: InterfaceInfo = {
      role: 'next-hop',
      ...(flags & 8 ? { ifIndex: all.ifIndex } : {}),
      ...(flags & 4 ? { address: all.address } : {}),
      ...(flags & 2 ? { name: all.name } : {}),
      ...(flags & 1 ? { mtu: all.mtu } : {}),
    };
    const { cType, data } = encodeInterfaceInfo(want);
    assert.equal(cType, 0xc0 | flags);
    assert.deepEqual(decoded(cType, data), want);
  }
  assert.deepEqual(decoded(0x04, hex('00010000 c6120202')), { role: 'incoming', address: '198.18.2.2' });
});

test('names: cut at the first NUL, UTF-8, control characters (terminal escapes) and bidi overrides removed', () => {
  assert.equal(decoded(0x02, hex('0865746800000000')).name, 'eth');
  assert.equal(decoded(0x02, hex('08c3a974 6830ffff')).name, 'éth0\ufffd\ufffd', 'bad UTF-8 becomes U+FFFD, not a throw');
  assert.equal(decoded(0x02, Buffer.from('\x0c\x1b[31mred\x07\x00\x00')).name, '[31mred');
  assert.equal(decoded(0x02, Buffer.from('\x08\u202eeth\x00', 'utf8')).name, 'eth', 'right-to-left override');
  assert.equal(decoded(0x02, Buffer.from('\x04\xc2\x9b\x00', 'latin1')).name, '', 'C1 CSI');
  // The longest name: 63 bytes in a 64-byte sub-object; 65 would not fit the length rule.
  const longest = 'x'.repeat(63);
  assert.equal(decoded(0x02, encodeInterfaceInfo({ role: 'incoming', name: longest }).data).name, longest);
  assert.throws(() => encodeInterfaceInfo({ role: 'incoming', name: 'x'.repeat(64) }), RangeError);
  const tooLong = Buffer.alloc(68, 0x41);
  tooLong[0] = 68;
  assert.match(failure(0x02, tooLong), /length 68/);
});

test('bad objects are typed failures: short fields, unknown address families, bytes the C-Type does not announce', () => {
  assert.match(failure(0x08, hex('000000')), /ifIndex needs 4 bytes/);
  assert.match(failure(0x01, hex('000005')), /MTU needs 4 bytes/);
  assert.match(failure(0x04, hex('0001')), /address sub-object needs 4 bytes/);
  assert.match(failure(0x04, hex('00010000 c612')), /address sub-object needs 8 bytes/);
  assert.match(failure(0x04, hex('00020000 20010db8')), /address sub-object needs 20 bytes/);
  assert.match(failure(0x04, hex('00030000 c6120202')), /address family 3/);
  assert.match(failure(0x04, hex('00000000 c6120202')), /address family 0/);
  assert.match(failure(0x08, hex('00000003 00000000')), /4 bytes beyond the fields/);
  assert.match(failure(0x00, hex('00')), /1 bytes beyond/);
});

test('in a structure: a bad interface object is an extension error and no interface is reported; a bad checksum hides them all', () => {
  const eth0: InterfaceInfo = { role: 'incoming', ifIndex: 3, address: '198.18.2.2', name: 'eth0', mtu: 1500 };
  const good = decodeExtensionStructure(encodeExtensionStructure([encodeInterfaceInfoObject(eth0), encodeMplsObject([{ label: 16, trafficClass: 0, bottomOfStack: true, ttl: 1 }])]));
  assert.equal(good.error, undefined);
  assert.deepEqual(good.extensions?.interfaces, [eth0]);
  assert.equal(good.extensions?.mpls?.[0]?.label, 16);

  const twoRoles = decodeExtensionStructure(encodeExtensionStructure([encodeInterfaceInfoObject(eth0), encodeInterfaceInfoObject({ role: 'outgoing', name: 'eth1' })]));
  assert.deepEqual(twoRoles.extensions?.interfaces?.map((i) => `${i.role} ${i.name}`), ['incoming eth0', 'outgoing eth1']);

  const broken = decodeExtensionStructure(encodeExtensionStructure([{ classNum: 2, cType: 0x08, data: hex('0003') }, encodeInterfaceInfoObject(eth0)]));
  assert.match(broken.error ?? '', /ifIndex needs 4 bytes/);
  assert.deepEqual(broken.extensions?.interfaces, [eth0], 'a well-formed object next to a bad one still counts');

  const corrupted = encodeExtensionStructure([encodeInterfaceInfoObject(eth0)]);
  corrupted[corrupted.length - 1]! ^= 1; // the MTU, behind the checksum's back
  const parsed = decodeExtensionStructure(corrupted);
  assert.equal(parsed.extensions?.checksumValid, false);
  assert.equal(parsed.extensions?.interfaces, undefined);
  assert.match(parsed.error ?? '', /checksum/);
});

test('an ICMP error carrying interface information round-trips in both layouts', () => {
  const info: InterfaceInfo = { role: 'incoming', ifIndex: 3, address: '198.18.2.2', name: 'eth0', mtu: 1500 };
  for (const compat of [false, true]) {
    const icmp = decodeIcmp(encodeIcmpError({ type: 11, code: 0, quote: SYN_V4, extensions: [encodeInterfaceInfoObject(info)], compat }));
    assert.ok(icmp.ok);
    assert.deepEqual(icmp.value.extensions?.interfaces, [info]);
    assert.equal(icmp.value.extensionError, undefined);
  }
});

test('interfaceInfoText: role, name, then the details that are present', () => {
  assert.equal(interfaceInfoText({ role: 'incoming', ifIndex: 3, address: '198.18.2.2', name: 'eth0', mtu: 1500 }), 'incoming eth0 (ifIndex 3, 198.18.2.2, MTU 1500)');
  assert.equal(interfaceInfoText({ role: 'outgoing', name: 'ge-0/0/1' }), 'outgoing ge-0/0/1');
  assert.equal(interfaceInfoText({ role: 'incoming-sub-ip', ifIndex: 7 }), 'incoming sub-IP (ifIndex 7)');
  assert.equal(interfaceInfoText({ role: 'next-hop', address: '2001:db8::1', name: '' }), 'next hop (2001:db8::1)');
});
