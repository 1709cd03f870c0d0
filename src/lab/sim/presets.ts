// Hand-made topologies for tests that want one shape rather than a whole Internet: the namespace chain's shape with
// its very addresses (client — r1 — … — rN — server), so the simulator and the kernel can be compared hop for hop; a
// 30-hop path; an ECMP diamond as wide as a test likes (namespaces stop at 8 branches). Each takes plain JSON options,
// so the simulator process rebuilds exactly what the test built.
import { linkAddress, MAX_LINKS } from '../addressing.js';
import type { MplsLabel } from '../../packet/extensions.js';
import { SIM_CLIENT } from './addresses.js';
import { TopologyBuilder } from './builder.js';
import { LINUX_RATE_LIMIT } from './model.js';
import type { Family, RateLimit, RouteStep, SimLink, SimProtocol, SimServices, SimTopology } from './model.js';

/** A target to list in the topology (and its ground truth): a protocol and port on the server. */
export interface PresetTarget {
  protocol: SimProtocol;
  port?: number | null;
  /** Default 4. */
  family?: Family;
}

interface PresetCommon {
  /** Give every node an IPv6 address too (default true). */
  ipv6?: boolean;
  /** The server's services (default: no port open, answers ping). */
  services?: Partial<SimServices>;
  /** One-way delay of every link, ms (default 0). */
  delayMs?: number;
  /** Fraction of packets every link loses each way (default 0). */
  loss?: number;
  /**
   * Linux's ICMP rate limit (a burst of 6, then 1/s per source): true on every router and the server, or the routers
   * that keep it, by number (default false: off, as in the namespace chain unless asked).
   */
  icmpRateLimit?: boolean | number[];
  /** Other limits than Linux's for the routers that keep one. */
  rateLimit?: RateLimit;
  targets?: PresetTarget[];
  /** The seed of the link losses (and the diamond's hash salt). */
  seed?: number;
}

export interface SimChainOptions extends PresetCommon {
  /** Routers between the client and the server (1..254; the server is at hop routers + 1). */
  routers: number;
  /** Routers (1..routers) that never send time exceeded. */
  silent?: number[];
  /** Firewall rules: `at` is a router (1..routers) or the server (routers + 1). */
  rules?: { at: number; protocol: 'tcp' | 'udp'; port: number; action: 'drop' | 'reject' | 'reset' }[];
  /** The label stack each router (by number) quotes in its time exceeded. */
  mpls?: Record<number, MplsLabel[]>;
  /** Initial TTL of a router's packets, by router number (default 64: Linux). */
  initialTtl?: Record<number, number>;
  /** One link's delay and loss, by link number (link k reaches router k; link routers + 1 the server). */
  links?: Record<number, Partial<SimLink>>;
}

export interface SimDiamondOptions extends PresetCommon {
  /** Branches (2..64). */
  width: number;
  /** Routers on each branch: one number for all, or one per branch (default 1). */
  branchHops?: number | number[];
  /** Routers before the balancer (default 0: the balancer is hop 1). */
  before?: number;
  /** Routers between the joiner and the server (default 0). */
  after?: number;
  /** This branch's routers never send time exceeded. */
  silentBranch?: number;
}

function services(options: PresetCommon): SimServices {
  return { tcpOpen: options.services?.tcpOpen ?? [], udpOpen: options.services?.udpOpen ?? [], echo: options.services?.echo ?? true };
}

/** The limit of router `n` (1-based; the server is asked with its own number). */
function limitOf(options: PresetCommon, n: number): RateLimit | null {
  const keeps = options.icmpRateLimit === true || (Array.isArray(options.icmpRateLimit) && options.icmpRateLimit.includes(n));
  return keeps ? (options.rateLimit ?? LINUX_RATE_LIMIT) : null;
}

function addTargets(builder: TopologyBuilder, server: Parameters<TopologyBuilder['target']>[0], targets: PresetTarget[] | undefined): void {
  for (const target of targets ?? []) builder.target(server, target.family ?? 4, target.protocol, target.port ?? null, 'none');
}

/** client — r1 — … — rN — server, with buildChain's addresses: router i answers from 198.18.i.2, the client is 198.18.1.1. */
export function chainTopology(options: SimChainOptions): SimTopology {
  const n = options.routers;
  if (!Number.isInteger(n) || n < 1 || n + 1 > MAX_LINKS) throw new RangeError(`a simulated chain has 1..${MAX_LINKS - 1} routers, got ${n}`);
  const ipv6 = options.ipv6 ?? true;
  const builder = new TopologyBuilder(ipv6);
  const address = (link: number) => ({ 4: linkAddress(link, 'right', 4), 6: ipv6 ? linkAddress(link, 'right', 6) : null });
  const link = (k: number): SimLink => ({ delayMs: options.links?.[k]?.delayMs ?? options.delayMs ?? 0, loss: options.links?.[k]?.loss ?? options.loss ?? 0 });
  const routers = Array.from({ length: n }, (_, i) =>
    builder.router({
      name: `r${i + 1}`,
      address: address(i + 1),
      link: link(i + 1),
      silent: options.silent?.includes(i + 1) ?? false,
      initialTtl: options.initialTtl?.[i + 1] ?? 64,
      rateLimit: limitOf(options, i + 1),
      mpls: options.mpls?.[i + 1] ?? null,
    }),
  );
  const server = builder.host({ name: 'server', address: address(n + 1), link: link(n + 1), services: services(options), rateLimit: options.icmpRateLimit === true ? (options.rateLimit ?? LINUX_RATE_LIMIT) : null });
  builder.reachBy(server.id, builder.route(routers.map((r) => r.id)));
  const nodeAt = (at: number) => (at === n + 1 ? server.id : routers[at - 1]?.id);
  for (const rule of options.rules ?? []) {
    const at = nodeAt(rule.at);
    if (at === undefined) throw new RangeError(`a chain rule is at router 1..${n} or the server (${n + 1}), not ${rule.at}`);
    builder.rule({ at, host: server.id, protocol: rule.protocol, port: rule.port, action: rule.action });
  }
  addTargets(builder, server, options.targets);
  return builder.finish('chain', options.seed ?? 1, { 4: linkAddress(1, 'left', 4), 6: ipv6 ? linkAddress(1, 'left', 6) : null });
}

/** A 30-hop path (29 routers, the server at hop 30) unless told otherwise: where waiting strategies and TTL limits show. */
export function longTopology(options: Partial<SimChainOptions>): SimTopology {
  return { ...chainTopology({ ...options, routers: options.routers ?? 29 }), preset: 'long' };
}

/**
 * before… — split ═ width branches ═ join — after… — server. The balancer hashes each flow's 5-tuple onto a branch
 * (flow-hash.ts); unequal branches make the server's distance depend on the flow.
 */
export function diamondTopology(options: SimDiamondOptions): SimTopology {
  const { width } = options;
  if (!Number.isInteger(width) || width < 2 || width > 64) throw new RangeError(`a simulated diamond has 2..64 branches, got ${width}`);
  const lengths = Array.isArray(options.branchHops) ? options.branchHops : Array<number>(width).fill(options.branchHops ?? 1);
  if (lengths.length !== width || lengths.some((l) => !Number.isInteger(l) || l < 1 || l > 64)) throw new RangeError(`branchHops: 1..64 routers for each of the ${width} branches`);
  const ipv6 = options.ipv6 ?? true;
  const builder = new TopologyBuilder(ipv6);
  let count = 0;
  const router = (name: string, silent = false) => builder.router({ name, link: { delayMs: options.delayMs ?? 0, loss: options.loss ?? 0 }, silent, rateLimit: limitOf(options, ++count) });
  const steps: RouteStep[] = [];
  for (let i = 0; i < (options.before ?? 0); i++) steps.push(router(`a${i + 1}`).id);
  steps.push(router('split').id);
  const branches = lengths.map((length, b) => Array.from({ length }, (_, i) => router(`b${b}r${i}`, b === options.silentBranch).id));
  steps.push({ salt: options.seed ?? 1, branches });
  steps.push(router('join').id);
  for (let i = 0; i < (options.after ?? 0); i++) steps.push(router(`z${i + 1}`).id);
  const server = builder.host({ name: 'server', link: { delayMs: options.delayMs ?? 0, loss: options.loss ?? 0 }, services: services(options), rateLimit: null });
  builder.reachBy(server.id, builder.route(steps));
  addTargets(builder, server, options.targets);
  return builder.finish('diamond', options.seed ?? 1, { ...SIM_CLIENT, 6: ipv6 ? SIM_CLIENT[6] : null });
}
