// A minimal MaxMind DB writer for the tests, from the format's specification (MaxMind DB File Format 2.0): an IPv6
// search tree with 24-bit records (IPv4 networks under ::/96), a data section of maps, strings and unsigned ints,
// and the metadata section. Enough to build GeoLite2- and IPinfo-shaped databases for the lab's addresses.
import { addressToBytes, addressFamily } from '../../src/packet/address.js';

type Value = string | number | { [key: string]: Value } | Value[];

function control(type: number, size: number): Buffer {
  const extended = type > 7;
  const head = (extended ? 0 : type) << 5;
  const sizeBytes: number[] = [];
  let first: number;
  if (size < 29) first = head | size;
  else if (size < 285) {
    first = head | 29;
    sizeBytes.push(size - 29);
  } else {
    first = head | 30;
    sizeBytes.push(((size - 285) >> 8) & 0xff, (size - 285) & 0xff);
  }
  return Buffer.from([first, ...(extended ? [type - 7] : []), ...sizeBytes]);
}

function uint(value: number, type: number): Buffer {
  const bytes: number[] = [];
  for (let v = value; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.concat([control(type, bytes.length), Buffer.from(bytes)]);
}

export function encodeValue(value: Value): Buffer {
  if (typeof value === 'string') {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([control(2, bytes.length), bytes]);
  }
  if (typeof value === 'number') return uint(value, 6); // uint32
  if (Array.isArray(value)) return Buffer.concat([control(11, value.length), ...value.map(encodeValue)]);
  const entries = Object.entries(value);
  return Buffer.concat([control(7, entries.length), ...entries.flatMap(([k, v]) => [encodeValue(k), encodeValue(v)])]);
}

type Child = { node: number } | { data: number } | null;

/** Builds a database holding `records` for their networks ("198.18.1.0/24", "2001:db8::/32"). */
export function writeMmdb(databaseType: string, records: [string, Record<string, Value>][], recordSize: 24 | 28 | 32 = 24): Buffer {
  const data: Buffer[] = [];
  const networks: [string, number][] = [];
  let dataLength = 0;
  for (const [network, record] of records) {
    const encoded = encodeValue(record);
    networks.push([network, dataLength]);
    data.push(encoded);
    dataLength += encoded.length;
  }
  return assembleMmdb(databaseType, networks, Buffer.concat(data), recordSize);
}

/** A pointer to `offset` in its section (the 11-bit form up to 2047, else 4 bytes). */
export function encodePointer(offset: number): Buffer {
  if (offset < 2048) return Buffer.from([0x20 | (offset >> 8), offset & 0xff]);
  const bytes = Buffer.alloc(5);
  bytes[0] = 0x38;
  bytes.writeUInt32BE(offset, 1);
  return bytes;
}

/** A database whose networks lead to the values at the given offsets of `data`, a data section built by hand. */
export function assembleMmdb(databaseType: string, networks: [string, number][], data: Buffer, recordSize: 24 | 28 | 32 = 24): Buffer {
  const nodes: [Child, Child][] = [[null, null]];
  for (const [network, offset] of networks) {
    const [address, lengthText] = network.split('/');
    const v4 = addressFamily(address!) === 4;
    const bytes = Buffer.concat([v4 ? Buffer.alloc(12) : Buffer.alloc(0), addressToBytes(address!)]);
    const length = Number(lengthText) + (v4 ? 96 : 0);
    let node = 0;
    for (let bit = 0; bit < length; bit++) {
      const side = (bytes[bit >> 3]! >> (7 - (bit & 7))) & 1;
      if (bit === length - 1) {
        nodes[node]![side] = { data: offset };
        break;
      }
      const child = nodes[node]![side];
      if (child && 'node' in child) node = child.node;
      else {
        nodes.push([null, null]);
        nodes[node]![side] = { node: nodes.length - 1 };
        node = nodes.length - 1;
      }
    }
  }
  const count = nodes.length;
  const recordValue = (child: Child) => (child === null ? count : 'node' in child ? child.node : count + 16 + child.data);
  const nodeBytes = recordSize / 4;
  const tree = Buffer.alloc(count * nodeBytes);
  nodes.forEach(([leftChild, rightChild], i) => {
    const [left, right, at] = [recordValue(leftChild), recordValue(rightChild), i * nodeBytes];
    if (recordSize === 32) {
      tree.writeUInt32BE(left, at);
      tree.writeUInt32BE(right, at + 4);
    } else if (recordSize === 28) {
      // The middle byte holds each record's high nibble, the left one's first.
      tree.writeUIntBE(left & 0xffffff, at, 3);
      tree[at + 3] = ((left >>> 24) << 4) | (right >>> 24);
      tree.writeUIntBE(right & 0xffffff, at + 4, 3);
    } else {
      tree.writeUIntBE(left, at, 3);
      tree.writeUIntBE(right, at + 3, 3);
    }
  });
  const metadata = Buffer.concat([
    control(7, 9),
    encodeValue('node_count'), uint(count, 6),
    encodeValue('record_size'), uint(recordSize, 5),
    encodeValue('ip_version'), uint(6, 5),
    encodeValue('database_type'), encodeValue(databaseType),
    encodeValue('languages'), encodeValue(['en']),
    encodeValue('binary_format_major_version'), uint(2, 5),
    encodeValue('binary_format_minor_version'), uint(0, 5),
    encodeValue('build_epoch'), uint(1_764_374_400, 9),
    encodeValue('description'), encodeValue({ en: 'portpath test database' }),
  ]);
  return Buffer.concat([tree, Buffer.alloc(16), data, MMDB_METADATA_MARKER, metadata]);
}

export const MMDB_METADATA_MARKER = Buffer.concat([Buffer.from([0xab, 0xcd, 0xef]), Buffer.from('MaxMind.com')]);

/** A GeoLite2-ASN-shaped database's records for the lab's first two links. */
export const GEOLITE_ASN: [string, Record<string, string | number>][] = [
  ['198.18.1.0/24', { autonomous_system_number: 64500, autonomous_system_organization: 'LAB-EDGE' }],
  ['198.18.2.0/24', { autonomous_system_number: 64501, autonomous_system_organization: 'LAB-CORE' }],
  ['2001:db8:2::/48', { autonomous_system_number: 64501, autonomous_system_organization: 'LAB-CORE' }],
];
