// The packets the simulated Internet sends back, built the way the devices it plays build them: Linux's ICMP errors
// quote as much of the offending packet as fits in 576 bytes (IPv4) or 1280 (IPv6), with the IP header as the
// router saw it (TTL 1 for an expired probe); an MPLS router quotes 128 bytes and appends its label stack (RFC 4884
// with an RFC 4950 object); hosts answer with SYN-ACK, RST, echo reply or the datagram back. Every function reads the
// probe in place and returns one new buffer, the whole IP packet, ready for the TUN.
import { bytesToIpv4, bytesToIpv6 } from '../../packet/address.js';
import { finishChecksum, internetChecksum, onesComplementSum, pseudoHeaderSumOfBytes } from '../../packet/checksum.js';
import { encodeIcmpEcho, errorBodyLayout, ICMP_HEADER_LENGTH, writeErrorBody } from '../../packet/icmp.js';
import { encodeIcmpv6Echo } from '../../packet/icmpv6.js';
import { IPV4_HEADER_LENGTH, writeIpv4Header } from '../../packet/ipv4.js';
import { IPV6_HEADER_LENGTH, writeIpv6Header } from '../../packet/ipv6.js';
import { encodeTcp, IPPROTO_TCP } from '../../packet/tcp.js';
import { encodeUdp, IPPROTO_UDP } from '../../packet/udp.js';
import type { Family } from './model.js';

/** Linux's icmp_send: the whole error within 576 bytes (IPv4); icmp6_send: within the minimum MTU, 1280 (IPv6). */
const ERROR_PACKET_LIMIT = { 4: 576, 6: 1280 } as const;
/** What routers that append an extension quote (Juniper, Cisco): the 128-byte "original datagram" field of RFC 4884. */
const QUOTE_WITH_EXTENSION = 128;

/**
 * The probe being answered, read once by the engine and reused for every packet (no allocation): where its fields
 * sit in `packet`, which is the probe as it left the client.
 */
export interface ProbeView {
  packet: Buffer;
  family: Family;
  /** IP header length: where the L4 header starts. */
  headerLength: number;
  /** The IP packet's length (the bytes past it, if any, are not part of it). */
  length: number;
  /** IP protocol / next header: 6, 17, 1 or 58. */
  protocol: number;
  /** TTL / hop limit as sent. */
  ttl: number;
}

const SOURCE_AT = { 4: 12, 6: 8 } as const;

/** The probe's source address (where every answer goes) as bytes, in place. */
export function probeSource(probe: ProbeView): Buffer {
  const at = SOURCE_AT[probe.family];
  return probe.packet.subarray(at, at + (probe.family === 4 ? 4 : 16));
}

function addressText(bytes: Uint8Array, family: Family): string {
  return family === 4 ? bytesToIpv4(bytes) : bytesToIpv6(bytes);
}

/** An IP packet from `from` to the probe's source around `payload` (IPv4: `id` as its IP ID; TCP with DF, as Linux). */
function ipPacket(probe: ProbeView, from: Uint8Array, ttl: number, protocol: number, payload: Uint8Array, id: number): Buffer {
  const headerLength = probe.family === 4 ? IPV4_HEADER_LENGTH : IPV6_HEADER_LENGTH;
  const packet = Buffer.allocUnsafe(headerLength + payload.length);
  if (probe.family === 4) writeIpv4Header(packet, packet.length, { protocol, ttl, id, dontFragment: protocol === IPPROTO_TCP }, from, probeSource(probe));
  else writeIpv6Header(packet, payload.length, { nextHeader: protocol, hopLimit: ttl }, from, probeSource(probe));
  packet.set(payload, headerLength);
  return packet;
}

export interface ErrorFields {
  /** ICMP type and code of the probe's family (11/0 or 3/0 for time exceeded, 3/13 or 1/1 for admin prohibited, ...). */
  type: number;
  code: number;
  /** The TTL / hop limit the quoted header shows: 1 for an expired probe, what it arrived with elsewhere. */
  quotedTtl: number;
  /** An RFC 4884 extension structure to append (encodeExtensionStructure's bytes), or null. */
  extension: Buffer | null;
}

/** An ICMP or ICMPv6 error from `from` (with reply TTL `ttl`) quoting the probe. */
export function icmpError(probe: ProbeView, from: Uint8Array, ttl: number, id: number, fields: ErrorFields): Buffer {
  const v4 = probe.family === 4;
  const headerLength = v4 ? IPV4_HEADER_LENGTH : IPV6_HEADER_LENGTH;
  const room = ERROR_PACKET_LIMIT[probe.family] - headerLength - ICMP_HEADER_LENGTH;
  const quoteLength = Math.min(probe.length, fields.extension ? QUOTE_WITH_EXTENSION : room);
  const { quoteRoom, lengthWords } = errorBodyLayout(quoteLength, fields.extension !== null, false, v4 ? 4 : 8);
  const messageLength = ICMP_HEADER_LENGTH + quoteRoom + (fields.extension?.length ?? 0);
  const packet = Buffer.alloc(headerLength + messageLength);
  if (v4) writeIpv4Header(packet, packet.length, { protocol: 1, ttl, id }, from, probeSource(probe));
  else writeIpv6Header(packet, messageLength, { nextHeader: 58, hopLimit: ttl }, from, probeSource(probe));
  const message = headerLength;
  packet[message] = fields.type;
  packet[message + 1] = fields.code;
  packet[message + (v4 ? 5 : 4)] = lengthWords;
  const quote = message + ICMP_HEADER_LENGTH;
  writeErrorBody(packet, quote, probe.packet.subarray(0, quoteLength), quoteRoom, fields.extension);
  // The quoted header as the router had it: its TTL (and, for IPv4, the header checksum a router keeps right).
  if (v4) {
    packet[quote + 8] = fields.quotedTtl;
    packet.writeUInt16BE(0, quote + 10);
    packet.writeUInt16BE(internetChecksum(packet.subarray(quote, quote + probe.headerLength)), quote + 10);
  } else {
    packet[quote + 7] = fields.quotedTtl;
  }
  const pseudo = v4 ? 0 : pseudoHeaderSumOfBytes(from, probeSource(probe), 58, messageLength);
  packet.writeUInt16BE(finishChecksum(onesComplementSum(packet.subarray(message), pseudo)), message + 2);
  return packet;
}

export interface TcpAnswer {
  /** TCP_FLAGS bits. */
  flags: number;
  seq: number;
  ack: number;
  /** Send an MSS option (a SYN-ACK does, as Linux does: 1460 over IPv4, 1440 over IPv6). */
  mss: boolean;
}

/** A TCP segment from `from` to the probe's source, ports swapped (the probe is TCP). */
export function tcpAnswer(probe: ProbeView, from: Uint8Array, ttl: number, id: number, answer: TcpAnswer): Buffer {
  const l4 = probe.headerLength;
  const segment = encodeTcp(
    {
      sourcePort: probe.packet.readUInt16BE(l4 + 2),
      destinationPort: probe.packet.readUInt16BE(l4),
      seq: answer.seq,
      ack: answer.ack,
      flags: answer.flags,
      window: answer.mss ? 64240 : 0,
      ...(answer.mss ? { mss: probe.family === 4 ? 1460 : 1440 } : {}),
    },
    new Uint8Array(0),
    addressText(from, probe.family),
    addressText(probeSource(probe), probe.family),
  );
  return ipPacket(probe, from, ttl, IPPROTO_TCP, segment, id);
}

/** NTP (RFC 5905): the server answers in mode 4 with the client's transmit timestamp (byte 40) as its origin (byte 24). */
const NTP_PORT = 123;
function ntpAnswer(request: Uint8Array): Buffer {
  const answer = Buffer.from(request);
  answer[0] = (request[0]! & 0x38) | 4;
  answer.set(request.subarray(40, 48), 24);
  return answer;
}

/**
 * The service's answer from `from`, ports swapped: the payload echoed back (which a DNS query's id survives), or an
 * NTP server's answer to an NTP request, which carries the request's timestamp where a real one does.
 */
export function udpAnswer(probe: ProbeView, from: Uint8Array, ttl: number, id: number): Buffer {
  const l4 = probe.headerLength;
  const request = probe.packet.subarray(l4 + 8, probe.length);
  const payload = probe.packet.readUInt16BE(l4 + 2) === NTP_PORT && request.length >= 48 ? ntpAnswer(request) : request;
  const datagram = encodeUdp(
    { sourcePort: probe.packet.readUInt16BE(l4 + 2), destinationPort: probe.packet.readUInt16BE(l4) },
    payload,
    addressText(from, probe.family),
    addressText(probeSource(probe), probe.family),
  );
  return ipPacket(probe, from, ttl, IPPROTO_UDP, datagram, id);
}

/** The echo reply to the probe (an echo request): same identifier, sequence number and payload. */
export function echoReply(probe: ProbeView, from: Uint8Array, ttl: number, id: number): Buffer {
  const l4 = probe.headerLength;
  const fields = { identifier: probe.packet.readUInt16BE(l4 + 4), sequence: probe.packet.readUInt16BE(l4 + 6), payload: probe.packet.subarray(l4 + 8, probe.length) };
  const message =
    probe.family === 4
      ? encodeIcmpEcho({ ...fields, type: 0 })
      : encodeIcmpv6Echo({ ...fields, type: 129 }, addressText(from, 6), addressText(probeSource(probe), 6));
  return ipPacket(probe, from, ttl, probe.protocol, message, id);
}
