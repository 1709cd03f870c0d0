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
export function writeMmdb(databaseType: string, records: [string, Record<string, Value>][]): Buffer {
  const nodes: [Child, Child][] = [[null, null]];
  const data: Buffer[] = [];
  let dataLength = 0;
  for (const [network, record] of records) {
    const [address, lengthText] = network.split('/');
    const v4 = addressFamily(address!) === 4;
    const bytes = Buffer.concat([v4 ? Buffer.alloc(12) : Buffer.alloc(0), addressToBytes(address!)]);
    const length = Number(lengthText) + (v4 ? 96 : 0);
    const encoded = encodeValue(record);
    const offset = dataLength;
    data.push(encoded);
    dataLength += encoded.length;
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
  const tree = Buffer.alloc(count * 6);
  nodes.forEach(([left, right], i) => {
    tree.writeUIntBE(recordValue(left), i * 6, 3);
    tree.writeUIntBE(recordValue(right), i * 6 + 3, 3);
  });
  const metadata = Buffer.concat([
    control(7, 9),
    encodeValue('node_count'), uint(count, 6),
    encodeValue('record_size'), uint(24, 5),
    encodeValue('ip_version'), uint(6, 5),
    encodeValue('database_type'), encodeValue(databaseType),
    encodeValue('languages'), encodeValue(['en']),
    encodeValue('binary_format_major_version'), uint(2, 5),
    encodeValue('binary_format_minor_version'), uint(0, 5),
    encodeValue('build_epoch'), uint(1_764_374_400, 9),
    encodeValue('description'), encodeValue({ en: 'portpath test database' }),
  ]);
  return Buffer.concat([tree, Buffer.alloc(16), ...data, Buffer.from([0xab, 0xcd, 0xef]), Buffer.from('MaxMind.com'), metadata]);
}

/** A GeoLite2-ASN-shaped database's records for the lab's first two links. */
export const GEOLITE_ASN: [string, Record<string, string | number>][] = [
  ['198.18.1.0/24', { autonomous_system_number: 64500, autonomous_system_organization: 'LAB-EDGE' }],
  ['198.18.2.0/24', { autonomous_system_number: 64501, autonomous_system_organization: 'LAB-CORE' }],
  ['2001:db8:2::/48', { autonomous_system_number: 64501, autonomous_system_organization: 'LAB-CORE' }],
];
