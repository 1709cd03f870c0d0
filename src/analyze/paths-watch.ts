// Whether a watched flow still takes the path a paths run found for it, and what each path's watch says. A flow's
// rounds are that path's only while its routers answer where the path's did: when other routers answer (the balancer
// was reconfigured, a link went down), the rounds say nothing about the path, so they are not counted for it, and
// the move is said, with the path the flow took instead when its routers are another found path's.
import type { FoundPath, PathHop } from './paths.js';
import type { RoundPortState } from './watch-events.js';
import type { ForwardedLoss } from './watch-loss.js';

/** Where a round's answers left a path: the first TTL where a router other than the path's answered. */
export interface Departure {
  ttl: number;
  expected: string;
  seen: string;
}

/** The routers a path's flows met, its end included (a destination's or a rejecting router's answer). */
export function pathRouters(path: FoundPath): PathHop[] {
  const end = path.end.kind === 'destination' || path.end.kind === 'rejected' ? [{ ttl: path.end.ttl, address: path.end.address }] : [];
  return [...path.hops, ...end];
}

/** The first TTL where `responders` (who answered each TTL this round; null: nobody) disagree with `routers`. */
export function departure(routers: readonly PathHop[], responders: ReadonlyMap<number, string | null>): Departure | null {
  for (const hop of routers) {
    const seen = responders.get(hop.ttl);
    if (seen && hop.address !== null && seen !== hop.address) return { ttl: hop.ttl, expected: hop.address, seen };
  }
  return null;
}

/** The found path whose routers a round's answers agree with (and meet at least once), other than `not`. */
export function matchingPath(paths: readonly FoundPath[], responders: ReadonlyMap<number, string | null>, not: number): number | null {
  for (const path of paths) {
    if (path.id === not) continue;
    const routers = pathRouters(path);
    if (!departure(routers, responders) && routers.some((h) => h.address !== null && responders.get(h.ttl) === h.address)) return path.id;
  }
  return null;
}

/** Rounds in a row that establish a move off the path or back onto it (one round can be a stray answer). */
export const MOVE_RUN = 2;

export type FollowChange = { type: 'flow-moved'; departure: Departure } | { type: 'flow-back' };

/**
 * Follows one flow against its path, round by round: whether each round is the path's to count, and when the flow
 * moved off it (MOVE_RUN rounds agreeing) or back. A round with no answer where the path has routers shows nothing:
 * it is the path's while the flow is on it, and not while the flow is known to be elsewhere.
 */
export class PathFollower {
  private away: Departure | null = null;
  private run = 0;

  constructor(private readonly routers: readonly PathHop[]) {}

  get moved(): Departure | null {
    return this.away;
  }

  /** Reads one round: whether to count it for the path, and the move it establishes, if any. */
  see(responders: ReadonlyMap<number, string | null>): { counts: boolean; change: FollowChange | null } {
    const off = departure(this.routers, responders);
    const on = !off && this.routers.some((h) => h.address !== null && responders.get(h.ttl) === h.address);
    // A round that goes against the settled state counts towards changing it; anything else breaks the run.
    const against = this.away ? on : off !== null;
    this.run = against ? this.run + 1 : 0;
    let change: FollowChange | null = null;
    if (this.run >= MOVE_RUN) {
      this.run = 0;
      change = this.away ? { type: 'flow-back' } : { type: 'flow-moved', departure: off! };
      this.away = this.away ? null : off;
    }
    return { counts: off === null && (on || this.away === null), change };
  }
}

export type PathWatchState = RoundPortState | 'unsettled' | 'moved';

/** A path's watch in one word and one sentence. */
export interface PathWatchVerdict {
  state: PathWatchState;
  text: string;
}

export interface PathWatchFacts {
  portState: RoundPortState | null;
  distance: number | null;
  forwardedLoss: ForwardedLoss | null;
  /** The highest TTL that answered this path's rounds (null: none). */
  lastAnswer: number | null;
  moved: Departure | null;
  /** The found path the flow now takes, when its routers are one's. */
  nowOn: number | null;
}

const pct = (v: number) => (v < 10 ? v.toFixed(1) : v.toFixed(0));

/** What one path's rounds say: its port state where it ends, with the path loss, or that its flow left it. */
export function pathWatchVerdict(facts: PathWatchFacts): PathWatchVerdict {
  if (facts.moved) {
    const to = facts.nowOn !== null ? `path ${facts.nowOn}'s routers` : 'routers no path had';
    return { state: 'moved', text: `its flow left this path (hop ${facts.moved.ttl}: ${facts.moved.seen}, not ${facts.moved.expected}; ${to}): later rounds not counted here` };
  }
  const state = facts.portState;
  if (state === null) return { state: 'unsettled', text: 'not settled yet' };
  const f = facts.forwardedLoss;
  const loss = f ? `, ${pct(f.lossPct)}% path loss from hop ${f.fromTtl}` : '';
  if (state === 'silent') {
    const after = facts.lastAnswer !== null ? ` after hop ${facts.lastAnswer}` : '';
    return { state, text: `no answer from the port: dropped${after} (a filter, or the path is cut)` };
  }
  const at = facts.distance !== null ? ` at hop ${facts.distance}` : '';
  return { state, text: `${state}${at}${loss}` };
}

/** One line for the whole watch: every path's verdict (or that they all say the same); `found` when none is watched. */
export function pathsWatchSummary(paths: readonly { id: number; verdict: PathWatchVerdict }[], found: string): string {
  if (paths.length === 0) return found;
  const texts = new Set(paths.map((p) => p.verdict.text));
  if (paths.length > 1 && texts.size === 1) return `all ${paths.length} paths: ${paths[0]!.verdict.text}`;
  return paths.map((p) => `path ${p.id}: ${p.verdict.text}`).join('; ');
}
