// What the loss of a watch is: the column mtr does not have. A router's own answers (ICMP time exceeded) are made by
// its CPU and rate-limited (Linux: a burst of 6, then 1/s per source); the probes it forwards are not. So loss at a
// hop that a later hop does not show is that router's ICMP (a rate limit or a busy CPU), not lost traffic; loss
// that persists to the end of the path is forwarded loss, and it starts at the first hop from which every later hop
// shows it. Every comparison uses 95% Wilson intervals on the counts, so small samples say "not sure" rather than
// a cause.

/** z for a two-sided 95% interval. */
const Z95 = 1.959964;

/** The 95% Wilson score interval for `lost` out of `sent`, as fractions (0..1). */
export function wilson(lost: number, sent: number): { low: number; high: number } {
  if (sent === 0) return { low: 0, high: 1 };
  const p = lost / sent;
  const z2 = Z95 * Z95;
  const centre = p + z2 / (2 * sent);
  const margin = Z95 * Math.sqrt((p * (1 - p)) / sent + z2 / (4 * sent * sent));
  const denominator = 1 + z2 / sent;
  // Exact at the ends: none lost is a lower bound of 0, all lost an upper bound of 1 (not a rounding error away).
  return { low: lost === 0 ? 0 : Math.max(0, (centre - margin) / denominator), high: lost === sent ? 1 : Math.min(1, (centre + margin) / denominator) };
}

export interface HopCounts {
  ttl: number;
  sent: number;
  received: number;
}

/**
 * none: no loss worth a word; forwarded: the hop's loss is the path's loss from some hop on; icmp-limit: the hop
 * loses more than a later hop, so the difference is its own ICMP; unsure: too few samples to tell.
 */
export type LossLabel = 'none' | 'forwarded' | 'icmp-limit' | 'unsure';

export interface HopLoss {
  ttl: number;
  label: LossLabel;
  /** Percent lost and its 95% interval. */
  lossPct: number;
  lowPct: number;
  highPct: number;
  /** For icmp-limit: the later hop whose answers show the traffic went through. */
  comparedWith?: number;
}

export interface ForwardedLoss {
  /** The first hop from which every later hop shows the loss. */
  fromTtl: number;
  /**
   * The last hop before it known to be clean (null: none, the loss may start at the first link): the loss begins
   * between the two — on the link into fromTtl when afterTtl is fromTtl - 1.
   */
  afterTtl: number | null;
  /** Measured at the last hop of the path (the destination when it answers). */
  atTtl: number;
  lossPct: number;
  lowPct: number;
  highPct: number;
  sent: number;
  received: number;
}

export interface LossReading {
  hops: HopLoss[];
  /** Null when the end of the path shows no loss at 95% confidence. */
  forwarded: ForwardedLoss | null;
}

const pct = (fraction: number) => fraction * 100;

/**
 * Labels the loss of each hop. `hops` in TTL order; the last entry is the end of the path (the destination when it
 * answered). Hops nobody answered are best left out: they say nothing about loss.
 *
 * `endReference`: when the end of the path answers with ICMP errors (a rejected port), its answers are rate-limited
 * like every router's, and loss persisting to it proves nothing; the end is then measured by probes nobody
 * rate-limits (the control's echo requests), given here. With no such samples, no loss is called forwarded.
 */
export function readLoss(hops: readonly HopCounts[], endReference?: HopCounts): LossReading {
  if (endReference && endReference.sent > 0) {
    const reading = readLoss([...hops, endReference]);
    return { hops: reading.hops.slice(0, -1), forwarded: reading.forwarded };
  }
  if (endReference) {
    const reading = readLoss(hops);
    return { hops: reading.hops.map((h) => (h.label === 'forwarded' ? { ...h, label: 'unsure' } : h)), forwarded: null };
  }
  const answering = hops.filter((h) => h.sent > 0);
  const interval = (h: HopCounts) => wilson(h.sent - h.received, h.sent);
  const lossOf = (h: HopCounts) => (h.sent - h.received) / h.sent;
  // For each position, the later hop (itself included) with the least loss: what persists from here on.
  const leastFrom: HopCounts[] = [];
  for (let i = answering.length - 1; i >= 0; i--) {
    const here = answering[i]!;
    const after = leastFrom[i + 1];
    leastFrom[i] = after && lossOf(after) < lossOf(here) ? after : here;
  }
  const labelled: HopLoss[] = answering.map((hop, i) => {
    const own = interval(hop);
    const base = { ttl: hop.ttl, lossPct: pct(lossOf(hop)), lowPct: pct(own.low), highPct: pct(own.high) };
    if (hop.received === hop.sent) return { ...base, label: 'none' };
    const later = leastFrom[i + 1];
    // More loss here than a later hop shows, beyond both intervals: the traffic got through, this router's answers did not.
    if (later && own.low > interval(later).high) return { ...base, label: 'icmp-limit', comparedWith: later.ttl };
    const persistent = interval(leastFrom[i]!);
    if (persistent.low > 0) return { ...base, label: 'forwarded' };
    return { ...base, label: own.low > 0 && !later ? 'forwarded' : 'unsure' };
  });
  const end = answering.at(-1);
  if (!end) return { hops: labelled, forwarded: null };
  const endInterval = interval(end);
  if (endInterval.low === 0) return { hops: labelled, forwarded: null };
  // Forwarded loss starts at the first step up: the first hop whose persisting loss is above the persisting loss
  // before it beyond both intervals. Hops whose loss is their own ICMP limit say nothing about it either way, so
  // the step is looked for among the others, and the start is given as the hop after the last one known clean:
  // with an ICMP-limited hop in between, the loss may begin on either side of it.
  let from = end;
  let after: HopCounts | null = null;
  let lastClean: HopCounts | null = null;
  const limited = new Set(labelled.filter((h) => h.label === 'icmp-limit').map((h) => h.ttl));
  for (let i = 0; i < answering.length; i++) {
    if (limited.has(answering[i]!.ttl)) continue;
    const before = lastClean ? interval(leastFrom[answering.indexOf(lastClean)]!).high : 0;
    if (interval(leastFrom[i]!).low > before) {
      from = answering[i]!;
      after = lastClean;
      break;
    }
    lastClean = answering[i]!;
  }
  return {
    hops: labelled,
    forwarded: { fromTtl: from.ttl, afterTtl: after?.ttl ?? null, atTtl: end.ttl, lossPct: pct(lossOf(end)), lowPct: pct(endInterval.low), highPct: pct(endInterval.high), sent: end.sent, received: end.received },
  };
}
