// ICMP for IPv4 (RFC 792, RFC 1191 for the MTU, RFC 4884 for multi-part errors). Errors are how traceroute learns
// anything: time exceeded from each hop, unreachable from firewalls and the destination, each quoting our probe.
import { bytesToIpv4 } from './address.js';
import { u16, u8 } from './bytes.js';
import { finishChecksum, internetChecksum, onesComplementSum } from './checksum.js';
import { fail, ok } from './decoded.js';
import type { Decoded } from './decoded.js';
import { COMPAT_QUOTE_LENGTH, encodeExtensionStructure, splitQuote } from './extensions.js';
import type { IcmpExtensionObject, IcmpExtensions, QuoteSplit } from './extensions.js';

export type { IcmpExtensionObject, IcmpExtensions, MplsLabel } from './extensions.js';

export const IPPROTO_ICMP = 1;
export const ICMP_HEADER_LENGTH = 8;

export const ICMP = {
  ECHO_REPLY: 0,
  DEST_UNREACH: 3,
  SOURCE_QUENCH: 4,
  REDIRECT: 5,
  ECHO_REQUEST: 8,
  ROUTER_ADVERT: 9,
  ROUTER_SOLICIT: 10,
  TIME_EXCEEDED: 11,
  PARAM_PROBLEM: 12,
  TIMESTAMP: 13,
  TIMESTAMP_REPLY: 14,
} as const;

/** Destination unreachable codes (RFC 792, RFC 1122, RFC 1812). */
export const ICMP_UNREACH = {
  NET: 0,
  HOST: 1,
  PROTOCOL: 2,
  PORT: 3,
  FRAG_NEEDED: 4,
  SOURCE_ROUTE_FAILED: 5,
  NET_UNKNOWN: 6,
  HOST_UNKNOWN: 7,
  HOST_ISOLATED: 8,
  NET_PROHIBITED: 9,
  HOST_PROHIBITED: 10,
  NET_TOS: 11,
  HOST_TOS: 12,
  ADMIN_PROHIBITED: 13,
  PRECEDENCE_VIOLATION: 14,
  PRECEDENCE_CUTOFF: 15,
} as const;

export const ICMP_TIME_EXCEEDED = { TTL: 0, REASSEMBLY: 1 } as const;

/** One decoded ICMP or ICMPv6 message; the fields after `body` are set only for the types that carry them. */
export interface IcmpMessage {
  family: 4 | 6;
  type: number;
  code: number;
  checksum: number;
  /** ICMPv4: always known. ICMPv6: known only when the addresses for the pseudo-header were given. */
  checksumValid?: boolean;
  /** Bytes 4-7, whose meaning depends on the type. */
  rest: Uint8Array;
  /** Echo request/reply (and timestamp) identifier and sequence number. */
  identifier?: number;
  sequence?: number;
  /** Everything after the 8-byte header. */
  body: Uint8Array;
  /** Error messages: the quoted original datagram (IP header first), without any extension structure. */
  quote?: Uint8Array;
  /** Fragmentation needed (v4) / packet too big (v6): the next-hop MTU. */
  mtu?: number;
  /** Parameter problem: the offset of the offending byte. */
  pointer?: number;
  /** Redirect: the better gateway. */
  gateway?: string;
  extensions?: IcmpExtensions;
  /** Why an extension structure that seemed present was not (fully) usable. */
  extensionError?: string;
}

export interface IcmpEchoFields {
  /** ECHO_REQUEST (default) or ECHO_REPLY. */
  type?: number;
  identifier: number;
  sequence: number;
  payload?: Uint8Array;
}

export interface IcmpErrorFields {
  type: number;
  code: number;
  /** The original datagram to quote (IP header first). */
  quote: Uint8Array;
  mtu?: number;
  pointer?: number;
  /** Appended as an RFC 4884 extension structure (the quote is zero-padded to at least 128 bytes). */
  extensions?: IcmpExtensionObject[];
  /** Omit the length attribute, like pre-RFC 4884 senders (extension at the fixed offset 128). */
  compat?: boolean;
}

/** The ICMPv4 types that quote a datagram, and those of them that carry an RFC 4884 length attribute (byte 5). */
const QUOTING_TYPES = new Set<number>([ICMP.DEST_UNREACH, ICMP.SOURCE_QUENCH, ICMP.REDIRECT, ICMP.TIME_EXCEEDED, ICMP.PARAM_PROBLEM]);
const LENGTH_ATTRIBUTE_TYPES = new Set<number>([ICMP.DEST_UNREACH, ICMP.TIME_EXCEEDED, ICMP.PARAM_PROBLEM]);
const ID_SEQ_TYPES = new Set<number>([ICMP.ECHO_REPLY, ICMP.ECHO_REQUEST, ICMP.TIMESTAMP, ICMP.TIMESTAMP_REPLY]);

export function decodeIcmp(bytes: Uint8Array): Decoded<IcmpMessage> {
  if (bytes.length < ICMP_HEADER_LENGTH) return fail(`ICMP header needs 8 bytes, have ${bytes.length}`);
  const type = u8(bytes, 0);
  const code = u8(bytes, 1);
  const body = bytes.subarray(ICMP_HEADER_LENGTH);
  const message: IcmpMessage = {
    family: 4,
    type,
    code,
    checksum: u16(bytes, 2),
    checksumValid: internetChecksum(bytes) === 0,
    rest: bytes.subarray(4, 8),
    body,
  };
  if (ID_SEQ_TYPES.has(type)) {
    message.identifier = u16(bytes, 4);
    message.sequence = u16(bytes, 6);
  }
  if (type === ICMP.DEST_UNREACH && code === ICMP_UNREACH.FRAG_NEEDED) message.mtu = u16(bytes, 6);
  if (type === ICMP.PARAM_PROBLEM) message.pointer = u8(bytes, 4);
  if (type === ICMP.REDIRECT) message.gateway = bytesToIpv4(bytes, 4);
  if (QUOTING_TYPES.has(type)) {
    applySplit(message, LENGTH_ATTRIBUTE_TYPES.has(type) ? splitQuote(body, u8(bytes, 5) * 4) : { quote: body });
  }
  return ok(message);
}

/** Copies a quote/extension split onto a message (shared with ICMPv6). */
export function applySplit(message: IcmpMessage, split: QuoteSplit): void {
  message.quote = split.quote;
  if (split.extensions) message.extensions = split.extensions;
  if (split.extensionError !== undefined) message.extensionError = split.extensionError;
}

/** An echo request (or reply) with its checksum. */
export function encodeIcmpEcho(fields: IcmpEchoFields): Buffer {
  const payload = fields.payload ?? new Uint8Array(0);
  const message = Buffer.alloc(ICMP_HEADER_LENGTH + payload.length);
  message[0] = fields.type ?? ICMP.ECHO_REQUEST;
  message.writeUInt16BE(fields.identifier & 0xffff, 4);
  message.writeUInt16BE(fields.sequence & 0xffff, 6);
  message.set(payload, ICMP_HEADER_LENGTH);
  message.writeUInt16BE(finishChecksum(onesComplementSum(message)), 2);
  return message;
}

/**
 * The layout of an ICMP error body for both families: the quote, and with extensions the quote zero-padded to a
 * whole number of `unit`-byte words, at least 128 bytes, then the extension structure. Returns the body and the
 * length attribute (in words; 0 in compat mode or without extensions).
 */
export function layoutErrorBody(fields: Pick<IcmpErrorFields, 'quote' | 'extensions' | 'compat'>, unit: 4 | 8): { body: Buffer; lengthWords: number } {
  const extension = fields.extensions && fields.extensions.length > 0 ? encodeExtensionStructure(fields.extensions) : null;
  const { quoteRoom, lengthWords } = errorBodyLayout(fields.quote.length, extension !== null, fields.compat ?? false, unit);
  const body = Buffer.alloc(quoteRoom + (extension?.length ?? 0));
  writeErrorBody(body, 0, fields.quote, quoteRoom, extension);
  return { body, lengthWords };
}

/**
 * How much room the quote takes in an error body and the length attribute that says so: the quote itself without an
 * extension; with one, the quote padded to whole `unit`-byte words and at least 128 bytes (exactly 128, and no
 * attribute, in compat mode, like pre-RFC 4884 senders).
 */
export function errorBodyLayout(quoteLength: number, hasExtension: boolean, compat: boolean, unit: 4 | 8): { quoteRoom: number; lengthWords: number } {
  if (!hasExtension) return { quoteRoom: quoteLength, lengthWords: 0 };
  const quoteRoom = compat ? COMPAT_QUOTE_LENGTH : Math.max(COMPAT_QUOTE_LENGTH, Math.ceil(quoteLength / unit) * unit);
  return { quoteRoom, lengthWords: compat ? 0 : quoteRoom / unit };
}

/**
 * Writes an error body at `offset` of `target` (whose bytes there must be zero, for the padding): the quote cut to
 * `quoteRoom`, then the extension structure (encodeExtensionStructure's bytes) after the room. Returns the end.
 */
export function writeErrorBody(target: Uint8Array, offset: number, quote: Uint8Array, quoteRoom: number, extension: Uint8Array | null): number {
  target.set(quote.subarray(0, quoteRoom), offset);
  if (!extension) return offset + Math.min(quote.length, quoteRoom);
  target.set(extension, offset + quoteRoom);
  return offset + quoteRoom + extension.length;
}

/** An ICMPv4 error quoting a datagram (for tests and the simulator), optionally with RFC 4884 extensions. */
export function encodeIcmpError(fields: IcmpErrorFields): Buffer {
  const { body, lengthWords } = layoutErrorBody(fields, 4);
  if (lengthWords > 0xff) throw new RangeError(`quote of ${lengthWords * 4} bytes is too long for a length attribute`);
  const message = Buffer.alloc(ICMP_HEADER_LENGTH + body.length);
  message[0] = fields.type;
  message[1] = fields.code;
  if (fields.pointer !== undefined) message[4] = fields.pointer & 0xff;
  message[5] = lengthWords;
  if (fields.mtu !== undefined) message.writeUInt16BE(fields.mtu & 0xffff, 6);
  body.copy(message, ICMP_HEADER_LENGTH);
  message.writeUInt16BE(finishChecksum(onesComplementSum(message)), 2);
  return message;
}

const UNREACH_NAMES: Record<number, string> = {
  0: 'network unreachable',
  1: 'host unreachable',
  2: 'protocol unreachable',
  3: 'port unreachable',
  4: 'fragmentation needed',
  5: 'source route failed',
  6: 'destination network unknown',
  7: 'destination host unknown',
  8: 'source host isolated',
  9: 'network administratively prohibited',
  10: 'host administratively prohibited',
  11: 'network unreachable for TOS',
  12: 'host unreachable for TOS',
  13: 'communication administratively prohibited',
  14: 'host precedence violation',
  15: 'precedence cutoff in effect',
};

const TYPE_NAMES: Record<number, string> = {
  0: 'echo reply',
  3: 'destination unreachable',
  4: 'source quench',
  5: 'redirect',
  8: 'echo request',
  9: 'router advertisement',
  10: 'router solicitation',
  11: 'time exceeded',
  12: 'parameter problem',
  13: 'timestamp request',
  14: 'timestamp reply',
};

/** Human text for an ICMPv4 type and code ("time exceeded", "port unreachable", ...). */
export function icmpName(type: number, code: number): string {
  if (type === ICMP.DEST_UNREACH) return UNREACH_NAMES[code] ?? `destination unreachable (code ${code})`;
  if (type === ICMP.TIME_EXCEEDED) {
    if (code === ICMP_TIME_EXCEEDED.TTL) return 'time exceeded';
    if (code === ICMP_TIME_EXCEEDED.REASSEMBLY) return 'fragment reassembly time exceeded';
    return `time exceeded (code ${code})`;
  }
  const name = TYPE_NAMES[type];
  if (name === undefined) return `ICMP type ${type} code ${code}`;
  return code === 0 || type === ICMP.REDIRECT || type === ICMP.PARAM_PROBLEM ? name : `${name} (code ${code})`;
}
