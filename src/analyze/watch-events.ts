// What changed during a watch, decided from rounds, never from one probe: a hop's responder (a path change), the
// destination's distance, the port's state, and episodes of loss at the end of the path. The port is believed
// silent only after enough silent rounds in a row that loss alone would produce such a run less than once in 10^7
// rounds — at the upper end of the 95% interval of the loss measured so far, so early rounds and lossy paths give
// later, not false, events (a day of rounds at 1/s is under 10^5).
import { binomialTail, triesNeeded } from './evidence.js';
import { wilson } from './watch-loss.js';

/**
 * What one round saw at the end of the path: the port answered (open), the destination refused it (closed), a
 * router refused it with an ICMP unreachable (rejected), or nothing answered (silent: filtered, or lost).
 */
export type RoundPortState = 'open' | 'closed' | 'rejected' | 'silent';

export interface RoundView {
  round: number;
  /** ms since the watch started. */
  atMs: number;
  /** Who answered at each probed TTL (null: unanswered). */
  responders: ReadonlyMap<number, string | null>;
  /**
   * The destination's answer: its TTL and what it said ('silent' when it gave none this round; null when the round
   * did not ask it, to stay within its ICMP budget: such a round says nothing about the port or the loss).
   */
  destination: { ttl: number | null; state: RoundPortState | null };
}

export type WatchChange =
  | { type: 'path-change'; round: number; atMs: number; ttl: number; from: string | null; to: string }
  | { type: 'distance-change'; round: number; atMs: number; from: number | null; to: number }
  | { type: 'port-state'; round: number; atMs: number; from: RoundPortState; to: RoundPortState }
  | { type: 'loss-start'; round: number; atMs: number; lossPct: number }
  | { type: 'loss-end'; round: number; atMs: number; lossPct: number };

/** Consecutive agreeing rounds that establish a positive observation (an answer is not produced by loss). */
const ANSWER_RUN = 3;
/** The chance per round that loss alone fakes a silent run, at most. */
const FALSE_SILENCE = 1e-7;
/** Loss taken as at least this when choosing the run: nothing lost yet is not proof of a lossless path. */
const LOSS_FLOOR = 0.02;
const MAX_SILENT_RUN = 20;
/** Rounds looked at for a loss episode. */
const EPISODE_WINDOW = 10;
/** A window's loss starts an episode when the long-run rate would give that much this seldom... */
const EPISODE_START_P = 0.001;
/** ...and the episode ends when the window is no longer unusual at this level. */
const EPISODE_END_P = 0.05;
/** The long-run rate is taken as at least this: a clean path's first lost rounds are not yet an episode. */
const FLOOR_RATE = 0.02;

/** How many silent rounds in a row loss at `lossRate` would produce with probability below FALSE_SILENCE. */
export function silentRunNeeded(lossRate: number): number {
  return triesNeeded(Math.max(LOSS_FLOOR, lossRate), FALSE_SILENCE, { min: ANSWER_RUN, max: MAX_SILENT_RUN });
}

/** A value believed once it has been seen `needed(value)` rounds in a row. */
class Settled<T> {
  current: T | null = null;
  private candidate: T | null = null;
  private run = 0;

  /** Returns the previous settled value when `value` just settled as a different one. */
  see(value: T, needed: number): { changed: boolean; previous: T | null } {
    if (value === this.current) {
      this.candidate = null;
      this.run = 0;
      return { changed: false, previous: null };
    }
    if (value === this.candidate) this.run++;
    else {
      this.candidate = value;
      this.run = 1;
    }
    if (this.run < needed) return { changed: false, previous: null };
    const previous = this.current;
    this.current = value;
    this.candidate = null;
    this.run = 0;
    return { changed: true, previous };
  }

  reset(): void {
    this.current = null;
    this.candidate = null;
    this.run = 0;
  }
}

export class ChangeDetector {
  private readonly responders = new Map<number, Settled<string>>();
  private readonly settledDistance = new Settled<number>();
  private readonly port = new Settled<RoundPortState>();
  /** Destination answered (true) or not, for the last EPISODE_WINDOW rounds. */
  private readonly window: boolean[] = [];
  private rounds = 0;
  private lost = 0;
  private inEpisode = false;
  /** Silent rounds in a row so far, while the port is not (yet) believed silent. */
  private silentRun = 0;

  /** The changes this round establishes. */
  see(view: RoundView): WatchChange[] {
    const changes: WatchChange[] = [];
    const at = { round: view.round, atMs: view.atMs };
    for (const [ttl, from] of view.responders) {
      // The destination's own hop is followed by its distance, not as a responder.
      if (from === null || ttl === view.destination.ttl) continue;
      let settled = this.responders.get(ttl);
      if (!settled) this.responders.set(ttl, (settled = new Settled<string>()));
      const { changed, previous } = settled.see(from, ANSWER_RUN);
      if (changed && previous !== null) changes.push({ type: 'path-change', ...at, ttl, from: previous, to: from });
    }
    const lossRate = this.rounds > 0 ? this.lost / this.rounds : 0;
    if (view.destination.ttl !== null) {
      const { changed, previous } = this.settledDistance.see(view.destination.ttl, ANSWER_RUN);
      if (changed && previous !== null) changes.push({ type: 'distance-change', ...at, from: previous, to: view.destination.ttl });
    }
    const state = view.destination.state;
    if (state === null) return changes;
    // The loss rate from before the current silent run: the run itself is what is being judged.
    const before = wilson(this.lost - this.silentRun, this.rounds - this.silentRun).high;
    const { changed, previous } = this.port.see(state, state === 'silent' ? silentRunNeeded(before) : ANSWER_RUN - 1);
    this.silentRun = state === 'silent' && this.port.current !== 'silent' ? this.silentRun + 1 : 0;
    // The first settled state is where the watch starts, not a change.
    if (changed && previous !== null) changes.push({ type: 'port-state', ...at, from: previous, to: state });
    // Silence that became a state is no longer a loss episode (its first rounds may have started one).
    if (changed && state === 'silent') {
      this.inEpisode = false;
      this.window.length = 0;
    }
    // Loss is counted only while the port answers at all: a filtered port is a state, not loss.
    if (this.port.current !== 'silent') {
      const answered = state !== 'silent';
      this.rounds++;
      if (!answered) this.lost++;
      this.window.push(answered);
      if (this.window.length > EPISODE_WINDOW) this.window.shift();
      const lostInWindow = this.window.filter((a) => !a).length;
      const windowLoss = lostInWindow / this.window.length;
      // How unusual this window's loss is for the path's long-run rate (binomial tail): an episode is a stretch of
      // loss the path's usual loss would hardly produce, and it ends when the window looks usual again.
      const unusual = binomialTail(lostInWindow, this.window.length, Math.min(0.99, Math.max(FLOOR_RATE, lossRate)));
      if (!this.inEpisode && this.window.length === EPISODE_WINDOW && unusual < EPISODE_START_P) {
        this.inEpisode = true;
        changes.push({ type: 'loss-start', ...at, lossPct: windowLoss * 100 });
      } else if (this.inEpisode && unusual > EPISODE_END_P) {
        this.inEpisode = false;
        changes.push({ type: 'loss-end', ...at, lossPct: windowLoss * 100 });
      }
    }
    return changes;
  }

  /** The settled TTL of the destination's answers (null until rounds agree). */
  get distance(): number | null {
    return this.settledDistance.current;
  }

  /** The settled port state (null until the first rounds agree). */
  get portState(): RoundPortState | null {
    return this.port.current;
  }

  reset(): void {
    this.responders.clear();
    this.settledDistance.reset();
    this.port.reset();
    this.window.length = 0;
    this.rounds = 0;
    this.lost = 0;
    this.inEpisode = false;
    this.silentRun = 0;
  }
}
