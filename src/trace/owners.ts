// Who owns each hop: the origin AS, its name and the announced prefix, from Team Cymru's DNS service (TXT records
// under origin.asn.cymru.com / origin6.asn.cymru.com, names under asn.cymru.com) through the system resolver or a
// chosen one, and/or from MaxMind-format databases the user points at (ASN and GeoIP). Special-purpose addresses are
// named without a lookup. Lookups start as addresses appear, run beside the trace, are cached per announced prefix
// and per AS, and are bounded: each query waits at most `timeoutMs`, and the first query that times out marks the
// resolver dead, so a dead resolver costs one wait for the whole run, not one per hop.
// Every answer is someone else's text: strings are cleaned where they enter here (cleanText), an answer counts only
// for the address it was asked about (see answerScope), and the caches and notes are bounded.
import { Resolver } from 'node:dns/promises';
import { addressFamily, canonicalAddress, inPrefix, networkAddress } from '../packet/address.js';
import { specialRange } from '../packet/special-ranges.js';
import type { SpecialRange } from '../packet/special-ranges.js';
import { cleanText, cleanTextOrNull, TEXT_CAPS } from '../packet/untrusted-text.js';
import { BoundedNotes } from './bounded-notes.js';
import { LruMap } from './lru-map.js';
import type { MmdbReader } from './mmdb.js';
import { PrefixCache } from './prefix-cache.js';

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
  return { asns, prefix: `${canonicalAddress(match[1]!)}/${match[2]}`, country, registry: cleanTextOrNull(fields[3] ?? '', TEXT_CAPS.registry) };
}

/** "23028 | US | arin | 2002-01-04 | TEAM-CYMRU - Team Cymru Inc., US": the AS name is the last field. */
export function parseAsName(text: string, asn: number): string | null {
  const fields = unquote(text).split('|').map((f) => f.trim());
  if (fields.length < 5 || Number(fields[0]) !== asn) return null;
  return cleanTextOrNull(fields.slice(4).join('|'), TEXT_CAPS.asName);
}

/**
 * Where an origin answer for `address` may be reused. Team Cymru answers with the most specific announced prefix
 * that contains the address asked about; that says nothing about another address of the same prefix, which may sit
 * in a more specific prefix announced by someone else (a /8 answered for A, a /24 inside it for B). Prefixes
 * longer than /24 (IPv4) and /48 (IPv6) are filtered by most of the Internet and so are not in the table; every
 * announced prefix of those lengths or shorter contains all of an aligned /24 (/48) or none of it. So an answer
 * holds for the whole announced prefix when it is that specific, and otherwise only for the /24 (/48) around the
 * address asked about: a 0.0.0.0/0 answer labels that /24 at most, never the rest of the path.
 */
export function answerScope(address: string, announced: string): string {
  const length = Number(announced.split('/')[1]);
  const finest = addressFamily(address) === 4 ? 24 : 48;
  return length >= finest ? announced : `${networkAddress(address, finest)}/${finest}`;
}

/** A resolver that answers TXT queries (node:dns's Resolver; a fake in the tests). */
export interface TxtResolver {
  resolveTxt(name: string): Promise<string[][]>;
  cancel(): void;
}

/**
 * What the caches hold at most. A trace meets a few dozen addresses; a watch keeps at most 16 responders per hop.
 * Thousands leave room for long runs and diagnoses while bounding a router that answers from a fresh address each time.
 */
const MAX_ADDRESSES = 4096;
const MAX_PREFIXES = 4096;
const MAX_AS_NAMES = 1024;
/** Distinct notes kept: more would bury the verdict on stderr. */
const MAX_NOTES = 20;

/** The DNS name Team Cymru answers for an address: reversed octets, or reversed nibbles for IPv6. */
export function originQuery(address: string): string {
  if (addressFamily(address) === 4) return `${address.split('.').reverse().join('.')}.origin.asn.cymru.com`;
  const groups = canonicalAddress(address).split('::');
  const left = groups[0] ? groups[0].split(':') : [];
  const right = groups.length > 1 && groups[1] ? groups[1].split(':') : [];
  const full = [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right].map((g) => g.padStart(4, '0')).join('');
  return `${[...full].reverse().join('.')}.origin6.asn.cymru.com`;
}

/** What an origin answer says about its prefix, cached for the scope it holds for (answerScope). */
interface OriginAnswer {
  asn: number;
  prefix: string;
  country: string | null;
  registry: string | null;
  asName: string | null;
}

/** One address's lookup, and its result once done. */
interface AddressEntry {
  pending: Promise<OwnerInfo>;
  info?: OwnerInfo;
}

const isAsn = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= 0xffffffff;

export class OwnerLookups {
  private readonly resolver: TxtResolver;
  private readonly addresses = new LruMap<string, AddressEntry>(MAX_ADDRESSES);
  private readonly origins = new PrefixCache<OriginAnswer>(MAX_PREFIXES);
  private readonly asNames = new LruMap<number, Promise<string | null>>(MAX_AS_NAMES);
  private readonly noteList = new BoundedNotes(MAX_NOTES, (count) => `ASN lookups: ${count} more notes like these were left out`);
  private resolverDead = false;

  /** `resolver` replaces the DNS resolver (tests); `options.servers` then does not apply. */
  constructor(
    private readonly options: OwnerOptions,
    resolver?: TxtResolver,
  ) {
    if (resolver) {
      this.resolver = resolver;
      return;
    }
    // c-ares waits about twice its timeout before giving up on a silent server (measured: 1000 ms → 1.98 s), so
    // it is given half of ours.
    const system = new Resolver({ timeout: Math.max(50, Math.round(options.timeoutMs / 2)), tries: 1 });
    if (options.servers && options.servers.length > 0) system.setServers(options.servers);
    this.resolver = system;
  }

  /** Notes on the lookups (answers ignored, a dead resolver): each once, at most MAX_NOTES and a count of the rest. */
  get notes(): string[] {
    return this.noteList.list();
  }

  /** Starts the lookups for an address (once while it is cached); resolves when they are done or have failed. */
  lookup(address: string): Promise<OwnerInfo> {
    const cached = this.addresses.get(address);
    if (cached) return cached.pending;
    const entry: AddressEntry = { pending: this.resolve(address).then((info) => (entry.info = info)) };
    this.addresses.set(address, entry);
    return entry.pending;
  }

  /** What is known now (null while a lookup is still running, or after it left the cache). */
  infoOf = (address: string): OwnerInfo | null => this.addresses.peek(address)?.info ?? null;

  /** Waits for the lookups started so far, at most `timeoutMs` more (a dead resolver's queries end by then anyway). */
  async settle(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<void>((resolve) => (timer = setTimeout(resolve, this.options.timeoutMs + 100)));
    await Promise.race([Promise.all([...this.addresses.values()].map((e) => e.pending)), deadline]);
    clearTimeout(timer);
  }

  /** Everything known, by address, for the JSON. */
  all(): Record<string, OwnerInfo> {
    return Object.fromEntries([...this.addresses.entriesOldestFirst()].flatMap(([address, e]) => (e.info ? [[address, e.info]] : [])));
  }

  /** How much the caches hold now (tests and the benchmark check they stay bounded). */
  cacheSizes(): { addresses: number; prefixes: number; asNames: number } {
    return { addresses: this.addresses.size, prefixes: this.origins.size, asNames: this.asNames.size };
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
    const asn = isAsn(record.autonomous_system_number) ? record.autonomous_system_number : typeof record.asn === 'string' && /^AS\d{1,10}$/i.test(record.asn) && isAsn(Number(record.asn.slice(2))) ? Number(record.asn.slice(2)) : null;
    const name = [record.autonomous_system_organization, record.as_name, record.name].find((v): v is string => typeof v === 'string');
    const asName = name === undefined ? null : cleanTextOrNull(name, TEXT_CAPS.asName);
    if (asn === null && asName === null) return;
    owner.asn = asn;
    owner.asName = asName;
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
    if (typeof city === 'string') owner.city = cleanTextOrNull(city, TEXT_CAPS.city);
    if (owner.country !== null || owner.city !== null) owner.source.push('geoip');
  }

  private async fromDns(address: string): Promise<OriginAnswer | null | 'failed'> {
    const cached = this.origins.get(address);
    if (cached) return cached.value;
    if (this.resolverDead) return 'failed';
    const records = await this.txt(originQuery(address));
    if (records === 'failed') return 'failed';
    if (records.length === 0) return null;
    const origins: NonNullable<ReturnType<typeof parseOrigin>>[] = [];
    for (const text of records) {
      const origin = parseOrigin(text);
      if (!origin) this.noteList.add(`ASN lookup for ${address}: an unreadable answer was ignored ("${cleanText(text, TEXT_CAPS.quote)}")`);
      // An answer about a network the address is not in would label the wrong hops (or, for 0.0.0.0/0, all of them).
      else if (!inPrefix(address, origin.prefix)) this.noteList.add(`ASN lookup for ${address}: an answer for another network (${origin.prefix}) was ignored`);
      else origins.push(origin);
    }
    // Several records (or several ASNs in one): a prefix announced by more than one AS. The most specific prefix
    // wins; the first AS of it is the one shown.
    const best = origins.sort((a, b) => Number(b.prefix.split('/')[1]) - Number(a.prefix.split('/')[1]))[0];
    if (!best) return 'failed';
    const asn = best.asns[0]!;
    const answer: OriginAnswer = { asn, prefix: best.prefix, country: best.country, registry: best.registry, asName: await this.asName(asn) };
    this.origins.set(answerScope(address, best.prefix), answer);
    return answer;
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
        this.noteList.add(`ASN lookups: the resolver did not answer (${code}); the remaining lookups were skipped`);
      }
      return 'failed';
    }
  }
}
