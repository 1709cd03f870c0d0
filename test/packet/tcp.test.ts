import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeTcp, decodeTcpOptions, encodeTcp, flagBits, flagsFromBits, TCP_FLAGS, tcpChecksumValid } from '../../src/packet/tcp.js';
import type { TcpSegment } from '../../src/packet/tcp.js';
import { hex, RST_V4, SYN_V4, SYN_V6_L4 } from './fixtures.js';

function decoded(bytes: Uint8Array): TcpSegment {
  const result = decodeTcp(bytes);
  assert.ok(result.ok, result.ok ? '' : result.error);
  return result.value;
}

test('decodes a captured Linux SYN with its options', () => {
  const { header, partial, payload } = decoded(SYN_V4.subarray(20));
  assert.equal(partial, false);
  assert.equal(payload.length, 0);
  assert.equal(header.sourcePort, 40001);
  assert.equal(header.destinationPort, 80);
  assert.equal(header.seq, 0xddef1a47);
  assert.equal(header.ack, 0);
  assert.equal(header.dataOffset, 10);
  assert.equal(header.headerLength, 40);
  assert.equal(header.flagBits, TCP_FLAGS.SYN);
  assert.deepEqual(header.flags, { fin: false, syn: true, rst: false, psh: false, ack: false, urg: false, ece: false, cwr: false });
  assert.equal(header.window, 64240);
  assert.equal(header.checksum, 0x6cba);
  assert.deepEqual(header.options, { mss: 1460, sackPermitted: true, timestamps: { value: 0x71fb4866, echo: 0 }, wscale: 10, other: [] });
  assert.equal(tcpChecksumValid(SYN_V4.subarray(20), '198.18.1.1', '198.18.4.2'), true);
  assert.equal(tcpChecksumValid(SYN_V4.subarray(20), '198.18.1.1', '198.18.4.3'), false);
});

test('decodes a captured RST-ACK: ack is the SYN sequence + 1', () => {
  const { header } = decoded(RST_V4.subarray(20));
  assert.equal(header.flags?.rst, true);
  assert.equal(header.flags?.ack, true);
  assert.equal(header.ack, 0xf5cea0b4 + 1);
  assert.equal(tcpChecksumValid(RST_V4.subarray(20), '198.18.4.2', '198.18.1.1'), true);
});

test('encodeTcp reproduces the captured SYNs byte for byte (v4 and v6 pseudo-headers)', () => {
  const common = { sourcePort: 40001, destinationPort: 80, flags: { syn: true }, window: 64240, mss: 1460, sackPermitted: true, wscale: 10 };
  const v4 = encodeTcp({ ...common, seq: 0xddef1a47, timestamps: { value: 0x71fb4866, echo: 0 } }, new Uint8Array(0), '198.18.1.1', '198.18.4.2');
  assert.ok(Buffer.isBuffer(v4));
  assert.equal(v4.toString('hex'), SYN_V4.subarray(20).toString('hex'));
  const v6 = encodeTcp(
    { ...common, sourcePort: 40011, seq: 0xf5ff2eb6, window: 64800, mss: 1440, timestamps: { value: 0x007ac538, echo: 0 } },
    new Uint8Array(0),
    '2001:db8:1::1',
    '2001:db8:4::2',
  );
  assert.equal(v6.toString('hex'), SYN_V6_L4.toString('hex'));
  assert.equal(tcpChecksumValid(v6, '2001:db8:1::1', '2001:db8:4::2'), true);
});

test('round trip: flags as bits or names, payload, options', () => {
  const payload = Buffer.from('GET / HTTP/1.0\r\n\r\n');
  const bytes = encodeTcp(
    { sourcePort: 1, destinationPort: 65535, seq: 0xffffffff, ack: 0x80000000, flags: TCP_FLAGS.PSH | TCP_FLAGS.ACK, window: 0, urgent: 3, options: Uint8Array.of(1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 2) },
    payload,
    '10.0.0.1',
    '10.0.0.2',
  );
  const { header, payload: out, partial } = decoded(bytes);
  assert.equal(partial, false);
  assert.equal(header.seq, 0xffffffff);
  assert.equal(header.ack, 0x80000000);
  assert.equal(header.flags?.psh, true);
  assert.equal(header.flags?.ack, true);
  assert.equal(header.urgent, 3);
  assert.deepEqual(header.options?.other, [5]);
  assert.equal(Buffer.from(out).toString(), payload.toString());
  assert.equal(tcpChecksumValid(bytes, '10.0.0.1', '10.0.0.2'), true);
  for (let bits = 0; bits < 256; bits++) assert.equal(flagBits(flagsFromBits(bits)), bits);
  assert.equal(flagBits({ syn: true, ack: true }), 0x12);
});

test('8 bytes (an RFC 792 quote) decode to ports and sequence, marked partial', () => {
  for (const length of [8, 12, 19]) {
    const { header, partial } = decoded(SYN_V4.subarray(20, 20 + length));
    assert.equal(partial, true);
    assert.deepEqual([header.sourcePort, header.destinationPort, header.seq], [40001, 80, 0xddef1a47]);
    assert.equal(header.flags, undefined);
    assert.equal(header.ack, undefined);
  }
  const cut = decoded(SYN_V4.subarray(20, 48));
  assert.equal(cut.partial, true);
  assert.equal(cut.header.flags?.syn, true);
  assert.equal(cut.header.options?.mss, 1460);
});

test('fewer than 8 bytes fail', () => {
  assert.equal(decodeTcp(new Uint8Array(7)).ok, false);
});

test('a data offset below 5 keeps the ports and sequence, says why the rest is not read, and never throws', () => {
  for (const offset of [0, 1, 4]) {
    const bad = Buffer.from(SYN_V4.subarray(20));
    bad[12] = (offset << 4) | (bad[12]! & 0x0f);
    const { header, partial, payload, malformed } = decoded(bad);
    assert.deepEqual(header, { sourcePort: 40001, destinationPort: 80, seq: 0xddef1a47 });
    assert.equal(partial, true);
    assert.equal(payload.length, 0);
    assert.equal(malformed, `data offset ${offset} is below 5`);
  }
});

test('a data offset past the bytes there: partial, options read as far as they go', () => {
  const cut = Buffer.from(SYN_V4.subarray(20, 48)); // 8 of the 20 option bytes
  cut[12] = 0xf0 | (cut[12]! & 0x0f); // data offset 15: 60 bytes of header promised
  const { header, partial, payload, malformed } = decoded(cut);
  assert.equal(partial, true);
  assert.equal(malformed, undefined);
  assert.deepEqual([header.sourcePort, header.seq, header.dataOffset, header.headerLength], [40001, 0xddef1a47, 15, 60]);
  assert.equal(header.options?.mss, 1460);
  assert.equal(payload.length, 0);
});

test('malformed options stop the parse with a reason, keeping what came before', () => {
  const cases: [string, RegExp][] = [
    ['020405b4 0300', /length 0/],
    ['020405b4 0301', /length 1/],
    ['020405b4 08', /no length byte/],
    ['020405b4 080a0000', /runs past/],
    ['020305', /expected 4/],
    ['04040000', /expected 2/],
    ['03020a', /expected 3/],
  ];
  for (const [bytes, reason] of cases) {
    const options = decodeTcpOptions(hex(bytes));
    assert.match(options.malformed ?? '', reason, bytes);
  }
  assert.equal(decodeTcpOptions(hex('020405b4 0300')).mss, 1460);
  assert.deepEqual(decodeTcpOptions(hex('01010101 00ffffff')), { other: [] });
});

test('encodeTcp refuses more than 40 bytes of options', () => {
  assert.throws(() => encodeTcp({ sourcePort: 1, destinationPort: 2, seq: 0, flags: 2, mss: 1460, options: new Uint8Array(40) }, new Uint8Array(0), '1.1.1.1', '2.2.2.2'), RangeError);
});
