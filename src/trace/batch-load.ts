// How far behind the event loop runs, for a batch to stop starting traces while the process cannot keep up. A batch's
// pace is its --rate, but what a process can do depends on the host: on a busy or small machine a thousand traces at
// once outrun the CPU, answers wait in the sockets' buffers (then overflow them: lost), and each one read late is
// timed late. A timer that should fire every TICK_MS measures the lag; above BUSY_MS no new trace starts until it
// falls again (the traces running go on, and the pace follows what the process can do).

/** How often the lag is sampled (ms). */
export const TICK_MS = 10;
/** Smoothed lag above which the process counts as busy (ms). */
export const BUSY_MS = 40;
/** Weight of the newest sample in the smoothed lag. */
const WEIGHT = 0.2;

export class LoopLag {
  private last: number | null = null;
  /** The smoothed lag, ms. */
  lag = 0;
  private timer: NodeJS.Timeout | null = null;

  /** One tick of the sampling timer, at `now` (ms). */
  observe(now: number): void {
    if (this.last !== null) this.lag = (1 - WEIGHT) * this.lag + WEIGHT * Math.max(0, now - this.last - TICK_MS);
    this.last = now;
  }

  get busy(): boolean {
    return this.lag > BUSY_MS;
  }

  start(): this {
    this.timer = setInterval(() => this.observe(performance.now()), TICK_MS);
    this.timer.unref();
    return this;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
