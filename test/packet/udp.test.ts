import assert from 'node:assert/strict';
import { test } from 'node:test';
import { finishChecksum, onesComplementSum, pseudoHeaderSum, steeringValue } from '../../src/packet/checksum.js';
import { decodeUdp, encodeUdp, udpChecksumValid } from '../../src/packet/udp.js';
import { PORT_UNREACH_V4 } from './fixtures.js';

test('round trip over IPv4 and IPv6 with a valid checksum', () => {
  for (const [src, dst] of [['198.18.1.1', '198.18.4.2'], ['2001:db8:1::1', '2001:db8:4::2']] as const) {
    const bytes = encodeUdp({ sourcePort: 40000, destinationPort: 53 }, Buffer.from('portpath probe'), src, dst);
    assert.ok(Buffer.isBuffer(bytes));
    const decoded = decodeUdp(bytes);
    assert.ok(decoded.ok);
    const { header, payload, truncated } = decoded.value;
    assert.deepEqual([header.sourcePort, header.destinationPort, header.length], [40000, 53, 22]);
    assert.equal(Buffer.from(payload).toString(), 'portpath probe');
    assert.equal(truncated, false);
    assert.equal(udpChecksumValid(bytes, src, dst), true);
    assert.equal(udpChecksumValid(bytes, dst, src === '198.18.1.1' ? '198.18.9.9' : '2001:db8::9'), false);
  }
});

test('a computed checksum of 0 is sent as 0xffff', () => {
  const payload = Buffer.alloc(4);
  const sum = onesComplementSum(Buffer.concat([Buffer.from([0x9c, 0x40, 0x00, 0x35, 0x00, 0x0c, 0, 0]), payload]), pseudoHeaderSum('10.0.0.1', '10.0.0.2', 17, 12));
  payload.writeUInt16BE(steeringValue(sum, 0), 0);
  const bytes = encodeUdp({ sourcePort: 40000, destinationPort: 53 }, payload, '10.0.0.1', '10.0.0.2');
  assert.equal(bytes.readUInt16BE(6), 0xffff);
  assert.equal(udpChecksumValid(bytes, '10.0.0.1', '10.0.0.2'), true);
  assert.equal(finishChecksum(onesComplementSum(bytes, pseudoHeaderSum('10.0.0.1', '10.0.0.2', 17, 12))), 0);
});

test('checksum 0: "none" over IPv4, invalid over IPv6', () => {
  const bytes = encodeUdp({ sourcePort: 1, destinationPort: 2 }, new Uint8Array(3), '10.0.0.1', '10.0.0.2');
  bytes.writeUInt16BE(0, 6);
  assert.equal(udpChecksumValid(bytes, '10.0.0.1', '10.0.0.2'), true);
  assert.equal(udpChecksumValid(bytes, '::1', '::2'), false);
  assert.equal(udpChecksumValid(bytes.subarray(0, 7), '10.0.0.1', '10.0.0.2'), false);
  assert.equal(udpChecksumValid(Buffer.from([0, 1, 0, 2, 0, 8, 1, 2]), 'not', 'addresses'), false);
});

test('the 8 quoted bytes of a captured port unreachable decode, truncated', () => {
  const decoded = decodeUdp(PORT_UNREACH_V4.subarray(48, 56));
  assert.ok(decoded.ok);
  const { header, payload, truncated } = decoded.value;
  assert.deepEqual(header, { sourcePort: 39464, destinationPort: 33434, length: 16, checksum: 0x9149 });
  assert.equal(payload.length, 0);
  assert.equal(truncated, true);
});

test('fewer than 8 bytes, or a length below 8, fail', () => {
  assert.equal(decodeUdp(new Uint8Array(7)).ok, false);
  assert.equal(decodeUdp(Buffer.from([0, 1, 0, 2, 0, 7, 0, 0])).ok, false);
});
