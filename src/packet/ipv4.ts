// IPv4 headers (RFC 791). Decoding serves two inputs: packets from the raw receive socket, and the datagram an ICMP
// error quotes, which is routinely cut short (RFC 792 asks only for the header + 8 bytes), so a total length beyond
// the bytes we have is normal and reported as `truncated`, not an error.
import { bytesToIpv4, ipv4ToBytes } from './address.js';
import { u16, u8 } from './bytes.js';
import { internetChecksum } from './checksum.js';
import { fail, ok } from './decoded.js';
import type { Decoded } from './decoded.js';

export const IPV4_HEADER_LENGTH = 20;

export interface Ipv4Header {
  version: 4;
  /** Header length in bytes (IHL x 4), 20-60. */
  headerLength: number;
  dscp: number;
  ecn: number;
  totalLength: number;
  id: number;
  dontFragment: boolean;
  moreFragments: boolean;
  /** Fragment offset in bytes (the field's 8-byte units, multiplied out). */
  fragmentOffset: number;
  ttl: number;
  protocol: number;
  checksum: number;
  source: string;
  destination: string;
  /** Raw option bytes (headerLength - 20 of them). */
  options: Uint8Array;
}

export interface Ipv4Packet {
  header: Ipv4Header;
  /** The bytes after the header, up to totalLength or the end of the data, whichever comes first. */
  payload: Uint8Array;
  /** totalLength promised more bytes than we have (normal for quoted datagrams). */
  truncated: boolean;
  checksumValid: boolean;
}

export interface Ipv4Fields {
  source: string;
  destination: string;
  protocol: number;
  ttl: number;
  /** 0 lets Linux fill one in on IP_HDRINCL sockets. */
  id?: number;
  dscp?: number;
  ecn?: number;
  dontFragment?: boolean;
}

export function decodeIpv4(bytes: Uint8Array): Decoded<Ipv4Packet> {
  if (bytes.length < IPV4_HEADER_LENGTH) return fail(`IPv4 header needs 20 bytes, have ${bytes.length}`);
  const version = u8(bytes, 0) >> 4;
  if (version !== 4) return fail(`IP version ${version}, expected 4`);
  const headerLength = (u8(bytes, 0) & 0x0f) * 4;
  if (headerLength < IPV4_HEADER_LENGTH) return fail(`IPv4 header length ${headerLength} is below 20`);
  if (headerLength > bytes.length) return fail(`IPv4 header length ${headerLength} exceeds the ${bytes.length} bytes`);
  const totalLength = u16(bytes, 2);
  // 0 is what segmentation offload leaves in some captured/quoted headers: the length is then "whatever is here".
  if (totalLength !== 0 && totalLength < headerLength) return fail(`IPv4 total length ${totalLength} is shorter than its header (${headerLength})`);
  const end = totalLength === 0 ? bytes.length : Math.min(totalLength, bytes.length);
  const flagsAndOffset = u16(bytes, 6);
  const header: Ipv4Header = {
    version: 4,
    headerLength,
    dscp: u8(bytes, 1) >> 2,
    ecn: u8(bytes, 1) & 0x03,
    totalLength,
    id: u16(bytes, 4),
    dontFragment: (flagsAndOffset & 0x4000) !== 0,
    moreFragments: (flagsAndOffset & 0x2000) !== 0,
    fragmentOffset: (flagsAndOffset & 0x1fff) * 8,
    ttl: u8(bytes, 8),
    protocol: u8(bytes, 9),
    checksum: u16(bytes, 10),
    source: bytesToIpv4(bytes, 12),
    destination: bytesToIpv4(bytes, 16),
    options: bytes.subarray(IPV4_HEADER_LENGTH, headerLength),
  };
  return ok({
    header,
    payload: bytes.subarray(headerLength, end),
    truncated: totalLength > bytes.length,
    checksumValid: internetChecksum(bytes.subarray(0, headerLength)) === 0,
  });
}

/** A whole IPv4 packet (20-byte header, no options) around payload, with the header checksum filled in. */
export function encodeIpv4(fields: Ipv4Fields, payload: Uint8Array): Buffer {
  const totalLength = IPV4_HEADER_LENGTH + payload.length;
  if (totalLength > 0xffff) throw new RangeError(`IPv4 packet of ${totalLength} bytes exceeds 65535`);
  const packet = Buffer.alloc(totalLength);
  writeIpv4Header(packet, totalLength, fields, ipv4ToBytes(fields.source), ipv4ToBytes(fields.destination));
  packet.set(payload, IPV4_HEADER_LENGTH);
  return packet;
}

/**
 * Writes a 20-byte header (no options, checksum filled in) at the start of `packet`, with the addresses as 4 bytes
 * each: encodeIpv4's header, for callers that build whole packets in one buffer from addresses they hold as bytes
 * (the simulator answers thousands of packets a second this way).
 */
export function writeIpv4Header(packet: Uint8Array, totalLength: number, fields: Omit<Ipv4Fields, 'source' | 'destination'>, source: Uint8Array, destination: Uint8Array): void {
  const id = (fields.id ?? 0) & 0xffff;
  packet[0] = 0x45;
  packet[1] = (((fields.dscp ?? 0) & 0x3f) << 2) | ((fields.ecn ?? 0) & 0x03);
  packet[2] = totalLength >> 8;
  packet[3] = totalLength & 0xff;
  packet[4] = id >> 8;
  packet[5] = id & 0xff;
  packet[6] = fields.dontFragment ? 0x40 : 0;
  packet[7] = 0;
  packet[8] = fields.ttl & 0xff;
  packet[9] = fields.protocol & 0xff;
  packet[10] = 0;
  packet[11] = 0;
  packet.set(source.subarray(0, 4), 12);
  packet.set(destination.subarray(0, 4), 16);
  const checksum = internetChecksum(packet.subarray(0, IPV4_HEADER_LENGTH));
  packet[10] = checksum >> 8;
  packet[11] = checksum & 0xff;
}
