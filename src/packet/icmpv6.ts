// ICMPv6 (RFC 4443; RFC 4884 multi-part errors). Same message shape as ICMPv4 so the probe methods treat both alike.
// Raw IPv6 sockets hand us the ICMPv6 message without the IP header, so the checksum (which covers a pseudo-header)
// can only be checked when the caller supplies the addresses.
import { addressFamily } from './address.js';
import { u16, u32, u8 } from './bytes.js';
import { finishChecksum, onesComplementSum, pseudoHeaderSum } from './checksum.js';
import { fail, ok } from './decoded.js';
import type { Decoded } from './decoded.js';
import { applySplit, layoutErrorBody, ICMP_HEADER_LENGTH } from './icmp.js';
import type { IcmpErrorFields, IcmpMessage } from './icmp.js';
import { splitQuote } from './extensions.js';

export const IPPROTO_ICMPV6 = 58;

export const ICMPV6 = {
  DEST_UNREACH: 1,
  PACKET_TOO_BIG: 2,
  TIME_EXCEEDED: 3,
  PARAM_PROBLEM: 4,
  ECHO_REQUEST: 128,
  ECHO_REPLY: 129,
  ROUTER_SOLICIT: 133,
  ROUTER_ADVERT: 134,
  NEIGHBOR_SOLICIT: 135,
  NEIGHBOR_ADVERT: 136,
  REDIRECT: 137,
} as const;

export const ICMPV6_UNREACH = {
  NO_ROUTE: 0,
  ADMIN_PROHIBITED: 1,
  BEYOND_SCOPE: 2,
  ADDRESS: 3,
  PORT: 4,
  SOURCE_POLICY: 5,
  REJECT_ROUTE: 6,
  SOURCE_ROUTING_HEADER: 7,
} as const;

export const ICMPV6_TIME_EXCEEDED = { HOP_LIMIT: 0, REASSEMBLY: 1 } as const;

export interface Icmpv6EchoFields {
  /** ECHO_REQUEST (default) or ECHO_REPLY. */
  type?: number;
  identifier: number;
  sequence: number;
  payload?: Uint8Array;
}

/** Errors all quote the datagram; only unreachable and time exceeded carry the RFC 4884 length (byte 4, x8). */
const QUOTING_TYPES = new Set<number>([ICMPV6.DEST_UNREACH, ICMPV6.PACKET_TOO_BIG, ICMPV6.TIME_EXCEEDED, ICMPV6.PARAM_PROBLEM]);
const LENGTH_ATTRIBUTE_TYPES = new Set<number>([ICMPV6.DEST_UNREACH, ICMPV6.TIME_EXCEEDED]);

/** undefined (unknown) rather than a throw when the addresses are not IPv6. */
function checksumOk(bytes: Uint8Array, source: string, destination: string): boolean | undefined {
  if (addressFamily(source) !== 6 || addressFamily(destination) !== 6) return undefined;
  return finishChecksum(onesComplementSum(bytes, pseudoHeaderSum(source, destination, IPPROTO_ICMPV6, bytes.length))) === 0;
}

/** Decodes an ICMPv6 message; give the IPv6 source and destination to have its checksum checked. */
export function decodeIcmpv6(bytes: Uint8Array, source?: string, destination?: string): Decoded<IcmpMessage> {
  if (bytes.length < ICMP_HEADER_LENGTH) return fail(`ICMPv6 header needs 8 bytes, have ${bytes.length}`);
  const type = u8(bytes, 0);
  const body = bytes.subarray(ICMP_HEADER_LENGTH);
  const message: IcmpMessage = { family: 6, type, code: u8(bytes, 1), checksum: u16(bytes, 2), rest: bytes.subarray(4, 8), body };
  if (source !== undefined && destination !== undefined) {
    const valid = checksumOk(bytes, source, destination);
    if (valid !== undefined) message.checksumValid = valid;
  }
  if (type === ICMPV6.ECHO_REQUEST || type === ICMPV6.ECHO_REPLY) {
    message.identifier = u16(bytes, 4);
    message.sequence = u16(bytes, 6);
  }
  if (type === ICMPV6.PACKET_TOO_BIG) message.mtu = u32(bytes, 4);
  if (type === ICMPV6.PARAM_PROBLEM) message.pointer = u32(bytes, 4);
  if (QUOTING_TYPES.has(type)) {
    applySplit(message, LENGTH_ATTRIBUTE_TYPES.has(type) ? splitQuote(body, u8(bytes, 4) * 8) : { quote: body });
  }
  return ok(message);
}

function withChecksum(message: Buffer, source: string, destination: string): Buffer {
  const sum = onesComplementSum(message, pseudoHeaderSum(source, destination, IPPROTO_ICMPV6, message.length));
  message.writeUInt16BE(finishChecksum(sum), 2);
  return message;
}

/** An echo request (or reply); the checksum covers the pseudo-header, hence the addresses. */
export function encodeIcmpv6Echo(fields: Icmpv6EchoFields, source: string, destination: string): Buffer {
  const payload = fields.payload ?? new Uint8Array(0);
  const message = Buffer.alloc(ICMP_HEADER_LENGTH + payload.length);
  message[0] = fields.type ?? ICMPV6.ECHO_REQUEST;
  message.writeUInt16BE(fields.identifier & 0xffff, 4);
  message.writeUInt16BE(fields.sequence & 0xffff, 6);
  message.set(payload, ICMP_HEADER_LENGTH);
  return withChecksum(message, source, destination);
}

/** An ICMPv6 error quoting a datagram (for tests and the simulator), optionally with RFC 4884 extensions. */
export function encodeIcmpv6Error(fields: IcmpErrorFields, source: string, destination: string): Buffer {
  const { body, lengthWords } = layoutErrorBody(fields, 8);
  if (lengthWords > 0xff) throw new RangeError(`quote of ${lengthWords * 8} bytes is too long for a length attribute`);
  const message = Buffer.alloc(ICMP_HEADER_LENGTH + body.length);
  message[0] = fields.type;
  message[1] = fields.code;
  if (fields.type === ICMPV6.PACKET_TOO_BIG) message.writeUInt32BE((fields.mtu ?? 0) >>> 0, 4);
  else if (fields.type === ICMPV6.PARAM_PROBLEM) message.writeUInt32BE((fields.pointer ?? 0) >>> 0, 4);
  else message[4] = lengthWords;
  body.copy(message, ICMP_HEADER_LENGTH);
  return withChecksum(message, source, destination);
}

const UNREACH_NAMES: Record<number, string> = {
  0: 'no route to destination',
  1: 'communication administratively prohibited',
  2: 'beyond scope of source address',
  3: 'address unreachable',
  4: 'port unreachable',
  5: 'source address failed ingress/egress policy',
  6: 'reject route to destination',
  7: 'error in source routing header',
};

const PARAM_NAMES: Record<number, string> = {
  0: 'erroneous header field',
  1: 'unrecognized next header',
  2: 'unrecognized IPv6 option',
};

const TYPE_NAMES: Record<number, string> = {
  1: 'destination unreachable',
  2: 'packet too big',
  3: 'time exceeded',
  4: 'parameter problem',
  128: 'echo request',
  129: 'echo reply',
  133: 'router solicitation',
  134: 'router advertisement',
  135: 'neighbor solicitation',
  136: 'neighbor advertisement',
  137: 'redirect',
};

/** Human text for an ICMPv6 type and code ("time exceeded", "port unreachable", ...). */
export function icmpv6Name(type: number, code: number): string {
  if (type === ICMPV6.DEST_UNREACH) return UNREACH_NAMES[code] ?? `destination unreachable (code ${code})`;
  if (type === ICMPV6.TIME_EXCEEDED) {
    if (code === ICMPV6_TIME_EXCEEDED.HOP_LIMIT) return 'time exceeded';
    if (code === ICMPV6_TIME_EXCEEDED.REASSEMBLY) return 'fragment reassembly time exceeded';
    return `time exceeded (code ${code})`;
  }
  if (type === ICMPV6.PARAM_PROBLEM) return `parameter problem: ${PARAM_NAMES[code] ?? `code ${code}`}`;
  const name = TYPE_NAMES[type];
  if (name === undefined) return `ICMPv6 type ${type} code ${code}`;
  return code === 0 ? name : `${name} (code ${code})`;
}
