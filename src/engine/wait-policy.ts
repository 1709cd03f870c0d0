// How long to wait for one probe, given what the trace has seen so far. Waiting is what makes a traceroute slow,
// so the wait shrinks as soon as RTTs are known (traceroute's -w MAX,HERE,NEAR idea, plus a trailing rule).
import type { WaitOptions } from './types.js';

/** What the trace knows about answered hops: the largest RTT seen at each TTL (ms). */
export type AnsweredRtts = ReadonlyMap<number, number>;

/**
 * Milliseconds to wait, counted from the probe's send time, for a probe at `ttl`. `jitterMs` is the largest spread
 * seen between answers of one hop: on a path whose RTT jumps (a queue filling, a slow link now and then), a probe
 * is waited for at least that much past the RTT it is compared with, twice over, so late answers are not called lost.
 */
export function waitFor(ttl: number, answered: AnsweredRtts, wait: WaitOptions, jitterMs = 0): number {
  const slack = 2 * jitterMs;
  const here = answered.get(ttl);
  if (here !== undefined) return bounded(Math.max(wait.here * here, here + slack), wait);

  // The nearest later hop that answered bounds how long this one should take: its reply crossed this hop.
  let nearestLater: number | undefined;
  let largest = -1;
  for (const [hopTtl, rtt] of answered) {
    if (hopTtl > ttl && (nearestLater === undefined || hopTtl < nearestLater)) nearestLater = hopTtl;
    largest = Math.max(largest, rtt);
  }
  if (nearestLater !== undefined) {
    const later = answered.get(nearestLater) ?? 0;
    return bounded(Math.max(wait.near * later, later + slack), wait);
  }

  // Past every hop that answered: a reply, if one comes, is probably later than anything seen so far.
  if (largest >= 0) return Math.min(wait.maxMs, Math.max(wait.trailingMs, wait.near * largest));
  return wait.maxMs;
}

function bounded(ms: number, wait: WaitOptions): number {
  return Math.min(wait.maxMs, Math.max(wait.minMs, ms));
}
