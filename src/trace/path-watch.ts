// One path of a paths watch: the rounds of the flow that reproduces it, counted for it only while the flow still
// takes it (analyze/paths-watch), with the statistics and changes a plain watch keeps (FlowWatch), the port's state
// round by round, and its verdict. No sockets, no timers: the owner (watch-paths.ts) hands the rounds in.
import type { FoundPath } from '../analyze/paths.js';
import { matchingPath, pathRouters, PathFollower, pathWatchVerdict } from '../analyze/paths-watch.js';
import type { Departure, PathWatchVerdict } from '../analyze/paths-watch.js';
import type { RoundPortState, WatchChange } from '../analyze/watch-events.js';
import { FlowWatch } from './watch-flow.js';
import type { FlowSummary } from './watch-flow.js';
import type { RoundResult } from './watch-rounds.js';

/** The flow left its path (its routers are another found path's when `nowOn` says which), or came back to it. */
export type FlowMove =
  | ({ type: 'flow-moved'; round: number; atMs: number; nowOn: number | null } & Departure)
  | { type: 'flow-back'; round: number; atMs: number };

export type PathWatchChange = WatchChange | FlowMove;

/** What a round said about the port on this path; `unasked`: not probed (its ICMP budget); `elsewhere`: the flow took another path. */
export type RoundMark = RoundPortState | 'unasked' | 'elsewhere';

/** Rounds `fromRound`..`toRound` all said `state`. */
export interface StateRun {
  fromRound: number;
  toRound: number;
  state: RoundMark;
}

/** The end of the path as the rounds see it: the destination's hop, else the farthest one that answered. */
export interface PathEndStats {
  ttl: number;
  address: string | null;
  /** True when this is the destination's hop (where the rounds or the paths run heard it). */
  destination: boolean;
  sent: number;
  received: number;
  /** Lost / sent, 0..1. */
  loss: number;
  avgMs: number | null;
  bestMs: number | null;
  worstMs: number | null;
  jitterMs: number | null;
}

export interface PathWatchReport extends FlowSummary {
  /** The found path's id, and the source port whose flow is watched for it. */
  id: number;
  sourcePort: number;
  /** What the paths run found: the routers, the share of flows and how its traffic ended then. */
  found: FoundPath;
  /** Rounds counted for this path, and rounds not counted because the flow was elsewhere (or not yet known back). */
  rounds: number;
  notCounted: number;
  end: PathEndStats | null;
  /** The port's state round by round, as runs (the last MAX_RUNS). */
  portStates: StateRun[];
  /** Where the flow is, while it is off this path. */
  moved: (Departure & { round: number; nowOn: number | null }) | null;
  verdict: PathWatchVerdict;
  changes: PathWatchChange[];
}

const MAX_RUNS = 500;
const MAX_MOVES = 1000;

export class PathWatch {
  private readonly flow = new FlowWatch();
  private readonly follower: PathFollower;
  private readonly moves: FlowMove[] = [];
  private readonly runs: StateRun[] = [];
  private notCounted = 0;
  /** The last counted round each TTL answered in. */
  private readonly answeredAt = new Map<number, number>();
  private movedAt: { round: number; nowOn: number | null } | null = null;

  constructor(
    readonly path: FoundPath,
    readonly sourcePort: number,
    /** Every path found, to name the one a moved flow took. */
    private readonly all: readonly FoundPath[],
  ) {
    this.follower = new PathFollower(pathRouters(path));
  }

  get portState(): RoundPortState | null {
    return this.flow.portState;
  }

  /** Reads one round of this path's flow; returns the changes it establishes. */
  record(round: RoundResult, onResponder?: (address: string) => void): PathWatchChange[] {
    const responders = new Map(round.probes.map((p) => [p.ttl, p.result.from]));
    const { counts, change } = this.follower.see(responders);
    const changes: PathWatchChange[] = [];
    const at = { round: round.round, atMs: round.atMs };
    if (change?.type === 'flow-moved') {
      const nowOn = matchingPath(this.all, responders, this.path.id);
      this.movedAt = { round: round.round, nowOn };
      changes.push({ type: 'flow-moved', ...at, nowOn, ...change.departure });
    } else if (change?.type === 'flow-back') {
      this.movedAt = null;
      changes.push({ type: 'flow-back', ...at });
    }
    this.moves.push(...(changes as FlowMove[]));
    if (this.moves.length > MAX_MOVES) this.moves.splice(0, this.moves.length - MAX_MOVES);
    if (counts) {
      changes.push(...this.flow.record(round, onResponder));
      for (const p of round.probes) if (p.result.from !== null) this.answeredAt.set(p.ttl, round.round);
    } else {
      this.notCounted++;
    }
    this.mark(round.round, counts ? (round.destination.state ?? 'unasked') : 'elsewhere');
    return changes;
  }

  private mark(round: number, state: RoundMark): void {
    const last = this.runs.at(-1);
    if (last && last.state === state && last.toRound === round - 1) last.toRound = round;
    else this.runs.push({ fromRound: round, toRound: round, state });
    if (this.runs.length > MAX_RUNS) this.runs.shift();
  }

  /** Forgets the statistics and the rounds' states (not the changes, nor where the flow is). */
  reset(): void {
    this.flow.reset();
    this.runs.length = 0;
    this.notCounted = 0;
    this.answeredAt.clear();
  }

  report(): PathWatchReport {
    const summary = this.flow.summary();
    const answered = summary.hops.filter((h) => h.received > 0);
    const endHop = summary.hops.find((h) => h.ttl === summary.distance) ?? answered.at(-1);
    const departure = this.follower.moved;
    const moved = departure && this.movedAt ? { ...departure, ...this.movedAt } : null;
    const found = this.path.end;
    const foundDistance = found.kind === 'destination' ? found.ttl : null;
    const changes = [...this.flow.changes, ...this.moves].sort((a, b) => a.round - b.round);
    return {
      id: this.path.id,
      sourcePort: this.sourcePort,
      found: this.path,
      rounds: this.flow.rounds,
      notCounted: this.notCounted,
      ...summary,
      end: endHop
        ? {
            ttl: endHop.ttl,
            address: endHop.responders[0]?.address ?? null,
            destination: endHop.ttl === (summary.distance ?? foundDistance),
            sent: endHop.sent,
            received: endHop.received,
            loss: endHop.sent > 0 ? (endHop.sent - endHop.received) / endHop.sent : 0,
            avgMs: endHop.avgMs,
            bestMs: endHop.bestMs,
            worstMs: endHop.worstMs,
            jitterMs: endHop.jitterMeanMs,
          }
        : null,
      portStates: this.runs.map((r) => ({ ...r })),
      moved,
      verdict: pathWatchVerdict({
        portState: summary.portState,
        distance: summary.distance,
        forwardedLoss: summary.forwardedLoss,
        lastAnswer: this.lastAnswer(summary.portState),
        moved: departure,
        nowOn: this.movedAt?.nowOn ?? null,
      }),
      changes,
    };
  }

  /** The farthest TTL that answered since the port went silent (before, the destination itself answered). */
  private lastAnswer(state: RoundPortState | null): number | null {
    const silentChange = this.flow.changes.filter((c) => c.type === 'port-state' && c.to === 'silent').at(-1);
    const since = state === 'silent' ? (silentChange?.round ?? 0) : 0;
    const ttls = [...this.answeredAt].filter(([, round]) => round >= since).map(([ttl]) => ttl);
    return ttls.length > 0 ? Math.max(...ttls) : null;
  }
}
