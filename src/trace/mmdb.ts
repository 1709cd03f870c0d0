// MaxMind-format databases (.mmdb: GeoLite2, IPinfo and others), read by a reader of our own that bounds its work
// (MaxMind DB File Format 2.0: a binary search tree over address bits, a data section, metadata at the end). A file
// that is not a readable database is one clear error when it is opened, before any probe is sent; afterwards a
// lookup never throws. The file is the user's to choose and may be hostile: it must be a regular file of at most
// MAX_DATABASE_BYTES (regular-file.ts), the tree walk takes at most one step per address bit, and every value is
// decoded within mmdb-data.ts's limits, at open and at each lookup (a crafted record may sit behind one address).
import { addressToBytes, networkAddress } from '../packet/address.js';
import { PortpathError } from '../transport/errors.js';
import { decodeMmdbValue, MmdbDataError } from './mmdb-data.js';
import type { MmdbValue } from './mmdb-data.js';
import { FileRefused, readRegularFile } from './regular-file.js';

/** The fields portpath reads from a record (the rest of the record is ignored). */
export interface MmdbRecord {
  autonomous_system_number?: number;
  autonomous_system_organization?: string;
  asn?: string;
  as_name?: string;
  name?: string;
  country?: string | { iso_code?: string };
  city?: string | { names?: { en?: string } };
  /** Added by the reader: the network the record covers. */
  prefix?: string;
}

export interface MmdbReader {
  /** The database's own name for its kind ("GeoLite2-ASN", "ipinfo asn", ...). */
  readonly databaseType: string;
  get(address: string): MmdbRecord | null;
}

/**
 * The largest database read (into memory, whole). GeoLite2-City is about 70 MB and the largest common city
 * databases a few hundred; 512 MiB leaves room for them and keeps a wrong file (a disk image, a log) from taking
 * gigabytes.
 */
export const MAX_DATABASE_BYTES = 512 * 2 ** 20;

const METADATA_MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex'); // \xAB\xCD\xEF MaxMind.com
/** The format keeps the metadata within the file's last 128 KiB. */
const METADATA_MAX_BYTES = 128 * 1024;
const DATA_SECTION_SEPARATOR = 16;

interface Database {
  nodeCount: number;
  recordSize: 24 | 28 | 32;
  ipVersion: 4 | 6;
  databaseType: string;
  tree: Buffer;
  data: Buffer;
  /** Where IPv4 addresses start in an IPv6 tree (the node reached by 96 zero bits). */
  ipv4Start: number;
}

/** Opens a database; `what` names it in the error ("the ASN database"). */
export function openMmdb(file: string, what: string): MmdbReader {
  let bytes: Buffer;
  try {
    bytes = readRegularFile(file, MAX_DATABASE_BYTES);
  } catch (error) {
    if (error instanceof FileRefused) throw new PortpathError('ERR_USAGE', `Cannot read ${what} ${file}: ${error.message}.`);
    throw error;
  }
  let db: Database;
  try {
    db = parseDatabase(bytes);
    // A truncated file may still have its metadata: lookups of well-known addresses exercise the tree and the data.
    lookup(db, '1.1.1.1');
    lookup(db, '2606:4700::1111');
  } catch (error) {
    if (!(error instanceof MmdbDataError)) throw error;
    throw new PortpathError('ERR_USAGE', `${what[0]!.toUpperCase()}${what.slice(1)} ${file} is not a readable MaxMind (.mmdb) database (${error.message}).`);
  }
  return {
    databaseType: db.databaseType,
    get(address: string): MmdbRecord | null {
      try {
        const [record, prefixLength] = lookup(db, address);
        if (!isMap(record)) return null;
        return { ...(record as MmdbRecord), prefix: `${networkAddress(address, prefixLength)}/${prefixLength}` };
      } catch {
        return null; // a damaged or oversized record: nothing known
      }
    },
  };
}

function parseDatabase(bytes: Buffer): Database {
  const tail = Math.max(0, bytes.length - METADATA_MAX_BYTES - METADATA_MARKER.length);
  const found = bytes.subarray(tail).lastIndexOf(METADATA_MARKER);
  if (found < 0) throw new MmdbDataError('no metadata at its end');
  const marker = tail + found;
  const metadata = decodeMmdbValue(bytes.subarray(marker + METADATA_MARKER.length), 0);
  if (!isMap(metadata)) throw new MmdbDataError('its metadata is not a map');
  const { node_count: nodeCount, record_size: recordSize, ip_version: ipVersion, binary_format_major_version: major } = metadata;
  if (major !== 2) throw new MmdbDataError(`format version ${String(major)}, not 2`);
  if (recordSize !== 24 && recordSize !== 28 && recordSize !== 32) throw new MmdbDataError(`records of ${String(recordSize)} bits`);
  if (ipVersion !== 4 && ipVersion !== 6) throw new MmdbDataError(`IP version ${String(ipVersion)}`);
  if (typeof nodeCount !== 'number' || !Number.isInteger(nodeCount) || nodeCount < 1) throw new MmdbDataError('no search tree');
  const treeBytes = (nodeCount * recordSize) / 4;
  if (treeBytes + DATA_SECTION_SEPARATOR > marker) throw new MmdbDataError('its search tree is larger than the file');
  const db: Database = {
    nodeCount,
    recordSize,
    ipVersion,
    databaseType: typeof metadata.database_type === 'string' ? metadata.database_type : 'unknown',
    tree: bytes.subarray(0, treeBytes),
    data: bytes.subarray(treeBytes + DATA_SECTION_SEPARATOR, marker),
    ipv4Start: 0,
  };
  if (ipVersion === 6) for (let bit = 0; bit < 96 && db.ipv4Start < nodeCount; bit++) db.ipv4Start = childOf(db, db.ipv4Start, 0);
  return db;
}

/** The record an address leads to (null: none) and the length of the network it covers. At most 128 tree steps. */
function lookup(db: Database, address: string): [MmdbValue | null, number] {
  const bytes = addressToBytes(address);
  if (bytes.length === 16 && db.ipVersion === 4) return [null, 0];
  let node = bytes.length === 4 ? db.ipv4Start : 0;
  let depth = 0;
  for (; depth < bytes.length * 8 && node < db.nodeCount; depth++) node = childOf(db, node, (bytes[depth >> 3]! >> (7 - (depth & 7))) & 1);
  if (node === db.nodeCount) return [null, depth];
  if (node < db.nodeCount) throw new MmdbDataError('its search tree is deeper than an address is long');
  const offset = node - db.nodeCount - DATA_SECTION_SEPARATOR;
  if (offset < 0) throw new MmdbDataError('a tree record points into the data section separator');
  return [decodeMmdbValue(db.data, offset), depth];
}

/** A node's left (0) or right (1) record. Nodes below nodeCount lie inside the tree, so the reads are in bounds. */
function childOf(db: Database, node: number, side: number): number {
  const at = (node * db.recordSize) / 4;
  const { tree } = db;
  if (db.recordSize === 24) return tree.readUIntBE(at + side * 3, 3);
  if (db.recordSize === 32) return tree.readUInt32BE(at + side * 4);
  // 28 bits: the middle byte holds the high nibble of each record.
  return side === 0 ? (tree[at + 3]! >> 4) * 2 ** 24 + tree.readUIntBE(at, 3) : (tree[at + 3]! & 0x0f) * 2 ** 24 + tree.readUIntBE(at + 4, 3);
}

function isMap(value: MmdbValue | null): value is { [key: string]: MmdbValue } {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !Buffer.isBuffer(value);
}
