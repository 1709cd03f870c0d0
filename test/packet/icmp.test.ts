import assert from 'node:assert/strict';
import { test } from 'node:test';
import { internetChecksum } from '../../src/packet/checksum.js';
import { decodeExtensionStructure, encodeExtensionStructure, encodeInterfaceInfoObject, encodeMplsObject, splitQuote } from '../../src/packet/extensions.js';
import { decodeIcmp, encodeIcmpEcho, encodeIcmpError, ICMP, ICMP_UNREACH, icmpName } from '../../src/packet/icmp.js';
import type { IcmpMessage } from '../../src/packet/icmp.js';
import { decodeIpv4 } from '../../src/packet/ipv4.js';
import { decodeTcp } from '../../src/packet/tcp.js';
import { decodeUdp } from '../../src/packet/udp.js';
import { MPLS_COMPAT_V4_ICMP, MPLS_V4, PORT_UNREACH_V4, SYN_V4, SYN_V4_AS_SENT, TIME_EXCEEDED_V4 } from './fixtures.js';

function decoded(bytes: Uint8Array): IcmpMessage {
  const result = decodeIcmp(bytes);
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.value;
}

test('a captured time exceeded: the quote leads back to the probe sequence number', () => {
  const m = decoded(TIME_EXCEEDED_V4.subarray(20));
  assert.equal(m.family, 4);
  assert.equal(m.type, ICMP.TIME_EXCEEDED);
  assert.equal(m.code, 0);
  assert.equal(m.checksum, 0x61ba);
  assert.equal(m.checksumValid, true);
  assert.equal(m.identifier, undefined);
  assert.equal(m.extensions, undefined);
  assert.equal(m.extensionError, undefined);
  assert.deepEqual(Buffer.from(m.quote ?? []), SYN_V4_AS_SENT);
  const inner = decodeIpv4(m.quote ?? new Uint8Array(0));
  assert.ok(inner.ok);
  assert.equal(inner.value.header.destination, '198.18.4.2');
  const tcp = decodeTcp(inner.value.payload);
  assert.ok(tcp.ok);
  assert.equal(tcp.value.header.seq, 0xddef1a47);
});

test('a captured port unreachable quoting UDP', () => {
  const m = decoded(PORT_UNREACH_V4.subarray(20));
  assert.equal(m.type, ICMP.DEST_UNREACH);
  assert.equal(m.code, ICMP_UNREACH.PORT);
  assert.equal(m.checksumValid, true);
  const inner = decodeIpv4(m.quote ?? new Uint8Array(0));
  assert.ok(inner.ok);
  assert.equal(inner.value.header.ttl, 4);
  const udp = decodeUdp(inner.value.payload);
  assert.ok(udp.ok);
  assert.equal(udp.value.header.checksum, 0x9149);
  assert.equal(icmpName(m.type, m.code), 'port unreachable');
});

test('echo round trip', () => {
  const bytes = encodeIcmpEcho({ identifier: 0x1234, sequence: 7, payload: Buffer.from('portpath') });
  assert.equal(internetChecksum(bytes), 0);
  const m = decoded(bytes);
  assert.equal(m.type, ICMP.ECHO_REQUEST);
  assert.equal(m.identifier, 0x1234);
  assert.equal(m.sequence, 7);
  assert.equal(m.quote, undefined);
  assert.equal(Buffer.from(m.body).toString(), 'portpath');
  const reply = decoded(encodeIcmpEcho({ type: ICMP.ECHO_REPLY, identifier: 1, sequence: 2 }));
  assert.deepEqual([reply.type, reply.identifier, reply.sequence, reply.body.length], [0, 1, 2, 0]);
});

test('fragmentation needed carries the MTU; parameter problem its pointer; redirect its gateway', () => {
  const fragNeeded = decoded(encodeIcmpError({ type: 3, code: 4, mtu: 1400, quote: SYN_V4.subarray(0, 28) }));
  assert.equal(fragNeeded.mtu, 1400);
  assert.equal(fragNeeded.quote?.length, 28);
  const param = decoded(encodeIcmpError({ type: 12, code: 0, pointer: 9, quote: SYN_V4.subarray(0, 28) }));
  assert.equal(param.pointer, 9);
  const redirect = Buffer.from(encodeIcmpError({ type: 5, code: 1, quote: SYN_V4.subarray(0, 28) }));
  redirect.set([198, 18, 1, 254], 4);
  assert.equal(decoded(redirect).gateway, '198.18.1.254');
  assert.equal(decoded(redirect).quote?.length, 28);
});

test('RFC 4950 MPLS label stack behind an RFC 4884 length attribute', () => {
  const ip = decodeIpv4(MPLS_V4);
  assert.ok(ip.ok);
  const m = decoded(ip.value.payload);
  assert.equal(m.checksumValid, true);
  assert.equal(m.quote?.length, 128);
  assert.deepEqual(Buffer.from(m.quote ?? []).subarray(0, 60), SYN_V4_AS_SENT);
  assert.equal(m.extensionError, undefined);
  assert.equal(m.extensions?.version, 2);
  assert.equal(m.extensions?.checksumValid, true);
  assert.equal(m.extensions?.objects.length, 1);
  assert.deepEqual(m.extensions?.mpls, [{ label: 299792, trafficClass: 0, bottomOfStack: true, ttl: 1 }]);
  const inner = decodeIpv4(m.quote ?? new Uint8Array(0));
  assert.ok(inner.ok);
  assert.equal(inner.value.payload.length, 40); // total length trims the zero padding
});

test('pre-RFC 4884 senders: extension found at offset 128 when it checks out', () => {
  const m = decoded(MPLS_COMPAT_V4_ICMP);
  assert.equal(m.quote?.length, 128);
  assert.deepEqual(m.extensions?.mpls, [
    { label: 24001, trafficClass: 5, bottomOfStack: false, ttl: 254 },
    { label: 16, trafficClass: 0, bottomOfStack: true, ttl: 1 },
  ]);
  // A long quote with no extension stays a long quote.
  const long = decoded(encodeIcmpError({ type: 11, code: 0, quote: Buffer.alloc(200, 0x20) }));
  assert.equal(long.quote?.length, 200);
  assert.equal(long.extensions, undefined);
  assert.equal(long.extensionError, undefined);
});

test('encodeIcmpError with extensions round-trips, in both layouts', () => {
  const labels = [{ label: 0xfffff, trafficClass: 7, bottomOfStack: true, ttl: 255 }];
  for (const compat of [false, true]) {
    const bytes = encodeIcmpError({ type: 11, code: 0, quote: SYN_V4, extensions: [encodeMplsObject(labels), encodeInterfaceInfoObject({ role: 'outgoing', name: 'eth0' })], compat });
    assert.equal(internetChecksum(bytes), 0);
    assert.equal(bytes[5], compat ? 0 : 32);
    const m = decoded(bytes);
    assert.deepEqual(m.extensions?.mpls, labels);
    assert.equal(m.extensions?.objects.length, 2);
    assert.deepEqual(m.extensions?.interfaces, [{ role: 'outgoing', name: 'eth0' }]);
    // An object of a class we do not interpret is kept as bytes and does not spoil the rest.
    const other = decoded(encodeIcmpError({ type: 11, code: 0, quote: SYN_V4, extensions: [{ classNum: 9, cType: 1, data: Buffer.from('eth0') }, encodeMplsObject(labels)], compat }));
    assert.equal(Buffer.from(other.extensions?.objects[0]?.data ?? []).toString(), 'eth0');
    assert.deepEqual(other.extensions?.mpls, labels);
  }
  // A quote longer than 128 bytes is padded to a whole number of words and the length attribute follows it.
  const long = encodeIcmpError({ type: 3, code: 3, quote: Buffer.alloc(130, 1), extensions: [encodeMplsObject(labels)] });
  assert.equal(long[5], 33);
  assert.equal(decoded(long).quote?.length, 132);
});

/** MPLS_V4's ICMP message with `edit` applied and the ICMP checksum fixed up (so only the extension is wrong). */
function editedMpls(edit: (icmp: Buffer) => void): IcmpMessage {
  const icmp = Buffer.from(MPLS_V4.subarray(20));
  edit(icmp);
  icmp.writeUInt16BE(0, 2);
  icmp.writeUInt16BE(internetChecksum(icmp), 2);
  return decoded(icmp);
}

test('malformed extensions: bad checksum, bad lengths, bad version', () => {
  const badChecksum = editedMpls((b) => (b[b.length - 1] = 2)); // label TTL 1 -> 2 without fixing the checksum
  assert.equal(badChecksum.extensions?.checksumValid, false);
  assert.equal(badChecksum.extensions?.mpls, undefined);
  assert.match(badChecksum.extensionError ?? '', /checksum/);
  assert.equal(badChecksum.quote?.length, 128);

  const structure = (icmp: Buffer) => icmp.subarray(8 + 128);
  const fixStructure = (s: Buffer) => {
    s.writeUInt16BE(0, 2);
    s.writeUInt16BE(internetChecksum(s), 2);
  };
  const shortObject = editedMpls((b) => {
    structure(b).writeUInt16BE(3, 4);
    fixStructure(structure(b));
  });
  assert.match(shortObject.extensionError ?? '', /below 4/);
  assert.equal(shortObject.extensions?.mpls, undefined);

  const longObject = editedMpls((b) => {
    structure(b).writeUInt16BE(12, 4);
    fixStructure(structure(b));
  });
  assert.match(longObject.extensionError ?? '', /runs past/);

  const oddMpls = editedMpls((b) => {
    structure(b).writeUInt16BE(7, 4);
    fixStructure(structure(b));
  });
  assert.match(oddMpls.extensionError ?? '', /runs past|not a whole number/);

  const version1 = editedMpls((b) => {
    structure(b)[0] = 0x10;
    fixStructure(structure(b));
  });
  assert.match(version1.extensionError ?? '', /version 1/);
  assert.equal(version1.extensions, undefined);

  const beyond = editedMpls((b) => (b[5] = 40)); // 160 bytes claimed, 140 present
  assert.match(beyond.extensionError ?? '', /length attribute/);
  assert.equal(beyond.quote?.length, 140);
  assert.equal(beyond.extensions, undefined);
});

test('extension structure edge cases', () => {
  assert.match(decodeExtensionStructure(new Uint8Array(3)).error ?? '', /needs 4 bytes/);
  assert.match(decodeExtensionStructure(encodeExtensionStructure([])).error ?? '', /no objects/);
  const mplsOdd = encodeExtensionStructure([{ classNum: 1, cType: 1, data: new Uint8Array(6) }]);
  const parsed = decodeExtensionStructure(mplsOdd);
  assert.match(parsed.error ?? '', /not a whole number/);
  assert.equal(parsed.extensions?.mpls, undefined);
  const noChecksum = encodeExtensionStructure([encodeMplsObject([{ label: 5, trafficClass: 0, bottomOfStack: true, ttl: 1 }])]);
  noChecksum.writeUInt16BE(0, 2);
  assert.equal(decodeExtensionStructure(noChecksum).extensions?.checksumValid, true);
  // ...but a zero checksum is not enough to believe bytes at the compatibility offset are an extension.
  const body = Buffer.concat([Buffer.alloc(128), noChecksum]);
  assert.equal(splitQuote(body, 0).extensions, undefined);
  assert.equal(splitQuote(body, 0).quote.length, body.length);
  assert.equal(splitQuote(body, 128).extensions?.mpls?.[0]?.label, 5);
  assert.equal(splitQuote(body.subarray(0, 128), 128).extensions, undefined);
});

test('too short to be ICMP', () => {
  assert.equal(decodeIcmp(new Uint8Array(7)).ok, false);
  assert.equal(decoded(new Uint8Array(8)).type, 0);
});

test('names', () => {
  assert.equal(icmpName(11, 0), 'time exceeded');
  assert.equal(icmpName(11, 1), 'fragment reassembly time exceeded');
  assert.equal(icmpName(3, 3), 'port unreachable');
  assert.equal(icmpName(3, 13), 'communication administratively prohibited');
  assert.equal(icmpName(3, 10), 'host administratively prohibited');
  assert.equal(icmpName(3, 4), 'fragmentation needed');
  assert.equal(icmpName(3, 99), 'destination unreachable (code 99)');
  assert.equal(icmpName(0, 0), 'echo reply');
  assert.equal(icmpName(8, 0), 'echo request');
  assert.equal(icmpName(12, 0), 'parameter problem');
  assert.equal(icmpName(200, 1), 'ICMP type 200 code 1');
});
