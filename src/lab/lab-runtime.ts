// What every lab topology shares, whatever its shape (topology.ts builds a chain, diamond.ts an ECMP diamond): the
// nodes and their namespaces, the sysctls every node starts with, veth and wire links and waiting for them to come up, IPv6
// neighbour seeding, and the running lab itself — commands and helpers inside its namespaces, the services on a
// node, and its removal at destroy(), at exit and on a signal (see cleanup.ts).
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { linkAddress, linkInterfaceAddress } from './addressing.js';
import type { Family, Side } from './addressing.js';
import { run, runIn } from './exec.js';
import type { RunOptions } from './exec.js';
import { interfaceName, namespaceName } from './names.js';
import { registerLab, unregisterLab } from './cleanup.js';
import { startHelper } from './helper-process.js';
import { formatImpairment } from './impairment.js';
import type { LinkWire } from './link-impairments.js';

export interface LabNode {
  /** chain: client, r1..rN, server; diamond: client, split, b0r0.., join, server */
  role: string;
  namespace: string;
  /** chain: 0 for the client, i for router i, N+1 for the server; diamond: the node's position in `nodes` */
  index: number;
}

export interface ServiceSpec {
  /** TCP ports with a listener (accepts and closes). */
  tcp?: number[];
  /** UDP ports that echo every datagram back. */
  udpEcho?: number[];
  /** UDP ports that answer DNS queries (with an empty NOERROR answer). */
  dns?: number[];
  /** Listen on this address only (default: the dual-stack wildcard, every address of the node). */
  host?: string;
}

/** A veth (or delay) link: link number `link` joins `left` (its `pp<link>a` end) and `right` (`pp<link>b`). */
export interface LinkEnds {
  link: number;
  left: LabNode;
  right: LabNode;
}

let labCounter = 0;

/** The next lab number of this process: with the pid it makes every namespace name unique, whatever the topology. */
export function nextLabNumber(): number {
  return ++labCounter;
}

/** A new lab's list of nodes, filled by `add` in the order a topology creates them: each node's index is its place in it. */
export function labNodes(): { nodes: LabNode[]; add(role: string): LabNode } {
  const lab = nextLabNumber();
  const nodes: LabNode[] = [];
  const add = (role: string): LabNode => {
    const created = { role, index: nodes.length, namespace: namespaceName(process.pid, lab, role) };
    nodes.push(created);
    return created;
  };
  return { nodes, add };
}

// Paths go through ../lab/ so they hold both from this module and from the bundled CLI (dist/src/cli/main.js).
const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

/** The sysctls of a lab node, set before its interfaces exist (they copy the namespace's defaults when created). */
export function baseSysctls(router: boolean, keepsRateLimit: boolean): string[] {
  const settings = [
    'net.ipv4.conf.all.rp_filter=0',
    'net.ipv4.conf.default.rp_filter=0',
    'net.ipv6.conf.all.accept_ra=0',
    'net.ipv6.conf.default.accept_ra=0',
    'net.ipv6.conf.all.accept_dad=0',
    'net.ipv6.conf.default.accept_dad=0',
  ];
  if (router) settings.push('net.ipv4.ip_forward=1', 'net.ipv6.conf.all.forwarding=1');
  // Off means off: the per-destination limits, and the host-wide budget (1000/s, burst 50) that many traces at once
  // through one router would otherwise meet.
  if (!keepsRateLimit) settings.push('net.ipv4.icmp_ratelimit=0', 'net.ipv6.icmp.ratelimit=0', 'net.ipv4.icmp_msgs_per_sec=100000', 'net.ipv4.icmp_msgs_burst=10000');
  return settings;
}

/** Creates the node's namespace and sets its sysctls. */
export function createNamespace(node: LabNode, sysctls: string[]): void {
  run('ip', ['netns', 'add', node.namespace]);
  runIn(node.namespace, 'sysctl', ['-q', '-w', ...sysctls]);
}

/** Creates link `link` as a veth pair, each end directly in its namespace. */
export function addVeth({ link, left, right }: LinkEnds): void {
  run('ip', ['link', 'add', interfaceName(link, 'left'), 'netns', left.namespace, 'type', 'veth',
    'peer', 'name', interfaceName(link, 'right'), 'netns', right.namespace]);
}

/** Feeds an `ip -batch` script to the node's namespace. */
export function ipBatch(node: LabNode, lines: string[]): void {
  run('ip', ['-n', node.namespace, '-batch', '-'], { input: lines.join('\n') + '\n' });
}

/** One end of a link: the link's number and which side of it the node is on. */
export type Interface = [link: number, side: Side];

/** `ip -batch` lines bringing up lo and the node's interfaces with their addresses (ip infers each line's family). */
export function interfaceScript(interfaces: Interface[], families: Family[]): string[] {
  const lines = ['link set dev lo up'];
  for (const family of families) {
    for (const [link, side] of interfaces) {
      lines.push(`addr add ${linkInterfaceAddress(link, side, family)} dev ${interfaceName(link, side)}${family === 6 ? ' nodad' : ''}`);
    }
  }
  for (const [link, side] of interfaces) lines.push(`link set dev ${interfaceName(link, side)} up`);
  return lines;
}

export interface LabRuntime {
  /** The helpers started in the lab's namespaces (forwarders, servers); destroy() ends them. */
  children: Set<ChildProcess>;
  /** Runs a command in a node's namespace and returns its stdout (throws on failure unless allowFailure). */
  exec(node: LabNode, command: string, args: string[], options?: RunOptions): string;
  /** Starts a long-running command in a node's namespace. It is killed at destroy(). */
  spawn(node: LabNode, command: string, args: string[]): ChildProcess;
  /** Starts listeners on a node; resolves once they are bound. */
  startServices(spec: ServiceSpec, node: LabNode): Promise<void>;
  /** Ends the helpers and removes every namespace; safe to call more than once. */
  destroy(): Promise<void>;
}

/**
 * Registers a lab about to be built in these namespaces, so that it is removed at destroy(), at exit and on a
 * signal even when building it fails half-way.
 */
export function startLab(nodes: readonly LabNode[]): LabRuntime {
  const children = new Set<ChildProcess>();
  const namespaces = nodes.map((n) => n.namespace);
  registerLab(namespaces, children);
  let destroyed = false;

  const spawnIn = (node: LabNode, command: string, args: string[]): ChildProcess => {
    const child = spawn('ip', ['netns', 'exec', node.namespace, command, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    child.once('exit', () => children.delete(child));
    return child;
  };

  return {
    children,
    exec: (node, command, args, options) => runIn(node.namespace, command, args, options),
    spawn: spawnIn,
    startServices: async (spec, node) => {
      const args = [here('../lab/services.js')];
      if (spec.tcp?.length) args.push('--tcp', spec.tcp.join(','));
      if (spec.udpEcho?.length) args.push('--udp-echo', spec.udpEcho.join(','));
      if (spec.dns?.length) args.push('--dns', spec.dns.join(','));
      if (spec.host) args.push('--host', spec.host);
      await startHelper(spawnIn(node, process.execPath, args), 'services');
    },
    destroy: async () => {
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
    },
  };
}

/**
 * Creates link `link` as a wire instead of a veth pair: a userspace forwarder (delay-link.ts) between two TUNs, doing
 * what `wire` says each way with the random stream `seed`. It opens both TUNs inside the left namespace; the right
 * one then moves to its namespace. Unlike a veth pair, nothing of the sender's socket buffer (its flow hash, its
 * mark) reaches the far side: only the packet's bytes cross, as on a real cable.
 */
export async function addWire(runtime: LabRuntime, { link, left, right }: LinkEnds, wire: LinkWire, seed: number): Promise<void> {
  const child = runtime.spawn(left, process.execPath, [
    here('../lab/delay-link.js'),
    '--left', interfaceName(link, 'left'),
    '--right', interfaceName(link, 'right'),
    '--to-right', formatImpairment(wire.toServer),
    '--to-left', formatImpairment(wire.toClient),
    '--seed', String(seed),
  ]);
  await startHelper(child, `delay link ${link}`);
  run('ip', ['-n', left.namespace, 'link', 'set', interfaceName(link, 'right'), 'netns', right.namespace]);
}

/** The link-layer address of `device` in the node's namespace. */
export function macAddress(node: LabNode, device: string): string {
  const [info] = JSON.parse(run('ip', ['-n', node.namespace, '-j', 'link', 'show', 'dev', device])) as [{ address: string }];
  return info.address;
}

/**
 * Tells both ends of each veth link in `links` their IPv6 neighbour, as a STALE entry the kernel re-verifies by itself.
 * Without it the first neighbour solicitation on a fresh link is often answered only on the retry, one second
 * later (a lab artefact, not path behaviour); IPv4 keeps real first-contact ARP.
 */
export function seedIpv6Neighbours(links: readonly LinkEnds[]): void {
  for (const { link, left, right } of links) {
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
export async function waitForLinks(nodes: readonly LabNode[]): Promise<void> {
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
