// Quotes that middleboxes changed on the way, and id fields holding values no probe is given: a reply is attributed
// to the probe it answers or to none, never to the wrong one. (A probe id of 0 would read as "unattributed" and be
// handed to whichever probe the engine guesses.)
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeIcmpEcho } from '../../src/packet/icmp.js';
import { encodeIcmpv6Echo } from '../../src/packet/icmpv6.js';
import { encodeTcp } from '../../src/packet/tcp.js';
import { sequenceFor } from '../../src/probe/tcp-syn.js';
import { createProbeMethod } from '../../src/probe/index.js';
import type { Family } from '../../src/probe/method.js';
import { probeIdFrom } from '../../src/probe/method.js';
import { ADDRESSES, flowFor, icmpErrorFor, inbound } from './fixtures.js';

test('probeIdFrom: 1..0xfffe are probe ids; 0 and 0xffff are not', () => {
  assert.deepEqual([0, 1, 0x7fff, 0xfffe, 0xffff].map(probeIdFrom), [null, 1, 0x7fff, 0xfffe, null]);
});

for (const family of [4, 6] as Family[]) {
  const ipHeader = family === 4 ? 20 : 40;
  const { router, destination } = ADDRESSES[family];

  describe(`IPv${family}`, () => {
    test('UDP: a quoted checksum a middlebox zeroed (or set to 0xffff) names no probe', () => {
      const flow = flowFor(family, 'udp');
      const method = createProbeMethod('udp');
      const probe = method.build(flow, 2, 321);
      const withChecksum = (value: number) => (d: Buffer) => d.writeUInt16BE(value, ipHeader + 6);
      assert.equal(method.match(icmpErrorFor(flow, probe, router, 'time-exceeded', 0, 28, withChecksum(321)), flow)?.probeId, 321);
      for (const value of [0, 0xffff]) {
        for (const kind of ['time-exceeded', 'unreachable'] as const) {
          assert.equal(method.match(icmpErrorFor(flow, probe, router, kind, 3, 28, withChecksum(value)), flow), null, `${kind}, checksum 0x${value.toString(16)}`);
          assert.equal(method.match(icmpErrorFor(flow, probe, destination, kind, 3, 200, withChecksum(value)), flow), null, `${kind}, whole quote`);
        }
      }
    });

    test('TCP: a damaged data offset in the quote (below 5, or past what was quoted) still names the probe', () => {
      const flow = flowFor(family, 'tcp');
      const method = createProbeMethod('tcp');
      const probe = method.build(flow, 4, 4321);
      for (const offset of [0, 1, 4, 5, 15]) {
        const withOffset = (d: Buffer) => (d[ipHeader + 12] = (offset << 4) | (d[ipHeader + 12]! & 0x0f));
        for (const quoteBytes of [28, 40, 200]) {
          const reply = method.match(icmpErrorFor(flow, probe, router, 'time-exceeded', 0, quoteBytes, withOffset), flow);
          assert.deepEqual([reply?.probeId, reply?.kind], [4321, 'time-exceeded'], `data offset ${offset}, ${quoteBytes} bytes quoted`);
        }
      }
    });

    test('TCP: a SYN-ACK or RST whose data offset is below 5 is not an answer', () => {
      const flow = flowFor(family, 'tcp');
      const method = createProbeMethod('tcp');
      const segment = encodeTcp({ sourcePort: flow.destinationPort, destinationPort: flow.sourcePort, seq: 1, ack: (sequenceFor(flow, 77) + 1) >>> 0, flags: { syn: true, ack: true } }, new Uint8Array(0), destination, flow.source);
      assert.equal(method.match(inbound(flow, destination, 6, segment), flow)?.probeId, 77);
      const damaged = Buffer.from(segment);
      damaged[12] = 0x40;
      assert.equal(method.match(inbound(flow, destination, 6, damaged), flow), null);
    });

    test('TCP: a sequence or acknowledgement carrying id 0 or 0xffff is nobody', () => {
      const flow = flowFor(family, 'tcp');
      const method = createProbeMethod('tcp');
      for (const id of [0, 0xffff]) {
        const probe = method.build(flow, 3, id);
        assert.equal(method.match(icmpErrorFor(flow, probe, router, 'time-exceeded'), flow), null);
        const synAck = encodeTcp({ sourcePort: flow.destinationPort, destinationPort: flow.sourcePort, seq: 1, ack: (sequenceFor(flow, id) + 1) >>> 0, flags: { syn: true, ack: true } }, new Uint8Array(0), destination, flow.source);
        assert.equal(method.match(inbound(flow, destination, 6, synAck), flow), null);
      }
    });

    test('ICMP echo: a quoted or echoed sequence of 0 or 0xffff is nobody', () => {
      const flow = flowFor(family, 'icmp');
      const method = createProbeMethod('icmp');
      for (const id of [0, 0xffff]) {
        const probe = method.build(flow, 3, id);
        assert.equal(method.match(icmpErrorFor(flow, probe, router, 'time-exceeded'), flow), null);
        const body = (family === 4 ? probe.bytes.subarray(20) : probe.bytes).subarray(8);
        const reply =
          family === 4
            ? inbound(flow, destination, 1, encodeIcmpEcho({ type: 0, identifier: flow.icmpId, sequence: id, payload: body }))
            : inbound(flow, destination, 58, encodeIcmpv6Echo({ type: 129, identifier: flow.icmpId, sequence: id, payload: body }, destination, flow.source));
        assert.equal(method.match(reply, flow), null);
      }
    });
  });
}
