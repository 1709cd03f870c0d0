// Several methods traced at once to the same host (tcp:443, udp:53, icmp), each the others' control: the one that
// gets furthest tells a blocked port from a broken path.
import { diagnose } from '../analyze/diagnose.js';
import type { Diagnosis } from '../analyze/diagnose.js';
import { lastAnswer } from '../analyze/path-facts.js';
import type { TraceResult } from '../engine/types.js';
import { PortpathError } from '../transport/errors.js';
import { followUpTimed, sessionRequest, startRun } from './run.js';
import { openSession } from './session.js';
import type { ProbeSpec, Session } from './session.js';
import { baseRequest, validate } from './trace.js';
import type { RunOptions, TraceEvent } from './trace.js';

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
  validate(options);
  if (methods.length < 2) throw new PortpathError('ERR_USAGE', 'compare needs at least two methods, e.g. tcp:443 and icmp.');
  const base = await baseRequest(target, options);
  const sessions: Session[] = [];
  try {
    for (const spec of methods) sessions.push(openSession(sessionRequest(base, spec, options.probesPerHop ?? 3)));
    options.pool?.closeAll();
    sessions.forEach((session, i) => {
      onEvent?.(i, { type: 'start', meta: session.meta, control: null });
      session.tracer.on('hop-done', (hop) => onEvent?.(i, { type: 'hop', trace: 'main', hop }));
    });
    const runs = sessions.map((session) => startRun(session, options.signal));
    const results = await Promise.all(runs.map((run) => run.result));
    if (options.followUp !== false) await Promise.all(results.map((result, i) => followUpTimed({ session: sessions[i]!, result }, null, options.signal, { lossTest: options.lossTest === true })));
    return { compare: results.map((result, i) => ({ ...result, diagnosis: diagnose(result, furthest(results.filter((_, j) => j !== i))) })) };
  } finally {
    for (const session of sessions) session.close();
  }
}

/** The trace that got furthest: reached the destination, else the highest answering TTL. */
function furthest(results: TraceResult[]): TraceResult | null {
  const reach = (r: TraceResult) => (r.destination.reached ? 1000 : (lastAnswer(r)?.ttl ?? 0));
  return results.reduce<TraceResult | null>((best, r) => (best === null || reach(r) > reach(best) ? r : best), null);
}
