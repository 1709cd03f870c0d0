// UDP probes, Paris-traceroute style: source and destination ports never change, so the flow stays on one path;
// the probe id is the UDP checksum, steered by two payload bytes. Routers quote the checksum (it is in the first 8
// bytes), and the service's answer usually echoes the steering bytes.
import { onesComplementSum, pseudoHeaderSum, steeringValue } from '../packet/checksum.js';
import { encodeIpv4 } from '../packet/ipv4.js';
import { decodeUdp } from '../packet/udp.js';
import { decodeIcmpError, replyFromIcmpError, IPPROTO_UDP } from './icmp-error.js';
import { probeIdFrom, UNATTRIBUTED_PROBE } from './method.js';
import type { Flow, InboundPacket, OutgoingPacket, ProbeMethod, ProbeReply } from './method.js';
import { udpPayloadFor } from './udp-payloads.js';

/** Builds the UDP datagram whose checksum is exactly probeId. */
export function buildSteeredDatagram(flow: Flow, probeId: number): { datagram: Buffer; steering: number } {
  const payload = udpPayloadFor(flow.destinationPort);
  const length = 8 + payload.bytes.length;
  const datagram = Buffer.alloc(length);
  datagram.writeUInt16BE(flow.sourcePort, 0);
  datagram.writeUInt16BE(flow.destinationPort, 2);
  datagram.writeUInt16BE(length, 4);
  payload.bytes.copy(datagram, 8);
  const sum = onesComplementSum(datagram, pseudoHeaderSum(flow.source, flow.destination, IPPROTO_UDP, length));
  const steering = steeringValue(sum, probeId);
  datagram.writeUInt16BE(steering, 8 + payload.steeringOffset);
  datagram.writeUInt16BE(probeId, 6);
  return { datagram, steering };
}

export function createUdpMethod(): ProbeMethod {
  // The steering value a probe carried, so an echoed one can be mapped back to its probe.
  const probeBySteering = new Map<number, number>();
  return {
    protocol: 'udp',
    ipProtocol: IPPROTO_UDP,
    build(flow: Flow, ttl: number, probeId: number): OutgoingPacket {
      const { datagram, steering } = buildSteeredDatagram(flow, probeId);
      probeBySteering.set(steering, probeId);
      const bytes =
        flow.family === 4
          ? encodeIpv4({ source: flow.source, destination: flow.destination, protocol: IPPROTO_UDP, ttl, id: probeId }, datagram)
          : datagram;
      return { family: flow.family, destination: flow.destination, ttl, ipProtocol: IPPROTO_UDP, bytes };
    },
    match(packet: InboundPacket, flow: Flow): ProbeReply | null {
      if (packet.ipProtocol === IPPROTO_UDP) {
        if (packet.from !== flow.destination) return null;
        const decoded = decodeUdp(packet.payload);
        if (!decoded.ok) return null;
        const { header, payload } = decoded.value;
        if (header.sourcePort !== flow.destinationPort || header.destinationPort !== flow.sourcePort) return null;
        const echoOffset = udpPayloadFor(flow.destinationPort).echoOffset;
        const echoed = echoOffset !== null && payload.length >= echoOffset + 2 ? (payload[echoOffset]! << 8) | payload[echoOffset + 1]! : -1;
        const probeId = probeBySteering.get(echoed) ?? UNATTRIBUTED_PROBE;
        return { probeId, kind: 'udp', from: packet.from, replyTtl: packet.ttl, receivedAtNs: packet.receivedAtNs };
      }
      const error = decodeIcmpError(packet);
      if (!error || error.quoted.protocol !== IPPROTO_UDP || error.quoted.destination !== flow.destination) return null;
      const inner = decodeUdp(error.quoted.l4);
      if (!inner.ok) return null;
      const { sourcePort, destinationPort, checksum } = inner.value.header;
      if (sourcePort !== flow.sourcePort || destinationPort !== flow.destinationPort) return null;
      // Middleboxes zero the checksum ("none" is legal over IPv4): then the quote no longer says which probe it was.
      const probeId = probeIdFrom(checksum);
      if (probeId === null) return null;
      return replyFromIcmpError(packet, error, probeId);
    },
  };
}
