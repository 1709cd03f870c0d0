// ICMP echo probes. Flow: the identifier, and a checksum kept constant by two payload bytes (some routers hash the
// first four bytes of the ICMP header for ECMP). Probe id: the sequence number. The payload carries the trace's
// nonce, which an echo reply returns, so two traces that drew the same identifier still tell their replies apart.
import { onesComplementSum, pseudoHeaderSum, steeringValue } from '../packet/checksum.js';
import { encodeIpv4 } from '../packet/ipv4.js';
import { decodeIcmpError, decodeIcmpOf, IPPROTO_ICMP, IPPROTO_ICMPV6, replyFromIcmpError } from './icmp-error.js';
import { probeIdFrom } from './method.js';
import type { Flow, InboundPacket, OutgoingPacket, ProbeMethod, ProbeReply } from './method.js';

const MARKER = Buffer.from('portpath');

/**
 * The constant checksum of every probe in the flow (any fixed value other than 0 works): drawn from the identifier,
 * so the identifier alone names the flow and `--icmp-id` reproduces a path `portpath paths` found.
 */
function flowChecksum(flow: Flow): number {
  return ((flow.icmpId * 7919) & 0xfffe) | 1;
}

export function buildEcho(flow: Flow, probeId: number): Buffer {
  // header (8) | steering (2) | nonce (2) | marker
  const message = Buffer.alloc(8 + 4 + MARKER.length);
  message[0] = flow.family === 4 ? 8 : 128;
  message.writeUInt16BE(flow.icmpId, 4);
  message.writeUInt16BE(probeId, 6);
  message.writeUInt16BE(flow.nonce & 0xffff, 10);
  MARKER.copy(message, 12);
  const pseudo = flow.family === 6 ? pseudoHeaderSum(flow.source, flow.destination, IPPROTO_ICMPV6, message.length) : 0;
  const target = flowChecksum(flow);
  message.writeUInt16BE(steeringValue(onesComplementSum(message, pseudo), target), 8);
  message.writeUInt16BE(target, 2);
  return message;
}

export function createIcmpEchoMethod(): ProbeMethod {
  return {
    protocol: 'icmp',
    ipProtocol: IPPROTO_ICMP,
    build(flow: Flow, ttl: number, probeId: number): OutgoingPacket {
      const message = buildEcho(flow, probeId);
      if (flow.family === 6) return { family: 6, destination: flow.destination, ttl, ipProtocol: IPPROTO_ICMPV6, bytes: message };
      const bytes = encodeIpv4({ source: flow.source, destination: flow.destination, protocol: IPPROTO_ICMP, ttl, id: probeId }, message);
      return { family: 4, destination: flow.destination, ttl, ipProtocol: IPPROTO_ICMP, bytes };
    },
    match(packet: InboundPacket, flow: Flow): ProbeReply | null {
      const message = decodeIcmpOf(packet);
      if (!message) return null;
      const echoReply = flow.family === 4 ? 0 : 129;
      if (message.type === echoReply) {
        const probeId = probeIdFrom(message.sequence ?? 0);
        if (packet.from !== flow.destination || message.identifier !== flow.icmpId || probeId === null) return null;
        if (message.body.length < 4 || ((message.body[2]! << 8) | message.body[3]!) !== (flow.nonce & 0xffff)) return null;
        return { probeId, kind: 'echo-reply', from: packet.from, replyTtl: packet.ttl, receivedAtNs: packet.receivedAtNs };
      }
      const error = decodeIcmpError(packet);
      const innerProtocol = flow.family === 4 ? IPPROTO_ICMP : IPPROTO_ICMPV6;
      if (!error || error.quoted.protocol !== innerProtocol || error.quoted.destination !== flow.destination) return null;
      const l4 = error.quoted.l4;
      const echoRequest = flow.family === 4 ? 8 : 128;
      if (l4.length < 8 || l4[0] !== echoRequest || ((l4[4]! << 8) | l4[5]!) !== flow.icmpId) return null;
      const quotedId = probeIdFrom((l4[6]! << 8) | l4[7]!);
      return quotedId === null ? null : replyFromIcmpError(packet, error, quotedId);
    },
  };
}
