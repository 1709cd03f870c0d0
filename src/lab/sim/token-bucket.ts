// Linux's ICMP rate limit (net/ipv4/icmp.c, inet_peer_xrlim_allow): per peer, a bucket of time. It refills with the
// time that passed, holds at most `burst` intervals' worth, and each error spends one interval: a burst of 6, then
// one error a second (the defaults). A fresh peer starts full (the kernel backdates its last refill by a minute).
// Times are passed in, never read from a clock: the engine gives the real time, unit tests a made-up one.
import type { RateLimit } from './model.js';

export class TokenBuckets {
  private readonly tokens: Float64Array;
  private readonly last: Float64Array;
  private readonly used: Uint8Array;

  /** `count` independent buckets (the engine keeps one per node and family). */
  constructor(count: number) {
    this.tokens = new Float64Array(count);
    this.last = new Float64Array(count);
    this.used = new Uint8Array(count);
  }

  /** May bucket `index` send an error at `now` (ms) under `limit`? Spends a token when it may. */
  allow(index: number, limit: RateLimit | null, now: number): boolean {
    if (limit === null) return true;
    const cap = limit.burst * limit.intervalMs;
    let tokens = cap;
    if (this.used[index] === 1) tokens = Math.min(cap, this.tokens[index]! + Math.max(0, now - this.last[index]!));
    this.used[index] = 1;
    this.last[index] = now;
    const allowed = tokens >= limit.intervalMs;
    this.tokens[index] = allowed ? tokens - limit.intervalMs : tokens;
    return allowed;
  }
}
