// Several methods traced at once to the same host (tcp:443, udp:53, icmp), each the others' control: the one that
// gets furthest tells a blocked port from a broken path.
import { diagnose } from '../analyze/diagnose.js';
import type { Diagnosis } from '../analyze/diagnose.js';
import { lastAnswer } from '../analyze/path-facts.js';
import type { TraceResult } from '../engine/types.js';
import { followUpTimed, startRun } from './run.js';
import { checkMethodCount, checkRun } from './run-checks.js';
import { DEFAULT_PROBES_PER_HOP, guarded, relay, withRun } from './run-skeleton.js';
import type { RunOptions, TraceEvent } from './run-types.js';
import type { ProbeSpec } from './session.js';

export interface ComparedTrace extends TraceResult {
  diagnosis: Diagnosis;
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
  return withRun(target, options, plan, async ({ sessions }) => {
    sessions.forEach((session, i) => {
      emit(i, { type: 'start', meta: session.meta, control: null });
      relay(session, 'main', (event) => emit(i, event));
    });
    const runs = sessions.map((session) => startRun(session, options.signal));
    const results = await Promise.all(runs.map((run) => run.result));
    if (options.followUp !== false) await Promise.all(results.map((result, i) => followUpTimed({ session: sessions[i]!, result }, null, options.signal, { lossTest: options.lossTest === true })));
    return { compare: results.map((result, i) => ({ ...result, diagnosis: diagnose(result, furthest(results.filter((_, j) => j !== i))) })) };
  });
}

/** The trace that got furthest: reached the destination, else the highest answering TTL. */
function furthest(results: TraceResult[]): TraceResult | null {
  const reach = (r: TraceResult) => (r.destination.reached ? 1000 : (lastAnswer(r)?.ttl ?? 0));
  return results.reduce<TraceResult | null>((best, r) => (best === null || reach(r) > reach(best) ? r : best), null);
}
