// ICMP multi-part messages (RFC 4884) and the MPLS label stack object (RFC 4950). Routers inside an MPLS core
// append the label stack the probe carried when it expired, after the quoted datagram; traceroute shows it per hop.
// Everything here reads untrusted bytes: every length is checked, and a fault ends the parse with a message.
import { u16, u8 } from './bytes.js';
import { finishChecksum, internetChecksum, onesComplementSum } from './checksum.js';

export const ICMP_EXTENSION_VERSION = 2;
/** Pre-RFC 4884 senders put the extension after a fixed 128-byte "original datagram" field (RFC 4884 §5). */
export const COMPAT_QUOTE_LENGTH = 128;
export const EXTENSION_CLASS = { MPLS: 1, INTERFACE_INFO: 2, INTERFACE_ID: 3, EXTENDED_INFO: 4 } as const;
const MPLS_INCOMING_STACK = 1;

export interface MplsLabel {
  label: number;
  /** The 3 traffic class bits (formerly EXP). */
  trafficClass: number;
  bottomOfStack: boolean;
  ttl: number;
}

export interface IcmpExtensionObject {
  classNum: number;
  cType: number;
  /** Object payload (after its 4-byte header). */
  data: Uint8Array;
}

export interface IcmpExtensions {
  version: number;
  /** The structure's checksum is right (or 0: not computed by the sender). */
  checksumValid: boolean;
  objects: IcmpExtensionObject[];
  /** The labels of every MPLS incoming-stack object, outermost first; absent when there is none or the checksum
   *  is wrong (labels from corrupted bytes would be bogus hops). */
  mpls?: MplsLabel[];
}

export interface ExtensionParse {
  extensions?: IcmpExtensions;
  error?: string;
}

export interface QuoteSplit {
  quote: Uint8Array;
  extensions?: IcmpExtensions;
  extensionError?: string;
}

function decodeMpls(data: Uint8Array): MplsLabel[] | null {
  if (data.length === 0 || data.length % 4 !== 0) return null;
  const labels: MplsLabel[] = [];
  for (let i = 0; i < data.length; i += 4) {
    const high = u16(data, i);
    const low = u8(data, i + 2);
    labels.push({ label: (high << 4) | (low >> 4), trafficClass: (low >> 1) & 0x07, bottomOfStack: (low & 1) === 1, ttl: u8(data, i + 3) });
  }
  return labels;
}

/** Parses an extension structure (4-byte header + objects) filling `bytes` exactly. */
export function decodeExtensionStructure(bytes: Uint8Array): ExtensionParse {
  if (bytes.length < 4) return { error: `extension structure needs 4 bytes, have ${bytes.length}` };
  const version = u8(bytes, 0) >> 4;
  if (version !== ICMP_EXTENSION_VERSION) return { error: `extension version ${version}, expected 2` };
  const checksumValid = u16(bytes, 2) === 0 || internetChecksum(bytes) === 0;
  const objects: IcmpExtensionObject[] = [];
  let mpls: MplsLabel[] | undefined;
  let error: string | undefined;
  let offset = 4;
  while (offset < bytes.length) {
    if (offset + 4 > bytes.length) {
      error ??= `extension object header cut short at offset ${offset}`;
      break;
    }
    const length = u16(bytes, offset);
    if (length < 4) {
      error ??= `extension object length ${length} is below 4`;
      break;
    }
    if (offset + length > bytes.length) {
      error ??= `extension object length ${length} runs past the structure`;
      break;
    }
    const object = { classNum: u8(bytes, offset + 2), cType: u8(bytes, offset + 3), data: bytes.subarray(offset + 4, offset + length) };
    objects.push(object);
    if (object.classNum === EXTENSION_CLASS.MPLS && object.cType === MPLS_INCOMING_STACK) {
      const labels = decodeMpls(object.data);
      if (labels) mpls = [...(mpls ?? []), ...labels];
      else error ??= `MPLS object of ${object.data.length} bytes is not a whole number of label entries`;
    }
    offset += length;
  }
  if (!error && objects.length === 0) error = 'extension structure has no objects';
  // A bad checksum explains any structural fault after it, so it is named first.
  if (!checksumValid) error = `extension checksum mismatch${error ? `; ${error}` : ''}`;
  const extensions: IcmpExtensions = { version, checksumValid, objects, ...(mpls && checksumValid ? { mpls } : {}) };
  return { extensions, ...(error ? { error } : {}) };
}

/**
 * Splits an ICMP error's body (bytes 8..) into the quoted datagram and the extension structure.
 * `lengthBytes` is the RFC 4884 length attribute already multiplied out (x4 for ICMPv4, x8 for ICMPv6); 0 means
 * the sender did not set it, and then an extension is looked for at the fixed compatibility offset 128, accepted
 * only when it fully checks out (version 2, a non-zero correct checksum, well-formed objects) since those bytes
 * are otherwise just more of the quote.
 */
export function splitQuote(body: Uint8Array, lengthBytes: number): QuoteSplit {
  if (lengthBytes > 0) {
    if (lengthBytes > body.length) {
      return { quote: body, extensionError: `length attribute says ${lengthBytes} quoted bytes, message has ${body.length}` };
    }
    const quote = body.subarray(0, lengthBytes);
    if (lengthBytes === body.length) return { quote };
    const parsed = decodeExtensionStructure(body.subarray(lengthBytes));
    return { quote, ...(parsed.extensions ? { extensions: parsed.extensions } : {}), ...(parsed.error ? { extensionError: parsed.error } : {}) };
  }
  if (body.length >= COMPAT_QUOTE_LENGTH + 8) {
    const candidate = body.subarray(COMPAT_QUOTE_LENGTH);
    if (u16(candidate, 2) !== 0) {
      const parsed = decodeExtensionStructure(candidate);
      if (parsed.extensions && !parsed.error) return { quote: body.subarray(0, COMPAT_QUOTE_LENGTH), extensions: parsed.extensions };
    }
  }
  return { quote: body };
}

/** The object for an MPLS label stack (class 1, c-type 1), outermost label first. */
export function encodeMplsObject(labels: MplsLabel[]): IcmpExtensionObject {
  const data = Buffer.alloc(labels.length * 4);
  labels.forEach((l, i) => {
    data.writeUInt32BE(((((l.label & 0xfffff) << 12) | ((l.trafficClass & 7) << 9) | (l.bottomOfStack ? 0x100 : 0) | (l.ttl & 0xff)) >>> 0), i * 4);
  });
  return { classNum: EXTENSION_CLASS.MPLS, cType: MPLS_INCOMING_STACK, data };
}

/** An extension structure (header with checksum + objects). */
export function encodeExtensionStructure(objects: IcmpExtensionObject[]): Buffer {
  const length = 4 + objects.reduce((n, o) => n + 4 + o.data.length, 0);
  const out = Buffer.alloc(length);
  out[0] = ICMP_EXTENSION_VERSION << 4;
  let offset = 4;
  for (const object of objects) {
    out.writeUInt16BE(4 + object.data.length, offset);
    out[offset + 2] = object.classNum;
    out[offset + 3] = object.cType;
    out.set(object.data, offset + 4);
    offset += 4 + object.data.length;
  }
  out.writeUInt16BE(finishChecksum(onesComplementSum(out)), 2);
  return out;
}
