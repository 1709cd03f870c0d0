// Address ranges that say who a hop is without any lookup (IANA special-purpose registries, RFC 6890 and its
// updates): a hop in 100.64.0.0/10 is the provider's carrier-grade NAT, a 10.x hop a private network, and so on.
// Private, shared (CGNAT), link-local, loopback and ULA addresses are never sent to an outside lookup service: no
// database knows them, and the query would leak the inside of a network. Test and documentation ranges are named
// and still looked up — nothing real uses them, and a lab's own resolver may answer for them.
import { addressFamily, inPrefix } from './address.js';

export interface SpecialRange {
  prefix: string;
  /** Short name for tables: "private", "CGNAT", ... */
  kind: string;
  /** What it means for a hop, in words. */
  meaning: string;
  /** Whether an ASN/GeoIP lookup may be asked about it. */
  lookup: boolean;
}

/** Kinds that may still be looked up (see above). */
const LOOKED_UP = new Set(['benchmarking', 'documentation']);

const V4: [string, number, string, string][] = [
  ['0.0.0.0', 8, 'this network', '"this network" (RFC 791): not a real source'],
  ['10.0.0.0', 8, 'private', 'private network (RFC 1918)'],
  ['100.64.0.0', 10, 'CGNAT', "the provider's carrier-grade NAT (RFC 6598)"],
  ['127.0.0.0', 8, 'loopback', 'loopback (RFC 1122)'],
  ['169.254.0.0', 16, 'link-local', 'link-local (RFC 3927)'],
  ['172.16.0.0', 12, 'private', 'private network (RFC 1918)'],
  ['192.0.0.0', 24, 'IETF protocol', 'IETF protocol assignments (RFC 6890)'],
  ['192.0.2.0', 24, 'documentation', 'documentation range TEST-NET-1 (RFC 5737)'],
  ['192.168.0.0', 16, 'private', 'private network (RFC 1918)'],
  ['198.18.0.0', 15, 'benchmarking', 'benchmarking range (RFC 2544): a test lab'],
  ['198.51.100.0', 24, 'documentation', 'documentation range TEST-NET-2 (RFC 5737)'],
  ['203.0.113.0', 24, 'documentation', 'documentation range TEST-NET-3 (RFC 5737)'],
  ['240.0.0.0', 4, 'reserved', 'reserved (RFC 1112)'],
];

const V6: [string, number, string, string][] = [
  ['::1', 128, 'loopback', 'loopback (RFC 4291)'],
  ['64:ff9b::', 96, 'NAT64', 'NAT64 well-known prefix (RFC 6052): a translator'],
  ['2001:2::', 48, 'benchmarking', 'benchmarking range (RFC 5180): a test lab'],
  ['2001:db8::', 32, 'documentation', 'documentation range (RFC 3849)'],
  ['fc00::', 7, 'ULA', 'unique local address (RFC 4193): a private network'],
  ['fe80::', 10, 'link-local', 'link-local (RFC 4291)'],
];

/** The special-purpose range an address is in, or null for an ordinary (global unicast) address. */
export function specialRange(address: string): SpecialRange | null {
  const family = addressFamily(address);
  if (family === null) return null;
  const table = family === 4 ? V4 : V6;
  // IPv4-mapped IPv6 (::ffff:a.b.c.d) is the IPv4 address it carries.
  if (family === 6 && /^::ffff:\d+\.\d+\.\d+\.\d+$/i.test(address)) return specialRange(address.slice(7));
  for (const [prefix, length, kind, meaning] of table) {
    if (inPrefix(address, `${prefix}/${length}`)) return { prefix: `${prefix}/${length}`, kind, meaning, lookup: LOOKED_UP.has(kind) };
  }
  return null;
}
