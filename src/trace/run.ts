// One traced method against one target: run the tracer and build the result with per-hop details (the follow-up
// probes, trace/follow-up, come after, once the main trace and its control are both done). The trace command
// runs the main trace and its control through here; --compare runs several.
import { hopDetails } from '../analyze/hop-details.js';
import { systemClock } from '../engine/clock.js';
import type { TraceOutcome } from '../engine/tracer.js';
import { followUp } from './follow-up.js';
import type { FollowUpOptions, FollowUpTrace } from './follow-up.js';
import type { HopResult, TraceResult } from '../engine/types.js';
import { buildTraceResult } from './result.js';
import { describeSocketError, PortpathError } from '../transport/errors.js';
import type { ProbeSpec, Session, SessionRequest } from './session.js';

export interface TraceRun {
  session: Session;
  /** Resolves with the finished result (hops with details, rechecked losses). */
  result: Promise<TraceResult>;
}

/** Hop details for a hop the tracer has finished (quotes compared, MPLS labels). */
export function detailedHop(session: Session, hop: HopResult): HopResult {
  if (session.network.abilities?.quotes === false) {
    // The error queue hands over the ICMP error but not the IP header it quoted: say the quote is unknown.
    return hop.probes.some((p) => p.reply?.icmpType !== undefined) ? { ...hop, quote: 'unavailable' } : hop;
  }
  const details = hopDetails(session.options, session.tracer.probesAt(hop.ttl));
  return { ...hop, ...details };
}

/**
 * Runs the session's trace. (Traces of one process share raw sockets, and each packet reaches only the traces whose
 * flows it belongs to: transport/raw.ts.)
 */
export function startRun(session: Session, signal?: AbortSignal): TraceRun {
  const started = performance.now();
  const result = (async () => {
    const onAbort = () => session.tracer.interrupt();
    signal?.addEventListener('abort', onAbort, { once: true });
    let outcome: TraceOutcome;
    try {
      outcome = await session.tracer.run();
    } catch (error) {
      throw error instanceof PortpathError ? error : describeSocketError(error, { destination: session.meta.address });
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    const hops = outcome.hops.map((hop) => detailedHop(session, hop));
    const finished: TraceOutcome = { ...outcome, hops, interrupted: outcome.interrupted || signal?.aborted === true };
    const result = buildTraceResult(session.meta, finished, performance.now() - started);
    const drops = session.network.receiveDrops?.();
    return drops === undefined ? result : { ...result, receiveDrops: drops };
  })();
  // Marked handled now: a control trace may fail while the main one is still being awaited; its error is
  // rethrown where it is awaited, not reported by Node as unhandled.
  result.catch(() => undefined);
  return { session, result };
}

export function sessionRequest(base: Omit<SessionRequest, 'protocol' | 'port' | 'probesPerHop'>, spec: ProbeSpec, probesPerHop: number): SessionRequest {
  return { ...base, protocol: spec.protocol, port: spec.port, probesPerHop };
}

/** The follow-up probes (trace/follow-up); the time they take counts in each result's duration. */
export async function followUpTimed(main: FollowUpTrace, control: FollowUpTrace | null, signal?: AbortSignal, options: FollowUpOptions = {}): Promise<void> {
  const started = performance.now();
  await followUp(main, control, systemClock, signal, options);
  const extra = performance.now() - started;
  for (const trace of [main, control]) {
    if (!trace) continue;
    trace.result.durationMs = Math.round(trace.result.durationMs + extra);
    if (signal?.aborted) trace.result.interrupted = true;
  }
}
