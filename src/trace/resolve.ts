// Host name → one address of the wanted family, with errors a user understands.
import { lookup } from 'node:dns/promises';
import { addressFamily, canonicalAddress } from '../packet/address.js';
import type { Family } from '../probe/method.js';
import { PortpathError } from '../transport/errors.js';

export interface ResolvedTarget {
  address: string;
  family: Family;
}

export async function resolveHost(host: string, family: Family | null): Promise<ResolvedTarget> {
  // The library's callers may be plain JavaScript: a number or undefined here is their mistake, said as one.
  if (typeof host !== 'string' || host === '') throw new PortpathError('ERR_USAGE', `The target must be a host name or an address; got ${host === '' ? 'an empty string' : typeof host}.`);
  const literal = addressFamily(host);
  if (literal !== null) return { address: canonicalAddress(host), family: literal };
  try {
    const results = await lookup(host, { all: true, family: family ?? 0, verbatim: true });
    const first = results.find((r) => r.family === 4 || r.family === 6);
    if (first) return { address: canonicalAddress(first.address), family: first.family as Family };
  } catch {
    // fall through to the one sentence below
  }
  const which = family ? ` has no IPv${family} address or` : '';
  throw new PortpathError('ERR_UNKNOWN_HOST', `Cannot resolve '${host}': the name${which} is not known.`);
}
