// Builds a chain of real Linux network stacks: client — r1 — … — rN — server, one network namespace each, joined
// by veth pairs, or by delay links (a seeded userspace wire over two TUNs) where a link should be a bad path. Routers
// forward IPv4 and IPv6; every address comes from the lab ranges (see addressing.ts) and routes only cover those
// ranges, so nothing can leak off the machine.
import type { ChildProcess } from 'node:child_process';
import { LAB_SUPERNET, linkAddress, linkInterfaceAddress, linkPrefix } from './addressing.js';
import type { Family } from './addressing.js';
import type { RunOptions } from './exec.js';
import { interfaceName, namespaceName, roleOf } from './names.js';
import { sweepStaleLabs } from './cleanup.js';
import { addVeth, addWire, baseSysctls, createNamespace, ipBatch, nextLabNumber, seedIpv6Neighbours, startLab, waitForLinks } from './lab-runtime.js';
import type { LabNode, ServiceSpec } from './lab-runtime.js';
import { checkLinkImpairments, linkSeed, linkWire } from './link-impairments.js';
import type { LinkImpairment } from './link-impairments.js';

export type { LinkImpairment } from './link-impairments.js';
export type { LabNode, ServiceSpec } from './lab-runtime.js';

export interface ChainOptions {
  routers: number;
  /** Give every link an IPv6 /64 too (default true). */
  ipv6?: boolean;
  /** One-way delay on every link in ms; > 0 replaces the veth pairs by delay links (TUN + userspace forwarder). */
  delayMs?: number;
  /** Fraction of packets every link drops each way (0..1); makes every link a delay link, even at 0 ms. */
  lossRate?: number;
  /**
   * A bad path on chosen links, by link number (link k joins node k-1 and node k; 1..routers+1), over the
   * chain-wide delayMs and lossRate. Any impairment makes that link a delay link; the others stay veth pairs.
   */
  links?: Record<number, LinkImpairment>;
  /**
   * Seed of every random decision of the wires (default 1): link k uses seed * 1000 + k; the same seed makes
   * the same drops, jitter and reorderings for the same packets, so a failing run replays.
   */
  seed?: number;
  /**
   * Keep Linux's default ICMP rate limits: true on every node, or a list of router indexes (1..routers) that keep
   * them (default false: tests not about rate limiting turn them off).
   */
  icmpRateLimit?: boolean | number[];
}

export interface Chain {
  client: LabNode;
  routers: LabNode[];
  server: LabNode;
  nodes: LabNode[];
  /** Address of node `side` of link k (link k joins node k-1 on the left and node k on the right). */
  linkAddress(link: number, side: 'left' | 'right', family: Family): string;
  /** Router i's address facing the client, the one it answers time-exceeded from. */
  routerAddress(i: number, family: Family): string;
  serverAddress(family: Family): string;
  clientAddress(family: Family): string;
  /** Runs a command in a node's namespace and returns its stdout (throws on failure unless allowFailure). */
  exec(node: LabNode, command: string, args: string[], options?: RunOptions): string;
  /** Starts a long-running command in a node's namespace. It is killed at destroy(). */
  spawn(node: LabNode, command: string, args: string[]): ChildProcess;
  /** Starts listeners on the server (or another node); resolves once they are bound. */
  startServices(spec: ServiceSpec, node?: LabNode): Promise<void>;
  destroy(): Promise<void>;
}

function sysctls(node: LabNode, routers: number, options: ChainOptions): string[] {
  const isRouter = node.index > 0 && node.index <= routers;
  const limit = options.icmpRateLimit;
  const keepsRateLimit = limit === true || (Array.isArray(limit) && isRouter && limit.includes(node.index));
  return baseSysctls(isRouter, keepsRateLimit);
}

/** `ip -batch` lines giving node i its addresses and routes: the supernet toward the server, the links behind toward the client. */
function addressingScript(node: LabNode, links: number, ipv6: boolean): string[] {
  const lines = ['link set dev lo up'];
  const families: Family[] = ipv6 ? [4, 6] : [4];
  const i = node.index;
  for (const family of families) {
    const nodad = family === 6 ? ' nodad' : '';
    if (i >= 1) lines.push(`addr add ${linkInterfaceAddress(i, 'right', family)} dev ${interfaceName(i, 'right')}${nodad}`);
    if (i + 1 <= links) lines.push(`addr add ${linkInterfaceAddress(i + 1, 'left', family)} dev ${interfaceName(i + 1, 'left')}${nodad}`);
  }
  if (i >= 1) lines.push(`link set dev ${interfaceName(i, 'right')} up`);
  if (i + 1 <= links) lines.push(`link set dev ${interfaceName(i + 1, 'left')} up`);
  // (Batch lines take no -4/-6: ip infers the family from the addresses.)
  for (const family of families) {
    // Everything not on a connected link or behind us goes on toward the server…
    if (i + 1 <= links) lines.push(`route add ${LAB_SUPERNET[family]} via ${linkAddress(i + 1, 'right', family)}`);
    else lines.push(`route add ${LAB_SUPERNET[family]} via ${linkAddress(i, 'left', family)}`);
    // …and the links behind us (toward the client) go back the way they came.
    if (i + 1 <= links) for (let j = 1; j < i; j++) lines.push(`route add ${linkPrefix(j, family)} via ${linkAddress(i, 'left', family)}`);
  }
  return lines;
}

/** Throws a RangeError for options that cannot describe a chain, before anything is built. */
function checkOptions(options: ChainOptions): void {
  if (!Number.isInteger(options.routers) || options.routers < 0 || options.routers > 200) {
    throw new RangeError(`a lab chain has 0..200 routers, got ${options.routers}`);
  }
  checkLinkImpairments(options.links, options.routers + 1);
  const seed = options.seed ?? 1;
  if (!Number.isSafeInteger(seed) || seed < 0 || !Number.isSafeInteger(linkSeed(seed, options.routers + 1))) {
    throw new RangeError(`a lab seed is an integer ≥ 0 below 2^53 / 1000, got ${seed}`);
  }
  if (Array.isArray(options.icmpRateLimit)) {
    for (const router of options.icmpRateLimit) {
      if (!Number.isInteger(router) || router < 1 || router > options.routers) {
        throw new RangeError(`icmpRateLimit names router ${router}, but the chain has routers 1..${options.routers}`);
      }
    }
  }
}

export async function buildChain(options: ChainOptions): Promise<Chain> {
  checkOptions(options);
  sweepStaleLabs();
  const lab = nextLabNumber();
  const links = options.routers + 1;
  const ipv6 = options.ipv6 ?? true;
  const seed = options.seed ?? 1;
  // Indexed by link number (0 unused); undefined for a link that is a plain veth pair.
  const wires = Array.from({ length: links + 1 }, (_, link) =>
    link > 0 ? linkWire(options, options.links?.[link], link) : undefined,
  );
  const nodes: LabNode[] = Array.from({ length: links + 1 }, (_, index) => {
    const role = roleOf(index, options.routers);
    return { role, index, namespace: namespaceName(process.pid, lab, role) };
  });
  const runtime = startLab(nodes);
  const destroy = runtime.destroy;

  const chain: Chain = {
    client: nodes[0]!,
    routers: nodes.slice(1, links),
    server: nodes[links]!,
    nodes,
    linkAddress,
    routerAddress: (i, family) => linkAddress(i, 'right', family),
    serverAddress: (family) => linkAddress(links, 'right', family),
    clientAddress: (family) => linkAddress(1, 'left', family),
    exec: runtime.exec,
    spawn: runtime.spawn,
    startServices: (spec, node) => runtime.startServices(spec, node ?? nodes[links]!),
    destroy,
  };

  try {
    // Sysctls first: interfaces copy the namespace's defaults (rp_filter, DAD) when they are created.
    for (const node of nodes) createNamespace(node, sysctls(node, options.routers, options));
    for (let link = 1; link <= links; link++) {
      const left = nodes[link - 1]!;
      const right = nodes[link]!;
      const wire = wires[link];
      if (wire) await addWire(runtime, { link, left, right }, wire, linkSeed(seed, link));
      else addVeth({ link, left, right });
    }
    for (const node of nodes) ipBatch(node, addressingScript(node, links, ipv6));
    await waitForLinks(nodes);
    // Only veth links have neighbours to seed: a TUN carries bare IP packets, with no ARP or ND.
    if (ipv6) seedIpv6Neighbours(wires.flatMap((wire, link) => (link > 0 && !wire ? [{ link, left: nodes[link - 1]!, right: nodes[link]! }] : [])));
  } catch (error) {
    await destroy();
    throw error;
  }
  return chain;
}
