// What a watch learns from the rounds of one flow: statistics per hop, the changes they establish (path, distance,
// port state, loss episodes), and the loss read as forwarded or a router's own ICMP. A plain watch has one flow; a
// paths watch one per path. No sockets, no timers: rounds go in, a summary comes out.
import { HopStats } from '../analyze/hop-stats.js';
import { ChangeDetector } from '../analyze/watch-events.js';
import type { RoundPortState, WatchChange } from '../analyze/watch-events.js';
import { readLoss } from '../analyze/watch-loss.js';
import type { ForwardedLoss, HopLoss } from '../analyze/watch-loss.js';
import type { HopStatsSnapshot } from '../analyze/hop-stats.js';
import type { MplsLabel } from '../packet/icmp.js';
import type { RoundResult } from './watch-rounds.js';

export interface WatchHop extends HopStatsSnapshot {
  /** What its loss is: none, forwarded, the router's own ICMP limit, or unsure (with its 95% interval). */
  loss: HopLoss | null;
  /** MPLS labels from the latest full trace's answers at this TTL. */
  mpls?: MplsLabel[];
}

export interface FlowSummary {
  hops: WatchHop[];
  /** The port's state as settled by the rounds (null until they agree). */
  portState: RoundPortState | null;
  /** The TTL the destination answers at (null while it does not). */
  distance: number | null;
  /** Loss at the end of the path, where it starts, and its 95% interval; null when there is none. */
  forwardedLoss: ForwardedLoss | null;
}

/** Echo requests to the destination and their answers: what measures an end that answers with rate-limited ICMP. */
export type EchoCounts = { sent: number; received: number };

const MAX_CHANGES = 1000;

export class FlowWatch {
  private readonly stats = new Map<number, HopStats>();
  private readonly detector = new ChangeDetector();
  private readonly kept: WatchChange[] = [];
  /** The end of the path answered the latest round that reached it with an ICMP error (rate-limited). */
  private endIcmp = false;
  private counted = 0;

  /** Rounds counted since the start or the last reset. */
  get rounds(): number {
    return this.counted;
  }

  get portState(): RoundPortState | null {
    return this.detector.portState;
  }

  /** Changes seen, oldest first (the last MAX_CHANGES; a reset keeps them). */
  get changes(): WatchChange[] {
    return [...this.kept];
  }

  /** Counts a round in and returns the changes it establishes; `onResponder` hears each responder the statistics keep. */
  record(round: RoundResult, onResponder?: (address: string) => void): WatchChange[] {
    this.counted++;
    if (round.destination.ttl !== null) this.endIcmp = round.destination.icmp === true;
    for (const { ttl, result } of round.probes) {
      let stats = this.stats.get(ttl);
      if (!stats) this.stats.set(ttl, (stats = new HopStats(ttl)));
      stats.record({ from: result.from, rttMs: result.rtt });
      // Only the responders the statistics keep: a router answering from a fresh address every round adds none.
      if (result.from && stats.keeps(result.from)) onResponder?.(result.from);
    }
    const responders = new Map(round.probes.map((p) => [p.ttl, p.result.from]));
    const changes = this.detector.see({ round: round.round, atMs: round.atMs, responders, destination: round.destination });
    this.kept.push(...changes);
    if (this.kept.length > MAX_CHANGES) this.kept.splice(0, this.kept.length - MAX_CHANGES);
    return changes;
  }

  /** Forgets the statistics (not the changes) and starts counting again. */
  reset(): void {
    this.stats.clear();
    this.detector.reset();
    this.counted = 0;
  }

  /**
   * The statistics so far. `echoes`: control echoes to the destination, which measure an end that answers with ICMP
   * errors (rate-limited like a router's) instead of its own answers; `mplsAt`: labels seen at a TTL.
   */
  summary(echoes: EchoCounts | null = null, mplsAt: (ttl: number) => MplsLabel[] | undefined = () => undefined): FlowSummary {
    const snapshots = [...this.stats.values()].sort((a, b) => a.ttl - b.ttl).map((s) => s.snapshot());
    const distance = this.detector.portState !== 'silent' ? this.detector.distance : null;
    const answering = snapshots.filter((s) => s.received > 0 && (distance === null || s.ttl <= distance));
    const end = answering.at(-1);
    const loss = this.endIcmp && end ? readLoss(answering, { ttl: end.ttl, ...(echoes ?? { sent: 0, received: 0 }) }) : readLoss(answering);
    const lossByTtl = new Map(loss.hops.map((h) => [h.ttl, h]));
    return {
      hops: snapshots.map((s) => {
        const mpls = mplsAt(s.ttl);
        return { ...s, loss: lossByTtl.get(s.ttl) ?? null, ...(mpls && mpls.length > 0 ? { mpls } : {}) };
      }),
      portState: this.detector.portState,
      distance,
      forwardedLoss: loss.forwarded,
    };
  }
}
