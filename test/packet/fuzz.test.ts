// Seeded fuzzing of every decoder and of describePacket: random bytes, and valid packets (captured and encoded)
// mutated by bit flips, truncation, overwritten length fields, insertions, appended extension structures (MPLS and
// RFC 5837 interface information) and the padded-128 layout with an unpadded length attribute. Nothing may throw,
// and each decoder must fail exactly on the structurally impossible inputs and otherwise return values that stay
// inside the bytes it was given.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { addressFamily, bytesToIpv4, bytesToIpv6 } from '../../src/packet/address.js';
import { describePacket } from '../../src/packet/describe.js';
import { decodeExtensionStructure, encodeExtensionStructure, encodeInterfaceInfoObject, encodeMplsObject, splitQuote } from '../../src/packet/extensions.js';
import type { IcmpExtensionObject, IcmpExtensions } from '../../src/packet/extensions.js';
import { decodeInterfaceInfo, INTERFACE_ROLES } from '../../src/packet/interface-info.js';
import type { InterfaceInfo } from '../../src/packet/interface-info.js';
import { decodeIcmp, encodeIcmpEcho, encodeIcmpError } from '../../src/packet/icmp.js';
import type { IcmpMessage } from '../../src/packet/icmp.js';
import { decodeIcmpv6, encodeIcmpv6Echo, encodeIcmpv6Error } from '../../src/packet/icmpv6.js';
import { decodeIpv4, encodeIpv4 } from '../../src/packet/ipv4.js';
import { decodeIpv6, encodeIpv6 } from '../../src/packet/ipv6.js';
import { decodeTcp, decodeTcpOptions, encodeTcp } from '../../src/packet/tcp.js';
import { decodeUdp, encodeUdp } from '../../src/packet/udp.js';
import * as fx from './fixtures.js';
import * as real from './real-captures.js';
import { int, mulberry32, randomBytes } from '../../src/lab/seeded-random.js';
import type { Random } from '../../src/lab/seeded-random.js';

const CASES = 20000;
const V6_SRC = '2001:db8:1::1';
const V6_DST = '2001:db8:4::2';

/** Any interface the wire can carry (names of printable ASCII, so they decode to themselves). */
function randomInterface(random: Random): InterfaceInfo {
  return {
    role: INTERFACE_ROLES[int(random, 4)] ?? 'incoming',
    ...(random() < 0.5 ? { ifIndex: int(random, 2 ** 32) } : {}),
    ...(random() < 0.5 ? { address: random() < 0.5 ? bytesToIpv4(randomBytes(random, 4)) : bytesToIpv6(randomBytes(random, 16)) } : {}),
    ...(random() < 0.5 ? { name: Array.from({ length: int(random, 64) }, () => String.fromCharCode(0x21 + int(random, 94))).join('') } : {}),
    ...(random() < 0.5 ? { mtu: int(random, 2 ** 32) } : {}),
  };
}

/** An interface information object: random fields (valid), or random C-Type and bytes (mostly not). */
function randomInterfaceObject(random: Random): IcmpExtensionObject {
  if (random() < 0.3) return { classNum: 2, cType: int(random, 256), data: randomBytes(random, int(random, 48)) };
  return encodeInterfaceInfoObject(randomInterface(random));
}

/**
 * An ICMP(v6) error laid out like the routers that set the length attribute to the unpadded quote length but put
 * the extension after 128 bytes (the first 8 bytes of `seed` as its header, some of the rest as the quote).
 */
function padded128(random: Random, seed: Buffer, family: 4 | 6) {
  const unit = family === 4 ? 4 : 8;
  const quoteLength = Math.min(seed.length - 8, unit * (1 + int(random, 15)));
  const header = Buffer.alloc(8);
  seed.copy(header, 0, 0, 8);
  header[0] = family === 4 ? 11 : 3;
  header[family === 4 ? 5 : 4] = Math.ceil(Math.max(0, quoteLength) / unit);
  const body = Buffer.alloc(128);
  if (quoteLength > 0) seed.copy(body, 0, 8, 8 + quoteLength);
  const objects = random() < 0.5 ? [randomInterfaceObject(random)] : [encodeMplsObject([{ label: int(random, 1 << 20), trafficClass: 0, bottomOfStack: true, ttl: 1 }]), randomInterfaceObject(random)];
  return Buffer.concat([header, body, encodeExtensionStructure(objects)]);
}

function corpus(): Buffer[] {
  const labels = [
    { label: 16, trafficClass: 0, bottomOfStack: false, ttl: 1 },
    { label: 3, trafficClass: 7, bottomOfStack: true, ttl: 255 },
  ];
  const tcp = encodeTcp({ sourcePort: 40000, destinationPort: 443, seq: 99, flags: { syn: true }, mss: 1460, wscale: 7, sackPermitted: true }, new Uint8Array(0), '198.18.1.1', '198.18.4.2');
  const v4tcp = encodeIpv4({ source: '198.18.1.1', destination: '198.18.4.2', protocol: 6, ttl: 3, id: 9 }, tcp);
  const v4udp = encodeIpv4({ source: '198.18.1.1', destination: '198.18.4.2', protocol: 17, ttl: 3 }, encodeUdp({ sourcePort: 1, destinationPort: 53 }, Buffer.from('dns?'), '198.18.1.1', '198.18.4.2'));
  const icmpError = (compat: boolean) =>
    encodeIpv4({ source: '198.18.2.2', destination: '198.18.1.1', protocol: 1, ttl: 250 }, encodeIcmpError({ type: 11, code: 0, quote: v4tcp, extensions: [encodeMplsObject(labels)], compat }));
  const v6tcp = encodeTcp({ sourcePort: 40000, destinationPort: 443, seq: 99, flags: 2, mss: 1440 }, new Uint8Array(0), V6_SRC, V6_DST);
  const v6chain = encodeIpv6({ source: V6_SRC, destination: V6_DST, nextHeader: 0, hopLimit: 1 }, Buffer.concat([Buffer.from([60, 0, 1, 4, 0, 0, 0, 0]), Buffer.from([44, 0, 0, 0, 0, 0, 0, 0]), Buffer.from([6, 0, 0, 0, 0, 0, 0, 1]), v6tcp]));
  return [
    fx.SYN_V4,
    fx.SYN_V4_AS_SENT,
    fx.TIME_EXCEEDED_V4,
    fx.RST_V4,
    fx.PORT_UNREACH_V4,
    fx.SYN_V6_L4,
    fx.TIME_EXCEEDED_V6_L4,
    fx.PORT_UNREACH_V6_L4,
    fx.MPLS_V4,
    fx.MPLS_COMPAT_V4_ICMP,
    fx.MPLS_V6_L4,
    v4tcp,
    v4udp,
    icmpError(false),
    icmpError(true),
    encodeIpv4({ source: '198.18.1.1', destination: '198.18.4.2', protocol: 1, ttl: 3 }, encodeIcmpEcho({ identifier: 1, sequence: 2, payload: Buffer.from('portpath') })),
    v6chain,
    encodeIcmpv6Echo({ identifier: 1, sequence: 2 }, V6_SRC, V6_DST),
    encodeIcmpv6Error({ type: 3, code: 0, quote: v6chain, extensions: [encodeMplsObject(labels), { classNum: 2, cType: 0x1f, data: Buffer.alloc(12, 7) }] }, V6_SRC, V6_DST),
    encodeIcmpv6Error({ type: 1, code: 4, quote: v6chain, extensions: [encodeMplsObject(labels)], compat: true }, V6_SRC, V6_DST),
    encodeIcmpError({ type: 11, code: 0, quote: v4tcp, extensions: [encodeInterfaceInfoObject({ role: 'incoming', ifIndex: 3, address: '198.18.2.2', name: 'eth0', mtu: 1500 })] }),
    encodeIcmpv6Error({ type: 3, code: 0, quote: v6chain, extensions: [encodeInterfaceInfoObject({ role: 'outgoing', address: V6_DST, name: 'ge-0/0/0' })], compat: true }, V6_SRC, V6_DST),
    encodeExtensionStructure([real.GO_INTERFACE_EMPTY, real.GO_INTERFACE_INDEX_AND_NAME, real.GO_INTERFACE_ALL_FIELDS].map((o) => ({ classNum: o[2]!, cType: o[3]!, data: o.subarray(4) }))),
    ...Object.values(real),
  ];
}

function mutate(random: Random, seed: Buffer): Buffer {
  let b = Buffer.from(seed);
  const rounds = 1 + int(random, 3);
  for (let r = 0; r < rounds; r++) {
    switch (int(random, 9)) {
      case 0: // bit flips
        for (let n = 1 + int(random, 8); n > 0 && b.length > 0; n--) b[int(random, b.length)]! ^= 1 << int(random, 8);
        break;
      case 1: // truncation
        b = b.subarray(0, int(random, b.length + 1));
        break;
      case 2: // a length-ish field in the first bytes set to an extreme or random value
        if (b.length > 0) b[int(random, Math.min(b.length, 64))] = [0, 0xff, 1, 4, 5, 0x20][int(random, 6)] ?? int(random, 256);
        break;
      case 3: {
        // insertion of random bytes
        const at = int(random, b.length + 1);
        b = Buffer.concat([b.subarray(0, at), randomBytes(random, 1 + int(random, 16)), b.subarray(at)]);
        break;
      }
      case 4: {
        // an extension structure appended (valid, or with random damage)
        const ext = encodeExtensionStructure([encodeMplsObject([{ label: int(random, 1 << 20), trafficClass: int(random, 8), bottomOfStack: true, ttl: int(random, 256) }])]);
        if (random() < 0.5) ext[int(random, ext.length)] = int(random, 256);
        b = Buffer.concat([b, ext]);
        break;
      }
      case 5: // the RFC 4884 length attribute bytes of an ICMP header at either offset
        for (const at of [5, 25, 4]) if (b.length > at && random() < 0.5) b[at] = int(random, 256);
        break;
      case 6: {
        // an interface information structure appended (valid, or with random damage)
        const ext = encodeExtensionStructure([randomInterfaceObject(random)]);
        if (random() < 0.5) ext[int(random, ext.length)] = int(random, 256);
        b = Buffer.concat([b, ext]);
        break;
      }
      case 7: // re-laid out as an unpadded length attribute with the extension after 128 bytes
        if (b.length >= 8) b = padded128(random, b, random() < 0.5 ? 4 : 6);
        break;
      default: // overwrite a random run
        if (b.length > 0) {
          const at = int(random, b.length);
          randomBytes(random, Math.min(b.length - at, 1 + int(random, 8))).copy(b, at);
        }
    }
  }
  return b;
}

function within(part: Uint8Array, whole: Uint8Array, what: string): void {
  assert.equal(part.buffer, whole.buffer, `${what} is not a view of the input`);
  assert.ok(part.byteOffset >= whole.byteOffset && part.byteOffset + part.length <= whole.byteOffset + whole.length, `${what} outside the input`);
}

const u32 = (n: number | undefined) => n === undefined || (Number.isInteger(n) && n >= 0 && n < 2 ** 32);

/** A decoded interface holds only what the wire allows: a role, 32-bit numbers, a real address, a printable name. */
function checkInterface(info: InterfaceInfo): void {
  assert.ok(INTERFACE_ROLES.includes(info.role), `role ${info.role}`);
  assert.ok(u32(info.ifIndex) && u32(info.mtu));
  if (info.address !== undefined) assert.ok(addressFamily(info.address) !== null, `address ${info.address}`);
  if (info.name !== undefined) {
    assert.ok(info.name.length <= 63, `name of ${info.name.length}`);
    const control = [...info.name].find((ch) => (ch.codePointAt(0) ?? 0) < 0x20 || ((ch.codePointAt(0) ?? 0) >= 0x7f && (ch.codePointAt(0) ?? 0) <= 0x9f));
    assert.equal(control, undefined, 'a control character in a name');
  }
}

function checkExtensions(ext: IcmpExtensions | undefined, bytes: Uint8Array): void {
  if (!ext) return;
  assert.equal(ext.version, 2);
  for (const object of ext.objects) within(object.data, bytes, 'extension object');
  if (ext.mpls) {
    assert.ok(ext.checksumValid, 'MPLS labels from an extension with a bad checksum');
    for (const l of ext.mpls) assert.ok(l.label >= 0 && l.label < 1 << 20 && l.trafficClass < 8 && l.ttl < 256);
  }
  if (ext.interfaces) {
    assert.ok(ext.checksumValid, 'interfaces from an extension with a bad checksum');
    assert.ok(ext.interfaces.length > 0 && ext.interfaces.length <= ext.objects.filter((o) => o.classNum === 2).length);
    ext.interfaces.forEach(checkInterface);
  }
}

function checkIcmp(m: IcmpMessage, bytes: Uint8Array): void {
  assert.ok(bytes.length >= 8);
  within(m.body, bytes, 'ICMP body');
  assert.equal(m.body.length, bytes.length - 8);
  if (m.quote) within(m.quote, m.body, 'ICMP quote');
  checkExtensions(m.extensions, bytes);
  // The quote never overlaps the extension structure it was split from.
  if (m.quote && m.extensions && m.extensions.objects.length > 0) {
    assert.ok(m.quote.byteOffset + m.quote.length <= m.extensions.objects[0]!.data.byteOffset - 8, 'quote runs into the extension');
  }
}

const counts = new Map<string, number>();
function count(key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

function exercise(random: Random, b: Buffer): void {
  const v4 = decodeIpv4(b);
  const ihl = ((b[0] ?? 0) & 0x0f) * 4;
  const totalLength = b.length >= 4 ? b.readUInt16BE(2) : 0;
  const v4Impossible = b.length < 20 || (b[0] ?? 0) >> 4 !== 4 || ihl < 20 || ihl > b.length || (totalLength !== 0 && totalLength < ihl);
  assert.equal(v4.ok, !v4Impossible, 'IPv4 must fail exactly on impossible headers');
  count(`ipv4 ${v4.ok}`);
  if (v4.ok) {
    const { header, payload, truncated } = v4.value;
    within(payload, b, 'IPv4 payload');
    assert.equal(header.headerLength, ihl);
    assert.ok(payload.length <= b.length - ihl);
    assert.equal(truncated, totalLength > b.length);
    assert.ok(header.options.length === ihl - 20);
  }

  const v6 = decodeIpv6(b);
  count(`ipv6 ${v6.ok}`);
  if (b.length < 40 || (b[0] ?? 0) >> 4 !== 6) assert.equal(v6.ok, false);
  if (v6.ok) {
    within(v6.value.payload, b, 'IPv6 payload');
    assert.ok(v6.value.extensionHeaders.length <= 16);
  }

  const tcp = decodeTcp(b);
  count(`tcp ${tcp.ok}`);
  // Eight bytes always give ports and sequence: a quote with a damaged header must still name its probe.
  assert.equal(tcp.ok, b.length >= 8);
  if (tcp.ok) {
    within(tcp.value.payload, b, 'TCP payload');
    if (!tcp.value.partial) assert.ok((tcp.value.header.headerLength ?? 99) <= b.length);
    if (b.length < 20) assert.equal(tcp.value.partial, true);
    const badOffset = b.length >= 20 && (b[12] ?? 0) >> 4 < 5;
    assert.equal(tcp.value.malformed !== undefined, badOffset);
    if (badOffset) {
      count('tcp bad data offset');
      assert.deepEqual([tcp.value.partial, tcp.value.header.flags, tcp.value.payload.length], [true, undefined, 0]);
    }
  }
  decodeTcpOptions(b.subarray(0, 40));

  const udp = decodeUdp(b);
  count(`udp ${udp.ok}`);
  assert.equal(udp.ok, b.length >= 8 && b.readUInt16BE(4) >= 8);
  if (udp.ok) {
    within(udp.value.payload, b, 'UDP payload');
    assert.ok(udp.value.payload.length <= udp.value.header.length - 8);
  }

  const icmp = decodeIcmp(b);
  assert.equal(icmp.ok, b.length >= 8);
  if (icmp.ok) {
    checkIcmp(icmp.value, b);
    if (icmp.value.extensions?.mpls) count('icmp mpls');
    if (icmp.value.extensions?.interfaces) count('icmp interfaces');
    if (icmp.value.extensionError) count('icmp extension error');
  }
  for (const icmpv6 of [decodeIcmpv6(b), decodeIcmpv6(b, V6_SRC, V6_DST)]) {
    assert.equal(icmpv6.ok, b.length >= 8);
    if (icmpv6.ok) checkIcmp(icmpv6.value, b);
  }
  // Extensions found at 128 behind a shorter stated quote: the padded-128 layout.
  for (const m of [icmp, decodeIcmpv6(b)]) {
    if (m.ok && m.value.extensions && (m.value.quote?.length ?? 128) < 128 && m.value.body.length >= 136) count('extension behind an unpadded length');
  }

  const ext = decodeExtensionStructure(b);
  checkExtensions(ext.extensions, b);
  const info = decodeInterfaceInfo(int(random, 256), b.subarray(int(random, Math.min(b.length, 8) + 1)));
  if (info.ok) checkInterface(info.value);
  const split = splitQuote(b, int(random, 2) === 0 ? 0 : int(random, 256) * (random() < 0.5 ? 4 : 8));
  within(split.quote, b, 'split quote');
  checkExtensions(split.extensions, b);

  bytesToIpv6(b, int(random, b.length + 1));
  bytesToIpv4(b, int(random, b.length + 1));

  const lines = [
    describePacket(4, b),
    describePacket(6, b, { v6Source: V6_SRC, v6Destination: V6_DST, v6Protocol: [6, 17, 58, 1, 0, 44][int(random, 6)] ?? 6, hopLimit: int(random, 256) }),
    describePacket(6, b),
  ];
  for (const line of lines) {
    assert.equal(typeof line, 'string');
    assert.ok(line.length > 0);
    assert.doesNotMatch(line, /undefined|NaN|\[object/);
  }
  if (!v4.ok) assert.match(lines[0] ?? '', /^undecodable \d+ bytes: /);
}

test(`fuzz: ${CASES} random and mutated packets through every decoder`, () => {
  const random = mulberry32(0x5eed1e55);
  const seeds = corpus();
  for (const seed of seeds) exercise(random, seed);
  for (let n = 0; n < CASES; n++) {
    const choice = random();
    let input: Buffer;
    if (choice < 0.25) {
      input = randomBytes(random, int(random, 300));
      // Give some random inputs a plausible first byte so they get past the version checks.
      if (input.length > 0 && random() < 0.5) input[0] = [0x45, 0x4f, 0x60, 0x0b, 0x03, 0x20][int(random, 6)] ?? 0;
    } else {
      input = mutate(random, seeds[int(random, seeds.length)] ?? fx.SYN_V4);
    }
    try {
      exercise(random, input);
    } catch (error) {
      assert.fail(`case ${n}, input ${input.toString('hex')}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  // The corpus and mutations must actually reach both outcomes of each decoder, and the extension paths.
  const keys = ['ipv4 true', 'ipv4 false', 'ipv6 true', 'ipv6 false', 'tcp true', 'tcp false', 'tcp bad data offset', 'udp true', 'udp false'];
  keys.push('icmp mpls', 'icmp interfaces', 'icmp extension error', 'extension behind an unpadded length');
  for (const key of keys) {
    assert.ok((counts.get(key) ?? 0) > 50, `${key}: only ${counts.get(key) ?? 0} cases`);
  }
});

test(`fuzz: ${CASES} interface information objects, whole and damaged`, () => {
  const random = mulberry32(0x5837);
  const outcomes = { roundTrip: 0, damagedOk: 0, damagedFail: 0 };
  for (let n = 0; n < CASES; n++) {
    const want = randomInterface(random);
    const { cType, data } = encodeInterfaceInfoObject(want);
    const whole = decodeInterfaceInfo(cType, data);
    assert.ok(whole.ok, whole.ok ? '' : whole.error);
    assert.deepEqual(whole.value, want);
    outcomes.roundTrip++;
    // Damage it: flipped bits (C-Type included), cut short, grown, or a random length byte for the name.
    let damaged = Buffer.from(data);
    let damagedType = cType;
    switch (int(random, 4)) {
      case 0:
        damagedType ^= 1 << int(random, 8);
        if (damaged.length > 0) damaged[int(random, damaged.length)]! ^= 1 << int(random, 8);
        break;
      case 1:
        damaged = damaged.subarray(0, int(random, damaged.length + 1));
        break;
      case 2:
        damaged = Buffer.concat([damaged, randomBytes(random, 1 + int(random, 8))]);
        break;
      default:
        if (damaged.length > 0) damaged[int(random, damaged.length)] = [0, 1, 3, 4, 63, 64, 65, 255][int(random, 8)] ?? 0;
    }
    try {
      const result = decodeInterfaceInfo(damagedType, damaged);
      if (result.ok) {
        checkInterface(result.value);
        outcomes.damagedOk++;
      } else {
        assert.match(result.error, /^interface information: /);
        outcomes.damagedFail++;
      }
    } catch (error) {
      assert.fail(`case ${n}, C-Type ${damagedType}, ${damaged.toString('hex')}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  assert.ok(outcomes.damagedOk > 500 && outcomes.damagedFail > 500, JSON.stringify(outcomes));
});
