// From a lab chain's options to what each link's wire does in each direction. Link k joins node k-1 (left, toward
// the client) and node k (right, toward the server), so "to the server" is the wire's left-to-right direction.
import { NO_IMPAIRMENT, checkImpairment, isImpaired } from './impairment.js';
import type { Impairment, JitterShape } from './impairment.js';

/** One link's bad-path settings; each applies to both directions except the two losses. */
export interface LinkImpairment {
  /** One-way base delay, ms (default: the chain's delayMs, else 0). */
  delayMs?: number;
  /** Random extra delay per packet in [0, jitterMs] ms, independent per packet (so it also reorders). */
  jitterMs?: number;
  /** How the jitter is spread (default uniform; `queue`: mostly small, a long tail). */
  jitterShape?: JitterShape;
  /** Fraction of packets toward the server that the link drops (default: the chain's lossRate, else 0). */
  lossToServer?: number;
  /** Fraction of packets toward the client that the link drops (default: the chain's lossRate, else 0). */
  lossToClient?: number;
  /** Fraction of packets held back until the next one has overtaken them (at most 50 ms more). */
  reorder?: number;
  /** Extra delay of a spiking packet, ms, and the fraction of packets that spike. */
  spikeMs?: number;
  spikeRate?: number;
}

/** The chain-wide settings every link starts from (ChainOptions' older, uniform options). */
export interface ChainWideImpairment {
  delayMs?: number;
  lossRate?: number;
}

export interface LinkWire {
  toServer: Impairment;
  toClient: Impairment;
}

/** Link `link`'s own seed under the chain's: readable on the wire's command line (seed 7, link 3: 7003). */
export function linkSeed(seed: number, link: number): number {
  return seed * 1000 + link;
}

/** Throws a RangeError for a link number outside 1..count (the parameters are checked by linkWire). */
export function checkLinkImpairments(links: Record<number, LinkImpairment> | undefined, count: number): void {
  for (const key of Object.keys(links ?? {})) {
    const link = Number(key);
    if (!Number.isInteger(link) || link < 1 || link > count) {
      throw new RangeError(`lab link ${key} does not exist: a chain with ${count - 1} routers has links 1..${count}`);
    }
  }
}

/** What link `link`'s wire does each way, or undefined when nothing is impaired (then a plain veth pair will do). */
export function linkWire(chainWide: ChainWideImpairment, own: LinkImpairment | undefined, link: number): LinkWire | undefined {
  const shared = {
    ...NO_IMPAIRMENT,
    delayMs: own?.delayMs ?? chainWide.delayMs ?? 0,
    jitterMs: own?.jitterMs ?? 0,
    jitterShape: own?.jitterShape ?? NO_IMPAIRMENT.jitterShape,
    reorder: own?.reorder ?? 0,
    spikeMs: own?.spikeMs ?? 0,
    spikeRate: own?.spikeRate ?? 0,
  };
  const wire: LinkWire = {
    toServer: { ...shared, loss: own?.lossToServer ?? chainWide.lossRate ?? 0 },
    toClient: { ...shared, loss: own?.lossToClient ?? chainWide.lossRate ?? 0 },
  };
  checkImpairment(wire.toServer, `lab link ${link} toward the server`);
  checkImpairment(wire.toClient, `lab link ${link} toward the client`);
  return isImpaired(wire.toServer) || isImpaired(wire.toClient) ? wire : undefined;
}
