// UDP datagrams (RFC 768). ICMP errors quote the 8-byte header, which holds the probe id (the steered checksum), so
// 8 bytes decode; a length field promising more than we have is reported as `truncated`.
import { finishChecksum, onesComplementSum, pseudoHeaderSum } from './checksum.js';
import { addressFamily } from './address.js';
import { u16 } from './bytes.js';
import { fail, ok } from './decoded.js';
import type { Decoded } from './decoded.js';

export const IPPROTO_UDP = 17;
export const UDP_HEADER_LENGTH = 8;

export interface UdpHeader {
  sourcePort: number;
  destinationPort: number;
  /** Header + payload length as the header states it. */
  length: number;
  /** 0 means "no checksum" (IPv4 only). */
  checksum: number;
}

export interface UdpDatagram {
  header: UdpHeader;
  /** Payload bytes up to the stated length or the end of the data, whichever comes first. */
  payload: Uint8Array;
  /** The length field promised more bytes than we have (normal in an ICMP quote). */
  truncated: boolean;
}

export interface UdpFields {
  sourcePort: number;
  destinationPort: number;
}

export function decodeUdp(bytes: Uint8Array): Decoded<UdpDatagram> {
  if (bytes.length < UDP_HEADER_LENGTH) return fail(`UDP header needs 8 bytes, have ${bytes.length}`);
  const length = u16(bytes, 4);
  if (length < UDP_HEADER_LENGTH) return fail(`UDP length ${length} is shorter than its header`);
  const header: UdpHeader = { sourcePort: u16(bytes, 0), destinationPort: u16(bytes, 2), length, checksum: u16(bytes, 6) };
  return ok({ header, payload: bytes.subarray(UDP_HEADER_LENGTH, Math.min(length, bytes.length)), truncated: length > bytes.length });
}

/** A UDP datagram with its checksum (a computed 0 is sent as 0xffff: 0 means "none"). */
export function encodeUdp(fields: UdpFields, payload: Uint8Array, source: string, destination: string): Buffer {
  const length = UDP_HEADER_LENGTH + payload.length;
  if (length > 0xffff) throw new RangeError(`UDP datagram of ${length} bytes exceeds 65535`);
  const datagram = Buffer.alloc(length);
  datagram.writeUInt16BE(fields.sourcePort & 0xffff, 0);
  datagram.writeUInt16BE(fields.destinationPort & 0xffff, 2);
  datagram.writeUInt16BE(length, 4);
  datagram.set(payload, UDP_HEADER_LENGTH);
  const checksum = finishChecksum(onesComplementSum(datagram, pseudoHeaderSum(source, destination, IPPROTO_UDP, length)));
  datagram.writeUInt16BE(checksum === 0 ? 0xffff : checksum, 6);
  return datagram;
}

/**
 * Whether a whole datagram's checksum is right for these addresses. A zero checksum is "not computed": accepted
 * over IPv4, invalid over IPv6 (RFC 8200 §8.1). Bad addresses give false, not a throw.
 */
export function udpChecksumValid(datagram: Uint8Array, source: string, destination: string): boolean {
  if (datagram.length < UDP_HEADER_LENGTH) return false;
  if (u16(datagram, 6) === 0) return addressFamily(source) === 4 && addressFamily(destination) === 4;
  try {
    const sum = onesComplementSum(datagram, pseudoHeaderSum(source, destination, IPPROTO_UDP, datagram.length));
    return finishChecksum(sum) === 0;
  } catch {
    return false;
  }
}
