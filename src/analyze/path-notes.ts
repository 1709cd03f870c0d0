// What the hops' quotes and re-probes say about the path besides where it stops: middleboxes rewriting fields,
// address translation, MPLS tunnels, rate-limited versus lossy hops.
import type { FieldValue, TraceResult } from '../engine/types.js';
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
  evidence: string[];
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

  const evidence: string[] = [];
  for (const m of middleboxes) {
    evidence.push(`${m.field} was ${String(m.sent)} when sent, ${String(m.quoted)} in the quote from hop ${m.hop}: rewritten before hop ${m.hop}`);
  }
  if (rateLimited.length > 0) evidence.push(`hop ${compactRanges(rateLimited)}: missing answers came back when re-probed slowly (ICMP rate limiting, not loss)`);
  if (lossy.length > 0) evidence.push(`hop ${compactRanges(lossy)}: answers stayed missing when re-probed slowly (real loss)`);
  if (mplsHops.length > 0) evidence.push(`MPLS label stacks at hop ${compactRanges(mplsHops)}`);
  return { middleboxes, nat, rateLimited, lossy, mplsHops, evidence };
}
