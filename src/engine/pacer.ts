// A probe rate shared by many traces (a batch's --rate): probes wait in one queue, first come first served, and
// slots are handed out no faster than the rate allows, with a short burst (the generic cell rate algorithm: a token
// bucket kept as one "theoretical arrival time"). A slot is spent only on a probe actually sent: a trace that no
// longer needs its probe when the slot comes (its destination answered meanwhile) passes the slot on, so a batch
// runs at the rate it was given, not at the rate of the probes it queued.
import type { Clock } from './clock.js';

/** How often a held pacer looks again whether it may hand out slots. */
const HOLD_RECHECK_MS = 5;

interface Waiter {
  /** Sends the probe now; false when it is no longer wanted (the slot goes to the next waiter). */
  send: () => boolean;
  cancelled: boolean;
}

export class Pacer {
  /** When the next slot would be free if nothing had been saved up (ms, on the clock). */
  private nextSlotMs = -Infinity;
  private readonly intervalMs: number;
  /** How far ahead of the steady pace a burst may run. */
  private readonly toleranceMs: number;
  private readonly queue: Waiter[] = [];
  private head = 0;
  private cancelTimer: (() => void) | null = null;
  private pumping = false;

  /**
   * `perSecond` probes a second in the long run; up to `burst` at once after a pause. While `holdWhile` says so (the
   * transport reads its answers behind: Network.readBehind), no slot is handed out: a process at a full core that
   * went on sending would only lengthen the queue of answers it has not read, until the kernel drops them.
   */
  constructor(
    readonly perSecond: number,
    private readonly clock: Clock,
    readonly burst = Math.max(1, Math.round(perSecond / 20)),
    private readonly holdWhile: () => boolean = () => false,
  ) {
    if (!(perSecond > 0) || !Number.isFinite(perSecond)) throw new RangeError(`a pacer needs a positive rate, not ${perSecond}`);
    this.intervalMs = 1000 / perSecond;
    this.toleranceMs = (Math.max(1, burst) - 1) * this.intervalMs;
  }

  /** Probes waiting for a slot. */
  get waiting(): number {
    return this.queue.length - this.head;
  }

  /** Queues a probe: `send` is called when its slot comes. Returns a function that takes it out of the queue. */
  request(send: () => boolean): () => void {
    const waiter: Waiter = { send, cancelled: false };
    this.queue.push(waiter);
    this.pump();
    return () => {
      waiter.cancelled = true;
    };
  }

  /** A probe sent at once (it cannot wait: the trace waits on it) takes its slot all the same. */
  charge(): void {
    const now = this.clock.now();
    this.nextSlotMs = Math.max(this.nextSlotMs, now) + this.intervalMs;
  }

  private pump(): void {
    // A waiter's send may queue another probe (its trace steps on): that one waits for this loop, not a second one.
    if (this.pumping || this.cancelTimer) return;
    this.pumping = true;
    try {
      while (this.head < this.queue.length) {
        const now = this.clock.now();
        const at = this.holdWhile() ? now + HOLD_RECHECK_MS : Math.max(now, this.nextSlotMs - this.toleranceMs);
        if (at > now) {
          this.cancelTimer = this.clock.setTimer(at - now, () => {
            this.cancelTimer = null;
            this.pump();
          });
          return;
        }
        const waiter = this.queue[this.head++]!;
        if (!waiter.cancelled && waiter.send()) this.nextSlotMs = Math.max(this.nextSlotMs, now) + this.intervalMs;
      }
    } finally {
      this.pumping = false;
      // Keep the array from growing for ever: drop the served part once it is most of it.
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
    }
  }
}

/**
 * When a probe to `ttl` may go, from `nowMs` on, for the router it expires at to have ICMP budget left for its answer
 * (a batch's routers, which thousands of traces share: trace/router-budgets); the turn is taken. `nowMs` when nothing
 * is known of that router; null when its turns are taken too far ahead: the probe is not sent (it would go
 * unanswered, and take the token of a probe that waited for it), and the hop reports it unanswered.
 */
export type ProbeGate = (ttl: number, nowMs: number) => number | null;
