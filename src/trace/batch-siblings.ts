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
/**
 * How a block length's siblings have fitted lately. Whether neighbours in a block share their path up to its margin
 * depends on how the addresses were handed out: where a provider numbers its regions from one block, a /24's
 * siblings fit; where it does not, taking their hops costs a second trace more often than it saves the first's
 * probes. Each outcome weighs this much less per later one (about the last 30 count), and a length whose recent
 * misfits outnumber its fits is passed over, except for every EXPLORE-th target, so that it can earn its place back
 * (the narrowest length is taken from the start, the wider ones once they have fitted).
 */
const FIT_MEMORY = 0.97;
const FIT_SAMPLES = 10;
const EXPLORE = 8;

interface FitRecord {
  misfits: number;
  outcomes: number;
}

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
  /** The block length it came from (the family's and its rank in BLOCKS), for fitted(); absent: only the near hops. */
  block?: { family: Family; rank: number };
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
  private readonly fits = new Map<string, FitRecord>();
  /** Targets asked for (forTarget): every EXPLORE-th may take a block length passed over. */
  private asks = 0;

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
    const explore = ++this.asks % EXPLORE === 0;
    for (const [rank, length] of BLOCKS[family].entries()) {
      const sibling = this.block(length).get(blockOf(address, length));
      if (!sibling || (!explore && this.misfitting(family, rank))) continue;
      // The target itself a router on the sibling's path (the block's gateway, a NAT's outside address): its own path
      // ends there, so only the hops before it, less the usual one, may be its own.
      const itself = sibling.hops.findIndex((hop) => routerOf(hop) === address);
      const keep = Math.min(sibling.hops.length - MARGINS[rank]!, itself < 0 ? Infinity : itself - 1);
      if (keep <= floor.length) break;
      const hops = sibling.hops.slice(0, keep);
      if (floor.some((hop, i) => routerOf(hop) !== routerOf(hops[i]!))) break;
      return { hops, expect: routerOf(sibling.hops[keep]!), path: sibling.path, block: { family, rank } };
    }
    return { hops: floor, expect: null, path: [] };
  }

  /**
   * What the first TTL a trace probed itself (after the ticket's hops) says of them, in the trace and its control:
   * `misfits` where a router other than the sibling's expired a probe there; `fits` where the sibling's router did,
   * and no other; `unknown` where no router did (one out of ICMP budget; the destination, which may hang off the
   * sibling's path right there; a reject or a forged RST from further back, which answer every TTL past them).
   */
  fit(report: TraceReport, ticket: SiblingTicket): 'fits' | 'misfits' | 'unknown' {
    if (ticket.expect === null) return 'unknown';
    const ttl = ticket.hops.length + 1;
    const answers = [report, report.control].flatMap((trace) => trace?.hops.find((h) => h.ttl === ttl && !h.shared)?.probes ?? []);
    const routers = answers.filter((p) => p.from !== null && p.reply?.kind === 'time-exceeded').map((p) => p.from);
    if (routers.some((from) => from !== ticket.expect)) return 'misfits';
    return routers.length > 0 ? 'fits' : 'unknown';
  }

  /**
   * Whether a trace that took the ticket's hops as known met no other router than the sibling's at the first TTL it
   * probed itself (fit()). A destination that answers there nearer than the hops reach is leansOnShared's to catch.
   */
  confirms(report: TraceReport, ticket: SiblingTicket): boolean {
    return this.fit(report, ticket) !== 'misfits';
  }

  /** Count how a trace that took a sibling's hops found them (fit()), for the block length they came from. */
  fitted(ticket: SiblingTicket, fit: 'fits' | 'misfits' | 'unknown'): void {
    if (!ticket.block || fit === 'unknown') return;
    const record = this.fitRecord(ticket.block.family, ticket.block.rank);
    record.misfits = record.misfits * FIT_MEMORY + (fit === 'misfits' ? 1 : 0);
    record.outcomes = record.outcomes * FIT_MEMORY + 1;
  }

  /**
   * Whether the block length's siblings have misfit more often than not lately, or (wider than the narrowest) have
   * not yet fitted often enough to tell: a batch starts hundreds of traces before the first outcomes are in, and a
   * narrowest block is one site far more often than a wider one.
   */
  private misfitting(family: Family, rank: number): boolean {
    const record = this.fitRecord(family, rank);
    if (record.outcomes < FIT_SAMPLES) return rank > 0;
    return record.misfits * 2 > record.outcomes;
  }

  private fitRecord(family: Family, rank: number): FitRecord {
    const key = `${family}/${rank}`;
    let record = this.fits.get(key);
    if (!record) this.fits.set(key, (record = { misfits: 0, outcomes: 0 }));
    return record;
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
