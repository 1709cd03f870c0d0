// The unprivileged transport learns about replies from socket events (an error-queue entry, a completed or refused
// connect, a datagram) rather than from packets. It turns each into the packet that caused it, so the probe
// methods, the tracer and the analysis handle both transports alike. Packets made here are marked synthetic: their
// ICMP quote is the probe as we built it, not as the router saw it, so it proves nothing about middleboxes.
import { encodeIcmpError } from '../packet/icmp.js';
import { encodeIcmpv6Error } from '../packet/icmpv6.js';
import { decodeIpv4 } from '../packet/ipv4.js';
import { encodeIpv6 } from '../packet/ipv6.js';
import { encodeTcp } from '../packet/tcp.js';
import { encodeUdp } from '../packet/udp.js';
import type { Family, InboundPacket, OutgoingPacket } from '../probe/method.js';

/** The probe's transport-layer bytes: IPv4 probes are whole IP packets, IPv6 probes are built without the header. */
export function transportBytes(packet: OutgoingPacket): Buffer {
  if (packet.family === 6) return packet.bytes;
  const ip = decodeIpv4(packet.bytes);
  return ip.ok ? Buffer.from(ip.value.payload.buffer, ip.value.payload.byteOffset, ip.value.payload.byteLength) : Buffer.alloc(0);
}

/** The probe as an IP datagram (IPv6 probes are built without their header). */
export function probeDatagram(packet: OutgoingPacket, source: string): Buffer {
  if (packet.family === 4) return packet.bytes;
  return encodeIpv6({ source, destination: packet.destination, nextHeader: packet.ipProtocol, hopLimit: packet.ttl }, packet.bytes);
}

export interface ReplyStamp {
  from: string;
  to: string;
  ttl: number | null;
  receivedAtNs: bigint;
}

export function icmpErrorPacket(family: Family, stamp: ReplyStamp, icmpType: number, icmpCode: number, quote: Uint8Array): InboundPacket {
  const payload = family === 4 ? encodeIcmpError({ type: icmpType, code: icmpCode, quote }) : encodeIcmpv6Error({ type: icmpType, code: icmpCode, quote }, stamp.from, stamp.to);
  return { family, ...stamp, ipProtocol: family === 4 ? 1 : 58, payload, synthetic: true };
}

/** The destination's SYN-ACK or RST to a probe with this sequence number. */
export function tcpReplyPacket(family: Family, stamp: ReplyStamp, ports: { local: number; remote: number }, seq: number, kind: 'syn-ack' | 'rst'): InboundPacket {
  const flags = kind === 'syn-ack' ? { syn: true, ack: true } : { rst: true, ack: true };
  const segment = encodeTcp({ sourcePort: ports.remote, destinationPort: ports.local, seq: 0, ack: (seq + 1) >>> 0, flags }, new Uint8Array(0), stamp.from, stamp.to);
  return { family, ...stamp, ipProtocol: 6, payload: segment, synthetic: true };
}

export function udpReplyPacket(family: Family, stamp: ReplyStamp, ports: { local: number; remote: number }, data: Uint8Array): InboundPacket {
  const datagram = encodeUdp({ sourcePort: ports.remote, destinationPort: ports.local }, data, stamp.from, stamp.to);
  return { family, ...stamp, ipProtocol: 17, payload: datagram, synthetic: true };
}
