// Builds a lab with two vantage points on one server, for tests where two tracers (an exporter on each client, say)
// probe the same target from different places and one client also talks to the other:
//
//   clientA ─ rA ─┐
//                 ├─ core1 ─ … ─ coreN ─ server
//   clientB ─ rB ─┘
//   clientA ══════ clientB        the management link
//
// One network namespace per node. Each client reaches the server through its own first router, then the core, so the
// two vantage points see different first hops and the same rest of the path. core1, where the paths meet, sends each
// client's traffic (and its own ICMP errors) back through that client's router; the core routers behind it send
// everything toward the clients back to core1, as a chain's routers do.
//
// The management link (═) is a veth pair with a /30 of 198.18.0.0/24, which no path link uses (addressing.ts), and
// IPv4 only. Its connected /30 is its only route, more specific than the clients' supernet route toward their first
// router: traffic between the two management addresses (a scrape) takes it, and probes to the server never do.
//
// Addresses follow addressing.ts, a /24 and a /64 per link: 1 clientA—rA, 2 clientB—rB, 3 rA—core1, 4 rB—core1,
// then 5, 6, … along the core to the server.
import type { ChildProcess } from 'node:child_process';
import { LAB_SUPERNET, linkAddress, linkPrefix, MANAGEMENT_LINK, managementAddress } from './addressing.js';
import type { Family } from './addressing.js';
import type { RunOptions } from './exec.js';
import { coreRouterRole, interfaceName, vantageRole } from './names.js';
import { sweepStaleLabs } from './cleanup.js';
import { addVeth, baseSysctls, createNamespace, interfaceScript, ipBatch, labNodes, seedIpv6Neighbours, startLab, waitForLinks } from './lab-runtime.js';
import type { Interface, LabNode, LinkEnds, ServiceSpec } from './lab-runtime.js';

export type Vantage = 'A' | 'B';

/** 4 links to where the paths meet, then one per core router: 204 of the 255 links at most. */
export const MAX_CORE_ROUTERS = 200;

export interface VantageOptions {
  /** Routers from where the two paths meet to the server (1..200, default 1). */
  coreRouters?: number;
  /** Give every path link an IPv6 /64 too (default true); the management link stays IPv4 only. */
  ipv6?: boolean;
  /** Keep Linux's default ICMP rate limits on every node (default false: off, as in the chain). */
  icmpRateLimit?: boolean;
}

export interface VantageLab {
  clientA: LabNode;
  clientB: LabNode;
  /** Client A's first router (rA). */
  routerA: LabNode;
  /** Client B's first router (rB). */
  routerB: LabNode;
  /** The core routers in path order: core[0] is where the two paths meet, the last one is next to the server. */
  core: LabNode[];
  server: LabNode;
  nodes: LabNode[];
  serverAddress(family: Family): string;
  /** The client's address on its path to the server (probes leave from it). */
  clientAddress(which: Vantage, family: Family): string;
  /** The address a router (its node or role) answers time-exceeded from toward client `which`. */
  routerAddress(router: LabNode | string, which: Vantage, family: Family): string;
  /** What a trace from client `which` meets, hop by hop: its first router, the core routers, the server. */
  pathFrom(which: Vantage, family: Family): string[];
  /** The client's address on the management link (IPv4). */
  managementAddress(which: Vantage): string;
  /** Runs a command in a node's namespace and returns its stdout (throws on failure unless allowFailure). */
  exec(node: LabNode, command: string, args: string[], options?: RunOptions): string;
  /** Starts a long-running command in a node's namespace. It is killed at destroy(). */
  spawn(node: LabNode, command: string, args: string[]): ChildProcess;
  /** Starts listeners on the server (or another node); resolves once they are bound. */
  startServices(spec: ServiceSpec, node?: LabNode): Promise<void>;
  destroy(): Promise<void>;
}

const VANTAGES: readonly Vantage[] = ['A', 'B'];
/** Link numbers: each client to its first router, each first router to core1, then core1 onward. */
const CLIENT_LINK: Record<Vantage, number> = { A: 1, B: 2 };
const UPLINK: Record<Vantage, number> = { A: 3, B: 4 };
const FIRST_CORE_LINK = 5;
/** Which end of the management link each client has. */
const MANAGEMENT_SIDE = { A: 'left', B: 'right' } as const;

export async function buildVantageLab(options: VantageOptions = {}): Promise<VantageLab> {
  const coreRouters = options.coreRouters ?? 1;
  if (!Number.isInteger(coreRouters) || coreRouters < 1 || coreRouters > MAX_CORE_ROUTERS) {
    throw new RangeError(`a vantage lab has 1..${MAX_CORE_ROUTERS} core routers, got ${coreRouters}`);
  }
  sweepStaleLabs();
  const families: Family[] = (options.ipv6 ?? true) ? [4, 6] : [4];

  const { nodes, add: node } = labNodes();
  const clients = { A: node(vantageRole('client', 'A')), B: node(vantageRole('client', 'B')) };
  const routers = { A: node(vantageRole('router', 'A')), B: node(vantageRole('router', 'B')) };
  const core = Array.from({ length: coreRouters }, (_, i) => node(coreRouterRole(i)));
  const server = node('server');
  // Registered before anything exists, so a build that fails half-way is removed too.
  const runtime = startLab(nodes);

  // The path links in link-number order; the last joins the last core router to the server.
  const serverLink = FIRST_CORE_LINK + coreRouters - 1;
  const links: LinkEnds[] = [
    ...VANTAGES.map((v) => ({ link: CLIENT_LINK[v], left: clients[v], right: routers[v] })),
    ...VANTAGES.map((v) => ({ link: UPLINK[v], left: routers[v], right: core[0]! })),
    ...core.map((left, i) => ({ link: FIRST_CORE_LINK + i, left, right: core[i + 1] ?? server })),
  ];

  const scripts = new Map<LabNode, string[]>();
  const script = (n: LabNode, interfaces: Interface[], routes: (family: Family) => string[], extra: string[] = []) =>
    scripts.set(n, [...interfaceScript(interfaces, families), ...extra, ...families.flatMap(routes)]);
  for (const v of VANTAGES) {
    const device = interfaceName(MANAGEMENT_LINK, MANAGEMENT_SIDE[v]);
    script(clients[v], [[CLIENT_LINK[v], 'left']], (f) => [`route add ${LAB_SUPERNET[f]} via ${linkAddress(CLIENT_LINK[v], 'right', f)}`], [
      `addr add ${managementAddress(MANAGEMENT_SIDE[v])}/30 dev ${device}`,
      `link set dev ${device} up`,
    ]);
    // The client's link is connected; everything else is up the path.
    script(routers[v], [[CLIENT_LINK[v], 'right'], [UPLINK[v], 'left']], (f) => [`route add ${LAB_SUPERNET[f]} via ${linkAddress(UPLINK[v], 'right', f)}`]);
  }
  core.forEach((router, i) => {
    const toServer = FIRST_CORE_LINK + i;
    const behind = toServer - 1;
    const interfaces: Interface[] = i === 0 ? VANTAGES.map((v): Interface => [UPLINK[v], 'right']) : [[behind, 'right']];
    script(router, [...interfaces, [toServer, 'left']], (f) => [
      // Toward the server…
      `route add ${LAB_SUPERNET[f]} via ${linkAddress(toServer, 'right', f)}`,
      // …and back: core1 sends each client's link through that client's router, the others every link behind to core1.
      ...(i === 0
        ? VANTAGES.map((v) => `route add ${linkPrefix(CLIENT_LINK[v], f)} via ${linkAddress(UPLINK[v], 'left', f)}`)
        : Array.from({ length: behind - 1 }, (_, k) => `route add ${linkPrefix(k + 1, f)} via ${linkAddress(behind, 'left', f)}`)),
    ]);
  });
  script(server, [[serverLink, 'right']], (f) => [`route add ${LAB_SUPERNET[f]} via ${linkAddress(serverLink, 'left', f)}`]);

  const serverAddress = (family: Family) => linkAddress(serverLink, 'right', family);
  const routerAddress = (router: LabNode | string, which: Vantage, family: Family): string => {
    const found = typeof router === 'string' ? nodes.find((n) => n.role === router) : router;
    const i = found ? core.indexOf(found) : -1;
    // Every router answers from the interface toward the client: the error leaves by it (IPv4), the probe came in by it (IPv6).
    if (found === routers[which]) return linkAddress(CLIENT_LINK[which], 'right', family);
    if (i === 0) return linkAddress(UPLINK[which], 'right', family);
    if (i > 0) return linkAddress(FIRST_CORE_LINK + i - 1, 'right', family);
    throw new RangeError(`${typeof router === 'string' ? router : router.role} is not a router on client ${which}'s path`);
  };

  const vantageLab: VantageLab = {
    clientA: clients.A,
    clientB: clients.B,
    routerA: routers.A,
    routerB: routers.B,
    core,
    server,
    nodes,
    serverAddress,
    clientAddress: (which, family) => linkAddress(CLIENT_LINK[which], 'left', family),
    routerAddress,
    pathFrom: (which, family) => [...[routers[which], ...core].map((r) => routerAddress(r, which, family)), serverAddress(family)],
    managementAddress: (which) => managementAddress(MANAGEMENT_SIDE[which]),
    exec: runtime.exec,
    spawn: runtime.spawn,
    startServices: (spec, n) => runtime.startServices(spec, n ?? server),
    destroy: runtime.destroy,
  };

  try {
    // Sysctls first: interfaces copy the namespace's defaults (rp_filter, DAD) when they are created.
    for (const n of nodes) createNamespace(n, baseSysctls(n !== clients.A && n !== clients.B && n !== server, options.icmpRateLimit === true));
    for (const link of links) addVeth(link);
    addVeth({ link: MANAGEMENT_LINK, left: clients.A, right: clients.B });
    for (const n of nodes) ipBatch(n, scripts.get(n)!);
    await waitForLinks(nodes);
    // The management link has no IPv6 address to tell.
    if (families.includes(6)) seedIpv6Neighbours(links);
  } catch (error) {
    await runtime.destroy();
    throw error;
  }
  return vantageLab;
}
