// -z, --asn-db, --geoip: the owner lookups of a run, made before any probe is sent (a wrong file is one clear error,
// exit 2); the databases are read with the permissions of whoever ran portpath (cli/named-files.ts).
import { openMmdb } from '../trace/mmdb.js';
import { OwnerLookups } from '../trace/owners.js';
import type { CliOptions } from './args.js';

/** How long one AS lookup may take; a resolver that lets it run out is not asked again in this run. */
export const OWNER_LOOKUP_TIMEOUT_MS = 1000;

export function openOwners(cli: CliOptions): OwnerLookups | null {
  if (!cli.owners) return null;
  const { dns, servers, asnDb, geoDb } = cli.owners;
  return new OwnerLookups({
    dns,
    servers,
    timeoutMs: OWNER_LOOKUP_TIMEOUT_MS,
    ...(asnDb ? { asnDb: openMmdb(asnDb, 'the ASN database') } : {}),
    ...(geoDb ? { geoDb: openMmdb(geoDb, 'the GeoIP database') } : {}),
  });
}
