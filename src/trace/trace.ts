// The one owner of a trace run: resolve the target (or take an address), open the main trace's session and its
// control's, run both, follow up where the evidence is thin, diagnose, and return one typed report. The CLI and the
// library API both run traces through here, and a watch runs its diagnoses through traceOn on its own sessions;
// nothing here prints, exits or handles signals.
import { diagnose } from '../analyze/diagnose.js';
import type { ReachedBefore } from '../analyze/diagnose.js';
import { reachFrom } from '../analyze/reach.js';
import { controlNeeded } from '../analyze/control-need.js';
import { systemClock } from '../engine/clock.js';
import type { ReachCheck, TraceResult } from '../engine/types.js';
import { replyTimeout } from './follow-up.js';
import { reachCheck, reachMethods } from './reach-check.js';
import type { OpenReach } from './reach-check.js';
import { followUpTimed, startRun } from './run.js';
import { checkRun } from './run-checks.js';
import { controlsOf, DEFAULT_PROBES_PER_HOP, guarded, methodOf, relay, withRun } from './run-skeleton.js';
import type { RunOptions, TraceEvent, TraceReport } from './run-types.js';
import type { OwnerLookups } from './owners.js';
import type { ProbeSpec, Session } from './session.js';

export type { RunOptions, TraceEvent, TraceReport, TraceRole } from './run-types.js';

/** Runs one trace (and its control) to `target` (a name or an address) and diagnoses it. */
export async function runTrace(target: string, options: RunOptions = {}, onEvent?: (event: TraceEvent) => void): Promise<TraceReport> {
  checkRun(options);
  const controls = controlsOf(options);
  const plan = { methods: [methodOf(options)], probesPerHop: options.probesPerHop ?? DEFAULT_PROBES_PER_HOP, control: controls.traced };
  return withRun(target, options, plan, ({ sessions: [session], control, owners, openReach }) =>
    traceOn(session!, control, options, owners, guarded(onEvent), { open: openReach, extra: controls.extra }),
  );
}

/** What a run's reach check needs: how to open its sessions, the user's extra controls, what an earlier run saw. */
export interface ReachContext {
  open: OpenReach;
  extra: readonly ProbeSpec[];
  /** Where an earlier run of the same watch reached the destination: the evidence that the path normally works. */
  reachedBefore?: ReachedBefore | null;
}

/** Looks for the destination with other methods where neither the trace nor its control heard from it (trace/reach-check). */
async function reachOf(session: Session, control: Session, result: TraceResult, controlResult: TraceResult, reach: ReachContext, signal?: AbortSignal): Promise<ReachCheck | null> {
  const fromTtl = reachFrom(result, controlResult);
  if (fromTtl === null || fromTtl > session.options.maxTtl) return null;
  const methods = reachMethods(session.meta, control.meta, reach.extra, session.meta.mode === 'raw');
  const timeoutMs = replyTimeout([result, controlResult], session.options.wait);
  const check = await reachCheck(reach.open, { methods, fromTtl, maxTtl: session.options.maxTtl, timeoutMs }, systemClock, signal);
  // Its seconds count in the trace's duration, as the follow-ups' do.
  result.durationMs = Math.round(result.durationMs + check.durationMs);
  return check;
}

/**
 * One trace and its control on sessions already open: both run, the follow-up probes where the evidence is thin,
 * the diagnosis, and (when looked up) who owns each hop.
 */
export async function traceOn(
  session: Session,
  control: Session | null,
  options: Pick<RunOptions, 'followUp' | 'lossTest' | 'signal' | 'knownHops' | 'controlWhenNeeded' | 'routerTurns'>,
  owners: OwnerLookups | null,
  onEvent: (event: TraceEvent) => void,
  reach: ReachContext | null = null,
): Promise<TraceReport> {
  const emit = (event: TraceEvent) => {
    if (owners && event.type === 'reply') void owners.lookup(event.reply.from);
    onEvent(event);
  };
  emit({ type: 'start', meta: session.meta, control: control?.meta ?? null });
  // A watch runs traceOn round after round on the same sessions: this run's probes are what its sessions sent since.
  const sentOnOpen = session.probesSent() + (control?.probesSent() ?? 0);
  relay(session, 'main', emit);
  if (control) relay(control, 'control', emit);
  const mainRun = startRun(session, options.signal);
  const later = options.controlWhenNeeded === true;
  let controlRun = control && !later ? startRun(control, options.signal) : null;
  const result = await mainRun.result;
  if (control && later && controlNeeded(result) && !options.signal?.aborted) controlRun = startRun(control, options.signal);
  const controlResult = controlRun ? await controlRun.result : null;
  // A batch's shared hops near the source go in front, as many answers each as this trace asks a hop for, before
  // anything reads the hops.
  const known = options.knownHops ?? [];
  const share = (traced: TraceResult, perHop: number) => (traced.hops = [...known.map((h) => ({ ...h, probes: h.probes.slice(0, perHop), shared: true as const })), ...traced.hops]);
  if (known.length > 0) {
    share(result, session.meta.probesPerHop);
    if (controlResult && control) share(controlResult, control.meta.probesPerHop);
  }
  if (options.followUp !== false) {
    emit({ type: 'follow-up', trace: 'main' });
    const routers = options.routerTurns ? { routers: options.routerTurns } : {};
    await followUpTimed({ session, result }, control && controlResult ? { session: control, result: controlResult } : null, options.signal, { lossTest: options.lossTest === true, ...routers });
  }
  // Where neither heard from the destination, the reach check looks for it with other methods (not when the caller
  // turned the follow-ups off: they asked for the trace and nothing more).
  const check = options.followUp !== false && reach && control && controlResult ? await reachOf(session, control, result, controlResult, reach, options.signal) : null;
  const diagnosis = diagnose(result, controlResult, { reach: check, reachedBefore: reach?.reachedBefore ?? null });
  const probesSent = session.probesSent() + (control?.probesSent() ?? 0) - sentOnOpen + (check?.probes ?? 0);
  const report: TraceReport = { ...result, ...(controlResult ? { control: controlResult } : {}), ...(check ? { reach: check } : {}), probesSent, diagnosis };
  if (owners) {
    // Bounded: at most one lookup timeout past the end of the trace (see OwnerLookups.settle).
    await owners.settle();
    report.owners = owners.all();
    report.ownerNotes = [...owners.notes];
  }
  emit({ type: 'result', report });
  return report;
}
