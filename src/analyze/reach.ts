// The reach check read as evidence: whether one is needed (neither the trace nor its control heard from the
// destination), which answers count as the destination's, and the control the diagnosis then reasons from — the
// traced control joined with the trace of the method that found the destination.
import type { ReachAttempt, ReachCheck, TraceResult } from '../engine/types.js';
import { lastAnswer } from './path-facts.js';

/**
 * The TTL a reach check starts placing from, or null when none is needed: the trace got an answer from the
 * destination (or a router's ICMP error, which speaks for itself), or the control reached the destination, or
 * there is no control (the caller asked for none), or the run was interrupted. It starts after the nearer of the two
 * traces' last answers, so with the control's hops below it the path is seen hop by hop (a router that drops
 * forwarded echo leaves the TTLs after it to the method that found the destination).
 */
export function reachFrom(main: TraceResult, control: TraceResult | null): number | null {
  if (!control || main.interrupted || control.interrupted) return null;
  if (main.destination.hop !== null || control.destination.reached) return null;
  const lasts = [main, control].map((r) => lastAnswer(r)?.ttl ?? 0);
  return Math.max(main.hops[0]?.ttl ?? 1, Math.min(...lasts) + 1);
}

/** The attempt's answer came from the destination itself (a SYN-ACK, an RST, an echo reply, its own ICMP error). */
export function attemptReached(attempt: ReachAttempt, destination: string): boolean {
  return attempt.answer !== null && attempt.answer.from === destination && attempt.answer.reply.kind !== 'time-exceeded';
}

/**
 * The control the diagnosis reasons from: the traced control, or where a reach check placed the destination with
 * another method, the two joined — the control's hops below the TTL the reach trace started at, the reach trace's
 * from there on (a TTL is not mixed from both: one method's answers beside another's silence would read as a router
 * answering some probes and not others), and the control's past them — with the reach trace's destination.
 */
export function joinedControl(control: TraceResult | null, reach: ReachCheck | null | undefined): TraceResult | null {
  const found = reach?.trace;
  if (!control || !found?.destination.reached) return control;
  const ttls = new Set(found.hops.map((h) => h.ttl));
  const hops = [...control.hops.filter((h) => !ttls.has(h.ttl)), ...found.hops].sort((a, b) => a.ttl - b.ttl);
  return { ...found, hops };
}
