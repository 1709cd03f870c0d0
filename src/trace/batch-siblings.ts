// What a batch learned of the paths to targets near a new one. Doubletree (Donnet et al. 2005) stops probing toward
// the source once a trace meets a hop an earlier trace already met: the path before it is known. Here the earlier
// trace is a sibling: the last target traced in the same address block (the longest of a few prefix lengths), whose
// path a tree-shaped Internet shares up to the routers just before the destinations. A new target takes the
// sibling's hops as known up to a margin before the sibling's destination (wider for a wider block) and probes its
// own path from there: the routers that thousands of paths cross are asked once per block, not once per target, and
// their ICMP budget (Linux: a burst of 6, then 1 a second) is left to the traces that need them.
//
// Whether the sibling's hops are this target's too is checked where it can be: the first hop the trace probes itself
// must be the router the sibling met at that TTL (confirms); a trace that met another router there, or whose verdict
// rests on the hops it took as known (leansOnShared), is traced again with less taken as known (trace/batch).
import type { HopResult } from '../engine/types.js';
import { addressFamily, networkAddress } from '../packet/address.js';
import type { Family } from '../probe/method.js';
import { routerOf } from './batch-knowledge.js';
import { LruMap } from './lru-map.js';
import type { TraceReport } from './run-types.js';

/** The address blocks a sibling is looked for in, narrowest first. */
const BLOCKS: Record<Family, readonly number[]> = { 4: [28, 24, 20, 16], 6: [124, 120, 112, 64, 56, 48] };
/** Hops before the sibling's destination that a target in a block of that rank probes itself (the edge and more). */
const MARGINS = [1, 3, 5, 7, 9, 11];
/** Siblings remembered per block length: memory stays flat however many targets a batch has. */
const CAPACITY = 4096;

interface Sibling {
  /** Its hops from TTL 1 up to the one before its destination (its own and any it took as known). */
  hops: HopResult[];
  /** The routers it met itself at those TTLs (null: silent, or a hop it took as known: that is another trace's word). */
  path: (string | null)[];
}

/** What forTarget gave a trace: the hops to take as known, and the router the sibling met at the first TTL after them. */
export interface SiblingTicket {
  hops: HopResult[];
  expect: string | null;
  /** The routers the sibling met itself at every TTL before its destination (index TTL - 1): who to expect there. */
  path: (string | null)[];
}

/** A target's narrowest block (leadBlock): its text and prefix length. */
export interface LeadBlock {
  key: string;
  length: number;
}

/** The block `address` lies in, as text ("198.18.128.0/28"). */
function blockOf(address: string, length: number): string {
  return `${networkAddress(address, length)}/${length}`;
}

/** Blocks whose first trace is in flight (since when, ms) or has ended (null), remembered for this many blocks. */
const LEADS = 65_536;
/**
 * How long the other targets of a block wait for its first trace: an open or closed port's trace gives its sibling
 * in a second or two; one that ends on silence takes many, and its block goes on without it.
 */
const LEAD_WAIT_MS = 2500;

export class SiblingPaths {
  private readonly blocks = new Map<number, LruMap<string, Sibling>>();
  private readonly leads = new LruMap<string, number | null>(LEADS);

  /**
   * The narrowest block of an address, or null for a name (its address is not known yet): what held() and lead()
   * take. Worked out once per target: the batch asks held() of every target waiting, each time one may start.
   */
  leadBlock(host: string): LeadBlock | null {
    const family = addressFamily(host);
    if (family === null) return null;
    const length = BLOCKS[family][0]!;
    return { key: blockOf(host, length), length };
  }

  /**
   * Whether a target should wait: the first trace of its block is in flight and no sibling is known there. When it
   * ends, the block's other targets start from its hops (or, if it gave no sibling, start anyway).
   */
  held(block: LeadBlock | null, nowMs: number): boolean {
    if (block === null) return false;
    const since = this.leads.peek(block.key);
    return typeof since === 'number' && nowMs - since < LEAD_WAIT_MS && !this.block(block.length).peek(block.key);
  }

  /** A trace to a target of `block` starts: the first of its block leads it. Call the function returned when it ends. */
  lead(block: LeadBlock | null, nowMs: number): () => void {
    if (block === null || this.leads.peek(block.key) !== undefined) return () => {};
    this.leads.set(block.key, nowMs);
    return () => this.leads.set(block.key, null);
  }

  /**
   * The hops a trace to `address` may take as known: the nearest sibling's, up to its margin, when that is more than
   * `floor` (the family's shared near hops, which it must extend); otherwise `floor`.
   */
  forTarget(address: string, family: Family, floor: HopResult[]): SiblingTicket {
    for (const [rank, length] of BLOCKS[family].entries()) {
      const sibling = this.block(length).get(blockOf(address, length));
      if (!sibling) continue;
      // The target itself a router on the sibling's path (the block's gateway, a NAT's outside address): its own path
      // ends there, so only the hops before it, less the usual one, may be its own.
      const itself = sibling.hops.findIndex((hop) => routerOf(hop) === address);
      const keep = Math.min(sibling.hops.length - MARGINS[rank]!, itself < 0 ? Infinity : itself - 1);
      if (keep <= floor.length) break;
      const hops = sibling.hops.slice(0, keep);
      if (floor.some((hop, i) => routerOf(hop) !== routerOf(hops[i]!))) break;
      return { hops, expect: routerOf(sibling.hops[keep]!), path: sibling.path };
    }
    return { hops: floor, expect: null, path: [] };
  }

  /**
   * Whether a trace that took the ticket's hops as known met the sibling's router at the first TTL it probed itself
   * (or heard nothing there to say otherwise).
   */
  confirms(report: TraceReport, ticket: SiblingTicket): boolean {
    if (ticket.expect === null) return true;
    const first = report.hops.find((h) => h.ttl === ticket.hops.length + 1 && !h.shared);
    const met = first?.probes.filter((p) => p.from !== null && p.reply?.kind === 'time-exceeded').map((p) => p.from) ?? [];
    return met.every((from) => from === ticket.expect);
  }

  /** A finished trace that reached its destination becomes the sibling of the targets in its blocks. */
  remember(report: TraceReport): void {
    const destinationHop = report.destination.hop;
    if (report.interrupted || !report.destination.reached || report.destination.by !== report.target.address || destinationHop === null) return;
    const hops = report.hops.filter((h) => h.ttl < destinationHop);
    if (hops.length !== destinationHop - 1 || hops.some((h, i) => h.ttl !== i + 1)) return;
    // As the trace saw them, without its re-probes: a later trace shows them as it would have seen them itself.
    const sibling: Sibling = { hops: hops.map(({ shared: _shared, reprobes: _reprobes, ...hop }) => hop), path: hops.map((h) => (h.shared ? null : routerOf(h))) };
    for (const length of BLOCKS[report.target.family]) this.block(length).set(blockOf(report.target.address, length), sibling);
  }

  private block(length: number): LruMap<string, Sibling> {
    let map = this.blocks.get(length);
    if (!map) this.blocks.set(length, (map = new LruMap(CAPACITY)));
    return map;
  }
}
