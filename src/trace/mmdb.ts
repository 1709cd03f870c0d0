// MaxMind-format databases (.mmdb: GeoLite2, IPinfo and others) read with mmdb-lib, the reader MaxMind's own Node
// package is built on. A file that is not a readable database is one clear error when it is opened, before any
// probe is sent; afterwards a lookup never throws.
import { readFileSync } from 'node:fs';
import { Reader } from 'mmdb-lib';
import { networkAddress } from '../packet/address.js';
import { PortpathError } from '../transport/errors.js';

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

/** Opens a database; `what` names it in the error ("the ASN database"). */
export function openMmdb(file: string, what: string): MmdbReader {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new PortpathError('ERR_USAGE', `Cannot read ${what} ${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}.`);
  }
  let reader: Reader<Record<string, unknown>>;
  try {
    reader = new Reader<Record<string, unknown>>(bytes);
    // A truncated file may still parse its metadata: a lookup of a well-known address exercises the tree and data.
    reader.get('1.1.1.1');
    reader.get('2606:4700::1111');
  } catch (error) {
    throw new PortpathError('ERR_USAGE', `${what[0]!.toUpperCase()}${what.slice(1)} ${file} is not a readable MaxMind (.mmdb) database (${(error as Error).message}).`);
  }
  return {
    databaseType: String(reader.metadata.databaseType ?? 'unknown'),
    get(address: string): MmdbRecord | null {
      try {
        const [record, prefixLength] = reader.getWithPrefixLength(address);
        if (!record || typeof record !== 'object') return null;
        return { ...(record as MmdbRecord), prefix: `${networkAddress(address, prefixLength)}/${prefixLength}` };
      } catch {
        return null; // an IPv6 address in an IPv4-only database, or a damaged record: nothing known
      }
    },
  };
}
