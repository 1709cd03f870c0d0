// Every probe method, both families: build a probe, fabricate the replies real routers and hosts send (as bytes),
// and check the matcher attributes each to the right probe — and refuses look-alikes from other flows.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { encodeIcmpEcho } from '../../src/packet/icmp.js';
import { encodeIcmpv6Echo } from '../../src/packet/icmpv6.js';
import { decodeIpv4 } from '../../src/packet/ipv4.js';
import { decodeTcp, encodeTcp } from '../../src/packet/tcp.js';
import { decodeUdp, encodeUdp } from '../../src/packet/udp.js';
import { createProbeMethod } from '../../src/probe/index.js';
import type { Family, OutgoingPacket } from '../../src/probe/method.js';
import { UNATTRIBUTED_PROBE } from '../../src/probe/method.js';
import { ADDRESSES, flowFor, icmpErrorFor, inbound } from './fixtures.js';

const families: Family[] = [4, 6];

for (const family of families) {
  describe(`IPv${family}`, () => {
    const { router, destination } = ADDRESSES[family];

    test('TCP SYN: time exceeded, SYN-ACK and RST are attributed to the probe that caused them', () => {
      const flow = flowFor(family, 'tcp');
      const method = createProbeMethod('tcp');
      const probe = method.build(flow, 5, 777);
      assert.equal(probe.ttl, 5);
      const l4 = family === 4 ? decodeIpv4(probe.bytes) : null;
      if (l4) {
        assert.ok(l4.ok);
        assert.equal(l4.value.header.ttl, 5);
        assert.equal(l4.value.header.id, 777);
      }
      const segment = decodeTcp(family === 4 && l4?.ok ? l4.value.payload : probe.bytes);
      assert.ok(segment.ok);
      assert.equal(segment.value.header.flags?.syn, true);
      assert.equal(segment.value.header.options?.mss, family === 4 ? 1460 : 1440);

      const expired = method.match(icmpErrorFor(flow, probe, router, 'time-exceeded'), flow);
      assert.equal(expired?.probeId, 777);
      assert.equal(expired?.kind, 'time-exceeded');
      assert.equal(expired?.from, router);
      assert.equal(expired?.replyTtl, 60);

      const seq = segment.value.header.seq;
      const reply = (flags: { syn?: boolean; ack?: boolean; rst?: boolean }, from: string = destination, ack = seq + 1) =>
        inbound(flow, from, 6, encodeTcp({ sourcePort: 443, destinationPort: 40123, seq: 99, ack: ack >>> 0, flags }, new Uint8Array(0), from, flow.source));
      assert.equal(method.match(reply({ syn: true, ack: true }), flow)?.kind, 'syn-ack');
      assert.equal(method.match(reply({ syn: true, ack: true }), flow)?.probeId, 777);
      assert.equal(method.match(reply({ rst: true, ack: true }), flow)?.kind, 'rst');
      // A SYN-ACK from anyone but the destination, one that acknowledges another trace's sequence, or a bare ACK: not ours.
      assert.equal(method.match(reply({ syn: true, ack: true }, router), flow), null);
      assert.equal(method.match(reply({ syn: true, ack: true }, destination, seq ^ 0x10000000), flow), null);
      assert.equal(method.match(reply({ ack: true }), flow), null);
      // Another trace (other nonce or other source port) never takes this reply.
      assert.equal(method.match(icmpErrorFor(flow, probe, router, 'time-exceeded'), { ...flow, nonce: 0x1111 }), null);
      assert.equal(method.match(icmpErrorFor(flow, probe, router, 'time-exceeded'), { ...flow, sourcePort: 40124 }), null);
    });

    test("TCP ACK (the reach check's): the destination's RST carries our acknowledgment number back as its sequence number", () => {
      const flow = flowFor(family, 'tcp');
      const method = createProbeMethod('tcp', 'ack');
      const probe = method.build(flow, 30, 4321);
      const segment = decodeTcp(family === 4 ? probe.bytes.subarray(20) : probe.bytes);
      assert.ok(segment.ok);
      assert.deepEqual([segment.value.header.flags?.syn, segment.value.header.flags?.ack], [false, true]);
      const { seq, ack } = segment.value.header;
      // RFC 9293: a reset answering a segment with ACK set takes that ACK as its sequence number, and no ACK flag.
      const reset = (from: string, rstSeq: number) => inbound(flow, from, 6, encodeTcp({ sourcePort: 443, destinationPort: 40123, seq: rstSeq >>> 0, flags: { rst: true } }, new Uint8Array(0), from, flow.source));
      const matched = method.match(reset(destination, ack!), flow);
      assert.deepEqual([matched?.kind, matched?.probeId], ['rst', 4321]);
      // From anyone but the destination, or naming another trace's number: not ours.
      assert.equal(method.match(reset(router, ack!), flow), null);
      assert.equal(method.match(reset(destination, ack! ^ 0x10000000), flow), null);
      // A router's ICMP error quotes the sequence number, which carries the id too.
      assert.equal(seq >>> 0, ack! >>> 0);
      assert.equal(method.match(icmpErrorFor(flow, probe, router, 'time-exceeded'), flow)?.probeId, 4321);
    });

    test('the flow stays constant across probes: only TTL and id-carrying fields change', () => {
      const flow = flowFor(family, 'tcp');
      const method = createProbeMethod('tcp');
      const a = method.build(flow, 1, 1);
      const b = method.build(flow, 9, 2);
      const ports = (p: OutgoingPacket) => {
        const bytes = family === 4 ? p.bytes.subarray(20) : p.bytes;
        return bytes.subarray(0, 4).toString('hex');
      };
      assert.equal(ports(a), ports(b));
    });

    test('UDP: the probe id survives the 8-byte quote in the checksum; closed and open ports are told apart', () => {
      const flow = flowFor(family, 'udp', 53);
      const method = createProbeMethod('udp');
      const probe = method.build(flow, 3, 4242);
      const datagram = decodeUdp(family === 4 ? probe.bytes.subarray(20) : probe.bytes);
      assert.ok(datagram.ok);
      assert.equal(datagram.value.header.checksum, 4242, 'checksum carries the probe id');
      // Only 8 bytes of UDP quoted, as RFC 792 routers do.
      const expired = method.match(icmpErrorFor(flow, probe, router, 'time-exceeded', 0, 28), flow);
      assert.deepEqual([expired?.probeId, expired?.kind], [4242, 'time-exceeded']);
      const portUnreachable = method.match(icmpErrorFor(flow, probe, destination, 'unreachable', family === 4 ? 3 : 4), flow);
      assert.deepEqual([portUnreachable?.probeId, portUnreachable?.kind, portUnreachable?.icmpCode], [4242, 'unreachable', family === 4 ? 3 : 4]);
      // A DNS answer from the destination: echoes the query id, which the method steered, so it finds the probe.
      const query = datagram.value.payload;
      const answer = Buffer.from(query);
      answer[2] = 0x81;
      const response = inbound(flow, destination, 17, encodeUdp({ sourcePort: 53, destinationPort: 40123 }, answer, destination, flow.source));
      const open = method.match(response, flow);
      assert.equal(open?.kind, 'udp');
      assert.equal(open?.probeId, 4242);
      // Any other UDP answer from the destination's port is accepted but left for the engine to attribute.
      const other = inbound(flow, destination, 17, encodeUdp({ sourcePort: 53, destinationPort: 40123 }, Buffer.from('hi'), destination, flow.source));
      assert.equal(method.match(other, flow)?.probeId, UNATTRIBUTED_PROBE);
      assert.equal(method.match(inbound(flow, router, 17, encodeUdp({ sourcePort: 53, destinationPort: 40123 }, answer, router, flow.source)), flow), null);
    });

    test('ICMP echo: replies and errors carry the sequence; other identifiers and nonces are refused', () => {
      const flow = flowFor(family, 'icmp');
      const method = createProbeMethod('icmp');
      const probe = method.build(flow, 7, 31);
      const expired = method.match(icmpErrorFor(flow, probe, router, 'time-exceeded'), flow);
      assert.deepEqual([expired?.probeId, expired?.kind], [31, 'time-exceeded']);
      const request = family === 4 ? probe.bytes.subarray(20) : probe.bytes;
      const echoReply = (identifier: number, payload: Uint8Array) =>
        family === 4
          ? inbound(flow, destination, 1, encodeIcmpEcho({ type: 0, identifier, sequence: 31, payload }))
          : inbound(flow, destination, 58, encodeIcmpv6Echo({ type: 129, identifier, sequence: 31, payload }, destination, flow.source));
      const body = request.subarray(8);
      assert.deepEqual([method.match(echoReply(0x1234, body), flow)?.kind, method.match(echoReply(0x1234, body), flow)?.probeId], ['echo-reply', 31]);
      assert.equal(method.match(echoReply(0x4321, body), flow), null);
      const otherNonce = Buffer.from(body);
      otherNonce[2] = (otherNonce[2]! + 1) & 0xff;
      assert.equal(method.match(echoReply(0x1234, otherNonce), flow), null);
      // Constant checksum across probes (Paris): routers hashing the ICMP header keep one path.
      const other = method.build(flow, 8, 32);
      const checksumOf = (p: OutgoingPacket) => (family === 4 ? p.bytes.subarray(20) : p.bytes).readUInt16BE(2);
      assert.equal(checksumOf(probe), checksumOf(other));
    });
  });
}
