// Reverse DNS for hop addresses, started as soon as an address is seen so names are ready when its line prints.
import { Resolver } from 'node:dns/promises';
import type { HopResult } from '../engine/types.js';

export class ReverseNames {
  private readonly resolver = new Resolver({ timeout: 1000, tries: 1 });
  private readonly pending = new Map<string, Promise<string | null>>();
  readonly names = new Map<string, string | null>();

  constructor(private readonly enabled: boolean) {}

  lookup(address: string): Promise<string | null> {
    if (!this.enabled) return Promise.resolve(null);
    let pending = this.pending.get(address);
    if (!pending) {
      pending = this.resolver.reverse(address).then(
        (names) => names[0] ?? null,
        () => null,
      );
      pending.then((name) => this.names.set(address, name));
      this.pending.set(address, pending);
    }
    return pending;
  }

  /** Looks up every responder of these hops; resolves when all are known (or have failed). */
  async lookupHops(hops: readonly HopResult[]): Promise<void> {
    await Promise.all(hops.flatMap((hop) => hop.probes.flatMap((p) => (p.from ? [this.lookup(p.from)] : []))));
  }

  nameOf = (address: string): string | null => this.names.get(address) ?? null;

  /** Stops queries still in flight (the trace is over and nobody will print them). */
  cancel(): void {
    this.resolver.cancel();
  }
}
