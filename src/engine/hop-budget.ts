// How often a watch may probe each TTL without causing the loss it measures. A router answers our probes with ICMP
// made by its CPU and rate-limited per source (Linux: a burst of 6, then 1/s); probed faster than that, it drops
// answers and a watch would report loss it caused itself. The budget is learned from what each hop answers: while
// a later hop answers the same rounds (so the traffic went through), a hop that leaves far more of its recent probes
// unanswered than the path loses anyway is probed half as often, down to once per MAX_SPACING_MS; after a quiet
// minute it is tried faster again. (Plain loss on the path also takes a hop's answers away, on their way back:
// hence the margin over the path's own loss rate, which keeps a lossy path probed every round.)

const RECENT = 16;
/** Unanswered probes among the last RECENT (with a later hop answering) mean "too fast for this router" when their
 *  share exceeds the path's own loss rate by this much (so at least 6 of 16, however clean the path). */
const MARGIN_OVER_PATH_LOSS = 0.35;
/** Linux's default: one ICMP per second per source once the burst is spent. */
const FIRST_BACKOFF_MS = 1000;
const MAX_SPACING_MS = 8000;
/** A faster pace is tried this long after a back-off, twice as long after each try that failed, at most MAX_RECOVER_MS. */
const RECOVER_AFTER_MS = 60_000;
const MAX_RECOVER_MS = 600_000;

interface Budget {
  /** Least time between two probes at this TTL (0: every round). */
  spacingMs: number;
  lastSentMs: number;
  /** Recent outcomes where a later hop answered: true = this hop answered. */
  recent: boolean[];
  /** The last back-off (or the start): recoverAfterMs after it, a faster pace is tried again. */
  quietSinceMs: number;
  recoverAfterMs: number;
  /** A faster pace is being tried: a back-off now means it was too fast. */
  trying: boolean;
}

export class HopBudgets {
  private readonly budgets = new Map<number, Budget>();

  private budget(ttl: number, nowMs: number): Budget {
    let budget = this.budgets.get(ttl);
    if (!budget) this.budgets.set(ttl, (budget = { spacingMs: 0, lastSentMs: -Infinity, recent: [], quietSinceMs: nowMs, recoverAfterMs: RECOVER_AFTER_MS, trying: false }));
    return budget;
  }

  /** Whether this round may probe `ttl`; call `sent` when it does. */
  allows(ttl: number, nowMs: number): boolean {
    const budget = this.budget(ttl, nowMs);
    if (budget.spacingMs > 0 && nowMs - budget.quietSinceMs >= budget.recoverAfterMs) {
      budget.spacingMs = budget.spacingMs <= FIRST_BACKOFF_MS ? 0 : budget.spacingMs / 2;
      budget.quietSinceMs = nowMs;
      budget.trying = true;
    }
    return nowMs - budget.lastSentMs >= budget.spacingMs;
  }

  sent(ttl: number, nowMs: number): void {
    this.budget(ttl, nowMs).lastSentMs = nowMs;
  }

  /**
   * What a probe at `ttl` got, whether a later TTL answered in the same round, and how much the end of the path
   * may be losing anyway (the top of its 95% interval: early on, with few rounds, that is high, so no hop is slowed
   * on a handful of samples).
   */
  outcome(ttl: number, answered: boolean, laterAnswered: boolean, nowMs: number, pathLossRate = 0): void {
    if (!laterAnswered) return; // the traffic may not have got through: says nothing about this router's budget
    const budget = this.budget(ttl, nowMs);
    budget.recent.push(answered);
    if (budget.recent.length > RECENT) budget.recent.shift();
    const unanswered = budget.recent.filter((a) => !a).length;
    if (unanswered / RECENT > pathLossRate + MARGIN_OVER_PATH_LOSS) {
      // A back-off soon after a faster pace was tried: that pace was too fast, so wait longer before the next try.
      if (budget.trying) budget.recoverAfterMs = Math.min(MAX_RECOVER_MS, budget.recoverAfterMs * 2);
      budget.trying = false;
      budget.spacingMs = Math.min(MAX_SPACING_MS, Math.max(FIRST_BACKOFF_MS, budget.spacingMs * 2));
      budget.recent = [];
      budget.quietSinceMs = nowMs;
    }
  }

  /**
   * `ttl` answers with ICMP errors and nothing past it shows whether the traffic got through (the end of the path:
   * the destination's port unreachable, a rejecting router): probe it no faster than a Linux router refills its
   * budget, so the watch does not count the answers its own pace refused as loss.
   */
  icmpErrors(ttl: number, nowMs: number): void {
    const budget = this.budget(ttl, nowMs);
    if (budget.spacingMs >= FIRST_BACKOFF_MS) return;
    budget.spacingMs = FIRST_BACKOFF_MS;
    budget.quietSinceMs = nowMs;
    budget.trying = false;
  }

  reset(): void {
    this.budgets.clear();
  }
}
