// ICMP multi-part messages (RFC 4884), the MPLS label stack object (RFC 4950) and interface information objects
// (RFC 5837). Routers inside an MPLS core append the label stack the probe carried when it expired, after the quoted
// datagram, and some routers name the interface it arrived on; traceroute shows both per hop.
// Everything here reads untrusted bytes: every length is checked, and a fault ends the parse with a message.
import { u16, u8 } from './bytes.js';
import { finishChecksum, internetChecksum, onesComplementSum } from './checksum.js';
import { decodeInterfaceInfo, encodeInterfaceInfo } from './interface-info.js';
import type { InterfaceInfo } from './interface-info.js';

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
  /** Every well-formed RFC 5837 interface information object, in order; absent like `mpls` is. */
  interfaces?: InterfaceInfo[];
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
  const interfaces: InterfaceInfo[] = [];
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
    if (object.classNum === EXTENSION_CLASS.INTERFACE_INFO) {
      const info = decodeInterfaceInfo(object.cType, object.data);
      if (info.ok) interfaces.push(info.value);
      else error ??= info.error;
    }
    offset += length;
  }
  if (!error && objects.length === 0) error = 'extension structure has no objects';
  // A bad checksum explains any structural fault after it, so it is named first.
  if (!checksumValid) error = `extension checksum mismatch${error ? `; ${error}` : ''}`;
  const extensions: IcmpExtensions = {
    version,
    checksumValid,
    objects,
    ...(mpls && checksumValid ? { mpls } : {}),
    ...(interfaces.length > 0 && checksumValid ? { interfaces } : {}),
  };
  return { extensions, ...(error ? { error } : {}) };
}

/**
 * An extension structure at `offset` that fully checks out: version 2, a non-zero checksum that verifies, and
 * well-formed objects. Used where the bytes could just as well be more quote or padding, so nothing less is believed.
 */
function verifiedExtensionAt(body: Uint8Array, offset: number): IcmpExtensions | null {
  if (body.length < offset + 8) return null;
  const candidate = body.subarray(offset);
  if (u16(candidate, 2) === 0) return null;
  const parsed = decodeExtensionStructure(candidate);
  return parsed.extensions && !parsed.error ? parsed.extensions : null;
}

function allZero(bytes: Uint8Array): boolean {
  return bytes.every((b) => b === 0);
}

/**
 * Splits an ICMP error's body (bytes 8..) into the quoted datagram and the extension structure.
 * `lengthBytes` is the RFC 4884 length attribute already multiplied out (x4 for ICMPv4, x8 for ICMPv6); 0 means
 * the sender did not set it, and then an extension is looked for at the fixed compatibility offset 128, accepted
 * only when it fully checks out since those bytes are otherwise just more of the quote.
 */
export function splitQuote(body: Uint8Array, lengthBytes: number): QuoteSplit {
  if (lengthBytes > 0) {
    if (lengthBytes > body.length) {
      return { quote: body, extensionError: `length attribute says ${lengthBytes} quoted bytes, message has ${body.length}` };
    }
    const quote = body.subarray(0, lengthBytes);
    if (lengthBytes === body.length) return { quote };
    // Some routers set the attribute to the unpadded quote length yet pad the quote to 128 bytes before the
    // extension, as RFC 4884 asks (seen in the wild: trippy issue #804). The bytes at the attribute's offset are
    // then zero padding; the structure at 128 is believed on the same terms as a pre-RFC 4884 sender's.
    if (lengthBytes < COMPAT_QUOTE_LENGTH && allZero(body.subarray(lengthBytes, COMPAT_QUOTE_LENGTH))) {
      const padded = verifiedExtensionAt(body, COMPAT_QUOTE_LENGTH);
      if (padded) return { quote, extensions: padded };
    }
    const parsed = decodeExtensionStructure(body.subarray(lengthBytes));
    return { quote, ...(parsed.extensions ? { extensions: parsed.extensions } : {}), ...(parsed.error ? { extensionError: parsed.error } : {}) };
  }
  const compat = verifiedExtensionAt(body, COMPAT_QUOTE_LENGTH);
  return compat ? { quote: body.subarray(0, COMPAT_QUOTE_LENGTH), extensions: compat } : { quote: body };
}

/** The object for an MPLS label stack (class 1, c-type 1), outermost label first. */
export function encodeMplsObject(labels: MplsLabel[]): IcmpExtensionObject {
  const data = Buffer.alloc(labels.length * 4);
  labels.forEach((l, i) => {
    data.writeUInt32BE(((((l.label & 0xfffff) << 12) | ((l.trafficClass & 7) << 9) | (l.bottomOfStack ? 0x100 : 0) | (l.ttl & 0xff)) >>> 0), i * 4);
  });
  return { classNum: EXTENSION_CLASS.MPLS, cType: MPLS_INCOMING_STACK, data };
}

/** The object for one interface's information (class 2, the C-Type saying its role and which fields follow). */
export function encodeInterfaceInfoObject(info: InterfaceInfo): IcmpExtensionObject {
  const { cType, data } = encodeInterfaceInfo(info);
  return { classNum: EXTENSION_CLASS.INTERFACE_INFO, cType, data };
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
