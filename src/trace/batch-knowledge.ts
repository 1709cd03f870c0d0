// What a batch learns once and every later trace reuses: the hops near the source that every path shares (the
// "local stop set" of Doubletree, Donnet et al. 2005). Thousands of traces through the same first routers would
// otherwise ask them thousands of times — and their ICMP budget (Linux: a burst of 6, then 1 a second per source)
// would turn the batch's own probes into loss. Learned from the first traces of each address family, the shared
// prefix is the hops all of them met alike (every probe answered, by one router, with time exceeded); a full trace
// now and then checks it again, and a disagreement shortens it.
//
// Three traces agreeing can still share more than every path does: on a tree, three targets that happen to lie in one
// branch agree past the point where others leave it. A trace that took such a prefix probes its own path from the TTL
// after it, so whatever it hears there is right; what can be wrong is only a conclusion that rests on the shared hops
// — a stop before or right after them (the last router that answered, the TTL a reject or a forged RST came at).
// Such a trace is traced again in full (leansOnShared), and its hops cut the prefix to what it really shares.
import { ownProbes } from '../engine/probe-result.js';
import type { HopResult } from '../engine/types.js';
import { addressToBytes } from '../packet/address.js';
import { hopsAway } from '../packet/reply-ttl.js';
import type { Family } from '../probe/method.js';
import type { TraceReport } from './run-types.js';

/** Full traces that must agree before their common prefix is shared. */
const LEARN_FROM = 3;
/** Rounds of LEARN_FROM traces with nothing in common before the family is traced without sharing. */
const LEARN_ROUNDS = 3;
/**
 * Every this many traces of a family, and no sooner than CHECK_SPACING_MS after the last, one runs in full to check
 * the prefix still holds (a full trace asks the first routers, whose budget is one answer a second).
 */
const CHECK_EVERY = 32;
const CHECK_SPACING_MS = 5000;

interface FamilyKnowledge {
  /** The shared prefix (TTL 1…n), null while still learning. */
  hops: HopResult[] | null;
  /** Prefixes of the full traces seen while learning. */
  learning: HopResult[][];
  /** Traces started since the last full one. */
  sinceCheck: number;
  /** A full trace is out to check the prefix: no second one meanwhile. */
  checking: boolean;
  /** Traces out while the prefix is learned (see mayStart), and the learning rounds that found nothing. */
  learners: number;
  failedRounds: number;
  /** The addresses of the traces learned from: the next learner is picked far from them (see pickLearner). */
  learnerAddresses: string[];
  /** When the last check started (ms, the caller's clock). */
  lastCheckMs: number;
}

/** What forTrace gave a trace: return it to done() when the trace ends, whichever way. */
export interface NearTicket {
  hops: HopResult[];
  check: boolean;
  family: Family | null;
  learner: boolean;
}

/**
 * The hops a trace answered alike from TTL 1: one router, with time exceeded, to every probe it answered (a probe
 * lost to a router's ICMP budget does not make the hop another's; an answer from another router does). A hop with no
 * answer at all is kept, as not known: the traces learned from together fill it in (see merge).
 */
function cleanPrefix(report: TraceReport): HopResult[] {
  const prefix: HopResult[] = [];
  for (const hop of report.hops) {
    if (hop.ttl !== prefix.length + 1 || hop.shared) break;
    const answered = hop.probes.filter((p) => p.from !== null);
    const from = answered[0]?.from ?? null;
    const alike = from !== report.target.address && answered.every((p) => p.from === from && p.reply?.kind === 'time-exceeded');
    if (!alike) break;
    prefix.push(hop);
  }
  return prefix;
}

/** Leading bits two addresses of one family have in common. */
export function commonBits(a: string, b: string): number {
  const [x, y] = [addressToBytes(a), addressToBytes(b)];
  for (let i = 0; i < x.length; i++) {
    const differ = x[i]! ^ y[i]!;
    if (differ !== 0) return i * 8 + Math.clz32(differ) - 24;
  }
  return x.length * 8;
}

export const routerOf = (hop: HopResult): string | null => hop.probes.find((p) => p.from !== null)?.from ?? null;

/**
 * What two traces' prefixes say together: hop by hop, the router either met (a hop one of them heard nothing at is
 * the other's: a thousand traces through one first router find it out of ICMP budget now and then), up to the first
 * hop where they met different routers or neither heard anything.
 */
function merge(a: HopResult[], b: HopResult[]): HopResult[] {
  const merged: HopResult[] = [];
  for (let i = 0; i < a.length && i < b.length; i++) {
    const [ra, rb] = [routerOf(a[i]!), routerOf(b[i]!)];
    if ((ra !== null && rb !== null && ra !== rb) || (ra === null && rb === null)) break;
    merged.push(ra !== null ? a[i]! : b[i]!);
  }
  return merged;
}

export class NearHops {
  private readonly families = new Map<Family, FamilyKnowledge>();

  /**
   * The hops a new trace may take as known, and whether it is the full trace that checks them (then it gets none).
   * `family`: the target's, when known before it is resolved (an address, or -4/-6); null shares nothing.
   */
  forTrace(family: Family | null, address: string | null = null, nowMs = 0): NearTicket {
    if (family === null) return { hops: [], check: false, family, learner: false };
    const k = this.knowledgeOf(family);
    if (k.hops === null) {
      k.learners++;
      if (address !== null) k.learnerAddresses.push(address);
      return { hops: [], check: false, family, learner: true };
    }
    if (k.hops.length === 0) return { hops: [], check: false, family, learner: false };
    if (++k.sinceCheck >= CHECK_EVERY && !k.checking && nowMs - k.lastCheckMs >= CHECK_SPACING_MS) {
      k.sinceCheck = 0;
      k.checking = true;
      k.lastCheckMs = nowMs;
      return { hops: [], check: true, family, learner: false };
    }
    return { hops: k.hops, check: false, family, learner: false };
  }

  /**
   * Whether a trace of this family may start now. While the prefix is learned, only LEARN_FROM traces run: a batch
   * starting a thousand at once would send every one of them through the first routers together, spending their ICMP
   * budget (Linux: 6, then 1 a second) on the very traces that learn the prefix.
   */
  mayStart(family: Family | null): boolean {
    if (family === null) return true;
    const k = this.knowledgeOf(family);
    return k.hops !== null || k.learners < LEARN_FROM;
  }

  /** Whether the family's prefix is still being learned (then which target learns it matters: pickLearner). */
  learning(family: Family | null): boolean {
    return family !== null && this.knowledgeOf(family).hops === null;
  }

  /**
   * Of `candidates` (addresses of one family), the index of the one farthest from the traces learned from so far: the
   * fewest leading bits in common with the nearest of them. Three targets side by side lie behind one branch and
   * agree on hops that other paths do not take; three far apart agree only on what every path shares.
   */
  pickLearner(family: Family, candidates: readonly string[]): number {
    const learned = this.knowledgeOf(family).learnerAddresses;
    let best = 0;
    let bestBits = Infinity;
    candidates.forEach((address, i) => {
      const bits = Math.max(0, ...learned.map((other) => commonBits(address, other)));
      if (bits < bestBits) [best, bestBits] = [i, bits];
    });
    return best;
  }

  /** A trace that had a ticket ended (learned from or not, finished or failed). */
  done(ticket: NearTicket): void {
    if (ticket.learner && ticket.family !== null) this.knowledgeOf(ticket.family).learners--;
  }

  /** A finished trace's evidence: while learning, its prefix; when it was the check, the prefix is cut to what it saw. */
  learn(report: TraceReport, wasCheck: boolean): void {
    const k = this.knowledgeOf(report.target.family);
    if (wasCheck) k.checking = false;
    if (report.interrupted) return;
    if (wasCheck) {
      this.correct(report);
      return;
    }
    const prefix = cleanPrefix(report);
    if (k.hops !== null) return;
    k.learning.push(prefix);
    if (k.learning.length >= LEARN_FROM) {
      const prefix = k.learning.reduce(merge);
      k.learning = [];
      // Nothing in common (no answer at hop 1, or paths that part at once): learn again from the next traces rather
      // than share nothing for the whole batch — a few times, then trace this family without sharing.
      if (prefix.length === 0 && ++k.failedRounds < LEARN_ROUNDS) return;
      k.hops = prefix;
    }
  }

  /**
   * A full trace's hops against the prefix (a check, or a trace done again because its verdict leaned on the
   * prefix): a prefix it did not see in full may still be right (a lost answer); where it met another router, the
   * prefix ends before that hop.
   */
  correct(report: TraceReport): void {
    const k = this.knowledgeOf(report.target.family);
    if (report.interrupted || k.hops === null) return;
    // Only another router, or the destination, within the prefix contradicts it. A hop the full trace heard nothing
    // at confirms nothing and cuts nothing: the first routers are the batch's busiest, and a full trace finds them out
    // of ICMP budget more often than not (cutting there once left a 10,000-target batch without sharing from its
    // 1,000th trace on).
    let agreed = k.hops.length;
    for (let i = 0; i < k.hops.length; i++) {
      const hop = report.hops.find((h) => h.ttl === i + 1 && !h.shared);
      if (!hop) break;
      const answered = hop.probes.filter((p) => p.from !== null);
      if (answered.length === 0) continue;
      const known = routerOf(k.hops[i]!);
      if (!answered.every((p) => p.from === known && p.reply?.kind === 'time-exceeded')) {
        agreed = i;
        break;
      }
    }
    if (report.destination.hop !== null) agreed = Math.min(agreed, report.destination.hop - 1);
    if (agreed < k.hops.length) k.hops = k.hops.slice(0, agreed);
  }

  /** The routers of the family's shared prefix as now known, by TTL from 1 (empty while learning). */
  routers(family: Family | null): (string | null)[] {
    const hops = family === null ? null : this.knowledgeOf(family).hops;
    return (hops ?? []).map(routerOf);
  }

  private knowledgeOf(family: Family): FamilyKnowledge {
    let k = this.families.get(family);
    if (!k) this.families.set(family, (k = { hops: null, learning: [], sinceCheck: 0, checking: false, learners: 0, failedRounds: 0, learnerAddresses: [], lastCheckMs: -Infinity }));
    return k;
  }
}

/**
 * Whether a trace that took `shared` hops as known has a verdict resting on them: its stop hop is unknown or among
 * the shared hops (the last router that answered before a drop may be a shared hop not on this target's path), or it
 * is the first TTL the trace probed itself and no answer there says how far its sender is. A prefix longer than
 * this target's common part puts whatever answers the first probed TTL — a router, the destination, a rejecting
 * router or a forged RST — at that TTL though it is nearer; the reply's TTL tells its real distance (a reject comes
 * from the router one hop before the TTL that drew it). Such a trace is done again in full.
 */
export function leansOnShared(report: TraceReport, shared: number, expect: string | null = null): boolean {
  if (shared === 0 || report.interrupted) return false;
  const hop = report.diagnosis.hop;
  if (hop === null) return true;
  if (rejectedByKnownRouter(report, hop) || forgedOnKnownPath(report, shared, expect)) return false;
  // A stop at a shared hop whose router answered this trace's own probe there (the follow-up asks it) is its own.
  if (hop <= shared) return !confirmedOwn(report.hops.find((h) => h.ttl === hop));
  if (hop > shared + 1) return false;
  const first = report.hops.find((h) => h.ttl === hop && !h.shared);
  const placed = first?.probes.some((p) => {
    if (p.from === null || !p.reply || p.reply.ttl === null) return false;
    const distance = hopsAway(p.reply.ttl);
    const rejectedBefore = p.reply.kind === 'unreachable' && p.from !== report.target.address;
    return distance >= (rejectedBefore ? hop - 1 : hop);
  });
  return placed !== true;
}

/**
 * Whether a full trace, run because its first attempt leaned on `shared` near hops, heard nothing from their routers
 * (neither its port probes nor its control) while its control got answers past them, and places its stop no further
 * than them: the routers forwarded its traffic and answered none of it, out of ICMP budget (a batch's thousands of
 * traces cross them; Linux answers one a second). It says nothing of the hops it was run for. A control silent
 * throughout is another matter (traffic may stop before them), and so is any answer there, or a stop of its own past.
 */
export function drainedNear(report: TraceReport, shared: number): boolean {
  if (report.diagnosis.hop !== null && report.diagnosis.hop > shared) return false;
  const answered = (h: HopResult) => ownProbes(h).some((p) => p.from !== null);
  const heardNear = [report, report.control].some((trace) => trace?.hops.some((h) => h.ttl <= shared && answered(h)));
  const passed = report.control?.hops.some((h) => h.ttl > shared && answered(h)) === true;
  return passed && !heardNear;
}

/**
 * A reject of this trace's own probes by the router a shared hop met just before the stop: that router is on this
 * target's path at that TTL, so the hops before it are the path's too (one source's paths form a tree), and the stop
 * is the trace's own evidence.
 */
function rejectedByKnownRouter(report: TraceReport, hop: number): boolean {
  const { verdict, by } = report.diagnosis;
  if (verdict !== 'rejected-in-path' || by === null) return false;
  const before = report.hops.find((h) => h.ttl === hop - 1);
  if (!before?.shared || routerOf(before) !== by) return false;
  return report.hops.some((h) => ownProbes(h).some((p) => p.from === by && p.reply?.kind === 'unreachable'));
}

/**
 * A forged RST placed by its reply TTL among the shared hops: it names the router the shared hops met there. That is
 * this target's router where its control (another protocol, the same path) met the router the sibling met right
 * after the shared hops (`expect`) with its own probes: the path up to there is the sibling's.
 */
function forgedOnKnownPath(report: TraceReport, shared: number, expect: string | null): boolean {
  if (report.diagnosis.verdict !== 'reset-in-path' || expect === null || !report.control) return false;
  const first = report.control.hops.find((h) => h.ttl === shared + 1 && !h.shared);
  const met = (first?.probes ?? []).filter((p) => p.from !== null && p.reply?.kind === 'time-exceeded');
  return met.length > 0 && met.every((p) => p.from === expect);
}

/** A shared hop where this trace's own re-probe met the same router, with time exceeded. */
function confirmedOwn(hop: HopResult | undefined): boolean {
  if (!hop?.shared) return false;
  const router = routerOf(hop);
  return router !== null && (hop.reprobes ?? []).some((p) => p.from === router && p.reply?.kind === 'time-exceeded');
}

/**
 * The probes a report's run sent: as the run counted them on the wire, or (a report without the count) its traces'
 * probes in the hops (a shared hop's probes are not theirs; its re-probes are).
 */
export function probesSent(report: TraceReport): number {
  if (report.probesSent !== undefined) return report.probesSent;
  let probes = 0;
  for (const trace of [report, report.control]) for (const hop of trace?.hops ?? []) probes += ownProbes(hop).length;
  return probes;
}
