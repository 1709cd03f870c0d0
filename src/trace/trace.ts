// The one owner of a trace run: resolve the target (or take an address), open the main trace's session and its
// control's, run both, follow up where the evidence is thin, diagnose, and return one typed report. The CLI and the
// library API both run traces through here, and a watch runs its diagnoses through traceOn on its own sessions;
// nothing here prints, exits or handles signals.
import { diagnose } from '../analyze/diagnose.js';
import { followUpTimed, startRun } from './run.js';
import { checkRun } from './run-checks.js';
import { DEFAULT_CONTROL, DEFAULT_PROBES_PER_HOP, guarded, methodOf, relay, withRun } from './run-skeleton.js';
import type { RunOptions, TraceEvent, TraceReport } from './run-types.js';
import type { OwnerLookups } from './owners.js';
import type { Session } from './session.js';

export type { RunOptions, TraceEvent, TraceReport, TraceRole } from './run-types.js';

/** Runs one trace (and its control) to `target` (a name or an address) and diagnoses it. */
export async function runTrace(target: string, options: RunOptions = {}, onEvent?: (event: TraceEvent) => void): Promise<TraceReport> {
  checkRun(options);
  const plan = { methods: [methodOf(options)], probesPerHop: options.probesPerHop ?? DEFAULT_PROBES_PER_HOP, control: options.control ?? DEFAULT_CONTROL };
  return withRun(target, options, plan, ({ sessions: [session], control, owners }) => traceOn(session!, control, options, owners, guarded(onEvent)));
}

/**
 * One trace and its control on sessions already open: both run, the follow-up probes where the evidence is thin,
 * the diagnosis, and (when looked up) who owns each hop.
 */
export async function traceOn(
  session: Session,
  control: Session | null,
  options: Pick<RunOptions, 'followUp' | 'lossTest' | 'signal'>,
  owners: OwnerLookups | null,
  onEvent: (event: TraceEvent) => void,
): Promise<TraceReport> {
  const emit = (event: TraceEvent) => {
    if (owners && event.type === 'reply') void owners.lookup(event.reply.from);
    onEvent(event);
  };
  emit({ type: 'start', meta: session.meta, control: control?.meta ?? null });
  relay(session, 'main', emit);
  if (control) relay(control, 'control', emit);
  const mainRun = startRun(session, options.signal);
  const controlRun = control ? startRun(control, options.signal) : null;
  const result = await mainRun.result;
  const controlResult = controlRun ? await controlRun.result : null;
  if (options.followUp !== false) {
    emit({ type: 'follow-up', trace: 'main' });
    await followUpTimed({ session, result }, control && controlResult ? { session: control, result: controlResult } : null, options.signal, { lossTest: options.lossTest === true });
  }
  const report: TraceReport = { ...result, ...(controlResult ? { control: controlResult } : {}), diagnosis: diagnose(result, controlResult) };
  if (owners) {
    // Bounded: at most one lookup timeout past the end of the trace (see OwnerLookups.settle).
    await owners.settle();
    report.owners = owners.all();
    report.ownerNotes = [...owners.notes];
  }
  emit({ type: 'result', report });
  return report;
}
