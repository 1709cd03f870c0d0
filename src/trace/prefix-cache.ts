// Values kept per IP prefix, found by longest match: an address gets the value of the most specific cached prefix
// that contains it, so a broad entry never hides a narrower one. Bounded (least recently used first out).
import { addressFamily, networkAddress } from '../packet/address.js';
import { LruMap } from './lru-map.js';

export class PrefixCache<V> {
  private readonly entries: LruMap<string, V>;
  /** Prefix lengths ever stored, per family: a lookup tries only these (a length left after eviction costs one miss). */
  private readonly lengths = { 4: new Set<number>(), 6: new Set<number>() };

  constructor(capacity: number) {
    this.entries = new LruMap(capacity);
  }

  /** Stores `value` for `prefix` ("198.18.0.0/15"; host bits are cleared). Not a prefix: ignored. */
  set(prefix: string, value: V): void {
    const [base, lengthText] = prefix.split('/');
    const family = addressFamily(base ?? '');
    const length = Number(lengthText);
    if (family === null || !/^\d{1,3}$/.test(lengthText ?? '') || length > (family === 4 ? 32 : 128)) return;
    this.lengths[family].add(length);
    this.entries.set(`${networkAddress(base!, length)}/${length}`, value);
  }

  /** The longest cached prefix that contains `address`, with its value. */
  get(address: string): { prefix: string; value: V } | undefined {
    const family = addressFamily(address);
    if (family === null) return undefined;
    for (const length of [...this.lengths[family]].sort((a, b) => b - a)) {
      const prefix = `${networkAddress(address, length)}/${length}`;
      const value = this.entries.get(prefix);
      if (value !== undefined) return { prefix, value };
    }
    return undefined;
  }

  get size(): number {
    return this.entries.size;
  }
}
