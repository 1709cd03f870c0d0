// The routers' ICMP budgets as a whole batch spends them. One trace models the routers on its own path by TTL
// (engine/icmp-budget); a batch's traces cross the same routers by the thousand, and a router's budget (Linux: a
// burst of 6, then 1 a second toward us) is spent by whichever of them asks first. The follow-up probes a verdict
// hinges on (the last router before a drop, a router that rejects) are then timed by the router's budget across
// every trace, in the order they asked: each waits for a token no other trace of the batch has taken, and is
// answered, rather than all of them asking at once and most going unanswered.
import { lastAnswer } from '../analyze/path-facts.js';
import { IcmpBudget } from '../engine/icmp-budget.js';
import type { ProbeGate } from '../engine/pacer.js';
import type { HopResult, TraceResult } from '../engine/types.js';
import { LruMap } from './lru-map.js';

/** Longest a follow-up probe waits for its router's turn; past it, it goes anyway (and may go unanswered). */
const MOST_WAIT_MS = 15_000;
/**
 * Longest a trace's own probe waits for its router's turn; past it, it is not sent. The turns further ahead are the
 * follow-ups' (the probes a verdict hinges on): a trace's probe sent outside its turn would take one of their tokens.
 */
const MOST_WAIT_TRACE_MS = 3_000;
/** Buckets full again are forgotten every this many takes: memory stays bounded by the routers asked lately. */
const FORGET_EVERY = 1024;

/** How a trace's follow-up probes are timed: by TTL, as one trace sees its routers (engine/icmp-budget). */
export interface TtlBudget {
  take(ttl: number, fromMs: number): number;
  set(ttl: number, tokens: number, atMs: number): void;
}

/** One trace's part in the batch's budgets: the gate of its probes, and its follow-up's view (RouterBudgets.forTrace). */
export interface RouterTurns {
  gate: ProbeGate;
  /**
   * The follow-up's budget by TTL: its own model (`local`, built from what it saw) and the batch's, whichever is
   * later. `control`: the routers it met name those the main trace did not hear.
   */
  view(local: IcmpBudget, result: TraceResult, nowMs: number, control?: TraceResult | null): TtlBudget;
}

/** The router a hop's probes met (time exceeded or a router's unreachable; not the destination's answers). */
function routerMet(hop: HopResult | undefined, destination: string): string | null {
  for (const probe of [...(hop?.probes ?? []), ...(hop?.reprobes ?? [])]) {
    if (probe.from !== null && probe.from !== destination && (probe.reply?.kind === 'time-exceeded' || probe.reply?.kind === 'unreachable')) return probe.from;
  }
  return null;
}

/**
 * How long a router counts as rate-limited after a trace last saw it leave probes unanswered. Loss leaves probes
 * unanswered too: a router marked for that alone would have its probes wait, or not go, for the rest of the batch.
 */
const LIMITED_FOR_MS = 10_000;
/** Routers remembered as rate-limited. */
const LIMITED_MOST = 65_536;
/**
 * Telling loss from a rate limit: answers are counted per router from runs that ended within a window of this
 * long and took at most TRACE_MOST_MS (so every answer counted came within WINDOW_MS + TRACE_MOST_MS). Linux answers
 * at most a burst of 6 and 1 a second in that time (21); a router that gave FAST_ANSWERS or more is not limited at
 * that rate, and a probe of its that went unanswered was lost: it is not given turns for FAST_FOR_MS.
 */
const WINDOW_MS = 10_000;
const TRACE_MOST_MS = 5_000;
const FAST_ANSWERS = 40;
const FAST_FOR_MS = 30_000;

export class RouterBudgets {
  private readonly budgets = new IcmpBudget<string>();
  private takes = 0;
  /**
   * Routers some trace saw leave probes unanswered. Only their probes wait for turns: a router that has answered
   * everything asked costs no waiting (many do not rate-limit, or allow far more than Linux's 1 a second). The value:
   * when a trace last saw it so (ms); it counts for LIMITED_FOR_MS.
   */
  private readonly limited = new LruMap<string, number>(LIMITED_MOST);
  /** Answers per router in the current window (see WINDOW_MS): since when, and how many. */
  private readonly answers = new LruMap<string, { sinceMs: number; count: number }>(LIMITED_MOST);
  /** Routers seen answering faster than any rate limit we model lets them (when, ms): loss, not a budget, for FAST_FOR_MS. */
  private readonly fast = new LruMap<string, number>(LIMITED_MOST);

  /**
   * A run of the batch (its trace and control) ended at `nowMs`, `elapsedMs` after it started: its routers' answers
   * are counted, and a router answering far faster than Linux's limit allows is known not to be limited at it (its
   * missing answers were loss). Runs longer than TRACE_MOST_MS are not counted: their answers may lie before the
   * window.
   */
  observe(results: readonly TraceResult[], elapsedMs: number, nowMs: number): void {
    if (elapsedMs > TRACE_MOST_MS) return;
    for (const result of results) {
      const destination = result.target.address;
      for (const hop of result.hops) {
        if (hop.shared) continue;
        for (const probe of [...hop.probes, ...(hop.reprobes ?? [])]) {
          if (probe.from === null || probe.from === destination || probe.reply?.kind !== 'time-exceeded') continue;
          let counted = this.answers.get(probe.from);
          if (!counted || nowMs - counted.sinceMs > WINDOW_MS) this.answers.set(probe.from, (counted = { sinceMs: nowMs, count: 0 }));
          if (++counted.count >= FAST_ANSWERS) this.fast.set(probe.from, nowMs);
        }
      }
    }
  }

  private isFast(router: string, nowMs: number): boolean {
    const seen = this.fast.peek(router);
    return seen !== undefined && nowMs - seen <= FAST_FOR_MS;
  }

  /**
   * One trace's turns. `expected` names the router at each TTL it has not heard from itself (index TTL - 1; a
   * sibling's path, trace/batch-siblings): its probes there wait a little for a turn, or are not sent. `first` names
   * the routers every trace of its family crosses first (trace/batch-knowledge): only a check or a full trace asks
   * them, and it needs their answers, so its probes there wait as long as a follow-up's, then go.
   */
  forTrace(expected: readonly (string | null)[], first: readonly (string | null)[] = []): RouterTurns {
    /** TTLs whose probes were given a later turn, or none: some may not have gone out before the trace ended. */
    const delayed = new Set<number>();
    const known = Array.from({ length: Math.max(expected.length, first.length) }, (_, i) => expected[i] ?? first[i] ?? null);
    return {
      gate: (ttl, nowMs) => {
        const router = known[ttl - 1] ?? null;
        const firstHop = (first[ttl - 1] ?? null) !== null;
        const at = router === null ? nowMs : firstHop ? this.turn(router, nowMs) : this.turn(router, nowMs, MOST_WAIT_TRACE_MS);
        if (at === null || at > nowMs) delayed.add(ttl);
        return at;
      },
      view: (local, result, nowMs, control) => this.view(local, result, control ?? null, known, delayed, nowMs),
    };
  }

  /**
   * The router's next turn from `fromMs` on, taken. When it is more than `most` ms off: a follow-up's probe goes at
   * `fromMs` anyway, a trace's probe not at all (null).
   */
  private turn(router: string, fromMs: number): number;
  private turn(router: string, fromMs: number, most: number): number | null;
  private turn(router: string, fromMs: number, most?: number): number | null {
    const marked = this.limited.get(router);
    if (marked === undefined || fromMs - marked > LIMITED_FOR_MS || this.isFast(router, fromMs)) return fromMs;
    if (++this.takes % FORGET_EVERY === 0) this.budgets.forgetFull(fromMs);
    if (this.budgets.readyAt(router, fromMs) - fromMs > (most ?? MOST_WAIT_MS)) return most === undefined ? fromMs : null;
    return this.budgets.take(router, fromMs);
  }

  private view(local: IcmpBudget, result: TraceResult, control: TraceResult | null, expected: readonly (string | null)[], delayed: ReadonlySet<number>, nowMs: number): TtlBudget {
    const destination = result.target.address;
    const met = (trace: TraceResult | null, ttl: number) => routerMet(trace?.hops.find((h) => h.ttl === ttl), destination);
    const routerAt = (ttl: number): string | null => met(result, ttl) ?? met(control, ttl) ?? expected[ttl - 1] ?? null;
    // What the trace saw: a router that answered some of its probes and not the others has nothing left now; so has
    // the router expected at a hop silent throughout while a later hop answered (the probes went past it). A silent
    // hop with nothing after it says nothing of a router (the port's traffic may stop before it), nor does a hop
    // whose probes waited for turns (they may not have gone out before the trace ended).
    const farthest = Math.max(0, ...result.hops.filter((h) => !h.shared && h.probes.some((p) => p.from !== null)).map((h) => h.ttl));
    for (const hop of result.hops) {
      if (hop.shared || delayed.has(hop.ttl) || !hop.probes.some((p) => p.from === null)) continue;
      const silent = hop.probes.every((p) => p.from === null);
      const router = silent ? (hop.ttl < farthest ? (expected[hop.ttl - 1] ?? null) : null) : routerMet(hop, destination);
      if (router === null || this.isFast(router, nowMs)) continue;
      this.limited.set(router, nowMs);
      // (Not where other traces' probes are already waiting for its next tokens: their turns stand.)
      if (this.budgets.readyAt(router, nowMs) <= nowMs) this.budgets.set(router, 0, nowMs);
    }
    return {
      take: (ttl, fromMs) => {
        const own = local.take(ttl, fromMs);
        const router = routerAt(ttl);
        let at = router === null ? own : this.turn(router, own);
        // The first TTL past the last answer may be answered by the router before it (a reject, for every TTL past
        // it): that router's turn too.
        const before = ttl === (lastAnswer(result)?.ttl ?? 0) + 1 ? routerAt(ttl - 1) : null;
        if (before !== null && before !== router) at = Math.max(at, this.turn(before, own));
        return at;
      },
      set: (ttl, tokens, atMs) => local.set(ttl, tokens, atMs),
    };
  }
}
