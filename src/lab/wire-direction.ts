// One direction of a lab wire, without the I/O: packets go in with the time they arrived, come out when they are
// due. Times are passed in (never read from a clock), so unit tests drive it exactly and a seed replays.
import { DueQueue } from './due-queue.js';
import { packetFate } from './impairment.js';
import type { Impairment } from './impairment.js';
import type { Random } from './seeded-random.js';

/**
 * How long a reordered packet waits for a successor to overtake it. Without one (the last probe of a burst) it
 * goes out this late rather than never: late enough to notice, short of every tracer's timeout.
 */
export const REORDER_MAX_HOLD_MS = 50;

interface HeldBack<T> {
  packet: T;
  due: number;
  deadline: number;
}

export class WireDirection<T> {
  private readonly queue = new DueQueue<T>();
  /** A packet picked for reordering, waiting for the next packet to enter the wire. */
  private heldBack: HeldBack<T> | undefined;

  constructor(
    private readonly impairment: Impairment,
    private readonly random: Random,
  ) {}

  /** A packet entered the wire at `now`: false when the wire drops it. */
  accept(packet: T, now: number): boolean {
    this.releaseOverdueHeldBack(now);
    const fate = packetFate(this.impairment, this.random);
    if (fate.drop) return false;
    const due = now + fate.delayMs;
    const waiting = this.heldBack;
    this.heldBack = undefined;
    if (fate.reorder) this.heldBack = { packet, due, deadline: due + REORDER_MAX_HOLD_MS };
    else this.queue.push(due, packet);
    // The packet held back goes out behind this one: never earlier than this one is due, and pushed after it,
    // so on a tie it still leaves second.
    if (waiting) this.queue.push(Math.max(waiting.due, due), waiting.packet);
    return true;
  }

  /** A packet the impairments leave alone (see link-scoped.ts): base delay only, nothing drawn from the stream. */
  acceptUnimpaired(packet: T, now: number): void {
    this.queue.push(now + this.impairment.delayMs, packet);
  }

  /** The packets due at `now`, in the order they leave the wire. */
  release(now: number): T[] {
    this.releaseOverdueHeldBack(now);
    const out: T[] = [];
    for (let packet = this.queue.popDue(now); packet !== undefined; packet = this.queue.popDue(now)) out.push(packet);
    return out;
  }

  /** A held-back packet whose successor never came in time goes out at its deadline. */
  private releaseOverdueHeldBack(now: number): void {
    if (this.heldBack && this.heldBack.deadline <= now) {
      this.queue.push(this.heldBack.deadline, this.heldBack.packet);
      this.heldBack = undefined;
    }
  }

  /** When release() next has something to give, or undefined when the wire is empty. */
  nextDue(): number | undefined {
    const queued = this.queue.peekDue();
    const held = this.heldBack?.deadline;
    if (queued === undefined) return held;
    return held === undefined ? queued : Math.min(queued, held);
  }
}
