// How much a missing answer proves on this path. A lost probe looks exactly like a firewall, so silence at a TTL is
// taken as real only when a hop that does answer would have stayed silent that often with less than a 1% chance,
// given the loss measured on this very path; until then the TTL is re-probed (trace/confirm).
import type { HopResult, TraceResult } from '../engine/types.js';
import { allProbes, hopAt, isAnswered, lastAnswer, silentToEveryTrace } from './path-facts.js';

/** The chance we accept of calling a TTL silent when its hop answers but every try was lost. */
export const SILENCE_ALPHA = 0.01;
/** Tries at one TTL never go past this: the cost stays a few seconds on the worst path. */
export const MAX_TRIES = 6;

export interface PathLoss {
  /** Probes (or tries: see pathLoss) to TTLs known to answer (at least one answer there), over every trace given. */
  probes: number;
  missed: number;
  /** What was counted: single probes, or tries (a hop's burst of probes as one) where routers rate-limit. */
  unit: 'probes' | 'tries';
  /** One probe's chance to go unanswered, leaning high on few samples ((missed + 1) / (probes + 2)). */
  rate: number;
}

/** Probes and misses at the hops that answered at least once: those hops do answer, so a miss is loss or a limiter. */
export function answeringHopCounts(hops: readonly HopResult[]): { probes: number; missed: number } {
  let probes = 0;
  let missed = 0;
  for (const hop of hops) {
    const all = allProbes(hop);
    if (!all.some((p) => p.from !== null)) continue;
    probes += all.length;
    missed += all.filter((p) => p.from === null).length;
  }
  return { probes, missed };
}

/**
 * The loss measured over every trace given (see answeringHopCounts). Where bursts are one try (routers rate-limit,
 * burstsAreOneTry), it is counted in tries as silence is (a hop's own probes as one try, each re-probe one more):
 * a limiter answering the first probe of a burst and refusing the rest is not two lost probes in three, and
 * counting it so would make every silence need the most tries there are.
 */
export function pathLoss(results: readonly (TraceResult | null)[], inTries = false): PathLoss {
  const hops = results.flatMap((result) => result?.hops ?? []);
  const { probes, missed } = inTries ? answeringHopTries(hops) : answeringHopCounts(hops);
  return { probes, missed, unit: inTries ? 'tries' : 'probes', rate: (missed + 1) / (probes + 2) };
}

/**
 * answeringHopCounts in tries: per hop, its own probes as one try and each re-probe as one. Own probes that got
 * nothing at a hop that answered a re-probe (spaced by the budget model) are left out: a spent budget explains them.
 */
function answeringHopTries(hops: readonly HopResult[]): { probes: number; missed: number } {
  let probes = 0;
  let missed = 0;
  for (const hop of hops) {
    if (!isAnswered(hop)) continue;
    const reprobes = (hop.reprobes ?? []).map((p) => p.from !== null);
    const own = hop.probes.some((p) => p.from !== null);
    const drained = !own && reprobes.some(Boolean);
    const tries = [...(hop.probes.length > 0 && !drained ? [own] : []), ...reprobes];
    probes += tries.length;
    missed += tries.filter((answered) => !answered).length;
  }
  return { probes, missed };
}

/**
 * How many unanswered tries in a row make a silence real at this loss rate: loss alone would give that many with
 * probability below alpha. Between `bounds` (a trace's re-probes: 1 to MAX_TRIES).
 */
export function triesNeeded(rate: number, alpha = SILENCE_ALPHA, bounds = { min: 1, max: MAX_TRIES }): number {
  if (rate <= 0) return bounds.min;
  if (rate >= 1) return bounds.max;
  return Math.min(bounds.max, Math.max(bounds.min, Math.ceil(Math.log(alpha) / Math.log(rate))));
}

/** P(X >= k) for X ~ Binomial(n, p). */
export function binomialTail(k: number, n: number, p: number): number {
  let total = 0;
  let term = Math.pow(1 - p, n); // P(X = 0)
  for (let i = 0; i <= n; i++) {
    if (i >= k) total += term;
    term *= ((n - i) / (i + 1)) * (p / (1 - p));
  }
  return Math.min(1, total);
}

/**
 * Signs that routers are rate-limiting their ICMP on this path (or their budget was drained by earlier traces): a
 * hop that answered some probes but not others, a silent TTL below one that answered (unless no trace got
 * anything there: a router that answers no protocol), or no router answering at all (the destination may). Then a
 * burst of probes at one TTL is one try, not several: a limiter drops them all alike.
 */
export function burstsAreOneTry(results: readonly (TraceResult | null)[]): boolean {
  const traces = results.filter((r): r is TraceResult => r !== null);
  // A trace that took hops from other traces is one of a batch: hundreds of them spend the same routers' budgets,
  // and a burst of its own that went unanswered is one look at a router someone else may have just emptied.
  if (traces.some((r) => r.hops.some((h) => h.shared))) return true;
  // A TTL that no trace got anything from is a router that answers no protocol, not one out of budget.
  const silentToAll = (ttl: number) => traces.every((r) => !isAnswered(hopAt(r, ttl)));
  let anyRouter = false;
  for (const result of traces) {
    let answeredAbove = false;
    for (let i = result.hops.length - 1; i >= 0; i--) {
      const probes = result.hops[i]!.probes;
      const answered = probes.filter((p) => p.from !== null).length;
      if (probes.some((p) => p.reply?.kind === 'time-exceeded')) anyRouter = true;
      if (answered > 0 && answered < probes.length) return true;
      if (answered === 0 && answeredAbove && !silentToAll(result.hops[i]!.ttl)) return true;
      if (answered > 0) answeredAbove = true;
    }
  }
  return !anyRouter;
}

export interface Silence {
  /** Independent unanswered tries at this TTL (0 when something answered there). */
  tries: number;
  /** Enough tries went unanswered to call it silent at the chosen confidence. */
  settled: boolean;
  answered: boolean;
}

/** Whether a TTL's silence is established, counting the trace's own probes and the re-probes. */
export function silenceAt(hop: HopResult | undefined, loss: PathLoss, burstOneTry: boolean): Silence {
  if (!hop) return { tries: 0, settled: false, answered: false };
  if (isAnswered(hop)) return { tries: 0, settled: false, answered: true };
  const firstPass = burstOneTry ? Math.min(1, hop.probes.length) : hop.probes.length;
  const tries = firstPass + (hop.reprobes?.length ?? 0);
  return { tries, settled: tries >= triesNeeded(loss.rate), answered: false };
}

/**
 * Where a trace's silence begins, as far as the evidence can place it: `last` is its last answering TTL (0: none),
 * `hiddenTo` the last of the TTLs after it that answer no trace at all (`last` when there are none), and `evidenceTtl`
 * the first TTL past those: the one whose silence in this trace (while another trace got an answer there) is what
 * shows this trace's traffic stops. The stop is at `last` or at any hop up to `hiddenTo`.
 * Only on a path whose routers show no sign of spent ICMP budgets (burstsAreOneTry) is a TTL silent to every trace
 * taken for a router that answers no protocol: where budgets are spent (runs back to back), it may be a router out of
 * tokens, and it stays the TTL to ask.
 */
export function silenceBoundary(main: TraceResult, control: TraceResult | null): { last: number; hiddenTo: number; evidenceTtl: number } {
  const last = lastAnswer(main)?.ttl ?? (main.hops[0]?.ttl ?? 1) - 1;
  const silentRouters = control !== null && !burstsAreOneTry([main, control]);
  const hiddenTo = silentRouters ? silentToEveryTrace([main, control], last + 1) : last;
  return { last, hiddenTo, evidenceTtl: hiddenTo + 1 };
}
