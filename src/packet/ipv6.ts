// IPv6 headers (RFC 8200) and the walk over extension headers to the upper layer. On Linux raw IPv6 sockets never
// hand us the IP header of what we receive, so this decodes mainly the datagram an ICMPv6 error quotes, which is
// often cut short: every step checks the bytes are there and stops (reporting where) when they are not.
import { bytesToIpv6, ipv6ToBytes } from './address.js';
import { u16, u32, u8 } from './bytes.js';
import { fail, ok } from './decoded.js';
import type { Decoded } from './decoded.js';

export const IPV6_HEADER_LENGTH = 40;

/** Extension header numbers we walk through. */
export const IPV6_EXT = { HOP_BY_HOP: 0, ROUTING: 43, FRAGMENT: 44, AUTH: 51, DEST_OPTS: 60, NO_NEXT: 59 } as const;

/** No real packet chains more than a handful; the cap keeps a crafted packet from costing more than a few steps. */
const MAX_EXTENSION_HEADERS = 16;

export interface Ipv6Header {
  version: 6;
  trafficClass: number;
  dscp: number;
  ecn: number;
  flowLabel: number;
  payloadLength: number;
  nextHeader: number;
  hopLimit: number;
  source: string;
  destination: string;
}

export interface Ipv6Fragment {
  /** Offset in bytes. */
  offset: number;
  moreFragments: boolean;
  id: number;
}

export interface Ipv6Packet {
  header: Ipv6Header;
  /** Protocol of `payload`: the first non-extension next header. When the walk stops early (bytes cut short inside
   *  an extension header, or a fragment other than the first) it is that extension header's number. */
  upperProtocol: number;
  /** Upper-layer bytes (or, when the walk stopped early, the bytes from where it stopped). */
  payload: Uint8Array;
  /** Extension headers passed through, in order. */
  extensionHeaders: number[];
  fragment?: Ipv6Fragment;
  /** payloadLength promised more bytes than we have, or an extension header was cut off. */
  truncated: boolean;
}

export interface Ipv6Fields {
  source: string;
  destination: string;
  nextHeader: number;
  hopLimit: number;
  trafficClass?: number;
  flowLabel?: number;
}

function isExtension(nextHeader: number): boolean {
  return (
    nextHeader === IPV6_EXT.HOP_BY_HOP ||
    nextHeader === IPV6_EXT.ROUTING ||
    nextHeader === IPV6_EXT.FRAGMENT ||
    nextHeader === IPV6_EXT.AUTH ||
    nextHeader === IPV6_EXT.DEST_OPTS
  );
}

export function decodeIpv6(bytes: Uint8Array): Decoded<Ipv6Packet> {
  if (bytes.length < IPV6_HEADER_LENGTH) return fail(`IPv6 header needs 40 bytes, have ${bytes.length}`);
  const version = u8(bytes, 0) >> 4;
  if (version !== 6) return fail(`IP version ${version}, expected 6`);
  const first = u32(bytes, 0);
  const trafficClass = (first >>> 20) & 0xff;
  const payloadLength = u16(bytes, 4);
  const header: Ipv6Header = {
    version: 6,
    trafficClass,
    dscp: trafficClass >> 2,
    ecn: trafficClass & 0x03,
    flowLabel: first & 0xfffff,
    payloadLength,
    nextHeader: u8(bytes, 6),
    hopLimit: u8(bytes, 7),
    source: bytesToIpv6(bytes, 8),
    destination: bytesToIpv6(bytes, 24),
  };
  // Payload length 0 with a hop-by-hop header is a jumbogram (RFC 2675): take what is there.
  const available = bytes.length - IPV6_HEADER_LENGTH;
  const jumbo = payloadLength === 0 && header.nextHeader === IPV6_EXT.HOP_BY_HOP;
  const end = jumbo ? bytes.length : IPV6_HEADER_LENGTH + Math.min(payloadLength, available);
  let truncated = !jumbo && payloadLength > available;

  const extensionHeaders: number[] = [];
  let fragment: Ipv6Fragment | undefined;
  let protocol = header.nextHeader;
  let offset = IPV6_HEADER_LENGTH;
  while (isExtension(protocol)) {
    if (extensionHeaders.length >= MAX_EXTENSION_HEADERS) return fail(`more than ${MAX_EXTENSION_HEADERS} IPv6 extension headers`);
    if (offset + 2 > end) {
      truncated = true;
      break;
    }
    const length =
      protocol === IPV6_EXT.FRAGMENT ? 8 : protocol === IPV6_EXT.AUTH ? (u8(bytes, offset + 1) + 2) * 4 : (u8(bytes, offset + 1) + 1) * 8;
    if (offset + length > end) {
      truncated = true;
      break;
    }
    const next = u8(bytes, offset);
    extensionHeaders.push(protocol);
    if (protocol === IPV6_EXT.FRAGMENT) {
      const offsetAndFlags = u16(bytes, offset + 2);
      fragment = { offset: offsetAndFlags & 0xfff8, moreFragments: (offsetAndFlags & 1) !== 0, id: u32(bytes, offset + 4) };
      if (fragment.offset !== 0) {
        // Not the first fragment: what follows is the middle of the upper layer, not its header.
        offset += length;
        break;
      }
    }
    protocol = next;
    offset += length;
  }
  return ok({
    header,
    upperProtocol: protocol,
    payload: bytes.subarray(Math.min(offset, end), end),
    extensionHeaders,
    ...(fragment ? { fragment } : {}),
    truncated,
  });
}

/** A whole IPv6 packet (no extension headers) around payload. */
export function encodeIpv6(fields: Ipv6Fields, payload: Uint8Array): Buffer {
  if (payload.length > 0xffff) throw new RangeError(`IPv6 payload of ${payload.length} bytes exceeds 65535`);
  const packet = Buffer.alloc(IPV6_HEADER_LENGTH + payload.length);
  writeIpv6Header(packet, payload.length, fields, ipv6ToBytes(fields.source), ipv6ToBytes(fields.destination));
  packet.set(payload, IPV6_HEADER_LENGTH);
  return packet;
}

/**
 * Writes the 40-byte header at the start of `packet`, with the addresses as 16 bytes each: encodeIpv6's header, for
 * callers that build whole packets in one buffer from addresses they hold as bytes (the simulator).
 */
export function writeIpv6Header(packet: Uint8Array, payloadLength: number, fields: Omit<Ipv6Fields, 'source' | 'destination'>, source: Uint8Array, destination: Uint8Array): void {
  const trafficClass = (fields.trafficClass ?? 0) & 0xff;
  const flowLabel = (fields.flowLabel ?? 0) & 0xfffff;
  packet[0] = 0x60 | (trafficClass >> 4);
  packet[1] = ((trafficClass & 0x0f) << 4) | (flowLabel >> 16);
  packet[2] = (flowLabel >> 8) & 0xff;
  packet[3] = flowLabel & 0xff;
  packet[4] = payloadLength >> 8;
  packet[5] = payloadLength & 0xff;
  packet[6] = fields.nextHeader & 0xff;
  packet[7] = fields.hopLimit & 0xff;
  packet.set(source.subarray(0, 16), 8);
  packet.set(destination.subarray(0, 16), 24);
}
