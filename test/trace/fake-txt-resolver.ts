// A TXT resolver for OwnerLookups in unit tests: answers from a table (or a function of the name), counts the
// queries, and answers ENOTFOUND for names it does not know, as a real resolver would.
import type { TxtResolver } from '../../src/trace/owners.js';

export class FakeTxtResolver implements TxtResolver {
  /** The names asked about, in order (unless `keepNames` is false: a memory test must not measure this list). */
  readonly asked: string[] = [];
  queries = 0;

  constructor(
    private readonly answer: (name: string) => string[] | undefined,
    private readonly keepNames = true,
  ) {}

  static of(records: Record<string, string | string[]>): FakeTxtResolver {
    return new FakeTxtResolver((name) => {
      const found = records[name];
      return found === undefined ? undefined : Array.isArray(found) ? found : [found];
    });
  }

  resolveTxt(name: string): Promise<string[][]> {
    this.queries++;
    if (this.keepNames) this.asked.push(name);
    const records = this.answer(name);
    if (records === undefined) return Promise.reject(Object.assign(new Error(`queryTxt ENOTFOUND ${name}`), { code: 'ENOTFOUND' }));
    // A TXT record arrives as chunks of at most 255 bytes; the lookups join them.
    return Promise.resolve(records.map((r) => r.match(/[^]{1,255}/gu) ?? ['']));
  }

  cancel(): void {}
}

/** Team Cymru's query name for an IPv4 address (what originQuery builds). */
export const originName = (address: string) => `${address.split('.').reverse().join('.')}.origin.asn.cymru.com`;
