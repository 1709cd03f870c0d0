// A model of the routers' ICMP budgets, to time follow-up probes so they are answered rather than eaten by the
// rate limit: Linux lets a router send a burst of 6 errors to one source, then one a second (icmp_ratelimit),
// and many hardware routers allow less. Keyed by TTL (the router a probe of one flow expires at), or by the router's
// address where many traces share it (a batch's).
export const LINUX_ICMP_BURST = 6;
export const LINUX_ICMP_REFILL_MS = 1000;
/** A little over the refill, so one token is surely back. */
const MARGIN_MS = 100;

export class IcmpBudget<K = number> {
  private readonly buckets = new Map<K, { tokens: number; atMs: number }>();

  constructor(
    private readonly burst = LINUX_ICMP_BURST,
    private readonly refillMs = LINUX_ICMP_REFILL_MS,
  ) {}

  /** What the router at `ttl` is believed to have left at `atMs` (unknown TTLs start full). */
  set(ttl: K, tokens: number, atMs: number): void {
    this.buckets.set(ttl, { tokens: Math.max(0, Math.min(this.burst, tokens)), atMs });
  }

  private tokensAt(ttl: K, atMs: number): number {
    const bucket = this.buckets.get(ttl);
    if (!bucket) return this.burst;
    return Math.min(this.burst, bucket.tokens + Math.max(0, atMs - bucket.atMs) / this.refillMs);
  }

  /** Drops the buckets that are full again by `atMs` (a full bucket is what an unknown key starts with). */
  forgetFull(atMs: number): void {
    for (const key of [...this.buckets.keys()]) if (this.tokensAt(key, atMs) >= this.burst) this.buckets.delete(key);
  }

  /**
   * The earliest time from `fromMs` on that a probe to `ttl` can expect an answer (nothing spent). Never before the
   * last token taken: a token taken for later is spent from then on, so probes asking at one moment queue up one
   * refill apart instead of all being promised the same next token.
   */
  readyAt(ttl: K, fromMs: number): number {
    const start = Math.max(fromMs, this.buckets.get(ttl)?.atMs ?? fromMs);
    const tokens = this.tokensAt(ttl, start);
    return tokens >= 1 ? start : start + (1 - tokens) * this.refillMs + MARGIN_MS;
  }

  /** Gives back a token taken for a probe the router at `ttl` most likely never saw (it met another, silent, one). */
  refund(ttl: K): void {
    const bucket = this.buckets.get(ttl);
    if (bucket) bucket.tokens = Math.min(this.burst, bucket.tokens + 1);
  }

  /** The earliest time from `fromMs` on that a probe to `ttl` can expect an answer; spends that token. */
  take(ttl: K, fromMs: number): number {
    const at = this.readyAt(ttl, fromMs);
    this.set(ttl, this.tokensAt(ttl, at) - 1, at);
    return at;
  }
}
