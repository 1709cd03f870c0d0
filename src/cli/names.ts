// Reverse DNS for hop addresses, started as soon as an address is seen so names are ready when its line prints.
// A PTR record is whatever the address's owner typed: names are cleaned where they enter (cleanText), and the
// cache is bounded, since a watch may meet a fresh address every round.
import { Resolver } from 'node:dns/promises';
import type { HopResult } from '../engine/types.js';
import { cleanTextOrNull, TEXT_CAPS } from '../packet/untrusted-text.js';
import { LruMap } from '../trace/lru-map.js';

/** Names remembered: far more than a trace or a watch's kept responders (16 per hop) need. */
const MAX_NAMES = 4096;

export class ReverseNames {
  private readonly resolver = new Resolver({ timeout: 1000, tries: 1 });
  private readonly known = new LruMap<string, { pending: Promise<string | null>; name?: string | null }>(MAX_NAMES);
  /** The names found so far (undefined while a lookup runs), for withNames. */
  readonly names = { get: (address: string): string | null | undefined => this.known.peek(address)?.name };

  constructor(private readonly enabled: boolean) {}

  lookup(address: string): Promise<string | null> {
    if (!this.enabled) return Promise.resolve(null);
    const cached = this.known.get(address);
    if (cached) return cached.pending;
    const entry: { pending: Promise<string | null>; name?: string | null } = {
      pending: this.resolver.reverse(address).then(
        (names) => (names[0] === undefined ? null : cleanTextOrNull(names[0], TEXT_CAPS.hostName)),
        () => null,
      ),
    };
    void entry.pending.then((name) => (entry.name = name));
    this.known.set(address, entry);
    return entry.pending;
  }

  /** Looks up every responder of these hops; resolves when all are known (or have failed). */
  async lookupHops(hops: readonly HopResult[]): Promise<void> {
    await Promise.all(hops.flatMap((hop) => hop.probes.flatMap((p) => (p.from ? [this.lookup(p.from)] : []))));
  }

  nameOf = (address: string): string | null => this.known.peek(address)?.name ?? null;

  /** Stops queries still in flight (the trace is over and nobody will print them). */
  cancel(): void {
    this.resolver.cancel();
  }
}
