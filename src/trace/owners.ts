// Who owns each hop: the origin AS, its name and the announced prefix, from Team Cymru's DNS service (TXT records
// under origin.asn.cymru.com / origin6.asn.cymru.com, names under asn.cymru.com) through the system resolver or a
// chosen one, and/or from MaxMind-format databases the user points at (ASN and GeoIP). Special-purpose addresses are
// named without a lookup. Lookups start as addresses appear, run beside the trace, are cached per announced prefix
// and per AS, and are bounded: each query waits at most `timeoutMs`, and the first query that times out marks the
// resolver dead, so a dead resolver costs one wait for the whole run, not one per hop.
import { Resolver } from 'node:dns/promises';
import { addressFamily, canonicalAddress, inPrefix } from '../packet/address.js';
import { specialRange } from '../packet/special-ranges.js';
import type { SpecialRange } from '../packet/special-ranges.js';
import type { MmdbReader } from './mmdb.js';

export interface Owner {
  asn: number | null;
  asName: string | null;
  prefix: string | null;
  /** ISO 3166 country code (the registry's, or the GeoIP database's). */
  country: string | null;
  city: string | null;
  registry: string | null;
  /** Where the facts came from. */
  source: ('dns' | 'asn-db' | 'geoip')[];
}

export interface OwnerOptions {
  /** Ask Team Cymru's DNS service (default true when no database is given). */
  dns: boolean;
  /** Resolver address(es) to ask instead of the system's (--dns). */
  servers?: string[];
  timeoutMs: number;
  asnDb?: MmdbReader;
  geoDb?: MmdbReader;
}

/** What the run knows about one address: a special range, an owner, or why not. */
export interface OwnerInfo {
  special: SpecialRange | null;
  owner: Owner | null;
  /** 'ok' | 'none' (no record) | 'failed' (timeout, resolver error, unreadable answer) | 'skipped' (private range) */
  lookup: 'ok' | 'none' | 'failed' | 'skipped';
}

/** Some resolvers' zone files keep the quotes around a TXT string: the text inside them. */
function unquote(text: string): string {
  const trimmed = text.trim();
  return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"') ? trimmed.slice(1, -1) : trimmed;
}

/** "23028 | 216.90.108.0/24 | US | arin | 1998-09-25": origin ASN(s), prefix, country, registry, date. */
export function parseOrigin(text: string): { asns: number[]; prefix: string; country: string | null; registry: string | null } | null {
  const fields = unquote(text).split('|').map((f) => f.trim());
  if (fields.length < 3) return null;
  const asns = fields[0]!.split(/\s+/).map(Number);
  if (asns.length === 0 || asns.some((a) => !Number.isInteger(a) || a < 0 || a > 0xffffffff)) return null;
  const prefix = fields[1]!;
  const match = /^([0-9a-f:.]+)\/(\d{1,3})$/i.exec(prefix);
  if (!match || addressFamily(match[1]!) === null || Number(match[2]) > (addressFamily(match[1]!) === 4 ? 32 : 128)) return null;
  const country = /^[A-Z]{2}$/i.test(fields[2]!) ? fields[2]!.toUpperCase() : null;
  return { asns, prefix: `${canonicalAddress(match[1]!)}/${match[2]}`, country, registry: fields[3] || null };
}

/** "23028 | US | arin | 2002-01-04 | TEAM-CYMRU - Team Cymru Inc., US": the AS name is the last field. */
export function parseAsName(text: string, asn: number): string | null {
  const fields = unquote(text).split('|').map((f) => f.trim());
  if (fields.length < 5 || Number(fields[0]) !== asn) return null;
  const name = fields.slice(4).join('|').trim();
  return name.length > 0 && name.length <= 256 ? name : null;
}

/** The DNS name Team Cymru answers for an address: reversed octets, or reversed nibbles for IPv6. */
export function originQuery(address: string): string {
  if (addressFamily(address) === 4) return `${address.split('.').reverse().join('.')}.origin.asn.cymru.com`;
  const groups = canonicalAddress(address).split('::');
  const left = groups[0] ? groups[0].split(':') : [];
  const right = groups.length > 1 && groups[1] ? groups[1].split(':') : [];
  const full = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right].map((g) => g.padStart(4, '0')).join('');
  return `${[...full].reverse().join('.')}.origin6.asn.cymru.com`;
}

export class OwnerLookups {
  private readonly resolver: Resolver;
  private readonly results = new Map<string, Promise<OwnerInfo>>();
  private readonly known = new Map<string, OwnerInfo>();
  /** Announced prefixes already answered: an address inside one needs no query. */
  private readonly prefixes: { prefix: string; owner: Owner }[] = [];
  private readonly asNames = new Map<number, Promise<string | null>>();
  private resolverDead = false;
  readonly notes: string[] = [];

  constructor(private readonly options: OwnerOptions) {
    // c-ares waits about twice its timeout before giving up on a silent server (measured: 1000 ms → 1.98 s), so
    // it is given half of ours.
    this.resolver = new Resolver({ timeout: Math.max(50, Math.round(options.timeoutMs / 2)), tries: 1 });
    if (options.servers && options.servers.length > 0) this.resolver.setServers(options.servers);
  }

  /** Starts the lookups for an address (once); resolves when they are done or have failed. */
  lookup(address: string): Promise<OwnerInfo> {
    let pending = this.results.get(address);
    if (!pending) {
      pending = this.resolve(address).then((info) => {
        this.known.set(address, info);
        return info;
      });
      this.results.set(address, pending);
    }
    return pending;
  }

  /** What is known now (null while a lookup is still running). */
  infoOf = (address: string): OwnerInfo | null => this.known.get(address) ?? null;

  /** Waits for the lookups started so far, at most `timeoutMs` more (a dead resolver's queries end by then anyway). */
  async settle(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.timeoutMs + 100)));
    await Promise.race([Promise.all(this.results.values()), deadline]);
    clearTimeout(timer);
  }

  /** Everything known, by address, for the JSON. */
  all(): Record<string, OwnerInfo> {
    return Object.fromEntries(this.known);
  }

  cancel(): void {
    this.resolver.cancel();
  }

  private async resolve(address: string): Promise<OwnerInfo> {
    const special = specialRange(address);
    if (special && !special.lookup) return { special, owner: null, lookup: 'skipped' };
    const owner: Owner = { asn: null, asName: null, prefix: null, country: null, city: null, registry: null, source: [] };
    let failed = false;
    if (this.options.asnDb) this.fromAsnDb(address, owner);
    if (this.options.geoDb) this.fromGeoDb(address, owner);
    if (this.options.dns && owner.asn === null) {
      const answer = await this.fromDns(address);
      if (answer === 'failed') failed = true;
      else if (answer) {
        owner.asn = answer.asn;
        owner.prefix = answer.prefix;
        owner.country ??= answer.country;
        owner.registry = answer.registry;
        owner.asName = answer.asName;
        owner.source.push('dns');
      }
    }
    if (owner.source.length > 0) return { special, owner, lookup: 'ok' };
    return { special, owner: null, lookup: failed ? 'failed' : 'none' };
  }

  private fromAsnDb(address: string, owner: Owner): void {
    const record = this.options.asnDb!.get(address);
    if (!record) return;
    // GeoLite2-ASN: autonomous_system_number / _organization; IPinfo: asn ("AS123") / name or as_name.
    const asn = typeof record.autonomous_system_number === 'number' ? record.autonomous_system_number : typeof record.asn === 'string' && /^AS\d+$/i.test(record.asn) ? Number(record.asn.slice(2)) : null;
    const name = [record.autonomous_system_organization, record.as_name, record.name].find((v): v is string => typeof v === 'string') ?? null;
    if (asn === null && name === null) return;
    owner.asn = asn;
    owner.asName = name;
    owner.prefix = record.prefix ?? null;
    owner.source.push('asn-db');
  }

  private fromGeoDb(address: string, owner: Owner): void {
    const record = this.options.geoDb!.get(address);
    if (!record) return;
    // GeoLite2-Country/City: country.iso_code, city.names.en; IPinfo: country ("US"), city.
    const country = typeof record.country === 'string' ? record.country : (record.country as { iso_code?: unknown } | undefined)?.iso_code;
    const city = typeof record.city === 'string' ? record.city : (record.city as { names?: { en?: unknown } } | undefined)?.names?.en;
    if (typeof country === 'string' && /^[A-Z]{2}$/i.test(country)) owner.country = country.toUpperCase();
    if (typeof city === 'string') owner.city = city;
    if (owner.country !== null || owner.city !== null) owner.source.push('geoip');
  }

  private async fromDns(address: string): Promise<{ asn: number; prefix: string; country: string | null; registry: string | null; asName: string | null } | null | 'failed'> {
    const cached = this.prefixes.find((p) => inPrefix(address, p.prefix));
    if (cached) return { asn: cached.owner.asn!, prefix: cached.owner.prefix!, country: cached.owner.country, registry: cached.owner.registry, asName: cached.owner.asName };
    if (this.resolverDead) return 'failed';
    const records = await this.txt(originQuery(address));
    if (records === 'failed') return 'failed';
    if (records.length === 0) return null;
    // Several records (or several ASNs in one): a prefix announced by more than one AS. The most specific prefix
    // wins; the first AS of it is the one shown.
    const parsed = records.map((r) => ({ text: r, origin: parseOrigin(r) }));
    for (const bad of parsed.filter((p) => !p.origin)) this.notes.push(`ASN lookup for ${address}: an unreadable answer was ignored ("${bad.text.slice(0, 60)}")`);
    const best = parsed
      .flatMap((p) => (p.origin ? [p.origin] : []))
      .sort((a, b) => Number(b.prefix.split('/')[1]) - Number(a.prefix.split('/')[1]))[0];
    if (!best) return 'failed';
    const asn = best.asns[0]!;
    const asName = await this.asName(asn);
    const result = { asn, prefix: best.prefix, country: best.country, registry: best.registry, asName };
    this.prefixes.push({ prefix: best.prefix, owner: { ...result, city: null, source: ['dns'] } });
    return result;
  }

  private asName(asn: number): Promise<string | null> {
    let pending = this.asNames.get(asn);
    if (!pending) {
      pending = this.txt(`AS${asn}.asn.cymru.com`).then((records) => {
        if (records === 'failed') return null;
        for (const record of records) {
          const name = parseAsName(record, asn);
          if (name) return name;
        }
        return null;
      });
      this.asNames.set(asn, pending);
    }
    return pending;
  }

  /** TXT records joined from their chunks; [] for no such name; 'failed' on timeout or resolver error. */
  private async txt(name: string): Promise<string[] | 'failed'> {
    if (this.resolverDead) return 'failed';
    try {
      return (await this.resolver.resolveTxt(name)).map((chunks) => chunks.join(''));
    } catch (error) {
      const code = (error as { code?: string }).code;
      // No record, or a resolver that will not say (refused, server failure): nothing known about this address.
      if (code === 'ENOTFOUND' || code === 'ENODATA' || code === 'EREFUSED' || code === 'ESERVFAIL') return [];
      // No answer at all: the resolver is dead or unreachable, and asking again would cost another wait.
      if ((code === 'ETIMEOUT' || code === 'ECONNREFUSED') && !this.resolverDead) {
        this.resolverDead = true;
        this.notes.push(`ASN lookups: the resolver did not answer (${code}); the remaining lookups were skipped`);
      }
      return 'failed';
    }
  }
}
