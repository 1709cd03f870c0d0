import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  addressFamily,
  addressToBytes,
  bytesToIpv4,
  bytesToIpv6,
  canonicalAddress,
  ipv4ToBytes,
  ipv6ToBytes,
} from '../../src/packet/address.js';
import { hex } from './fixtures.js';

test('addressFamily accepts literal addresses of both families', () => {
  for (const a of ['0.0.0.0', '1.2.3.4', '198.18.4.2', '255.255.255.255']) assert.equal(addressFamily(a), 4, a);
  for (const a of ['::', '::1', '1::', '2001:db8::1', '2001:DB8:0:0:0:0:0:1', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8',
    '::ffff:198.18.1.1', '64:ff9b::198.18.1.1', '1:2:3:4:5:6:1.2.3.4', '0000:0000:0000:0000:0000:0000:0000:0001']) {
    assert.equal(addressFamily(a), 6, a);
  }
});

test('addressFamily refuses host names and malformed addresses (the same verdicts as glibc inet_pton)', () => {
  for (const a of ['', '1', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', '1..3.4', ' 1.2.3.4', '1.2.3.4 ', '1.2.3.4/24', '0x1.2.3.4',
    '1.2.3.-4', '1::2::3', ':::', ':', ':1::2', '1::2:', '1:::2', '1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7:8::', '::1:2:3:4:5:6:7:8',
    '12345::', '00000::1', 'g::1', '1.2.3.4::', '::1.2.3.4:5', '::1.2.3', '::ffff:256.1.1.1', '::ffff:01.2.3.4',
    '1:2:3:4:5:6:7:1.2.3.4', 'fe80::1%eth0', '[::1]', 'localhost', 'example.com', '198.18.4.2:80']) {
    assert.equal(addressFamily(a), null, JSON.stringify(a));
  }
});

test('text to bytes and back, IPv4', () => {
  assert.deepEqual([...ipv4ToBytes('198.18.4.2')], [198, 18, 4, 2]);
  assert.equal(bytesToIpv4(hex('ffc6120402'), 1), '198.18.4.2');
  assert.throws(() => ipv4ToBytes('1.2.3'), RangeError);
  assert.throws(() => ipv6ToBytes('1::2::3'), RangeError);
  assert.throws(() => addressToBytes('example.com'), RangeError);
  assert.equal(addressToBytes('::1').length, 16);
  assert.equal(addressToBytes('1.2.3.4').length, 4);
});

test('IPv6 parsing: ::, embedded IPv4, case', () => {
  assert.equal(ipv6ToBytes('::').toString('hex'), '00'.repeat(16));
  assert.equal(ipv6ToBytes('::1').toString('hex'), '00'.repeat(15) + '01');
  assert.equal(ipv6ToBytes('1::').toString('hex'), '0001' + '00'.repeat(14));
  assert.equal(ipv6ToBytes('::ffff:198.18.1.1').toString('hex'), '00000000000000000000ffffc6120101');
  assert.equal(ipv6ToBytes('64:ff9b::198.18.1.1').toString('hex'), '0064ff9b0000000000000000c6120101');
  assert.equal(ipv6ToBytes('2001:DB8::A:b').toString('hex'), '20010db80000000000000000000a000b');
});

// Expected text produced by glibc's inet_ntop (Python's socket.inet_ntop) for these bytes: the native shim formats
// peer addresses with it, and probes compare our text with its text.
const GLIBC_NTOP: [string, string][] = [
  ['20010db8000000000000000000000001', '2001:db8::1'],
  ['20010db8000000000001000000000001', '2001:db8::1:0:0:1'],
  ['20010db8000000010001000100010001', '2001:db8:0:1:1:1:1:1'],
  ['20010000000000010000000000000001', '2001:0:0:1::1'],
  ['00010000000000020000000000030004', '1::2:0:0:3:4'],
  ['00000000000000000000000000000000', '::'],
  ['00000000000000000000000000000001', '::1'],
  ['00010000000000000000000000000000', '1::'],
  ['00000000000000000000ffffc6120101', '::ffff:198.18.1.1'],
  ['00000000000000000000ffff00000000', '::ffff:0.0.0.0'],
  ['000000000000000000000000c6120101', '::198.18.1.1'],
  ['00000000000000000000000000010002', '::0.1.0.2'],
  ['0064ff9b0000000000000000c6120101', '64:ff9b::c612:101'],
  ['fe800000000000000000000000000001', 'fe80::1'],
  ['ffffffffffffffffffffffffffffffff', 'ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff'],
  ['00010002000300040005000600070000', '1:2:3:4:5:6:7:0'],
  ['00000002000300040005000600070008', '0:2:3:4:5:6:7:8'],
  ['00010000000200000003000000040000', '1:0:2:0:3:0:4:0'],
  ['0000000000000000ffff000000000000', '::ffff:0:0:0'],
  ['000000000000ffff0000000000000000', '0:0:0:ffff::'],
];

test('bytesToIpv6 writes RFC 5952 text, embedded IPv4 as inet_ntop does', () => {
  for (const [bytes, text] of GLIBC_NTOP) {
    assert.equal(bytesToIpv6(hex(bytes)), text, bytes);
    assert.equal(ipv6ToBytes(text).toString('hex'), bytes, text);
  }
  assert.equal(bytesToIpv6(hex('ffff' + '20010db8000000000000000000000001'), 2), '2001:db8::1');
});

test('canonicalAddress normalises IPv6 text and leaves other text alone', () => {
  assert.equal(canonicalAddress('2001:0DB8:0000:0000:0000:0000:0000:0001'), '2001:db8::1');
  assert.equal(canonicalAddress('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1');
  assert.equal(canonicalAddress('::FFFF:198.18.1.1'), '::ffff:198.18.1.1');
  assert.equal(canonicalAddress('198.18.4.2'), '198.18.4.2');
  assert.equal(canonicalAddress('example.com'), 'example.com');
});

test('readers past the end give zeros, not exceptions', () => {
  assert.equal(bytesToIpv4(new Uint8Array(2)), '0.0.0.0');
  assert.equal(bytesToIpv6(new Uint8Array(3), 1), '::');
});
