// Rate limiting or loss? A router's ICMP budget (Linux: a burst of 6, then one a second per source) answers probes
// a second apart every time and drops the tail of a burst; loss does not care about spacing. So the test sends a
// burst of BURST probes, then SPACED probes a little over a second apart, and compares two explanations by
// likelihood: (a) every probe is lost with one rate; (b) a limiter answered the first b probes of the burst and
// nothing after — except perhaps one: a bucket that was nearly refilled when the burst began earns its next token
// during the burst (in the sweep's labs, re-run traces met such buckets in 30 tests of 268) — and the rest
// were lost with another rate. (b) has a free parameter more (b), and one more again for a late token, so it must
// beat (a) by a margin (ln BURST each, a BIC-like penalty) and then by 19:1 to be called rate limiting. The burst's
// probes are spaced wider than the path's jitter (burstSpacing), so the router sees them in the order they were
// sent: a limiter's cut is only visible in order.
import type { HopResult, LossCause } from '../engine/types.js';
import { answeringHopCounts, binomialTail } from './evidence.js';
import { allProbes } from './path-facts.js';

/**
 * Back-to-back probes per tested hop: well past Linux's burst of 6, so a limiter's cut shows, and enough that a
 * lossy hop shows its loss (at 19% loss, 23 probes all come back 0.8% of the time, 13 did 6.5%). Simulated (see
 * the unit test), 20 rather than 10 raised the right calls at 10% path loss from 83% to 93% for a limiter and from
 * 70% to 89% for plain loss; the burst costs no waiting, only the router's refusals.
 */
export const BURST = 20;
/**
 * Then this many probes, each RECHECK_SPACING_MS after the previous one (Linux refills 1 per second), the first
 * that long after the burst's last. Three, not two: in the sweep's labs two were right 89% (rate limits) and 85%
 * (loss) of the time, three 94% and 92%.
 */
export const SPACED = 3;
export const RECHECK_SPACING_MS = 1100;
/** Between the burst's probes: at least this, and wider on a jittery path (burstSpacing), up to the most. */
export const BURST_SPACING_MS = { least: 2, most: 20 };

const DECIDE = Math.log(19);

function logLikelihood(answered: number, sent: number, rate: number): number {
  const missed = sent - answered;
  return (answered > 0 ? answered * Math.log(rate) : 0) + (missed > 0 ? missed * Math.log(1 - rate) : 0);
}

/**
 * Spacing for the burst: wider than the largest spread of RTTs any hop showed, so jitter does not reorder the
 * burst on its way to the router (a limiter answers the first probes to arrive, not the first sent). At most 20
 * ms: the burst then takes 0.38 s, during which a Linux bucket earns at most one token (see classifyLoss).
 */
export function burstSpacing(hops: readonly HopResult[]): number {
  let spread = 0;
  for (const hop of hops) {
    const rtts = allProbes(hop).flatMap((p) => (p.rtt === null ? [] : [p.rtt]));
    if (rtts.length > 1) spread = Math.max(spread, Math.max(...rtts) - Math.min(...rtts));
  }
  return Math.min(BURST_SPACING_MS.most, Math.max(BURST_SPACING_MS.least, Math.ceil(spread)));
}

/** Hops worth testing: a router that answered some probes but not others. */
export function partiallyAnswered(hops: readonly HopResult[]): number[] {
  return hops
    .filter((hop) => hop.probes.some((p) => p.reply?.kind === 'time-exceeded' || p.reply?.kind === 'unreachable'))
    .filter((hop) => hop.probes.some((p) => p.from !== null) && hop.probes.some((p) => p.from === null))
    .map((hop) => hop.ttl);
}

/** The verdict of one hop's test: `burst` and `spaced` say which probes were answered, in send order. */
export function classifyLoss(burst: readonly boolean[], spaced: readonly boolean[]): Pick<LossCause, 'cause' | 'recheck' | 'burst' | 'spaced'> {
  const count = (xs: readonly boolean[]) => xs.filter(Boolean).length;
  const sent = burst.length + spaced.length;
  const answered = count(burst) + count(spaced);
  const counts = {
    recheck: { sent, answered },
    burst: { sent: burst.length, answered: count(burst) },
    spaced: { sent: spaced.length, answered: count(spaced) },
  };
  // Nothing went missing this time: the first misses were not reproduced, so nothing tells their cause.
  if (answered === sent || sent === 0) return { cause: 'unknown', ...counts };
  const loss = logLikelihood(answered, sent, answered / sent);
  const penalty = Math.log(Math.max(2, burst.length));
  // The limiter let through the burst's first `cut` probes, and perhaps one late token after them (`late`).
  let limiter = -Infinity;
  for (let cut = 0; cut < burst.length; cut++) {
    const late = count(burst.slice(cut));
    if (late > 1) continue;
    const k = count(burst.slice(0, cut)) + late + count(spaced);
    const n = cut + late + spaced.length;
    limiter = Math.max(limiter, (n > 0 ? logLikelihood(k, n, k / n) : 0) - penalty * (1 + late));
  }
  const ratio = limiter - loss;
  const cause = ratio >= DECIDE ? 'rate-limit' : ratio <= 0 ? 'loss' : 'unknown';
  return { cause, ...counts };
}

/** Is it this router's ICMP that goes missing, or the path? Compare with the TTLs after it. */
export function lossWhere(hops: readonly HopResult[], ttl: number, extra: { sent: number; answered: number }): LossCause['where'] {
  const hop = hops.find((h) => h.ttl === ttl);
  if (!hop) return 'unclear';
  const own = allProbes(hop);
  const sent = own.length + extra.sent;
  const missed = own.filter((p) => p.from === null).length + extra.sent - extra.answered;
  const { probes: laterSent, missed: laterMissed } = answeringHopCounts(hops.filter((later) => later.ttl > ttl));
  if (laterSent < 6 || sent === 0) return 'unclear';
  const laterRate = (laterMissed + 1) / (laterSent + 2);
  // One-sided binomial tail: this many misses here, if this hop lost no more than the later ones.
  if (binomialTail(missed, sent, laterRate) < 0.05) return 'router';
  return laterMissed / laterSent >= missed / sent / 2 ? 'path' : 'unclear';
}
