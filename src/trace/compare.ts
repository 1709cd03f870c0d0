// Several methods traced at once to the same host (tcp:443, udp:53, icmp), each the others' control: the one that
// gets furthest tells a blocked port from a broken path.
import { diagnose } from '../analyze/diagnose.js';
import type { Diagnosis } from '../analyze/diagnose.js';
import { lastAnswer } from '../analyze/path-facts.js';
import { systemClock } from '../engine/clock.js';
import type { ReachCheck, TraceResult } from '../engine/types.js';
import { replyTimeout } from './follow-up.js';
import { reachCheck, reachMethods } from './reach-check.js';
import type { OpenReach } from './reach-check.js';
import { followUpTimed, startRun } from './run.js';
import { checkMethodCount, checkRun } from './run-checks.js';
import { DEFAULT_PROBES_PER_HOP, guarded, relay, withRun } from './run-skeleton.js';
import type { RunOptions, TraceEvent } from './run-types.js';
import type { ProbeSpec, Session } from './session.js';

export interface ComparedTrace extends TraceResult {
  diagnosis: Diagnosis;
  /** Where no compared method heard from the destination: the other methods that looked for it (shared by all). */
  reach?: ReachCheck;
}

export interface CompareReport {
  compare: ComparedTrace[];
}

export type CompareOptions = Omit<RunOptions, 'protocol' | 'port' | 'control'>;

/** Traces each method in `methods` to `target` at once, each diagnosed with the furthest of the others as control. */
export async function runCompare(
  target: string,
  methods: readonly ProbeSpec[],
  options: CompareOptions = {},
  onEvent?: (index: number, event: TraceEvent) => void,
): Promise<CompareReport> {
  checkRun(options);
  checkMethodCount(methods.length);
  for (const method of methods) checkRun({ port: method.port });
  const emit = guarded(onEvent);
  const plan = { methods, probesPerHop: options.probesPerHop ?? DEFAULT_PROBES_PER_HOP, control: false as const };
  return withRun(target, options, plan, async ({ sessions, openReach }) => {
    sessions.forEach((session, i) => {
      emit(i, { type: 'start', meta: session.meta, control: null });
      relay(session, 'main', (event) => emit(i, event));
    });
    const runs = sessions.map((session) => startRun(session, options.signal));
    const results = await Promise.all(runs.map((run) => run.result));
    if (options.followUp !== false) await Promise.all(results.map((result, i) => followUpTimed({ session: sessions[i]!, result }, null, options.signal, { lossTest: options.lossTest === true })));
    const reach = options.followUp !== false ? await reachOfAll(sessions, results, openReach, options.signal) : null;
    return {
      compare: results.map((result, i) => ({ ...result, ...(reach ? { reach } : {}), diagnosis: diagnose(result, furthest(results.filter((_, j) => j !== i)), { reach }) })),
    };
  });
}

/**
 * Where no compared method heard from the destination (nor met a router's ICMP error), the reach check looks for it
 * with the methods not compared, once for all of them, from the TTL after the furthest trace's last answer.
 */
async function reachOfAll(sessions: Session[], results: TraceResult[], open: OpenReach, signal?: AbortSignal): Promise<ReachCheck | null> {
  const best = furthest(results);
  if (!best || results.some((r) => r.destination.hop !== null) || results.some((r) => r.interrupted)) return null;
  const first = sessions[0]!;
  const fromTtl = (lastAnswer(best)?.ttl ?? first.options.firstTtl - 1) + 1;
  if (fromTtl > first.options.maxTtl) return null;
  const tried = sessions.map((s) => s.meta);
  const methods = reachMethods(tried[0]!, null, [], tried.some((m) => m.protocol === 'tcp' && m.mode === 'raw')).filter((m) => !m.tcp && !tried.some((t) => t.protocol === m.protocol && t.port === m.port));
  const check = await reachCheck(open, { methods, fromTtl, maxTtl: first.options.maxTtl, timeoutMs: replyTimeout(results, first.options.wait) }, systemClock, signal);
  for (const result of results) result.durationMs = Math.round(result.durationMs + check.durationMs);
  return check;
}

/** The trace that got furthest: reached the destination, else the highest answering TTL. */
function furthest(results: TraceResult[]): TraceResult | null {
  const reach = (r: TraceResult) => (r.destination.reached ? 1000 : (lastAnswer(r)?.ttl ?? 0));
  return results.reduce<TraceResult | null>((best, r) => (best === null || reach(r) > reach(best) ? r : best), null);
}
