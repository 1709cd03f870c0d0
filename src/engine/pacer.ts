// A probe rate shared by many traces (a batch's --rate): every probe reserves a send slot, and slots come no faster
// than the rate allows, with a short burst. The reservation is the generic cell rate algorithm (a token bucket
// kept as one "theoretical arrival time"): O(1), no timers of its own, on whatever clock the tracers run on.
export class Pacer {
  /** When the next slot would be free if nothing had been saved up (ms, on the tracers' clock). */
  private nextSlotMs = -Infinity;
  private readonly intervalMs: number;
  /** How far ahead of the steady pace a burst may run. */
  private readonly toleranceMs: number;

  /** `perSecond` probes a second in the long run; up to `burst` at once after a pause. */
  constructor(
    readonly perSecond: number,
    readonly burst = Math.max(1, Math.round(perSecond / 20)),
  ) {
    if (!(perSecond > 0) || !Number.isFinite(perSecond)) throw new RangeError(`a pacer needs a positive rate, not ${perSecond}`);
    this.intervalMs = 1000 / perSecond;
    this.toleranceMs = (Math.max(1, burst) - 1) * this.intervalMs;
  }

  /** Reserves the next slot at or after `nowMs` and returns its time: send then. */
  reserve(nowMs: number): number {
    const at = Math.max(nowMs, this.nextSlotMs - this.toleranceMs);
    this.nextSlotMs = Math.max(this.nextSlotMs, at) + this.intervalMs;
    return at;
  }
}
