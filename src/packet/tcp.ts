// TCP segments (RFC 9293). The probe is a SYN; replies are SYN-ACK / RST, and ICMP errors quote the SYN, often only
// its first 8 bytes (ports + sequence number: exactly where the probe id lives). So decoding needs just 8 bytes and
// says `partial` when the fixed header is not all there (or is damaged).
import { pseudoHeaderSum, onesComplementSum, finishChecksum } from './checksum.js';
import { u16, u32, u8 } from './bytes.js';
import { fail, ok } from './decoded.js';
import type { Decoded } from './decoded.js';

export const IPPROTO_TCP = 6;
export const TCP_HEADER_LENGTH = 20;

export const TCP_FLAGS = { FIN: 0x01, SYN: 0x02, RST: 0x04, PSH: 0x08, ACK: 0x10, URG: 0x20, ECE: 0x40, CWR: 0x80 } as const;

/** Option kinds we read or write. */
export const TCP_OPTION = { EOL: 0, NOP: 1, MSS: 2, WSCALE: 3, SACK_PERMITTED: 4, SACK: 5, TIMESTAMPS: 8 } as const;

/** The fixed lengths of the options we interpret; any other length for them is malformed. */
const OPTION_LENGTH: Partial<Record<number, number>> = {
  [TCP_OPTION.MSS]: 4,
  [TCP_OPTION.WSCALE]: 3,
  [TCP_OPTION.SACK_PERMITTED]: 2,
  [TCP_OPTION.TIMESTAMPS]: 10,
};

export interface TcpFlags {
  fin: boolean;
  syn: boolean;
  rst: boolean;
  psh: boolean;
  ack: boolean;
  urg: boolean;
  ece: boolean;
  cwr: boolean;
}

export interface TcpOptions {
  mss?: number;
  wscale?: number;
  sackPermitted?: boolean;
  timestamps?: { value: number; echo: number };
  /** Kinds present that we do not interpret (SACK blocks, MD5, TFO, ...), in order. */
  other: number[];
  /** Set when the option bytes were malformed; options before the fault are kept. */
  malformed?: string;
}

export interface TcpHeader {
  sourcePort: number;
  destinationPort: number;
  seq: number;
  // The rest needs the 20-byte fixed header; absent in a partial decode.
  ack?: number;
  /** Data offset field: header length in 32-bit words. */
  dataOffset?: number;
  /** Header length in bytes. */
  headerLength?: number;
  /** The 8 flag bits as a number (see TCP_FLAGS). */
  flagBits?: number;
  flags?: TcpFlags;
  window?: number;
  checksum?: number;
  urgent?: number;
  options?: TcpOptions;
}

export interface TcpSegment {
  header: TcpHeader;
  /** The fixed header or the options are cut short, or the header is damaged: only the fields present were decoded. */
  partial: boolean;
  payload: Uint8Array;
  /** Why the header past the first 8 bytes was not believed (a data offset below 5). */
  malformed?: string;
}

export interface TcpFields {
  sourcePort: number;
  destinationPort: number;
  seq: number;
  ack?: number;
  /** Flag bits (TCP_FLAGS) or the flags to set by name. */
  flags: number | Partial<TcpFlags>;
  window?: number;
  urgent?: number;
  mss?: number;
  wscale?: number;
  sackPermitted?: boolean;
  timestamps?: { value: number; echo: number };
  /** Raw option bytes appended after the ones above (padded to a multiple of 4). */
  options?: Uint8Array;
}

export function flagsFromBits(bits: number): TcpFlags {
  return {
    fin: (bits & TCP_FLAGS.FIN) !== 0,
    syn: (bits & TCP_FLAGS.SYN) !== 0,
    rst: (bits & TCP_FLAGS.RST) !== 0,
    psh: (bits & TCP_FLAGS.PSH) !== 0,
    ack: (bits & TCP_FLAGS.ACK) !== 0,
    urg: (bits & TCP_FLAGS.URG) !== 0,
    ece: (bits & TCP_FLAGS.ECE) !== 0,
    cwr: (bits & TCP_FLAGS.CWR) !== 0,
  };
}

export function flagBits(flags: number | Partial<TcpFlags>): number {
  if (typeof flags === 'number') return flags & 0xff;
  return (
    (flags.fin ? TCP_FLAGS.FIN : 0) |
    (flags.syn ? TCP_FLAGS.SYN : 0) |
    (flags.rst ? TCP_FLAGS.RST : 0) |
    (flags.psh ? TCP_FLAGS.PSH : 0) |
    (flags.ack ? TCP_FLAGS.ACK : 0) |
    (flags.urg ? TCP_FLAGS.URG : 0) |
    (flags.ece ? TCP_FLAGS.ECE : 0) |
    (flags.cwr ? TCP_FLAGS.CWR : 0)
  );
}

/**
 * Parses option bytes. Every step advances at least one byte and every length is checked against the end, so bad
 * options (length 0 or 1, running past the header, wrong size for the kind) stop the parse instead of throwing or
 * looping; what was read before the fault is kept and `malformed` says what went wrong.
 */
export function decodeTcpOptions(bytes: Uint8Array): TcpOptions {
  const options: TcpOptions = { other: [] };
  let i = 0;
  while (i < bytes.length) {
    const kind = u8(bytes, i);
    if (kind === TCP_OPTION.EOL) break;
    if (kind === TCP_OPTION.NOP) {
      i++;
      continue;
    }
    if (i + 1 >= bytes.length) {
      options.malformed = `option ${kind} has no length byte`;
      break;
    }
    const length = u8(bytes, i + 1);
    if (length < 2) {
      options.malformed = `option ${kind} has length ${length}`;
      break;
    }
    if (i + length > bytes.length) {
      options.malformed = `option ${kind} of length ${length} runs past the header`;
      break;
    }
    const want = OPTION_LENGTH[kind];
    if (want !== undefined && length !== want) {
      options.malformed = `option ${kind} has length ${length}, expected ${want}`;
      break;
    }
    if (kind === TCP_OPTION.MSS) options.mss = u16(bytes, i + 2);
    else if (kind === TCP_OPTION.WSCALE) options.wscale = u8(bytes, i + 2);
    else if (kind === TCP_OPTION.SACK_PERMITTED) options.sackPermitted = true;
    else if (kind === TCP_OPTION.TIMESTAMPS) options.timestamps = { value: u32(bytes, i + 2), echo: u32(bytes, i + 6) };
    else options.other.push(kind);
    i += length;
  }
  return options;
}

export function decodeTcp(bytes: Uint8Array): Decoded<TcpSegment> {
  if (bytes.length < 8) return fail(`TCP needs at least 8 bytes (ports and sequence), have ${bytes.length}`);
  const header: TcpHeader = { sourcePort: u16(bytes, 0), destinationPort: u16(bytes, 2), seq: u32(bytes, 4) };
  if (bytes.length < TCP_HEADER_LENGTH) return ok({ header, partial: true, payload: bytes.subarray(bytes.length) });
  const dataOffset = u8(bytes, 12) >> 4;
  const headerLength = dataOffset * 4;
  // A data offset below 5 makes the rest of the header meaningless, but the ports and sequence number sit at fixed
  // places before it: a quote damaged there still says which probe it was.
  if (headerLength < TCP_HEADER_LENGTH) return ok({ header, partial: true, payload: bytes.subarray(bytes.length), malformed: `data offset ${dataOffset} is below 5` });
  const bits = u8(bytes, 13);
  header.ack = u32(bytes, 8);
  header.dataOffset = dataOffset;
  header.headerLength = headerLength;
  header.flagBits = bits;
  header.flags = flagsFromBits(bits);
  header.window = u16(bytes, 14);
  header.checksum = u16(bytes, 16);
  header.urgent = u16(bytes, 18);
  const optionsEnd = Math.min(headerLength, bytes.length);
  header.options = decodeTcpOptions(bytes.subarray(TCP_HEADER_LENGTH, optionsEnd));
  const partial = headerLength > bytes.length;
  return ok({ header, partial, payload: bytes.subarray(optionsEnd) });
}

/** Option bytes in the order Linux sends them on a SYN (MSS, SACK-permitted, timestamps, window scale). */
function encodeOptions(fields: TcpFields): Buffer {
  const parts: number[] = [];
  if (fields.mss !== undefined) parts.push(TCP_OPTION.MSS, 4, (fields.mss >> 8) & 0xff, fields.mss & 0xff);
  if (fields.timestamps) {
    const ts = Buffer.alloc(8);
    ts.writeUInt32BE(fields.timestamps.value >>> 0, 0);
    ts.writeUInt32BE(fields.timestamps.echo >>> 0, 4);
    if (fields.sackPermitted) parts.push(TCP_OPTION.SACK_PERMITTED, 2);
    else parts.push(TCP_OPTION.NOP, TCP_OPTION.NOP);
    parts.push(TCP_OPTION.TIMESTAMPS, 10, ...ts);
  } else if (fields.sackPermitted) {
    parts.push(TCP_OPTION.NOP, TCP_OPTION.NOP, TCP_OPTION.SACK_PERMITTED, 2);
  }
  if (fields.wscale !== undefined) parts.push(TCP_OPTION.NOP, TCP_OPTION.WSCALE, 3, fields.wscale & 0xff);
  if (fields.options) parts.push(...fields.options);
  while (parts.length % 4 !== 0) parts.push(TCP_OPTION.EOL);
  if (parts.length > 40) throw new RangeError(`TCP options of ${parts.length} bytes exceed 40`);
  return Buffer.from(parts);
}

/** Checksum over segment (its checksum field included) plus pseudo-header; the family follows the addresses. */
function segmentSum(segment: Uint8Array, source: string, destination: string): number {
  return onesComplementSum(segment, pseudoHeaderSum(source, destination, IPPROTO_TCP, segment.length));
}

/** A TCP segment with its checksum; the pseudo-header (IPv4 or IPv6) is chosen by the addresses' family. */
export function encodeTcp(fields: TcpFields, payload: Uint8Array, source: string, destination: string): Buffer {
  const options = encodeOptions(fields);
  const headerLength = TCP_HEADER_LENGTH + options.length;
  const segment = Buffer.alloc(headerLength + payload.length);
  segment.writeUInt16BE(fields.sourcePort & 0xffff, 0);
  segment.writeUInt16BE(fields.destinationPort & 0xffff, 2);
  segment.writeUInt32BE(fields.seq >>> 0, 4);
  segment.writeUInt32BE((fields.ack ?? 0) >>> 0, 8);
  segment[12] = (headerLength / 4) << 4;
  segment[13] = flagBits(fields.flags);
  segment.writeUInt16BE((fields.window ?? 65535) & 0xffff, 14);
  segment.writeUInt16BE((fields.urgent ?? 0) & 0xffff, 18);
  options.copy(segment, TCP_HEADER_LENGTH);
  segment.set(payload, headerLength);
  segment.writeUInt16BE(finishChecksum(segmentSum(segment, source, destination)), 16);
  return segment;
}

/** Whether a complete segment's checksum is right for these addresses (false, not a throw, for bad addresses). */
export function tcpChecksumValid(segment: Uint8Array, source: string, destination: string): boolean {
  if (segment.length < TCP_HEADER_LENGTH) return false;
  try {
    return finishChecksum(segmentSum(segment, source, destination)) === 0;
  } catch {
    return false;
  }
}
