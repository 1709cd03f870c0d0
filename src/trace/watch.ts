// The one owner of a watch: a first full trace (its diagnosis, and the distance to probe up to), then rounds of one
// probe per TTL until stopped or counted out, statistics per hop, loss read as forwarded or a router's own ICMP,
// changes over time (path, distance, port state, loss episodes), an ICMP echo to the destination every few rounds as
// the control, and a fresh diagnosis when something changed. Nothing here prints, exits or handles signals.
import type { Diagnosis, ReachedBefore } from '../analyze/diagnose.js';
import { protocolLabel } from '../analyze/path-facts.js';
import type { WatchChange } from '../analyze/watch-events.js';
import { systemClock } from '../engine/clock.js';
import type { Clock } from '../engine/clock.js';
import { fanOut, reprobe } from '../engine/reprober.js';
import { parseReason } from '../packet/icmp-meaning.js';
import { eventStream } from './event-stream.js';
import type { TraceMeta } from './meta.js';
import { checkRun } from './run-checks.js';
import { controlsOf, DEFAULT_PROBES_PER_HOP, guarded, methodOf, withRun } from './run-skeleton.js';
import type { Session } from './session.js';
import { traceOn } from './trace.js';
import type { ReachContext } from './trace.js';
import type { RunOptions, TraceReport } from './trace.js';
import { FlowWatch } from './watch-flow.js';
import type { FlowSummary } from './watch-flow.js';
import { WatchRounds } from './watch-rounds.js';
import type { OwnerInfo, OwnerLookups } from './owners.js';
import type { RoundResult } from './watch-rounds.js';

export interface WatchOptions extends RunOptions {
  /** Time between rounds (default 1000 ms). */
  intervalMs?: number;
  /** Stop after this many rounds (default: until stopped). */
  rounds?: number | null;
}

/** The JSON contract of a watch (docs/json.md); added fields only, the version bumps on anything else. */
export const WATCH_SCHEMA = { schema: 'portpath-watch', version: 1 } as const;

export type { WatchHop } from './watch-flow.js';

/** The rounds' statistics (hops, portState, distance, forwardedLoss: see FlowSummary) and the rest of the watch. */
export interface WatchReport extends FlowSummary {
  schema: typeof WATCH_SCHEMA.schema;
  version: typeof WATCH_SCHEMA.version;
  target: { host: string; address: string; family: 4 | 6 };
  protocol: TraceMeta['protocol'];
  port: number | null;
  mode: TraceMeta['mode'];
  source: string;
  sourcePort: number | null;
  intervalMs: number;
  startedAt: string;
  durationMs: number;
  rounds: number;
  /** Ended by the caller (Ctrl-C, q) rather than by counting out its rounds. */
  interrupted: boolean;
  /** ICMP echo to the destination every few rounds: is the host there at all. */
  control: { sent: number; received: number } | null;
  /** Changes seen, oldest first (the last 1000). */
  changes: WatchChange[];
  /** The latest full trace's diagnosis (at the start, and again after each change). */
  diagnosis: Diagnosis | null;
  /** Only when asked for (options.owners): what is known about every responder, and lookup notes. */
  owners?: Record<string, OwnerInfo>;
  ownerNotes?: string[];
}

export type WatchEvent =
  | { type: 'start'; meta: TraceMeta }
  | { type: 'diagnosis'; report: TraceReport; after: WatchChange | null }
  | { type: 'round'; round: RoundResult }
  | { type: 'change'; change: WatchChange }
  | { type: 'result'; report: WatchReport };

export const DEFAULT_INTERVAL_MS = 1000;
/** One control echo every this many rounds. */
const CONTROL_EVERY = 5;

/** A running watch: control it while it runs, read it at any time, await its end. */
export interface WatchHandle {
  /** Resolves with the final report when the rounds are counted out or stop() is called. */
  readonly done: Promise<WatchReport>;
  /** The statistics so far. */
  snapshot(): WatchReport;
  pause(): void;
  resume(): void;
  readonly paused: boolean;
  /** Forgets the statistics (not the changes) and starts counting again. */
  reset(): void;
  stop(): void;
}

/**
 * Where a diagnosis heard from the destination (its trace, its control or its reach check), for the next one: the
 * path worked then, which is the evidence that lets a later silence at the same place be called a broken path.
 */
function reachedIn(report: TraceReport | null): ReachedBefore | null {
  if (!report) return null;
  const found = report.reach?.trace?.destination.reached ? report.reach : null;
  for (const trace of [report, report.control ?? null]) {
    if (trace?.destination.reached && trace.destination.hop !== null) return { hop: trace.destination.hop, method: protocolLabel(trace), at: report.startedAt };
  }
  return found ? { hop: found.trace!.destination.hop!, method: protocolLabel(found.found!), at: report.startedAt } : null;
}

class Watch implements WatchHandle {
  readonly done: Promise<WatchReport>;
  private readonly flow = new FlowWatch();
  private readonly controlCounts = { sent: 0, received: 0 };
  private meta: TraceMeta | null = null;
  private diagnosisReport: TraceReport | null = null;
  private rounds: WatchRounds | null = null;
  private started = performance.now();
  private startedAt = new Date();
  private stopped = false;
  private interruptedFlag = false;
  private pausedFlag = false;
  private diagnosing: Promise<void> | null = null;
  private readonly stopSignal = new AbortController();
  /** The watch's sessions: the rounds' and the control echoes', and every diagnosis runs on them too. */
  private sessions: { main: Session; control: Session | null } | null = null;
  /** How every diagnosis of the watch looks for a destination neither trace heard from. */
  private reach: Omit<ReachContext, 'reachedBefore'> | null = null;
  /** Who owns each responder (options.owners): one set of lookups for the rounds and every diagnosis. */
  private owners: OwnerLookups | null = null;

  constructor(
    private readonly target: string,
    private readonly options: WatchOptions,
    private readonly emit: (event: WatchEvent) => void,
    private readonly clock: Clock,
  ) {
    checkRun(options);
    options.signal?.addEventListener('abort', () => this.stop(), { once: true });
    this.done = this.run();
  }

  get paused(): boolean {
    return this.pausedFlag;
  }

  pause(): void {
    this.pausedFlag = true;
    this.rounds?.pause();
  }

  resume(): void {
    this.pausedFlag = false;
    this.resumeRounds();
  }

  /** The rounds go on unless the user paused them or a diagnosis is running. */
  private resumeRounds(): void {
    const rounds = this.rounds;
    if (!rounds || this.stopped || this.pausedFlag || this.diagnosing) return;
    // (Counted out while paused, the rounds end by themselves: see WatchRounds.begin.)
    rounds.start();
  }

  reset(): void {
    this.flow.reset();
    this.controlCounts.sent = this.controlCounts.received = 0;
    this.rounds?.resetBudgets();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.interruptedFlag = true;
    this.stopSignal.abort();
    this.rounds?.stop();
  }

  private run(): Promise<WatchReport> {
    // The watch's own sessions, on one flow (one source port, one ICMP id): the rounds, the control echoes and every
    // diagnosis run on them, so Paris-flow balancers put all of them on one path and --sport is reserved once.
    const controls = controlsOf(this.options);
    const plan = { methods: [methodOf(this.options)], probesPerHop: 1, control: controls.traced };
    return withRun(this.target, this.options, plan, async ({ sessions, control, owners, openReach }) => {
      const session = sessions[0]!;
      this.sessions = { main: session, control };
      this.reach = { open: openReach, extra: controls.extra };
      this.owners = owners;
      this.meta = session.meta;
      this.started = performance.now();
      this.startedAt = new Date();
      this.emit({ type: 'start', meta: session.meta });
      const first = await this.diagnose(null);
      if (this.stopped || !first) return this.report();
      const interval = this.options.intervalMs ?? DEFAULT_INTERVAL_MS;
      const rounds = new WatchRounds(
        session.options,
        session.method,
        session.network,
        this.clock,
        session.tracer.ids,
        {
          intervalMs: interval,
          rounds: this.options.rounds ?? null,
          horizon: horizonOf(first),
          timeoutMs: session.options.wait.maxMs,
          icmpEnd: first.destination.hop !== null && parseReason(first.destination.reason).kind === 'icmp',
        },
        (round) => this.onRound(round, control),
      );
      this.rounds = rounds;
      this.resumeRounds();
      await rounds.done;
      await this.diagnosing;
      // Bounded: at most one lookup timeout past the last round (see OwnerLookups.settle).
      await owners?.settle();
      return this.report();
    });
  }

  /** A full trace (with its control and follow-ups) on the watch's sessions, for the diagnosis; null when it could not run. */
  private async diagnose(after: WatchChange | null): Promise<TraceReport | null> {
    const { main, control } = this.sessions!;
    const trace = main.anotherTrace(this.options.probesPerHop ?? DEFAULT_PROBES_PER_HOP);
    const controlTrace = control?.anotherTrace(control.meta.probesPerHop) ?? null;
    let report: TraceReport;
    try {
      const reach = this.reach ? { ...this.reach, reachedBefore: reachedIn(this.diagnosisReport) } : null;
      report = await traceOn(trace, controlTrace, { ...this.options, signal: this.stopSignal.signal }, this.owners, () => {}, reach);
    } finally {
      trace.close();
      controlTrace?.close();
    }
    if (report.interrupted && this.diagnosisReport) return null;
    this.diagnosisReport = report;
    this.emit({ type: 'diagnosis', report, after });
    return report;
  }

  /**
   * A fresh diagnosis after a change (one covers every change of the round that asked). The rounds pause meanwhile:
   * the diagnosis probes the same routers, whose ICMP budgets the rounds share.
   */
  private rediagnose(change: WatchChange): void {
    if (this.stopped || this.diagnosing) return;
    this.rounds?.pause();
    this.diagnosing = this.diagnose(change)
      .catch(() => null)
      .then(() => {
        this.diagnosing = null;
        this.resumeRounds();
      });
  }

  private onRound(round: RoundResult, control: Session | null): void {
    const changes = this.flow.record(round, (address) => void this.owners?.lookup(address));
    this.emit({ type: 'round', round });
    for (const change of changes) {
      this.emit({ type: 'change', change });
      if (change.type !== 'loss-start' && change.type !== 'loss-end') this.rediagnose(change);
    }
    if (control && !this.diagnosing && round.round % CONTROL_EVERY === 0) void this.controlEcho(control);
  }

  /**
   * One echo request to the destination, past every router (their ICMP budgets are the rounds'); echo replies are
   * not rate-limited by Linux. Sent between rounds' probes, half an interval after this round.
   */
  private async controlEcho(control: Session): Promise<void> {
    const subscribe = (this.controlSubscribe ??= fanOut(control.network));
    const at = (this.options.intervalMs ?? DEFAULT_INTERVAL_MS) / 2;
    const [answer] = await reprobe(control.options, control.method, control.network, subscribe, this.clock, control.tracer.ids, [{ ttl: control.options.maxTtl, atMs: at }], control.options.wait.maxMs, this.stopSignal.signal).catch(() => [null]);
    if (!answer || answer.sentMs === null || this.pausedFlag) return;
    this.controlCounts.sent++;
    if (answer.result.from !== null) this.controlCounts.received++;
  }

  private controlSubscribe: ReturnType<typeof fanOut> | undefined;

  snapshot(): WatchReport {
    return this.report();
  }

  private report(): WatchReport {
    // An end answering with ICMP errors is rate-limited like a router: the control's echoes (which nobody
    // rate-limits) measure the end of the path instead; a UDP control's port unreachables would not.
    const controlProtocol = this.sessions?.control?.options.protocol;
    const echoes = controlProtocol !== undefined && controlProtocol !== 'udp' ? this.controlCounts : null;
    const traced = new Map((this.diagnosisReport?.hops ?? []).map((h) => [h.ttl, h]));
    const flow = this.flow.summary(echoes, (ttl) => traced.get(ttl)?.mpls);
    return {
      ...WATCH_SCHEMA,
      ...watchHead(this.target, this.meta, this.options, { started: this.started, startedAt: this.startedAt }),
      rounds: this.flow.rounds,
      interrupted: this.interruptedFlag,
      ...flow,
      control: this.options.control === false ? null : { ...this.controlCounts },
      changes: this.flow.changes,
      diagnosis: this.diagnosisReport?.diagnosis ?? null,
      ...(this.owners ? { owners: this.owners.all(), ownerNotes: [...this.owners.notes] } : {}),
    };
  }
}

/** What every watch report opens with: what is watched, how, from where, since when (before the sockets open: what was asked). */
export function watchHead(target: string, meta: TraceMeta | null, options: WatchOptions, time: { started: number; startedAt: Date }): Pick<WatchReport, 'target' | 'protocol' | 'port' | 'mode' | 'source' | 'sourcePort' | 'intervalMs' | 'startedAt' | 'durationMs'> {
  return {
    target: { host: meta?.host ?? target, address: meta?.address ?? '', family: meta?.family ?? 4 },
    protocol: meta?.protocol ?? options.protocol ?? 'tcp',
    port: meta?.port ?? null,
    mode: meta?.mode ?? 'raw',
    source: meta?.source ?? '',
    sourcePort: meta?.sourcePort ?? null,
    intervalMs: options.intervalMs ?? DEFAULT_INTERVAL_MS,
    startedAt: time.startedAt.toISOString(),
    durationMs: Math.round(performance.now() - time.started),
  };
}

/** Where the rounds probe up to at first: the destination's hop, or one past the last hop that answered. */
function horizonOf(report: TraceReport): number {
  if (report.destination.hop !== null) return report.destination.hop;
  const answered = report.hops.filter((h) => h.probes.some((p) => p.from !== null)).map((h) => h.ttl);
  return Math.min(report.hops.at(-1)?.ttl ?? 1, (answered.at(-1) ?? 0) + 1);
}

/** Starts a watch of `target`; `onEvent` hears what happens as it happens. */
export function startWatch(target: string, options: WatchOptions = {}, onEvent?: (event: WatchEvent) => void, clock: Clock = systemClock): WatchHandle {
  return new Watch(target, options, guarded(onEvent), clock);
}

/** The same watch as an async iterator of its events; 'result' comes last. Leaving the loop stops the watch. */
export function watchEvents(target: string, options: WatchOptions = {}): AsyncIterableIterator<WatchEvent> {
  return eventStream<WatchEvent>(async (push, stop) => {
    const signal = options.signal ? AbortSignal.any([options.signal, stop]) : stop;
    const report = await startWatch(target, { ...options, signal }, push).done;
    push({ type: 'result', report });
  });
}
