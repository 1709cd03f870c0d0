// What the metrics say about one path, read from a trace's report or from a watch's statistics: the same shape for
// both, so /probe and the watches export the same series with the same meaning.
import { createHash } from 'node:crypto';
import type { Verdict } from '../analyze/diagnose.js';
import type { HopResult, PortState } from '../engine/types.js';
import type { TraceReport } from '../trace/trace.js';
import type { WatchReport } from '../trace/watch.js';
import { settledPortState } from '../trace/watch-rounds.js';

export interface HopView {
  ttl: number;
  /** Probe: the median RTT of the hop's answers; watch: the mean over its window. Null when nothing answered. */
  rttSeconds: number | null;
  lossRatio: number;
  /** The hop's loss is its own ICMP rate limit, not lost traffic. */
  icmpLimited: boolean;
  /** The responder most answers came from. */
  address: string | null;
  sent: number;
  received: number;
}

export interface PathView {
  portState: PortState | null;
  verdict: Verdict | null;
  destinationHop: number | null;
  stopHop: number | null;
  hops: HopView[];
}

function median(values: number[]): number | null {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

function mostFrequent(addresses: (string | null)[]): string | null {
  const counts = new Map<string, number>();
  for (const a of addresses) if (a !== null) counts.set(a, (counts.get(a) ?? 0) + 1);
  let best: string | null = null;
  for (const [address, n] of counts) if (best === null || n > counts.get(best)!) best = address;
  return best;
}

function traceHop(hop: HopResult): HopView {
  const answered = hop.probes.filter((p) => p.rtt !== null);
  const rtt = median(answered.map((p) => p.rtt!));
  const sent = hop.probes.length;
  return {
    ttl: hop.ttl,
    rttSeconds: rtt === null ? null : rtt / 1000,
    lossRatio: sent === 0 ? 0 : (sent - answered.length) / sent,
    // The rate-limit test (loss_test) tells a router's ICMP budget from loss; without it nothing is claimed.
    icmpLimited: hop.loss?.cause === 'rate-limit' || hop.loss?.where === 'router',
    address: mostFrequent(hop.probes.map((p) => p.from)),
    sent,
    received: answered.length,
  };
}

export function viewOfTrace(report: TraceReport): PathView {
  return {
    portState: report.destination.state,
    verdict: report.diagnosis.verdict,
    destinationHop: report.destination.reached ? report.destination.hop : null,
    stopHop: report.diagnosis.hop,
    hops: report.hops.map(traceHop),
  };
}

export function viewOfWatch(report: WatchReport): PathView {
  return {
    portState: report.portState === null ? null : settledPortState(report.portState, report.protocol),
    verdict: report.diagnosis?.verdict ?? null,
    destinationHop: report.distance,
    stopHop: report.diagnosis?.hop ?? null,
    hops: report.hops.map((h) => ({
      ttl: h.ttl,
      rttSeconds: h.avgMs === null ? null : h.avgMs / 1000,
      lossRatio: h.lossPct / 100,
      icmpLimited: h.loss?.label === 'icmp-limit',
      address: h.responders[0]?.address ?? null,
      sent: h.sent,
      received: h.received,
    })),
  };
}

/**
 * A number naming the path: the hops that answered, in TTL order, hashed to 48 bits (exact in a float64). It
 * changes when the path does, which is what an alert on path changes needs; 0 when no hop answered.
 */
export function pathId(hops: readonly HopView[]): number {
  const answered = hops.filter((h) => h.address !== null).map((h) => `${h.ttl}=${h.address}`);
  if (answered.length === 0) return 0;
  return createHash('sha256').update(answered.join(',')).digest().readUIntBE(0, 6);
}
