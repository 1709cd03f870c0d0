// One timer armed for the earliest packet due, for the lab's userspace wires (delay-link.ts, the simulator): packets
// wait with different delays, so the next one due can be earlier than the one the timer was armed for, and a timer
// per packet would cost thousands of timers. Times are performance.now() milliseconds.
export class DueTimer {
  private timer: NodeJS.Timeout | undefined;
  private armedFor = Infinity;

  /** `deliver` sends whatever is due now; `nextDue` says when the next packet is due (Infinity: none waits). */
  constructor(
    private readonly deliver: () => void,
    private readonly nextDue: () => number,
  ) {}

  /** Re-arms for the next packet due, after packets came in or went out. */
  schedule(): void {
    const next = this.nextDue();
    if (next === this.armedFor) return;
    clearTimeout(this.timer);
    this.armedFor = next;
    this.timer = next === Infinity ? undefined : setTimeout(this.fire, Math.max(0, next - performance.now()));
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.armedFor = Infinity;
    this.deliver();
    this.schedule();
  };
}
