// IP address text <-> bytes. Strict on input (the CLI uses addressFamily to decide "literal address or host name",
// so '1.2.3' must not pass as an address), canonical on output, because probes match replies by comparing address
// strings: the text we produce must equal the text the native shim's inet_ntop produces for the same bytes.
import { u16 } from './bytes.js';

export type AddressFamily = 4 | 6;

/** Dotted quad, four decimal parts 0-255, no leading zeros (inet_pton refuses them: they would read as octal). */
function parseIpv4(text: string): Buffer | null {
  const parts = text.split('.');
  if (parts.length !== 4) return null;
  const out = Buffer.alloc(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    if (!/^[0-9]{1,3}$/.test(part) || (part.length > 1 && part.startsWith('0'))) return null;
    const value = Number(part);
    if (value > 255) return null;
    out[i] = value;
  }
  return out;
}

/** The 16-bit groups of one side of '::'; an IPv4 tail is allowed only where the caller says (the very end). */
function parseGroups(side: string, allowIpv4Tail: boolean): number[] | null {
  if (side === '') return [];
  const groups = side.split(':');
  const words: number[] = [];
  for (let i = 0; i < groups.length; i++) {
    const group = groups[i]!;
    if (allowIpv4Tail && i === groups.length - 1 && group.includes('.')) {
      const v4 = parseIpv4(group);
      if (!v4) return null;
      words.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
    } else {
      if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return null;
      words.push(parseInt(group, 16));
    }
  }
  return words;
}

/** RFC 4291 text: eight groups, or fewer with one '::', optionally ending in a dotted quad. No zone ids. */
function parseIpv6(text: string): Buffer | null {
  if (text.length < 2 || text.length > 45) return null;
  const halves = text.split('::');
  if (halves.length > 2) return null;
  let words: number[];
  if (halves.length === 1) {
    const all = parseGroups(text, true);
    if (!all || all.length !== 8) return null;
    words = all;
  } else {
    const head = parseGroups(halves[0]!, false);
    const tail = parseGroups(halves[1]!, true);
    if (!head || !tail || head.length + tail.length > 7) return null;
    words = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  }
  const out = Buffer.alloc(16);
  words.forEach((word, i) => out.writeUInt16BE(word, i * 2));
  return out;
}

/** 4 or 6 for a literal address, null for anything else (host names, '1.2.3', '256.1.1.1', '1::2::3', 'fe80::1%eth0'). */
export function addressFamily(text: string): AddressFamily | null {
  if (parseIpv4(text)) return 4;
  if (parseIpv6(text)) return 6;
  return null;
}

/** The 4 bytes of a dotted quad; throws RangeError on anything else (encoders are given addresses we validated). */
export function ipv4ToBytes(text: string): Buffer {
  const bytes = parseIpv4(text);
  if (!bytes) throw new RangeError(`not an IPv4 address: '${text}'`);
  return bytes;
}

/** The 16 bytes of an IPv6 address ('::', embedded IPv4 tails); throws RangeError on anything else. */
export function ipv6ToBytes(text: string): Buffer {
  const bytes = parseIpv6(text);
  if (!bytes) throw new RangeError(`not an IPv6 address: '${text}'`);
  return bytes;
}

/** 4 or 16 bytes by the address's family; throws RangeError when the text is neither. */
export function addressToBytes(text: string): Buffer {
  const bytes = parseIpv4(text) ?? parseIpv6(text);
  if (!bytes) throw new RangeError(`not an IP address: '${text}'`);
  return bytes;
}

/** Dotted quad of 4 bytes at offset (bytes past the end read as 0: callers check lengths first). */
export function bytesToIpv4(b: Uint8Array, offset = 0): string {
  return `${b[offset] ?? 0}.${b[offset + 1] ?? 0}.${b[offset + 2] ?? 0}.${b[offset + 3] ?? 0}`;
}

/**
 * RFC 5952 text of 16 bytes at offset: lower case, no leading zeros, the longest run (first on a tie) of two or
 * more zero groups as '::'. Embedded IPv4 is written dotted exactly when glibc's inet_ntop does it (::ffff:a.b.c.d
 * and the deprecated ::a.b.c.d), so our text equals the peer addresses the native shim reports.
 */
export function bytesToIpv6(b: Uint8Array, offset = 0): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push(u16(b, offset + i * 2));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLength) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  if (bestLength < 2) bestStart = -1;
  if (bestStart === 0 && (bestLength === 6 || (bestLength === 5 && words[5] === 0xffff))) {
    return `::${bestLength === 5 ? 'ffff:' : ''}${bytesToIpv4(b, offset + 12)}`;
  }
  if (bestStart === -1) return words.map((w) => w.toString(16)).join(':');
  const head = words.slice(0, bestStart).map((w) => w.toString(16));
  const tail = words.slice(bestStart + bestLength).map((w) => w.toString(16));
  return `${head.join(':')}::${tail.join(':')}`;
}

/** The canonical text of an address (v6 per bytesToIpv6; v4 is already canonical once valid); other text unchanged. */
export function canonicalAddress(text: string): string {
  if (parseIpv4(text)) return text;
  const v6 = parseIpv6(text);
  return v6 ? bytesToIpv6(v6) : text;
}

/** The network address of `address` with its first `length` bits kept, in canonical text. */
export function networkAddress(address: string, length: number): string {
  const bytes = Buffer.from(addressToBytes(address));
  for (let bit = length; bit < bytes.length * 8; bit++) bytes[bit >> 3]! &= ~(0x80 >> (bit & 7));
  return bytes.length === 4 ? bytesToIpv4(bytes) : bytesToIpv6(bytes);
}

/** Whether `address` lies in `prefix` ("198.18.0.0/15", "2001:db8::/32"); false across families. */
export function inPrefix(address: string, prefix: string): boolean {
  const [base, lengthText] = prefix.split('/');
  const family = addressFamily(address);
  if (family === null || family !== addressFamily(base!)) return false;
  const length = Number(lengthText);
  return networkAddress(address, length) === networkAddress(base!, length);
}
