// Builds a diamond of real Linux network stacks for multipath (ECMP) tests:
//
//                    ┌─ b0r0 ─ … ─ b0r(h0-1) ─┐
//   client ═ split ──┼─ b1r0 ─ … ─ b1r(h1-1) ─┼── join ─ server
//                    └─ …  (width branches) ──┘
//
// One network namespace per node. The splitter reaches the server's prefix over an ECMP route with one next hop per
// branch and hashes on the 5-tuple (fib_multipath_hash_policy=1 for IPv4 and IPv6), so flows that differ only by
// source port spread over the branches, while every packet of one flow takes one branch (Paris traceroute's
// premise). branchOf() asks the splitter's kernel which branch a flow takes.
//
// Linux's multipath hash reads no ICMP field (its flow dissector has ports only for TCP, UDP and the like), while
// hardware routers hash the first four bytes of whatever follows the IP header — for echo, its type, code and
// checksum, which Paris traceroute keeps constant per flow. The splitter does that for ICMP with an nftables mark
// (jhash of those four bytes) and one routing table per branch, so echo flows spread as they would at such a router.
// With balance 'packet' it marks every packet at random instead (nftables numgen): per-packet load balancing, where
// one flow's packets take every branch.
//
// Links are veth pairs, except between the client and the splitter (═): there a wire (delay-link.ts, with no delay or
// loss) carries only the packets' bytes. A veth pair also hands over the sender's flow hash (skb->hash, which a
// kernel TCP socket sets from a random per-socket value), and an L4 multipath hash uses a hash the packet already has
// instead of hashing its 5-tuple: the client's own connections would take random branches, not the ones branchOf()
// names (raw-socket probes, with no such hash, were unaffected). A real cable carries no such thing; the wire neither.
//
// Return traffic: the joiner sends everything toward the client through one branch (returnBranch, default 0), so a
// flow hashed onto another branch comes back asymmetrically; reverse-path filtering is off on every node, as in the
// chain, so the joiner accepts what arrives on the other branches. Every router sends its ICMP errors by its own route
// back to the client (a branch router back along its branch, the joiner through the return branch). Their source
// addresses, as seen at the client:
// - a branch router answers from its interface toward the splitter (branchRouterAddress), the splitter from its
//   interface toward the client (splitterAddress): for them the way in and the way back are the same interface;
// - the joiner differs by family. IPv4 takes the address of the interface the error leaves by (Linux's default,
//   icmp_errors_use_inbound_ifaddr=0): always the return branch's, so the joiner's hop looks the same whichever
//   branch the flow took. IPv6 takes the address of the interface the probe came in by (icmp6_send picks the source
//   from the input device when the route back has no preferred source): the joiner's hop differs per branch.
//   joinerAddress(family, branch) says which address to expect.
//
// Addresses follow addressing.ts: every link gets its own /24 and /64 numbered in order — link 1 client—splitter,
// then each branch's links from the splitter to the joiner, then joiner—server last.
import { existsSync } from 'node:fs';
import type { ChildProcess } from 'node:child_process';
import { LAB_SUPERNET, linkAddress, linkPrefix, MAX_LINKS } from './addressing.js';
import type { Family } from './addressing.js';
import { run } from './exec.js';
import type { RunOptions } from './exec.js';
import { branchRouterRole, interfaceName } from './names.js';
import { linkSeed, linkWire } from './link-impairments.js';
import type { LinkImpairment } from './link-impairments.js';
import { sweepStaleLabs } from './cleanup.js';
import { NO_IMPAIRMENT } from './impairment.js';
import { addVeth, addWire, baseSysctls, createNamespace, interfaceScript, ipBatch, labNodes, seedIpv6Neighbours, startLab, waitForLinks } from './lab-runtime.js';
import type { Interface, LabNode, LinkEnds, ServiceSpec } from './lab-runtime.js';

export const MIN_DIAMOND_WIDTH = 2;
export const MAX_DIAMOND_WIDTH = 8;
/** Routers on one branch at most. */
export const MAX_BRANCH_HOPS = 16;

export interface DiamondOptions {
  /** Branches between the splitter and the joiner (2..8). */
  width: number;
  /** Routers on each branch, one number per branch (1..16 each; default 1 each). Unequal lengths are fine. */
  branchHops?: number[];
  /** This branch's routers never send time-exceeded (an OUTPUT rule drops it); they still forward. */
  silentBranch?: number;
  /** The branch the joiner sends everything toward the client through (default 0). */
  returnBranch?: number;
  /**
   * The client's link as a veth pair instead of the wire: raw-socket tools that need a link layer (scamper) work on
   * it, but the client's own kernel sockets then hand the splitter their flow hash (see above), so only raw probes
   * follow branchOf().
   */
  vethClientLink?: boolean;
  /** Loss, delay and jitter on the client's link (the wire; not with vethClientLink), each way as the chain's links take them. */
  clientLink?: LinkImpairment;
  /** Give every link an IPv6 /64 too (default true). */
  ipv6?: boolean;
  /**
   * 'flow' (default): the splitter balances by flow (L4 hash; for ICMP, the first four bytes of the message);
   * 'packet': each packet to a random branch.
   */
  balance?: 'flow' | 'packet';
  /** Keep Linux's default ICMP rate limits on every node (default false: off, as in the chain). */
  icmpRateLimit?: boolean;
  /**
   * The splitter's multipath hash seed (net.ipv4.fib_multipath_hash_seed, which IPv6 uses too; Linux 6.11+), an
   * integer 0..2^32-1, default 1: the same seed spreads the same flows the same way on every run of the same
   * kernel. 0 keeps the kernel's random seed. On kernels without the setting the seed is random and this is ignored;
   * branchOf() reads the kernel either way.
   */
  seed?: number;
}

export type FlowProtocol = 'tcp' | 'udp';

export interface Diamond {
  client: LabNode;
  splitter: LabNode;
  joiner: LabNode;
  server: LabNode;
  /** branches[b][i]: router i (0-based, from the splitter's side) of branch b. */
  branches: LabNode[][];
  nodes: LabNode[];
  /** The branch the joiner returns everything toward the client through. */
  returnBranch: number;
  serverAddress(family: Family): string;
  clientAddress(family: Family): string;
  /** The address the splitter answers time-exceeded from (its interface toward the client). */
  splitterAddress(family: Family): string;
  /**
   * The address the joiner answers time-exceeded from for a probe that came by `branch`: over IPv4 its interface on
   * the return branch whatever the branch (so `branch` may be left out), over IPv6 its interface on `branch`.
   */
  joinerAddress(family: 4, branch?: number): string;
  joinerAddress(family: Family, branch: number): string;
  /** The address router `index` of branch `branch` answers time-exceeded from (its interface toward the splitter). */
  branchRouterAddress(branch: number, index: number, family: Family): string;
  /** Who answers each TTL of a flow that takes branch `branch`, from TTL 1: splitter, its routers, joiner, server. */
  pathThrough(branch: number, family: Family): string[];
  /**
   * The branch the splitter sends this flow (client → server) to, read from its kernel (`ip route get … iif … ipproto
   * … sport … dport …`, the forwarding lookup with the flow's 5-tuple).
   */
  branchOf(protocol: FlowProtocol, sourcePort: number, destinationPort: number, family: Family): number;
  /** Runs a command in a node's namespace and returns its stdout (throws on failure unless allowFailure). */
  exec(node: LabNode, command: string, args: string[], options?: RunOptions): string;
  /** Starts a long-running command in a node's namespace. It is killed at destroy(). */
  spawn(node: LabNode, command: string, args: string[]): ChildProcess;
  /** Starts listeners on the server (or another node); resolves once they are bound. */
  startServices(spec: ServiceSpec, node?: LabNode): Promise<void>;
  destroy(): Promise<void>;
}

/** The link numbers of a diamond: branch b's links are first[b] .. first[b] + hops[b]. */
interface LinkPlan {
  hops: number[];
  /** The link from the splitter to branch b's first router. */
  first: number[];
  /** The link from branch b's last router to the joiner. */
  last: number[];
  /** The joiner—server link. */
  serverLink: number;
}

const CLIENT_LINK = 1;

function planLinks(hops: number[]): LinkPlan {
  const first: number[] = [];
  let next = CLIENT_LINK + 1;
  for (const h of hops) {
    first.push(next);
    next += h + 1;
  }
  return { hops, first, last: first.map((f, b) => f + hops[b]!), serverLink: next };
}

function checkIndex(what: string, value: number, width: number): void {
  if (!Number.isInteger(value) || value < 0 || value >= width) throw new RangeError(`${what} is a branch 0..${width - 1}, got ${value}`);
}

/** Throws a RangeError for options that cannot describe a diamond, before anything is built; returns the hops per branch. */
function checkOptions(options: DiamondOptions): number[] {
  const { width } = options;
  if (!Number.isInteger(width) || width < MIN_DIAMOND_WIDTH || width > MAX_DIAMOND_WIDTH) {
    throw new RangeError(`a lab diamond has ${MIN_DIAMOND_WIDTH}..${MAX_DIAMOND_WIDTH} branches, got ${width}`);
  }
  const hops = options.branchHops ?? Array<number>(width).fill(1);
  if (hops.length !== width) throw new RangeError(`branchHops names ${hops.length} branches, but the diamond has ${width}`);
  for (const h of hops) {
    if (!Number.isInteger(h) || h < 1 || h > MAX_BRANCH_HOPS) throw new RangeError(`a diamond branch has 1..${MAX_BRANCH_HOPS} routers, got ${h}`);
  }
  if (planLinks(hops).serverLink > MAX_LINKS) throw new RangeError(`a diamond of ${hops.join('+')} routers needs more than ${MAX_LINKS} links`);
  if (options.silentBranch !== undefined) checkIndex('silentBranch', options.silentBranch, width);
  if (options.returnBranch !== undefined) checkIndex('returnBranch', options.returnBranch, width);
  const seed = options.seed ?? 1;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`a diamond seed is an integer 0..2^32-1, got ${seed}`);
  return hops;
}

const HASH_SEED_SYSCTL = '/proc/sys/net/ipv4/fib_multipath_hash_seed';

/** Marks 0x100 + b send a packet down branch b (routing table 100 + b). */
const BRANCH_MARK = 0x100;
const BRANCH_TABLE = 100;

/** The splitter's nftables rules that choose a branch by mark where the kernel's own hash does not: see the top. */
function splitterMarks(width: number, seed: number, balance: 'flow' | 'packet', clientDevice: string): string {
  const choose =
    balance === 'packet'
      ? `meta mark set numgen random mod ${width} offset ${BRANCH_MARK}`
      : `meta l4proto { icmp, ipv6-icmp } meta mark set jhash @th,0,32 mod ${width} seed ${seed} offset ${BRANCH_MARK}`;
  return [
    'add table inet portpath_lab',
    'add chain inet portpath_lab choose { type filter hook prerouting priority mangle; }',
    `add rule inet portpath_lab choose iifname "${clientDevice}" ${choose}`,
  ].join('\n');
}

function splitterSysctls(seed: number): string[] {
  const settings = ['net.ipv4.fib_multipath_hash_policy=1', 'net.ipv6.fib_multipath_hash_policy=1'];
  // Per network namespace, present in every one when the running kernel has it (6.11+).
  if (existsSync(HASH_SEED_SYSCTL)) settings.push(`net.ipv4.fib_multipath_hash_seed=${seed}`);
  return settings;
}

const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

export async function buildDiamond(options: DiamondOptions): Promise<Diamond> {
  const hops = checkOptions(options);
  sweepStaleLabs();
  const plan = planLinks(hops);
  const width = options.width;
  const families: Family[] = (options.ipv6 ?? true) ? [4, 6] : [4];
  const returnBranch = options.returnBranch ?? 0;
  const seed = options.seed ?? 1;

  const { nodes, add: node } = labNodes();
  const client = node('client');
  const splitter = node('split');
  const branches = hops.map((h, b) => range(0, h - 1).map((i) => node(branchRouterRole(b, i))));
  const joiner = node('join');
  const server = node('server');
  const runtime = startLab(nodes);

  // Every link with its two ends, in link-number order.
  const links: LinkEnds[] = [{ link: CLIENT_LINK, left: client, right: splitter }];
  for (let b = 0; b < width; b++) {
    const chain = [splitter, ...branches[b]!, joiner];
    for (let i = 0; i + 1 < chain.length; i++) links.push({ link: plan.first[b]! + i, left: chain[i]!, right: chain[i + 1]! });
  }
  links.push({ link: plan.serverLink, left: joiner, right: server });

  const scripts = new Map<LabNode, string[]>();
  const script = (n: LabNode, interfaces: Interface[], routes: (family: Family) => string[]) =>
    scripts.set(n, [...interfaceScript(interfaces, families), ...families.flatMap(routes)]);

  script(client, [[CLIENT_LINK, 'left']], (f) => [`route add ${LAB_SUPERNET[f]} via ${linkAddress(CLIENT_LINK, 'right', f)}`]);
  script(splitter, [[CLIENT_LINK, 'right'], ...plan.first.map((link): Interface => [link, 'left'])], (f) => [
    // The server's prefix over every branch; the client's link is connected.
    `route add ${linkPrefix(plan.serverLink, f)} ` +
      plan.first.map((link) => `nexthop via ${linkAddress(link, 'right', f)} dev ${interfaceName(link, 'left')}`).join(' '),
    // Each branch's own links through that branch.
    ...plan.first.flatMap((link, b) => range(link + 1, plan.last[b]!).map((k) => `route add ${linkPrefix(k, f)} via ${linkAddress(link, 'right', f)}`)),
    // A table per branch, for packets the marks send down it.
    ...plan.first.map((link, b) => `route add ${linkPrefix(plan.serverLink, f)} via ${linkAddress(link, 'right', f)} dev ${interfaceName(link, 'left')} table ${BRANCH_TABLE + b}`),
  ]);
  branches.forEach((routers, b) =>
    routers.forEach((router, i) => {
      const left = plan.first[b]! + i;
      script(router, [[left, 'right'], [left + 1, 'left']], (f) => [
        // Toward the joiner and the server…
        `route add ${LAB_SUPERNET[f]} via ${linkAddress(left + 1, 'right', f)}`,
        // …and back toward the client, by the links behind.
        ...[CLIENT_LINK, ...range(plan.first[b]!, left - 1)].map((k) => `route add ${linkPrefix(k, f)} via ${linkAddress(left, 'left', f)}`),
      ]);
    }),
  );
  script(joiner, [...plan.last.map((link): Interface => [link, 'right']), [plan.serverLink, 'left']], (f) => [
    // Everything toward the client (and the splitter) through the return branch…
    `route add ${LAB_SUPERNET[f]} via ${linkAddress(plan.last[returnBranch]!, 'left', f)}`,
    // …and each branch's own links through that branch.
    ...plan.last.flatMap((link, b) => range(plan.first[b]!, link - 1).map((k) => `route add ${linkPrefix(k, f)} via ${linkAddress(link, 'left', f)}`)),
  ]);
  script(server, [[plan.serverLink, 'right']], (f) => [`route add ${LAB_SUPERNET[f]} via ${linkAddress(plan.serverLink, 'left', f)}`]);

  const branchByDevice = new Map(plan.first.map((link, b) => [interfaceName(link, 'left'), b]));
  const serverAddress = (family: Family) => linkAddress(plan.serverLink, 'right', family);
  const clientAddress = (family: Family) => linkAddress(CLIENT_LINK, 'left', family);
  const splitterAddress = (family: Family) => linkAddress(CLIENT_LINK, 'right', family);
  const joinerAddress = (family: Family, branch = returnBranch): string => {
    checkIndex('branch', branch, width);
    return linkAddress(plan.last[family === 4 ? returnBranch : branch]!, 'right', family);
  };
  const branchRouterAddress = (branch: number, index: number, family: Family): string => {
    checkIndex('branch', branch, width);
    if (!Number.isInteger(index) || index < 0 || index >= hops[branch]!) {
      throw new RangeError(`branch ${branch} has routers 0..${hops[branch]! - 1}, got ${index}`);
    }
    return linkAddress(plan.first[branch]! + index, 'right', family);
  };

  const diamond: Diamond = {
    client,
    splitter,
    joiner,
    server,
    branches,
    nodes,
    returnBranch,
    serverAddress,
    clientAddress,
    splitterAddress,
    joinerAddress,
    branchRouterAddress,
    pathThrough: (branch, family) => {
      checkIndex('branch', branch, width);
      const routers = range(0, hops[branch]! - 1).map((i) => branchRouterAddress(branch, i, family));
      return [splitterAddress(family), ...routers, joinerAddress(family, branch), serverAddress(family)];
    },
    branchOf: (protocol, sourcePort, destinationPort, family) => {
      for (const port of [sourcePort, destinationPort]) {
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RangeError(`a port is an integer 0..65535, got ${port}`);
      }
      const output = run('ip', ['-n', splitter.namespace, '-j', `-${family}`, 'route', 'get', serverAddress(family),
        'from', clientAddress(family), 'iif', interfaceName(CLIENT_LINK, 'right'),
        'ipproto', protocol, 'sport', String(sourcePort), 'dport', String(destinationPort)]);
      const [route] = JSON.parse(output) as { dev?: string }[];
      const branch = branchByDevice.get(route?.dev ?? '');
      if (branch === undefined) throw new Error(`the splitter routes ${protocol} ${sourcePort} → ${destinationPort} out of no branch: ${output.trim()}`);
      return branch;
    },
    exec: runtime.exec,
    spawn: runtime.spawn,
    startServices: (spec, n) => runtime.startServices(spec, n ?? server),
    destroy: runtime.destroy,
  };

  try {
    // Sysctls first: interfaces copy the namespace's defaults (rp_filter, DAD) when they are created.
    const keepsRateLimit = options.icmpRateLimit === true;
    for (const n of nodes) {
      const router = n !== client && n !== server;
      createNamespace(n, [...baseSysctls(router, keepsRateLimit), ...(n === splitter ? splitterSysctls(seed) : [])]);
    }
    const [clientLink, ...rest] = links;
    const vethLinks = options.vethClientLink ? links : rest;
    const wire = (options.clientLink && linkWire({}, options.clientLink, CLIENT_LINK)) || { toServer: NO_IMPAIRMENT, toClient: NO_IMPAIRMENT };
    if (!options.vethClientLink) await addWire(runtime, clientLink!, wire, linkSeed(seed, CLIENT_LINK));
    for (const link of vethLinks) addVeth(link);
    for (const n of nodes) ipBatch(n, scripts.get(n)!);
    await waitForLinks(nodes);
    // A TUN has no neighbours: only the veth links get theirs.
    if (families.includes(6)) seedIpv6Neighbours(vethLinks);
    runtime.exec(splitter, 'nft', ['-f', '-'], { input: splitterMarks(width, seed, options.balance ?? 'flow', interfaceName(CLIENT_LINK, 'right')) });
    for (const family of families) {
      for (let b = 0; b < width; b++) runtime.exec(splitter, 'ip', [`-${family}`, 'rule', 'add', 'fwmark', String(BRANCH_MARK + b), 'table', String(BRANCH_TABLE + b)]);
    }
    if (options.silentBranch !== undefined) {
      for (const router of branches[options.silentBranch]!) {
        runtime.exec(router, 'iptables', ['-A', 'OUTPUT', '-p', 'icmp', '--icmp-type', 'time-exceeded', '-j', 'DROP']);
        if (families.includes(6)) runtime.exec(router, 'ip6tables', ['-A', 'OUTPUT', '-p', 'ipv6-icmp', '--icmpv6-type', 'time-exceeded', '-j', 'DROP']);
      }
    }
  } catch (error) {
    await runtime.destroy();
    throw error;
  }
  return diamond;
}
