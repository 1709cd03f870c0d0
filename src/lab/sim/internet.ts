// A seeded Internet, tree-shaped as seen from one vantage point: the client's few shared first hops (its gateway,
// its provider's aggregation), then transit routers that branch out (up to `fanOut` ways per router) over regions
// and providers, then edge routers, each with a rack of hosts behind it. Paths to hosts are 8-16 hops by default,
// up to 64. Along the way: ICMP-silent routers, MPLS routers that quote their label stack, balancers that spread
// flows over 2-8 parallel branches (ECMP, L4 hash), hardware routers that start their TTLs at 255, per-link delay
// and loss. Every target is a (host, protocol, port) with one fault drawn from a mix: open, closed, dropped or
// rejected on the way or at the destination, an RST forged on the way, a service behind a NAT.
//
// The shape keeps every target's verdict decidable from the client (the ground truth never has to say "unknown"):
// edge routers always answer (so a drop before them always has an answering router after it), and no rule or
// silent router sits on a balanced branch (so the verdict and the stop hop are the same for every flow).
import { deriveSeed, int, mulberry32 } from '../seeded-random.js';
import type { Random } from '../seeded-random.js';
import { alignedHostAddresses, MAX_HOSTS, SIM_CLIENT } from './addresses.js';
import { TopologyBuilder } from './builder.js';
import { LINUX_RATE_LIMIT } from './model.js';
import type { FaultKind, Family, RateLimit, RouteStep, SimHost, SimLink, SimProtocol, SimRouter, SimTopology } from './model.js';

/** What a target shows: its port open or closed with nothing in the way, or one of the faults. */
export type Scenario = 'open' | 'closed' | Exclude<FaultKind, 'none'>;

export interface InternetOptions {
  seed: number;
  /** How many targets (1..200,000). */
  targets: number;
  /** Give every node an IPv6 address and make a share of the targets IPv6 (default false). */
  ipv6?: boolean;
  /** The share of IPv6 targets when ipv6 (default 0.25). */
  ipv6Share?: number;
  /** Routers every path shares first (default 3). */
  firstHops?: number;
  /** The hosts' distance in hops, [least, most] (default [8, 16]; at most 64). */
  hops?: [number, number];
  /** Most next hops a transit router branches to (default 4). */
  fanOut?: number;
  /** Hosts behind one edge router (default: enough for about 600 edge routers, at least 16; aggregated: a power of 2). */
  hostsPerEdge?: number;
  /**
   * How hosts are numbered. `aggregated` (default), as providers hand out addresses: each edge router's hosts are one
   * aligned block, and edges that share more of their path get nearer blocks (so a /24 is one corner of the tree).
   * `scattered`, the plan before: hosts numbered in the order their edges were drawn, blocks unaligned, neighbouring
   * edges anywhere in the tree (a worst case for anything that guesses paths from address blocks).
   */
  addressPlan?: 'aggregated' | 'scattered';
  /** Targets on one host, each on its own port (default 1, or as many as the address plan's hosts need). */
  targetsPerHost?: number;
  /** Weights of the scenarios; those not named do not occur (default DEFAULT_SCENARIOS). ICMP targets are always plain. */
  scenarios?: Partial<Record<Scenario, number>>;
  /** Weights of the targets' protocols; those not named do not occur (default tcp 0.8, udp 0.15, icmp 0.05). */
  protocols?: Partial<Record<SimProtocol, number>>;
  /** Share of routers (not edge routers, not on a balanced branch) that never send time exceeded (default 0.05). */
  silentRouters?: number;
  /** Share of transit routers that are MPLS routers quoting labels (default 0.1; a tunnel tends to continue). */
  mplsRouters?: number;
  /** Share of new transit links that are balanced stretches (ECMP diamonds; default 0.05). */
  ecmp?: number;
  /** Branches of a balanced stretch, [least, most] (default [2, 8]). */
  ecmpWidth?: [number, number];
  /** Share of routers whose TTLs start at 255 (default 0.3; the rest are Linux's 64). */
  hardwareRouters?: number;
  /** Every router's and host's ICMP error limit (default Linux's: a burst of 6, then 1/s); null: unlimited. */
  rateLimit?: RateLimit | null;
  /** One-way delay of a link, ms, drawn from [least, most] (default [0.1, 2]). */
  delayMs?: [number, number];
  /** Share of links that lose packets, and how many each way (default 0 and 0.02). */
  lossyLinks?: number;
  lossRate?: number;
}

export const DEFAULT_SCENARIOS: Record<Scenario, number> = {
  open: 0.35,
  closed: 0.2,
  'drop-in-path': 0.1,
  'drop-at-last-router': 0.04,
  'drop-at-destination': 0.07,
  'reject-in-path': 0.07,
  'reject-at-destination': 0.03,
  'reset-in-path': 0.08,
  nat: 0.06,
};

const DEFAULT_PROTOCOLS: Record<SimProtocol, number> = { tcp: 0.8, udp: 0.15, icmp: 0.05 };
const TCP_PORTS = [22, 25, 80, 110, 143, 443, 465, 587, 993, 1433, 3306, 3389, 5432, 6379, 8080, 8443, 9200, 27017];
const UDP_PORTS = [53, 123, 161, 500, 514, 1194, 1812, 4500, 5060, 51820];
export const MAX_TARGETS = 200_000;
/** New children a transit router takes rather than sending a path on through an existing one, until it has fanOut. */
const NEW_BRANCH = 0.5;
/** The odds that an MPLS router's next hop continues its tunnel. */
const TUNNEL_GOES_ON = 0.7;

/** A router of the tree that paths go on through, with the steps that reach it from its parent (a diamond, then it). */
interface Transit {
  id: number;
  depth: number;
  children: Transit[];
  fromParent: RouteStep[];
  mpls: boolean;
}

/** A draw by weight from `weights` (those not above 0 never come up): build once, draw per target. */
function picker<K extends string>(weights: Partial<Record<K, number>>): (random: Random) => K {
  const entries = (Object.entries(weights) as [K, number | undefined][]).filter((e): e is [K, number] => (e[1] ?? 0) > 0);
  if (entries.length === 0) throw new RangeError('weights: at least one must be above 0');
  const total = entries.reduce((sum, [, w]) => sum + w, 0);
  return (random) => {
    let draw = random() * total;
    for (const [key, weight] of entries) {
      draw -= weight;
      if (draw < 0) return key;
    }
    return entries[entries.length - 1]![0];
  };
}

const between = (random: Random, [least, most]: [number, number]): number => least + random() * (most - least);
const intBetween = (random: Random, [least, most]: [number, number]): number => least + int(random, most - least + 1);

function checkOptions(o: Required<Pick<InternetOptions, 'targets' | 'firstHops' | 'hops' | 'fanOut' | 'targetsPerHost' | 'ecmpWidth'>>): void {
  if (!Number.isInteger(o.targets) || o.targets < 1 || o.targets > MAX_TARGETS) throw new RangeError(`targets: 1..${MAX_TARGETS}, got ${o.targets}`);
  if (!Number.isInteger(o.firstHops) || o.firstHops < 1) throw new RangeError(`firstHops: at least 1, got ${o.firstHops}`);
  const [least, most] = o.hops;
  if (!Number.isInteger(least) || !Number.isInteger(most) || least < o.firstHops + 2 || most < least || most > 64) {
    throw new RangeError(`hops: [least, most] with firstHops + 2 ≤ least ≤ most ≤ 64, got [${least}, ${most}]`);
  }
  if (!Number.isInteger(o.fanOut) || o.fanOut < 1) throw new RangeError(`fanOut: at least 1, got ${o.fanOut}`);
  if (!Number.isInteger(o.targetsPerHost) || o.targetsPerHost < 1) throw new RangeError(`targetsPerHost: at least 1, got ${o.targetsPerHost}`);
  if (o.ecmpWidth[0] < 2 || o.ecmpWidth[1] < o.ecmpWidth[0] || o.ecmpWidth[1] > 64) throw new RangeError(`ecmpWidth: 2 ≤ least ≤ most ≤ 64`);
}

export function internetTopology(options: InternetOptions): SimTopology {
  const o = {
    firstHops: 3,
    hops: [8, 16] as [number, number],
    fanOut: 4,
    targetsPerHost: Math.max(1, Math.ceil(options.targets / MAX_HOSTS)),
    ipv6: false,
    ipv6Share: 0.25,
    silentRouters: 0.05,
    mplsRouters: 0.1,
    ecmp: 0.05,
    ecmpWidth: [2, 8] as [number, number],
    hardwareRouters: 0.3,
    rateLimit: LINUX_RATE_LIMIT as RateLimit | null,
    delayMs: [0.1, 2] as [number, number],
    lossyLinks: 0,
    lossRate: 0.02,
    ...options,
  };
  checkOptions(o);
  const hostCount = Math.ceil(o.targets / o.targetsPerHost);
  if (hostCount > MAX_HOSTS) throw new RangeError(`${hostCount} hosts do not fit the address plan (${MAX_HOSTS}): raise targetsPerHost`);
  const aggregated = (o.addressPlan ?? 'aggregated') === 'aggregated';
  const hostsPerEdge = o.hostsPerEdge ?? (aggregated ? 2 ** Math.max(4, Math.round(Math.log2(hostCount / 600))) : Math.max(16, Math.ceil(hostCount / 600)));
  const random = mulberry32(deriveSeed(o.seed, 1));
  const builder = new TopologyBuilder(o.ipv6);
  const link = (delay: [number, number] = o.delayMs): SimLink => ({ delayMs: between(random, delay), loss: random() < o.lossyLinks ? o.lossRate : 0 });
  const router = (fields: { silent?: boolean; mpls?: boolean; name?: string }): SimRouter =>
    builder.router({
      ...(fields.name ? { name: fields.name } : {}),
      link: link(),
      silent: fields.silent ?? false,
      initialTtl: random() < o.hardwareRouters ? 255 : 64,
      rateLimit: o.rateLimit,
      mpls: fields.mpls ? [{ label: 16 + int(random, 1_048_560), trafficClass: 0, bottomOfStack: true, ttl: 1 }] : null,
    });

  // The shared first hops.
  const trunk: number[] = [];
  for (let i = 0; i < o.firstHops; i++) trunk.push(router({ silent: i > 0 && random() < o.silentRouters }).id);
  const root: Transit = { id: trunk[trunk.length - 1]!, depth: o.firstHops, children: [], fromParent: [], mpls: false };

  /** A new transit router under `parent`, at most at depth `deepest`; through a balanced stretch when drawn and room. */
  const grow = (parent: Transit, deepest: number): Transit => {
    const mpls = random() < (parent.mpls ? TUNNEL_GOES_ON : o.mplsRouters);
    const steps: RouteStep[] = [];
    let depth = parent.depth + 1;
    const branchLength = 1 + int(random, 2);
    if (random() < o.ecmp && parent.depth + branchLength + 1 <= deepest) {
      const width = intBetween(random, o.ecmpWidth);
      const branches = Array.from({ length: width }, () => Array.from({ length: branchLength }, () => router({}).id));
      steps.push({ salt: int(random, 0x1_0000_0000), branches });
      depth += branchLength;
    }
    const node = router({ silent: random() < o.silentRouters, mpls });
    steps.push(node.id);
    const child: Transit = { id: node.id, depth, children: [], fromParent: steps, mpls };
    parent.children.push(child);
    return child;
  };

  const hosts: SimHost[] = [];
  /** The (hop, router id) of each plain router on each host's path, by host index: where rules may go. */
  const routersOnPath: [number, number][][] = [];
  /** Each edge router's hosts, with the routers on its path (its place in the tree), for the aggregated plan. */
  const edges: { path: number[]; hosts: SimHost[] }[] = [];
  while (hosts.length < hostCount) {
    const routers = intBetween(random, [o.hops[0] - 1, o.hops[1] - 1]);
    const steps: RouteStep[] = [...trunk];
    let node = root;
    while (node.depth < routers - 1) {
      const fitting = node.children.filter((c) => c.depth <= routers - 1);
      const fresh = fitting.length === 0 || (node.children.length < o.fanOut && random() < NEW_BRANCH);
      node = fresh ? grow(node, routers - 1) : fitting[int(random, fitting.length)]!;
      steps.push(...node.fromParent);
    }
    const edge = router({});
    steps.push(edge.id);
    const route = builder.route(steps);
    const plain: [number, number][] = [];
    let hop = 0;
    for (const step of steps) {
      if (typeof step === 'number') plain.push([++hop, step]);
      else hop += step.branches[0]!.length;
    }
    const behind: SimHost[] = [];
    for (let i = 0; i < hostsPerEdge && hosts.length < hostCount; i++) {
      const host = builder.host({ link: link([0.05, 0.5]), services: { tcpOpen: [], udpOpen: [], echo: true }, rateLimit: o.rateLimit });
      builder.reachBy(host.id, route);
      hosts.push(host);
      behind.push(host);
      routersOnPath.push(plain);
    }
    edges.push({ path: plain.map(([, id]) => id), hosts: behind });
  }
  if (aggregated) aggregate(edges, hostsPerEdge, o.ipv6);

  const targetRandom = mulberry32(deriveSeed(o.seed, 2));
  // Given weights replace the defaults (what is not named does not occur).
  const scenarioOf = picker<Scenario>(o.scenarios ?? DEFAULT_SCENARIOS);
  const protocolOf = picker<SimProtocol>(o.protocols ?? DEFAULT_PROTOCOLS);
  const usedPorts = new Map<number, Set<number>>();
  for (let t = 0; t < o.targets; t++) {
    const index = Math.floor(t / o.targetsPerHost);
    const host = hosts[index]!;
    const family: Family = o.ipv6 && targetRandom() < o.ipv6Share ? 6 : 4;
    const protocol = protocolOf(targetRandom);
    if (protocol === 'icmp') {
      builder.target(host, family, 'icmp', null, 'none');
      continue;
    }
    let scenario = scenarioOf(targetRandom);
    if (scenario === 'reset-in-path' && protocol === 'udp') scenario = 'reject-in-path';
    const port = freePort(targetRandom, usedPorts, index, protocol);
    const services = host.services;
    const open = protocol === 'tcp' ? services.tcpOpen : services.udpOpen;
    if (scenario === 'closed') {
      builder.target(host, family, protocol, port, 'none');
      continue;
    }
    if (scenario === 'nat') {
      const inner = { tcpOpen: protocol === 'tcp' ? [port] : [], udpOpen: protocol === 'udp' ? [port] : [], echo: true };
      if (host.nat) {
        host.nat.forwards.push(port);
        (protocol === 'tcp' ? host.nat.inner.tcpOpen : host.nat.inner.udpOpen).push(port);
      } else {
        host.nat = { forwards: [port], inner, innerLink: link([0.05, 0.5]) };
      }
      builder.target(host, family, protocol, port, 'nat');
      continue;
    }
    // Every other scenario guards a service that is there: the port is open at the host.
    open.push(port);
    if (scenario === 'open') {
      builder.target(host, family, protocol, port, 'none');
      continue;
    }
    const path = routersOnPath[index]!;
    const distance = path.length === 0 ? 1 : path[path.length - 1]![0] + 1;
    let at = host.id;
    const action: 'drop' | 'reject' | 'reset' = scenario.startsWith('reject') ? 'reject' : scenario === 'reset-in-path' ? 'reset' : 'drop';
    if (scenario === 'drop-at-last-router') at = path[path.length - 1]![1];
    if (scenario.endsWith('in-path')) {
      // Past the shared first hops, before the edge router (which must answer after a drop).
      const candidates = path.filter(([hop]) => hop > o.firstHops && hop <= distance - 2);
      const chosen = candidates.length > 0 ? candidates[int(targetRandom, candidates.length)]! : path[path.length - 1]!;
      at = chosen[1];
      // A path too short for that: its edge router does it (a drop there is one at the last router).
      if (candidates.length === 0 && action === 'drop') scenario = 'drop-at-last-router';
    }
    builder.rule({ at, host: host.id, protocol, port, action });
    builder.target(host, family, protocol, port, scenario);
  }
  return builder.finish('internet', o.seed, { 4: SIM_CLIENT[4], 6: o.ipv6 ? SIM_CLIENT[6] : null });
}

/**
 * Numbers hosts as the aggregated plan does (before any target is made of them): the edges in the order of the
 * routers on their paths (a depth-first walk of the tree: edges under one transit router come together), each
 * edge's hosts one aligned block of the next power of two.
 */
function aggregate(edges: { path: number[]; hosts: SimHost[] }[], hostsPerEdge: number, ipv6: boolean): void {
  const block = 2 ** Math.ceil(Math.log2(hostsPerEdge));
  if (edges.length * block > MAX_HOSTS) throw new RangeError(`${edges.length} edge routers with blocks of ${block} hosts do not fit the address plan (${MAX_HOSTS}): raise targetsPerHost or hostsPerEdge`);
  const byPath = (a: number[], b: number[]): number => {
    for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
    return a.length - b.length;
  };
  [...edges].sort((a, b) => byPath(a.path, b.path)).forEach((edge, e) => {
    edge.hosts.forEach((host, i) => (host.address = alignedHostAddresses(e * block + i, ipv6)));
  });
}

/** A port no target on host `index` uses yet (of either protocol, to keep the mix readable): a well-known one when free. */
function freePort(random: Random, usedPorts: Map<number, Set<number>>, index: number, protocol: 'tcp' | 'udp'): number {
  let used = usedPorts.get(index);
  if (!used) usedPorts.set(index, (used = new Set()));
  const known = protocol === 'tcp' ? TCP_PORTS : UDP_PORTS;
  let port = known[int(random, known.length)]!;
  while (used.has(port)) port = 10_000 + int(random, 50_000);
  used.add(port);
  return port;
}
