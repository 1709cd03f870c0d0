// Small facts about one finished trace that the diagnosis reasons with.
import type { HopResult, ProbeResult, TraceResult } from '../engine/types.js';
import { allProbes } from '../engine/probe-result.js';
import { hopsAway } from '../packet/reply-ttl.js';

export { allProbes, hopsAway };

export interface HopAnswer {
  ttl: number;
  from: string;
}


/**
 * The follow-up probes worth showing beside a hop's own: when none of its own was answered and a follow-up was (on
 * a jittery path the destination's first SYNs can meet our own half-open connection there and draw nothing we can
 * match; it answers when asked again). Otherwise none: a hop that answered is shown by its own probes.
 */
export function reprobeAnswersShown(hop: Pick<HopResult, 'probes' | 'reprobes'>): ProbeResult[] {
  if (hop.probes.some((p) => p.from !== null)) return [];
  const again = hop.reprobes ?? [];
  return again.some((p) => p.from !== null) ? again : [];
}

/** Whether anyone answered at this TTL, to the trace's own probes or to a follow-up. */
export function isAnswered(hop: Pick<HopResult, 'probes' | 'reprobes'> | undefined): boolean {
  return hop !== undefined && allProbes(hop).some((p) => p.from !== null);
}

/** The highest TTL a trace has a hop at (0: none). */
export function lastProbedTtl(result: Pick<TraceResult, 'hops'>): number {
  return Math.max(0, ...result.hops.map((h) => h.ttl));
}

/** The highest TTL that got any answer, and who gave it. */
export function lastAnswer(result: Pick<TraceResult, 'hops'>): HopAnswer | null {
  for (let i = result.hops.length - 1; i >= 0; i--) {
    const hop = result.hops[i]!;
    const probe = allProbes(hop).find((p) => p.from !== null);
    if (probe?.from) return { ttl: hop.ttl, from: probe.from };
  }
  return null;
}

/** TTLs at which a router (not the destination) answered time-exceeded. */
export function routerTtls(result: Pick<TraceResult, 'hops'>): Map<number, string> {
  const ttls = new Map<number, string>();
  for (const hop of result.hops) {
    const probe = allProbes(hop).find((p) => p.reply?.kind === 'time-exceeded' && p.from !== null);
    if (probe?.from) ttls.set(hop.ttl, probe.from);
  }
  return ttls;
}

/** TTLs at or past `ttl` where a router sent the probe back as expired: the trace's probes went further there. */
export function expiredFrom(result: Pick<TraceResult, 'hops'> | null, ttl: number): number[] {
  return result ? [...routerTtls(result).keys()].filter((t) => t >= ttl) : [];
}

export function hopAt(result: Pick<TraceResult, 'hops'>, ttl: number): HopResult | undefined {
  return result.hops.find((h) => h.ttl === ttl);
}

/** The answers at the final hop that came from `by` (the destination's or the rejecting router's). */
export function finalAnswers(result: TraceResult): ProbeResult[] {
  const { hop, by } = result.destination;
  if (hop === null) return [];
  const at = hopAt(result, hop);
  return at ? allProbes(at).filter((p) => p.from === by && p.reply !== null) : [];
}

/** The IP TTLs the final answers arrived with (absent when the transport could not see them). */
export function finalReplyTtls(result: TraceResult): number[] {
  return finalAnswers(result).flatMap((p) => (p.reply?.ttl ? [p.reply.ttl] : []));
}

/** How many hops away the final answers were sent from, by their reply TTLs (the nearest); null without TTLs. */
export function finalSenderDistance(result: TraceResult): number | null {
  const ttls = finalReplyTtls(result);
  return ttls.length > 0 ? Math.min(...ttls.map(hopsAway)) : null;
}


/** "TCP/443", "UDP/53", "ICMP echo". */
/** "TCP/443", "UDP/53", "ICMP echo"; "TCP ACK/443" for the reach check's ACK probes. */
export function protocolLabel(result: Pick<TraceResult, 'protocol' | 'port'> & { tcp?: 'ack' }): string {
  if (result.protocol === 'icmp' || result.port === null) return 'ICMP echo';
  return `${result.protocol.toUpperCase()}${result.tcp === 'ack' ? ' ACK' : ''}/${result.port}`;
}

export function hopLabel(ttl: number, address: string | null | undefined): string {
  return address ? `hop ${ttl} (${address})` : `hop ${ttl}`;
}

/** "1-3,5". */
export function compactRanges(values: number[]): string {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j]! + 1) j++;
    parts.push(i === j ? `${sorted[i]}` : `${sorted[i]}-${sorted[j]}`);
    i = j + 1;
  }
  return parts.join(',');
}

/**
 * The TTLs from `from` on that no trace got any answer at, while a trace got an answer past them: routers that
 * answer no protocol (or the same TTL silent for every kind of probe). Returns the last such TTL, or `from - 1` when
 * `from` itself answered some trace or nothing answered past it. A boundary next to such TTLs cannot be split: the
 * traffic may stop at the last answering hop or at any of them.
 */
export function silentToEveryTrace(results: readonly (Pick<TraceResult, 'hops'> | null)[], from: number): number {
  const traces = results.filter((r): r is Pick<TraceResult, 'hops'> => r !== null);
  const answeredAt = (ttl: number) => traces.some((r) => isAnswered(hopAt(r, ttl)));
  const farthest = Math.max(0, ...traces.map((r) => lastAnswer(r)?.ttl ?? 0));
  let ttl = from;
  while (ttl <= farthest && !answeredAt(ttl)) ttl++;
  return ttl > farthest ? from - 1 : ttl - 1;
}
