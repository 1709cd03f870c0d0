import assert from 'node:assert/strict';
import { test } from 'node:test';
import { finishChecksum, internetChecksum, onesComplementSum, pseudoHeaderSum, steeringValue } from '../../src/packet/checksum.js';
import { hex, SYN_V4, SYN_V6_L4, TIME_EXCEEDED_V6_L4 } from './fixtures.js';
import { int, mulberry32, randomBytes } from '../../src/lab/seeded-random.js';

/** The obvious definition, independent of the implementation: sum words as plain integers, fold at the end. */
function referenceSum(data: Uint8Array, initial = 0): number {
  let sum = initial;
  for (let i = 0; i < data.length; i += 2) sum += ((data[i] ?? 0) << 8) | (data[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + Math.floor(sum / 0x10000);
  return sum;
}

test('the RFC 1071 worked example', () => {
  const data = hex('0001f203f4f5f6f7');
  assert.equal(onesComplementSum(data), 0xddf2);
  assert.equal(internetChecksum(data), 0x220d);
  assert.equal(finishChecksum(0xddf2), 0x220d);
});

test('an odd last byte is the high byte of a zero-padded word', () => {
  assert.equal(onesComplementSum(hex('0102 03')), 0x0102 + 0x0300);
  assert.equal(onesComplementSum(hex('ff')), 0xff00);
  assert.equal(onesComplementSum(new Uint8Array(0)), 0);
  assert.equal(onesComplementSum(new Uint8Array(0), 0x1ffff), 0x0001);
});

test('matches the reference sum on random data of every small length, with and without an initial sum', () => {
  const random = mulberry32(1071);
  for (let n = 0; n < 2000; n++) {
    const data = randomBytes(random, int(random, 300));
    const initial = int(random, 0x30000);
    assert.equal(onesComplementSum(data, initial), referenceSum(data, initial));
  }
  const big = Buffer.alloc(200000, 0xff);
  assert.equal(onesComplementSum(big), referenceSum(big));
});

test('a captured IPv4 header and TCP segment check out (pseudo-header v4)', () => {
  assert.equal(internetChecksum(SYN_V4.subarray(0, 20)), 0);
  const tcp = SYN_V4.subarray(20);
  assert.equal(onesComplementSum(tcp, pseudoHeaderSum('198.18.1.1', '198.18.4.2', 6, tcp.length)), 0xffff);
});

test('pseudo-header v6: the captured SYN and ICMPv6 time exceeded check out', () => {
  assert.equal(onesComplementSum(SYN_V6_L4, pseudoHeaderSum('2001:db8:1::1', '2001:db8:4::2', 6, SYN_V6_L4.length)), 0xffff);
  const sum = onesComplementSum(TIME_EXCEEDED_V6_L4, pseudoHeaderSum('2001:db8:1::2', '2001:db8:1::1', 58, TIME_EXCEEDED_V6_L4.length));
  assert.equal(sum, 0xffff);
});

test('pseudoHeaderSum refuses mixed families and non-addresses', () => {
  assert.throws(() => pseudoHeaderSum('198.18.1.1', '2001:db8::1', 6, 20), RangeError);
  assert.throws(() => pseudoHeaderSum('host', '198.18.1.1', 6, 20), RangeError);
});

test('steeringValue: for every 16-bit sum, the steered field makes the checksum equal the target', () => {
  const random = mulberry32(5);
  const targets = [0, 1, 2, 0x7fff, 0x8000, 0xfffe, ...Array.from({ length: 10 }, () => int(random, 0xffff))];
  for (let sum = 0; sum <= 0xffff; sum++) {
    for (const target of targets) {
      const v = steeringValue(sum, target);
      assert.ok(v >= 0 && v <= 0xffff);
      const withField = referenceSum(Uint8Array.of(v >> 8, v & 0xff), sum);
      if (finishChecksum(withField) !== target) assert.fail(`sum ${sum} target ${target}: steering ${v} gives ${finishChecksum(withField)}`);
    }
  }
});

test('steeringValue in real datagrams: the checksum field then holds the target and the message verifies', () => {
  const random = mulberry32(768);
  for (let n = 0; n < 3000; n++) {
    const length = 12 + 2 * int(random, 60) + int(random, 2);
    const data = randomBytes(random, length);
    data.writeUInt16BE(0, 6); // the checksum field (UDP layout)
    const field = 8 + 2 * int(random, (length - 9) >> 1); // an even offset in the payload
    data.writeUInt16BE(0, field);
    const pseudo = pseudoHeaderSum('198.18.1.1', '198.18.4.2', 17, length);
    const target = 1 + int(random, 0xfffe); // probe ids: 1..0xfffe
    data.writeUInt16BE(steeringValue(onesComplementSum(data, pseudo), target), field);
    assert.equal(finishChecksum(onesComplementSum(data, pseudo)), target);
    data.writeUInt16BE(target, 6);
    assert.equal(onesComplementSum(data, pseudo), 0xffff);
  }
});

test('steeringValue for 0xffff gives checksum 0 (unreachable otherwise; UDP sends 0 as 0xffff)', () => {
  const v = steeringValue(0x1234, 0xffff);
  assert.equal(finishChecksum(referenceSum(Uint8Array.of(v >> 8, v & 0xff), 0x1234)), 0);
});
