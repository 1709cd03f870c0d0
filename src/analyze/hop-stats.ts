// Per-hop statistics of a watch (many rounds of one probe per TTL), in constant memory: running sums for the counts,
// mean and standard deviation (Welford), extremes and jitter; fixed-size rings for the percentiles and the RTT
// history a live view draws. A watch that runs for days keeps exactly as much as one that ran for a minute.

/** Most recent RTTs kept for p50/p95: the percentiles describe the last PERCENTILE_WINDOW answers. */
export const PERCENTILE_WINDOW = 1024;
/** Most recent outcomes (RTT or lost) kept for the history strip. */
export const HISTORY_LENGTH = 120;
/** Distinct responders counted by address per hop; more (a per-packet balancer over a large pool) count as one "other". */
export const MAX_RESPONDERS = 16;

/** A fixed-size ring of numbers: pushing past the size overwrites the oldest. */
export class Ring {
  private readonly values: Float64Array;
  private next = 0;
  private count = 0;

  constructor(readonly size: number) {
    this.values = new Float64Array(size);
  }

  push(value: number): void {
    this.values[this.next] = value;
    this.next = (this.next + 1) % this.size;
    if (this.count < this.size) this.count++;
  }

  get length(): number {
    return this.count;
  }

  /** Oldest first. */
  toArray(): number[] {
    const out: number[] = [];
    const start = this.count < this.size ? 0 : this.next;
    for (let i = 0; i < this.count; i++) out.push(this.values[(start + i) % this.size]!);
    return out;
  }

  clear(): void {
    this.next = 0;
    this.count = 0;
  }
}

/** One probe's outcome at a hop. */
export interface HopOutcome {
  /** Who answered; null when nobody did. */
  from: string | null;
  rttMs: number | null;
}

export interface Responder {
  address: string;
  answers: number;
  /** Fraction of this hop's answers (0..1). */
  share: number;
}

export interface HopStatsSnapshot {
  ttl: number;
  sent: number;
  received: number;
  /** Percent of sent probes unanswered (0 when none were sent). */
  lossPct: number;
  lastMs: number | null;
  avgMs: number | null;
  bestMs: number | null;
  worstMs: number | null;
  /** Population standard deviation of every answered RTT. */
  stdevMs: number | null;
  /** Mean and largest absolute difference between consecutive answered RTTs (mtr's jitter). */
  jitterMeanMs: number | null;
  jitterMaxMs: number | null;
  /** Over the last PERCENTILE_WINDOW answers (nearest-rank). */
  p50Ms: number | null;
  p95Ms: number | null;
  /** Most answers first; 'other' gathers addresses past MAX_RESPONDERS. */
  responders: Responder[];
  /** The last HISTORY_LENGTH outcomes, oldest first: RTT in ms, or null for a lost probe. */
  history: (number | null)[];
}

/** Nearest-rank percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export class HopStats {
  private sent = 0;
  private received = 0;
  private last: number | null = null;
  private mean = 0;
  /** Welford's sum of squared differences from the mean. */
  private m2 = 0;
  private best = Infinity;
  private worst = -Infinity;
  private previousRtt: number | null = null;
  private jitterSum = 0;
  private jitterCount = 0;
  private jitterMax = 0;
  private readonly recent = new Ring(PERCENTILE_WINDOW);
  private readonly history = new Ring(HISTORY_LENGTH);
  private readonly responders = new Map<string, number>();

  constructor(readonly ttl: number) {}

  record(outcome: HopOutcome): void {
    this.sent++;
    if (outcome.rttMs === null || outcome.from === null) {
      this.history.push(Number.NaN);
      return;
    }
    const rtt = outcome.rttMs;
    this.received++;
    this.last = rtt;
    const delta = rtt - this.mean;
    this.mean += delta / this.received;
    this.m2 += delta * (rtt - this.mean);
    if (rtt < this.best) this.best = rtt;
    if (rtt > this.worst) this.worst = rtt;
    if (this.previousRtt !== null) {
      const jitter = Math.abs(rtt - this.previousRtt);
      this.jitterSum += jitter;
      this.jitterCount++;
      if (jitter > this.jitterMax) this.jitterMax = jitter;
    }
    this.previousRtt = rtt;
    this.recent.push(rtt);
    this.history.push(rtt);
    const key = this.responders.has(outcome.from) || this.responders.size < MAX_RESPONDERS ? outcome.from : 'other';
    this.responders.set(key, (this.responders.get(key) ?? 0) + 1);
  }

  /** Whether `address` is one of the responders counted by name (the rest are 'other'): what a watch looks up. */
  keeps(address: string): boolean {
    return this.responders.has(address);
  }

  snapshot(): HopStatsSnapshot {
    const answered = this.received > 0;
    const sorted = this.recent.toArray().sort((a, b) => a - b);
    return {
      ttl: this.ttl,
      sent: this.sent,
      received: this.received,
      lossPct: this.sent === 0 ? 0 : ((this.sent - this.received) / this.sent) * 100,
      lastMs: this.last,
      avgMs: answered ? this.mean : null,
      bestMs: answered ? this.best : null,
      worstMs: answered ? this.worst : null,
      stdevMs: answered ? Math.sqrt(this.m2 / this.received) : null,
      jitterMeanMs: this.jitterCount > 0 ? this.jitterSum / this.jitterCount : null,
      jitterMaxMs: this.jitterCount > 0 ? this.jitterMax : null,
      p50Ms: percentile(sorted, 50),
      p95Ms: percentile(sorted, 95),
      responders: [...this.responders]
        .map(([address, answers]) => ({ address, answers, share: answers / this.received }))
        .sort((a, b) => b.answers - a.answers),
      history: this.history.toArray().map((v) => (Number.isNaN(v) ? null : v)),
    };
  }
}
