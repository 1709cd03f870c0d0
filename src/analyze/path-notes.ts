// What the hops' quotes and re-probes say about the path besides where it stops: middleboxes rewriting fields,
// address translation, MPLS tunnels, rate-limited versus lossy hops.
import type { FieldValue, HopResult, LossCause, TraceResult } from '../engine/types.js';
import { partiallyAnswered } from './loss-cause.js';
import { compactRanges } from './path-facts.js';

export interface MiddleboxChange {
  field: string;
  /** The first hop whose quote shows the change: the rewrite happened between the hop before it and this one. */
  hop: number;
  by: string | null;
  sent: FieldValue;
  quoted: FieldValue;
}

export interface PathNotes {
  middleboxes: MiddleboxChange[];
  /** Address/port translation visible in the quotes, first seen at `hop`; null when none is visible (see README). */
  nat: { hop: number; fields: string[] } | null;
  /** Hops whose missing answers came back when re-probed slowly (ICMP rate limiting), and those that did not. */
  rateLimited: number[];
  lossy: number[];
  mplsHops: number[];
  /** One plain sentence per hop whose answers went missing, with the counts behind its cause, and about budgets. */
  notes: string[];
  evidence: string[];
}

const WHERE: Record<NonNullable<LossCause['where']>, string> = {
  path: 'the hops after it lose about as much, so packets are lost on the path at or before it',
  router: "the hops after it lose clearly less, so it is this router's own ICMP that goes missing",
  unclear: 'too few answers from the hops after it to say whether the path or this router loses them',
};

/** "hop 3: 2 of 13 probes unanswered (15.4%): ICMP rate limiting — …". */
function lossNote(hop: HopResult, loss: LossCause): string {
  const counts = loss.sent !== undefined ? `${(loss.sent ?? 0) - (loss.answered ?? 0)} of ${loss.sent} probes unanswered (${loss.lossPct ?? 0}%)` : '';
  const test =
    loss.burst && loss.spaced
      ? `a burst of ${loss.burst.sent} got ${loss.burst.answered} answer${loss.burst.answered === 1 ? '' : 's'}, ${loss.spaced.answered} of ${loss.spaced.sent} probes a second apart were answered`
      : `${loss.recheck.answered} of ${loss.recheck.sent} slow re-probes answered`;
  const cause =
    loss.cause === 'rate-limit'
      ? `ICMP rate limiting, not loss (${test})`
      : loss.cause === 'loss'
        ? `loss (${test}); ${WHERE[loss.where ?? 'unclear']}`
        : `cause not reproduced (${test})`;
  return `Hop ${hop.ttl}: ${counts ? `${counts}: ` : ''}${cause}.`;
}

/** TTLs silent in the trace that answered when asked again a moment later: their routers' budgets were spent. */
function drainedHops(result: TraceResult): number[] {
  return result.hops
    .filter((h) => h.probes.every((p) => p.from === null) && (h.reprobes ?? []).some((p) => p.reply?.kind === 'time-exceeded'))
    .map((h) => h.ttl);
}

const NAT_FIELDS = new Set(['ip.src', 'ip.dst', 'l4.srcPort', 'l4.dstPort', 'tcp.checksum', 'udp.checksum']);

export function pathNotes(result: TraceResult): PathNotes {
  const middleboxes: MiddleboxChange[] = [];
  const seen = new Set<string>();
  for (const hop of result.hops) {
    for (const change of hop.changes ?? []) {
      if (seen.has(change.field)) continue;
      seen.add(change.field);
      const by = hop.probes.find((p) => p.from !== null)?.from ?? null;
      middleboxes.push({ field: change.field, hop: hop.ttl, by, sent: change.sent, quoted: change.quoted });
    }
  }
  const translated = middleboxes.filter((m) => NAT_FIELDS.has(m.field));
  const nat = translated.length > 0 ? { hop: Math.min(...translated.map((m) => m.hop)), fields: translated.map((m) => m.field) } : null;
  const rateLimited = result.hops.filter((h) => h.loss?.cause === 'rate-limit').map((h) => h.ttl);
  const lossy = result.hops.filter((h) => h.loss?.cause === 'loss').map((h) => h.ttl);
  const mplsHops = result.hops.filter((h) => (h.mpls?.length ?? 0) > 0).map((h) => h.ttl);
  const notes = result.hops.flatMap((h) => (h.loss ? [lossNote(h, h.loss)] : []));
  const untested = partiallyAnswered(result.hops.filter((h) => !h.loss));
  if (untested.length > 0) {
    notes.push(`Hop ${compactRanges(untested)} answered only some probes: a router's ICMP rate limit or loss; --loss-test tells which (about 3.5 s more).`);
  }
  const drained = drainedHops(result);
  if (drained.length > 0 || rateLimited.length > 0) {
    notes.push(
      `Routers at hop ${compactRanges([...drained, ...rateLimited])} are rate-limiting their ICMP to this host${drained.length > 0 ? ` (hop ${compactRanges(drained)} answered only when re-probed a second later)` : ''}; a rerun in a few seconds will see more.`,
    );
  }

  if ((result.receiveDrops ?? 0) > 0) {
    notes.push(`This host dropped ${result.receiveDrops} packets at portpath's own sockets (their receive buffers were full: a busy host); answers missing here may have been lost there, not by the routers.`);
  }

  const evidence: string[] = [];
  for (const m of middleboxes) {
    evidence.push(`${m.field} was ${String(m.sent)} when sent, ${String(m.quoted)} in the quote from hop ${m.hop}: rewritten before hop ${m.hop}`);
  }
  if (rateLimited.length > 0) evidence.push(`hop ${compactRanges(rateLimited)}: spaced re-probes were answered and a burst was cut short (ICMP rate limiting, not loss)`);
  if (lossy.length > 0) evidence.push(`hop ${compactRanges(lossy)}: answers went missing whatever the spacing (real loss)`);
  if (mplsHops.length > 0) evidence.push(`MPLS label stacks at hop ${compactRanges(mplsHops)}`);
  return { middleboxes, nat, rateLimited, lossy, mplsHops, notes, evidence };
}
