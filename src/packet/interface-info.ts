// RFC 5837 Interface Information objects (ICMP extension class 2). A router can say which of its interfaces the
// probe came in on (or would have left by): ifIndex, address, name, MTU. That names a hop better than the source
// address of its ICMP error, which is often a loopback or whatever interface faces us. The bytes are untrusted:
// every length is checked and a fault is a typed failure, never a throw.
import { bytesToIpv4, bytesToIpv6, ipv4ToBytes, ipv6ToBytes, addressFamily } from './address.js';
import { u16, u32, u8 } from './bytes.js';
import { fail, ok } from './decoded.js';
import type { Decoded } from './decoded.js';
import { cleanText, TEXT_CAPS } from './untrusted-text.js';

/** The four roles of the C-Type's top two bits (RFC 5837 §4.1), in that order. */
export const INTERFACE_ROLES = ['incoming', 'incoming-sub-ip', 'outgoing', 'next-hop'] as const;
export type InterfaceRole = (typeof INTERFACE_ROLES)[number];

/** C-Type flag bits saying which fields follow, in this order in the object. */
const HAS = { IFINDEX: 0x08, ADDRESS: 0x04, NAME: 0x02, MTU: 0x01 } as const;
/** IANA address family numbers the IP Address Sub-Object uses. */
const AFI = { IPV4: 1, IPV6: 2 } as const;
/** The name sub-object's length octet counts itself; it is a multiple of 4 and at most 64 (RFC 5837 §4.5). */
const MAX_NAME_OBJECT = 64;

export interface InterfaceInfo {
  role: InterfaceRole;
  ifIndex?: number;
  /** The interface's address, as canonical text. */
  address?: string;
  /** The interface name, up to its first NUL, made safe (cleanText: it ends up on terminals and in reports). */
  name?: string;
  mtu?: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * Name bytes to printable text: C-string end at the first NUL (the padding), UTF-8. A router's bytes must not drive
 * the user's terminal (escape sequences) or reorder the line around them (bidi overrides): cleanText removes them.
 */
function nameText(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return cleanText(utf8.decode(end === -1 ? bytes : bytes.subarray(0, end)), TEXT_CAPS.interfaceName);
}

/** Decodes the payload (after the 4-byte object header) of an interface information object with this C-Type. */
export function decodeInterfaceInfo(cType: number, data: Uint8Array): Decoded<InterfaceInfo> {
  const info: InterfaceInfo = { role: INTERFACE_ROLES[cType >> 6] ?? 'incoming' };
  let offset = 0;
  const need = (n: number, what: string) => (offset + n <= data.length ? null : fail(`interface information: ${what} needs ${n} bytes at offset ${offset}, object has ${data.length}`));
  if (cType & HAS.IFINDEX) {
    const short = need(4, 'ifIndex');
    if (short) return short;
    info.ifIndex = u32(data, offset);
    offset += 4;
  }
  if (cType & HAS.ADDRESS) {
    const short = need(4, 'address sub-object');
    if (short) return short;
    const afi = u16(data, offset);
    const size = afi === AFI.IPV4 ? 4 : afi === AFI.IPV6 ? 16 : 0;
    if (size === 0) return fail(`interface information: address family ${afi} is neither IPv4 (1) nor IPv6 (2)`);
    const cut = need(4 + size, 'address sub-object');
    if (cut) return cut;
    info.address = size === 4 ? bytesToIpv4(data, offset + 4) : bytesToIpv6(data, offset + 4);
    offset += 4 + size;
  }
  if (cType & HAS.NAME) {
    const short = need(1, 'name sub-object');
    if (short) return short;
    const length = u8(data, offset);
    if (length === 0 || length % 4 !== 0 || length > MAX_NAME_OBJECT) {
      return fail(`interface information: name sub-object length ${length} is not a multiple of 4 in 4..64`);
    }
    const cut = need(length, 'name sub-object');
    if (cut) return cut;
    info.name = nameText(data.subarray(offset + 1, offset + length));
    offset += length;
  }
  if (cType & HAS.MTU) {
    const short = need(4, 'MTU');
    if (short) return short;
    info.mtu = u32(data, offset);
    offset += 4;
  }
  // The object's length covers exactly the fields its C-Type announces; anything else means the C-Type is not
  // describing these bytes, so none of them are believed.
  if (offset !== data.length) return fail(`interface information: ${data.length - offset} bytes beyond the fields its C-Type announces`);
  return ok(info);
}

/** The C-Type and payload of an interface information object (for tests and the simulator). */
export function encodeInterfaceInfo(info: InterfaceInfo): { cType: number; data: Buffer } {
  const parts: Buffer[] = [];
  let cType = INTERFACE_ROLES.indexOf(info.role) << 6;
  if (info.ifIndex !== undefined) {
    cType |= HAS.IFINDEX;
    const b = Buffer.alloc(4);
    b.writeUInt32BE(info.ifIndex >>> 0);
    parts.push(b);
  }
  if (info.address !== undefined) {
    cType |= HAS.ADDRESS;
    const v4 = addressFamily(info.address) === 4;
    const head = Buffer.alloc(4);
    head.writeUInt16BE(v4 ? AFI.IPV4 : AFI.IPV6);
    parts.push(head, v4 ? ipv4ToBytes(info.address) : ipv6ToBytes(info.address));
  }
  if (info.name !== undefined) {
    cType |= HAS.NAME;
    const text = Buffer.from(info.name, 'utf8');
    const length = Math.ceil((1 + text.length) / 4) * 4;
    if (length > MAX_NAME_OBJECT) throw new RangeError(`interface name of ${text.length} bytes exceeds 63`);
    const b = Buffer.alloc(length);
    b[0] = length;
    text.copy(b, 1);
    parts.push(b);
  }
  if (info.mtu !== undefined) {
    cType |= HAS.MTU;
    const b = Buffer.alloc(4);
    b.writeUInt32BE(info.mtu >>> 0);
    parts.push(b);
  }
  return { cType, data: Buffer.concat(parts) };
}

const ROLE_TEXT: Record<InterfaceRole, string> = { incoming: 'incoming', 'incoming-sub-ip': 'incoming sub-IP', outgoing: 'outgoing', 'next-hop': 'next hop' };

/** "incoming eth0 (ifIndex 3, 198.18.2.2, MTU 1500)": one interface as the debug log and the report show it. */
export function interfaceInfoText(info: InterfaceInfo): string {
  const details = [
    ...(info.ifIndex !== undefined ? [`ifIndex ${info.ifIndex}`] : []),
    ...(info.address !== undefined ? [info.address] : []),
    ...(info.mtu !== undefined ? [`MTU ${info.mtu}`] : []),
  ];
  return `${ROLE_TEXT[info.role]}${info.name ? ` ${info.name}` : ''}${details.length > 0 ? ` (${details.join(', ')})` : ''}`;
}
