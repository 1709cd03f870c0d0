// Builds a chain of real Linux network stacks: client — r1 — … — rN — server, one network namespace each, joined
// by veth pairs, or by delay links (a seeded userspace wire over two TUNs) where a link should be a bad path. Routers
// forward IPv4 and IPv6; every address comes from the lab ranges (see addressing.ts) and routes only cover those
// ranges, so nothing can leak off the machine.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { LAB_SUPERNET, linkAddress, linkInterfaceAddress, linkPrefix } from './addressing.js';
import type { Family } from './addressing.js';
import { run, runIn } from './exec.js';
import type { RunOptions } from './exec.js';
import { interfaceName, namespaceName, roleOf } from './names.js';
import { registerLab, sweepStaleLabs, unregisterLab } from './cleanup.js';
import { startHelper } from './helper-process.js';
import { formatImpairment } from './impairment.js';
import { checkLinkImpairments, linkSeed, linkWire } from './link-impairments.js';
import type { LinkImpairment, LinkWire } from './link-impairments.js';

export type { LinkImpairment } from './link-impairments.js';

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

export interface LabNode {
  /** client, r1..rN, server */
  role: string;
  namespace: string;
  /** 0 for the client, i for router i, N+1 for the server */
  index: number;
}

export interface ServiceSpec {
  /** TCP ports with a listener (accepts and closes). */
  tcp?: number[];
  /** UDP ports that echo every datagram back. */
  udpEcho?: number[];
  /** UDP ports that answer DNS queries (with an empty NOERROR answer). */
  dns?: number[];
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

let labCounter = 0;

// Paths go through ../lab/ so they hold both from this module and from the bundled CLI (dist/src/cli/main.js).
const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

function sysctls(node: LabNode, routers: number, options: ChainOptions): string[] {
  const settings = [
    'net.ipv4.conf.all.rp_filter=0',
    'net.ipv4.conf.default.rp_filter=0',
    'net.ipv6.conf.all.accept_ra=0',
    'net.ipv6.conf.default.accept_ra=0',
    'net.ipv6.conf.all.accept_dad=0',
    'net.ipv6.conf.default.accept_dad=0',
  ];
  const isRouter = node.index > 0 && node.index <= routers;
  if (isRouter) settings.push('net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1');
  const limit = options.icmpRateLimit;
  const keepsRateLimit = limit === true || (Array.isArray(limit) && isRouter && limit.includes(node.index));
  // Off means off: the per-destination limits, and the host-wide budget (1000/s, burst 50) that many traces at once
  // through one router would otherwise meet.
  if (!keepsRateLimit) settings.push('net.ipv4.icmp_ratelimit=0', 'net.ipv6.icmp.ratelimit=0', 'net.ipv4.icmp_msgs_per_sec=100000', 'net.ipv4.icmp_msgs_burst=10000');
  return settings;
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
  const lab = ++labCounter;
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
  const children = new Set<ChildProcess>();
  const namespaces = nodes.map((n) => n.namespace);
  registerLab(namespaces, children);
  let destroyed = false;

  const destroy = async (): Promise<void> => {
    if (destroyed) return;
    destroyed = true;
    const exits = [...children].map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
        }),
    );
    await Promise.all(exits);
    unregisterLab(namespaces, children);
  };

  const chain: Chain = {
    client: nodes[0]!,
    routers: nodes.slice(1, links),
    server: nodes[links]!,
    nodes,
    linkAddress,
    routerAddress: (i, family) => linkAddress(i, 'right', family),
    serverAddress: (family) => linkAddress(links, 'right', family),
    clientAddress: (family) => linkAddress(1, 'left', family),
    exec: (node, command, args, runOptions) => runIn(node.namespace, command, args, runOptions),
    spawn: (node, command, args) => {
      const child = spawn('ip', ['netns', 'exec', node.namespace, command, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      children.add(child);
      child.once('exit', () => children.delete(child));
      return child;
    },
    startServices: async (spec, node) => {
      const args = [here('../lab/services.js')];
      if (spec.tcp?.length) args.push('--tcp', spec.tcp.join(','));
      if (spec.udpEcho?.length) args.push('--udp-echo', spec.udpEcho.join(','));
      if (spec.dns?.length) args.push('--dns', spec.dns.join(','));
      await startHelper(chain.spawn(node ?? chain.server, process.execPath, args), 'services');
    },
    destroy,
  };

  try {
    // Sysctls first: interfaces copy the namespace's defaults (rp_filter, DAD) when they are created.
    for (const node of nodes) {
      run('ip', ['netns', 'add', node.namespace]);
      runIn(node.namespace, 'sysctl', ['-q', '-w', ...sysctls(node, options.routers, options)]);
    }
    for (let link = 1; link <= links; link++) {
      const left = nodes[link - 1]!;
      const right = nodes[link]!;
      const wire = wires[link];
      if (wire) {
        await startDelayLink(chain, link, wire, linkSeed(seed, link));
        run('ip', ['-n', left.namespace, 'link', 'set', interfaceName(link, 'right'), 'netns', right.namespace]);
      } else {
        run('ip', ['link', 'add', interfaceName(link, 'left'), 'netns', left.namespace, 'type', 'veth',
          'peer', 'name', interfaceName(link, 'right'), 'netns', right.namespace]);
      }
    }
    for (const node of nodes) {
      run('ip', ['-n', node.namespace, '-batch', '-'], { input: addressingScript(node, links, ipv6).join('\n') + '\n' });
    }
    await waitForLinks(nodes);
    // Only veth links have neighbours to seed: a TUN carries bare IP packets, with no ARP or ND.
    if (ipv6) seedIpv6Neighbours(nodes, wires.flatMap((wire, link) => (link > 0 && !wire ? [link] : [])));
  } catch (error) {
    await destroy();
    throw error;
  }
  return chain;
}

/** Starts link `link`'s wire; it opens both TUNs inside the left namespace, and the caller moves the right one. */
async function startDelayLink(chain: Chain, link: number, wire: LinkWire, seed: number): Promise<void> {
  const child = chain.spawn(chain.nodes[link - 1]!, process.execPath, [
    here('../lab/delay-link.js'),
    '--left', interfaceName(link, 'left'),
    '--right', interfaceName(link, 'right'),
    '--to-right', formatImpairment(wire.toServer),
    '--to-left', formatImpairment(wire.toClient),
    '--seed', String(seed),
  ]);
  await startHelper(child, `delay link ${link}`);
}

function macAddress(node: LabNode, device: string): string {
  const [info] = JSON.parse(run('ip', ['-n', node.namespace, '-j', 'link', 'show', 'dev', device])) as [{ address: string }];
  return info.address;
}

/**
 * Tells both ends of each veth link in `links` their IPv6 neighbour, as a STALE entry the kernel re-verifies by itself.
 * Without it the first neighbour solicitation on a fresh link is often answered only on the retry, one second
 * later (a lab artefact, not path behaviour); IPv4 keeps real first-contact ARP.
 */
function seedIpv6Neighbours(nodes: LabNode[], links: number[]): void {
  for (const link of links) {
    const left = nodes[link - 1]!;
    const right = nodes[link]!;
    const ends = [
      [left, right, 'left', 'right'],
      [right, left, 'right', 'left'],
    ] as const;
    for (const [self, peer, selfSide, peerSide] of ends) {
      const mac = macAddress(peer, interfaceName(link, peerSide));
      run('ip', ['-n', self.namespace, 'neigh', 'replace', linkAddress(link, peerSide, 6), 'lladdr', mac,
        'dev', interfaceName(link, selfSide), 'nud', 'stale']);
    }
  }
}

/**
 * Waits until every lab interface can transmit. The kernel activates a device's queue only when its link-watch
 * work notices the carrier, up to a second after `link set up`; until then packets are silently dropped (seen as a
 * lost first ARP/ND solicitation and a 1 s stall), which would make the first probes of a test look like loss.
 */
async function waitForLinks(nodes: LabNode[]): Promise<void> {
  const deadline = performance.now() + 5000;
  for (;;) {
    const pending = nodes.filter((node) =>
      run('ip', ['-n', node.namespace, '-o', 'link', 'show'])
        .split('\n')
        .some((line) => / pp\d+[ab][@:]/.test(line) && (line.includes('qdisc noop') || !line.includes('LOWER_UP'))),
    );
    if (pending.length === 0) return;
    if (performance.now() > deadline) throw new Error(`lab links did not come up: ${pending.map((n) => n.role).join(', ')}`);
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
