// The one owner of a watch of every path (`portpath watch --paths`, the library's watch(target, { paths: true })):
// a paths run finds the ECMP paths and a source port that reproduces each, then the rounds of a plain watch run on
// one flow per path, side by side and in step, on one set of raw sockets: the watch's session holds them open
// through the paths run (which joins them) and lends each path's rounds a view of them and its probe ids. Nothing
// here prints, exits or handles signals.
import { pathsWatchSummary } from '../analyze/paths-watch.js';
import type { FoundPath } from '../analyze/paths.js';
import type { RoundPortState } from '../analyze/watch-events.js';
import { systemClock } from '../engine/clock.js';
import type { Clock } from '../engine/clock.js';
import { PortpathError } from '../transport/errors.js';
import { reservePort } from '../transport/local.js';
import type { ReservedPort } from '../transport/local.js';
import type { TraceMeta } from './meta.js';
import type { OwnerInfo, OwnerLookups } from './owners.js';
import { PathWatch } from './path-watch.js';
import type { PathWatchChange, PathWatchReport } from './path-watch.js';
import { runPaths } from './paths.js';
import type { PathsOptions, PathsReport } from './paths.js';
import { checkRun, checkWatchPaths } from './run-checks.js';
import { guarded, methodOf, withRun } from './run-skeleton.js';
import type { Session } from './session.js';
import { DEFAULT_INTERVAL_MS, watchHead } from './watch.js';
import type { WatchHandle, WatchOptions } from './watch.js';
import { WatchRounds } from './watch-rounds.js';
import type { RoundResult } from './watch-rounds.js';

export interface PathsWatchOptions extends WatchOptions, Pick<PathsOptions, 'confidence' | 'maxFlows'> {
  /** Watch one flow per path a paths run finds, instead of one flow. */
  paths: true;
}

/** The JSON contract of a paths watch (docs/json.md); added fields only, the version bumps on anything else. */
export const PATHS_WATCH_SCHEMA = { schema: 'portpath-watch-paths', version: 1 } as const;

export interface PathsWatchReport {
  schema: typeof PATHS_WATCH_SCHEMA.schema;
  version: typeof PATHS_WATCH_SCHEMA.version;
  target: { host: string; address: string; family: 4 | 6 };
  protocol: TraceMeta['protocol'];
  port: number | null;
  mode: TraceMeta['mode'];
  source: string;
  intervalMs: number;
  startedAt: string;
  durationMs: number;
  /** Rounds delivered since the start or the last reset (the most of any path's flow; a path counts only those its flow took it in). */
  rounds: number;
  interrupted: boolean;
  /** The paths run that found the paths (null until it ends; interrupted when the watch was stopped during it). */
  discovery: PathsReport | null;
  /** One watch per path found, in the paths run's order (most flows first). */
  paths: PathWatchReport[];
  /** Every path's changes, oldest first (the last 1000), each with where the port stood on the other paths then. */
  changes: PathsWatchChange[];
  /** Paths found but not watched, and why (no source port of theirs could be reserved again). */
  unwatched: { id: number; reason: string }[];
  /** One line: each path's verdict, or that all agree. */
  summary: string;
  /** Only when asked for (options.owners): what is known about every responder, and lookup notes. */
  owners?: Record<string, OwnerInfo>;
  ownerNotes?: string[];
}

/** A change on one path, with where the port stood on the others at that moment. */
export interface PathsWatchChange {
  path: number;
  change: PathWatchChange;
  others: { path: number; portState: RoundPortState | null }[];
}

export type PathsWatchEvent =
  | { type: 'start'; meta: TraceMeta }
  | { type: 'discovered'; report: PathsReport }
  | { type: 'round'; path: number; round: RoundResult }
  | ({ type: 'change' } & PathsWatchChange)
  | { type: 'result'; report: PathsWatchReport };

/** A running paths watch: the same controls as a watch, and its report. */
export interface PathsWatchHandle extends Omit<WatchHandle, 'done' | 'snapshot'> {
  readonly done: Promise<PathsWatchReport>;
  snapshot(): PathsWatchReport;
}

const MAX_CHANGES = 1000;

/** One watched path: its statistics, its rounds, and the source port its flow holds. */
interface Watched {
  watch: PathWatch;
  rounds: WatchRounds;
  close(): void;
}

/** Where a path's rounds probe up to at first, and whether its end answers with (rate-limited) ICMP errors. */
function roundsEnd(path: FoundPath, protocol: TraceMeta['protocol']): { horizon: number; icmpEnd: boolean } {
  const end = path.end;
  if (end.kind === 'silent') return { horizon: (end.after?.ttl ?? 0) + 1, icmpEnd: false };
  const icmpAnswer = end.kind === 'destination' && (end.state === 'filtered' || (protocol === 'udp' && end.state === 'closed'));
  return { horizon: end.ttl, icmpEnd: end.kind === 'rejected' || icmpAnswer };
}

/** A source port of the path's flows, reserved again so no socket of the kernel's takes its answers. */
function reserveOne(path: FoundPath, meta: TraceMeta): ReservedPort | null {
  const protocol = meta.protocol === 'udp' ? 'udp' : 'tcp';
  for (const port of [path.reproduce, ...path.sourcePorts.filter((p) => p !== path.reproduce)]) {
    try {
      return reservePort(meta.family, protocol, meta.source, port);
    } catch {
      // taken meanwhile by another socket: try the path's next flow
    }
  }
  return null;
}

class PathsWatch implements PathsWatchHandle {
  readonly done: Promise<PathsWatchReport>;
  private readonly watched: Watched[] = [];
  private stopped = false;
  private pausedFlag = false;
  /** Ends the paths run when the watch is stopped during it. */
  private readonly stopSignal = new AbortController();
  private readonly unwatched: { id: number; reason: string }[] = [];
  private readonly changes: PathsWatchChange[] = [];
  private discovery: PathsReport | null = null;
  private meta: TraceMeta | null = null;
  private owners: OwnerLookups | null = null;
  /** From when the sockets are open (the paths run included). */
  private started = performance.now();
  private startedAt = new Date();

  /** `options` as checked by startPathsWatch. */
  constructor(
    private readonly target: string,
    private readonly options: PathsWatchOptions,
    private readonly emit: (event: PathsWatchEvent) => void,
    private readonly clock: Clock,
  ) {
    this.done = this.run();
    options.signal?.addEventListener('abort', () => this.stop(), { once: true });
  }

  get paused(): boolean {
    return this.pausedFlag;
  }

  /** Pauses or resumes every path's rounds together, so they stay in step. */
  private setPaused(paused: boolean): void {
    this.pausedFlag = paused;
    for (const { rounds } of this.watched) {
      if (paused) rounds.pause();
      else if (!this.stopped) rounds.start();
    }
  }

  pause(): void {
    this.setPaused(true);
  }

  resume(): void {
    this.setPaused(false);
  }

  reset(): void {
    for (const { watch, rounds } of this.watched) {
      watch.reset();
      rounds.resetBudgets();
    }
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stopSignal.abort();
    for (const { rounds } of this.watched) rounds.stop();
  }

  private run(): Promise<PathsWatchReport> {
    const spec = methodOf(this.options);
    // The watch's session holds the raw sockets (and the caller's pool) from before the paths run to the last round.
    const plan = { methods: [spec], probesPerHop: 1, control: false as const };
    return withRun(this.target, { ...this.options, control: false }, plan, async ({ sessions: [session], owners }) => {
      const meta = session!.meta;
      if (meta.mode !== 'raw') throw new PortpathError('ERR_NO_PRIVILEGE', 'watch --paths needs raw sockets (root or CAP_NET_RAW): each path is a source port of its own, which unprivileged sockets cannot choose.');
      this.meta = meta;
      this.owners = owners;
      this.started = performance.now();
      this.startedAt = new Date();
      this.emit({ type: 'start', meta });
      try {
        // The same address, source and interface as the session, so the paths run joins its raw sockets.
        const { confidence, maxFlows, packetLog, wait } = this.options;
        this.discovery = await runPaths(meta.address, {
          protocol: meta.protocol,
          port: meta.port,
          family: meta.family,
          mode: 'raw',
          firstTtl: meta.firstTtl,
          maxTtl: meta.maxTtl,
          source: meta.source,
          interface: this.options.interface ?? null,
          signal: this.stopSignal.signal,
          ...(wait ? { wait } : {}),
          ...(packetLog ? { packetLog } : {}),
          ...(confidence ? { confidence } : {}),
          ...(maxFlows ? { maxFlows } : {}),
        });
        if (this.stopped) return this.report();
        this.emit({ type: 'discovered', report: this.discovery });
        for (const path of this.discovery.paths) this.watchPath(path, session!, this.discovery.paths);
        if (!this.stopped && !this.pausedFlag) for (const { rounds } of this.watched) rounds.start();
        await Promise.all(this.watched.map((w) => w.rounds.done)).catch((error: unknown) => {
          this.stop();
          throw error;
        });
        await owners?.settle();
        return this.report();
      } finally {
        for (const w of this.watched) w.close();
      }
    });
  }

  /** Sets up one path's flow: its source port reserved again, a view of the session's sockets, its rounds. */
  private watchPath(path: FoundPath, session: Session, all: readonly FoundPath[]): void {
    const meta = session.meta;
    const reserved = reserveOne(path, meta);
    if (!reserved) {
      this.unwatched.push({ id: path.id, reason: `none of its source ports (${path.sourcePorts.join(', ')}) could be reserved again` });
      return;
    }
    // Its own view (one packet handler each) on the session's sockets and probe ids, so no two flows' ids collide.
    const view = session.anotherTrace(1);
    const options = { ...view.options, sourcePort: reserved.port };
    const watch = new PathWatch(path, reserved.port, all);
    const rounds = new WatchRounds(
      options,
      view.method,
      view.network,
      this.clock,
      view.tracer.ids,
      { intervalMs: this.options.intervalMs ?? DEFAULT_INTERVAL_MS, rounds: this.options.rounds ?? null, timeoutMs: options.wait.maxMs, ...roundsEnd(path, meta.protocol) },
      (round) => this.onRound(watch, round),
    );
    this.watched.push({
      watch,
      rounds,
      close: () => {
        rounds.stop();
        view.close();
        reserved.release();
      },
    });
  }

  private onRound(watch: PathWatch, round: RoundResult): void {
    const changes = watch.record(round, (address) => void this.owners?.lookup(address));
    this.emit({ type: 'round', path: watch.path.id, round });
    for (const change of changes) {
      const others = this.watched.filter((w) => w.watch !== watch).map((w) => ({ path: w.watch.path.id, portState: w.watch.portState }));
      const seen = { path: watch.path.id, change, others };
      this.changes.push(seen);
      if (this.changes.length > MAX_CHANGES) this.changes.shift();
      this.emit({ type: 'change', ...seen });
    }
  }

  snapshot(): PathsWatchReport {
    return this.report();
  }

  private report(): PathsWatchReport {
    const paths = this.watched.map((w) => w.watch.report());
    // One flow per path: no one source port for the whole watch.
    const { sourcePort: _oneFlow, ...head } = watchHead(this.target, this.meta, this.options, { started: this.started, startedAt: this.startedAt });
    return {
      ...PATHS_WATCH_SCHEMA,
      ...head,
      rounds: Math.max(0, ...paths.map((p) => p.rounds + p.notCounted)),
      interrupted: this.stopped,
      discovery: this.discovery,
      paths,
      changes: [...this.changes],
      unwatched: [...this.unwatched],
      summary: this.discovery ? pathsWatchSummary(paths, this.discovery.summary) : 'stopped before the paths were found',
      ...(this.owners ? { owners: this.owners.all(), ownerNotes: [...this.owners.notes] } : {}),
    };
  }
}

/** Finds every path to `target`'s port, then watches one flow on each; `onEvent` hears what happens as it happens. */
export function startPathsWatch(target: string, options: PathsWatchOptions, onEvent?: (event: PathsWatchEvent) => void, clock: Clock = systemClock): PathsWatchHandle {
  checkRun(options);
  checkWatchPaths(options);
  return new PathsWatch(target, options, guarded(onEvent), clock);
}
