// How often a watch may probe each TTL without causing the loss it measures. A router answers our probes with ICMP
// made by its CPU and rate-limited per source (Linux: a burst of 6, then 1/s); probed faster than that, it drops
// answers and a watch would report loss it caused itself. The budget is learned from what each hop answers: while
// a later hop answers the same rounds (so the traffic went through), a hop that leaves far more of its recent probes
// unanswered than the path loses anyway is probed half as often, down to once per MAX_SPACING_MS; after a quiet
// minute it is tried faster again. (Plain loss on the path also takes a hop's answers away, on their way back:
// hence the margin over the path's own loss rate, which keeps a lossy path probed every round.)

const RECENT = 8;
/** Unanswered probes among the last RECENT (with a later hop answering) that may mean "too fast for this router"... */
const TOO_FAST = 3;
/** ...when their share also exceeds the path's own loss rate by this much. */
const MARGIN_OVER_PATH_LOSS = 0.35;
/** Linux's default: one ICMP per second per source once the burst is spent. */
const FIRST_BACKOFF_MS = 1000;
const MAX_SPACING_MS = 8000;
const RECOVER_AFTER_MS = 60_000;

interface Budget {
  /** Least time between two probes at this TTL (0: every round). */
  spacingMs: number;
  lastSentMs: number;
  /** Recent outcomes where a later hop answered: true = this hop answered. */
  recent: boolean[];
  quietSinceMs: number;
}

export class HopBudgets {
  private readonly budgets = new Map<number, Budget>();

  private budget(ttl: number, nowMs: number): Budget {
    let budget = this.budgets.get(ttl);
    if (!budget) this.budgets.set(ttl, (budget = { spacingMs: 0, lastSentMs: -Infinity, recent: [], quietSinceMs: nowMs }));
    return budget;
  }

  /** Whether this round may probe `ttl`; call `sent` when it does. */
  allows(ttl: number, nowMs: number): boolean {
    const budget = this.budget(ttl, nowMs);
    if (budget.spacingMs > 0 && nowMs - budget.quietSinceMs >= RECOVER_AFTER_MS) {
      budget.spacingMs = budget.spacingMs <= FIRST_BACKOFF_MS ? 0 : budget.spacingMs / 2;
      budget.quietSinceMs = nowMs;
    }
    return nowMs - budget.lastSentMs >= budget.spacingMs;
  }

  sent(ttl: number, nowMs: number): void {
    this.budget(ttl, nowMs).lastSentMs = nowMs;
  }

  /**
   * What a probe at `ttl` got, whether a later TTL answered in the same round, and the share of rounds the end of
   * the path has lost so far.
   */
  outcome(ttl: number, answered: boolean, laterAnswered: boolean, nowMs: number, pathLossRate = 0): void {
    if (!laterAnswered) return; // the traffic may not have got through: says nothing about this router's budget
    const budget = this.budget(ttl, nowMs);
    budget.recent.push(answered);
    if (budget.recent.length > RECENT) budget.recent.shift();
    const unanswered = budget.recent.filter((a) => !a).length;
    if (unanswered >= TOO_FAST && unanswered / RECENT > pathLossRate + MARGIN_OVER_PATH_LOSS) {
      budget.spacingMs = Math.min(MAX_SPACING_MS, Math.max(FIRST_BACKOFF_MS, budget.spacingMs * 2));
      budget.recent = [];
      budget.quietSinceMs = nowMs;
    } else if (!answered) {
      budget.quietSinceMs = nowMs;
    }
  }

  spacingOf(ttl: number): number {
    return this.budgets.get(ttl)?.spacingMs ?? 0;
  }

  reset(): void {
    this.budgets.clear();
  }
}
