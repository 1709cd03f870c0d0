import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeIpv4, encodeIpv4 } from '../../src/packet/ipv4.js';
import { hex, RST_V4, SYN_V4, TIME_EXCEEDED_V4 } from './fixtures.js';

function decoded(bytes: Uint8Array) {
  const result = decodeIpv4(bytes);
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.value;
}

test('decodes a captured SYN header', () => {
  const { header, payload, truncated, checksumValid } = decoded(SYN_V4);
  assert.deepEqual(
    { ...header, options: [...header.options] },
    {
      version: 4,
      headerLength: 20,
      dscp: 0,
      ecn: 0,
      totalLength: 60,
      id: 0xb708,
      dontFragment: true,
      moreFragments: false,
      fragmentOffset: 0,
      ttl: 1,
      protocol: 6,
      checksum: 0x318c,
      source: '198.18.1.1',
      destination: '198.18.4.2',
      options: [],
    },
  );
  assert.equal(payload.length, 40);
  assert.equal(truncated, false);
  assert.equal(checksumValid, true);
});

test('DSCP/ECN of a router ICMP (tos 0xc0)', () => {
  const { header } = decoded(TIME_EXCEEDED_V4);
  assert.equal(header.dscp, 48);
  assert.equal(header.ecn, 0);
  assert.equal(header.protocol, 1);
  assert.equal(header.source, '198.18.1.2');
});

test('encodeIpv4 reproduces the captured header byte for byte', () => {
  const packet = encodeIpv4({ source: '198.18.1.1', destination: '198.18.4.2', protocol: 6, ttl: 1, id: 0xb708, dontFragment: true }, SYN_V4.subarray(20));
  assert.ok(Buffer.isBuffer(packet));
  assert.equal(packet.toString('hex'), SYN_V4.toString('hex'));
  const rst = encodeIpv4({ source: '198.18.4.2', destination: '198.18.1.1', protocol: 6, ttl: 63, dontFragment: true }, RST_V4.subarray(20));
  assert.equal(rst.toString('hex'), RST_V4.toString('hex'));
});

test('round trip with DSCP, ECN and a payload', () => {
  const payload = Buffer.from('hello');
  const packet = encodeIpv4({ source: '10.0.0.1', destination: '10.0.0.2', protocol: 17, ttl: 9, id: 7, dscp: 46, ecn: 1 }, payload);
  const { header, payload: out, checksumValid } = decoded(packet);
  assert.equal(header.dscp, 46);
  assert.equal(header.ecn, 1);
  assert.equal(header.id, 7);
  assert.equal(header.dontFragment, false);
  assert.equal(header.ttl, 9);
  assert.equal(Buffer.from(out).toString(), 'hello');
  assert.equal(checksumValid, true);
});

test('a quote cut short is truncated, not an error; trailing link padding is not payload', () => {
  const cut = decoded(SYN_V4.subarray(0, 28));
  assert.equal(cut.truncated, true);
  assert.equal(cut.payload.length, 8);
  const padded = decoded(Buffer.concat([RST_V4, Buffer.alloc(6)]));
  assert.equal(padded.truncated, false);
  assert.equal(padded.payload.length, 20);
});

test('options and fragment fields', () => {
  const packet = hex('46000020 12342005 40110000 0a000001 0a000002 01010100 deadbeef 00000000');
  const { header, payload } = decoded(packet);
  assert.equal(header.headerLength, 24);
  assert.deepEqual([...header.options], [1, 1, 1, 0]);
  assert.equal(header.moreFragments, true);
  assert.equal(header.fragmentOffset, 40);
  assert.equal(payload.length, 8);
});

test('total length 0 (segmentation offload) means "what is here"', () => {
  const packet = Buffer.from(SYN_V4);
  packet.writeUInt16BE(0, 2);
  const { payload, truncated } = decoded(packet);
  assert.equal(payload.length, 40);
  assert.equal(truncated, false);
});

test('structurally impossible headers are failures', () => {
  const cases: [string, Uint8Array][] = [
    ['empty', new Uint8Array(0)],
    ['19 bytes', SYN_V4.subarray(0, 19)],
    ['version 6', Buffer.from([0x65, ...SYN_V4.subarray(1)])],
    ['IHL 4', Buffer.from([0x44, ...SYN_V4.subarray(1)])],
    ['IHL beyond data', Buffer.from([0x4f, ...SYN_V4.subarray(1, 40)])],
  ];
  for (const [name, bytes] of cases) assert.equal(decodeIpv4(bytes).ok, false, name);
  const short = Buffer.from(SYN_V4);
  short.writeUInt16BE(19, 2);
  const result = decodeIpv4(short);
  assert.equal(result.ok, false);
  assert.match(result.ok ? '' : result.error, /total length 19/);
});

test('a bad header checksum is reported, not fatal', () => {
  const packet = Buffer.from(SYN_V4);
  packet[8] = 2;
  assert.equal(decoded(packet).checksumValid, false);
});

test('encodeIpv4 refuses bad addresses and oversize payloads', () => {
  assert.throws(() => encodeIpv4({ source: '1.2.3', destination: '1.2.3.4', protocol: 6, ttl: 1 }, new Uint8Array(0)), RangeError);
  assert.throws(() => encodeIpv4({ source: '1.2.3.4', destination: '1.2.3.4', protocol: 6, ttl: 1 }, new Uint8Array(65516)), RangeError);
});
