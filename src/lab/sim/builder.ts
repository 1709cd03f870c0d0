// What every topology builder does the same way (the generated Internet and the hand-made presets): number nodes and
// give them addresses, register routes and how each node is reached, rules and targets, and hand over a SimTopology.
import { hostAddresses, routerAddresses } from './addresses.js';
import type { FaultKind, Family, NodeReach, RateLimit, RouteStep, SimAddresses, SimHost, SimLink, SimProtocol, SimRouter, SimRule, SimServices, SimTarget, SimTopology } from './model.js';

export interface RouterFields {
  name?: string;
  link: SimLink;
  silent?: boolean;
  initialTtl?: number;
  rateLimit: RateLimit | null;
  mpls?: SimRouter['mpls'];
  /** Default: the next router address of the generated plan. */
  address?: SimAddresses;
}

export interface HostFields {
  name?: string;
  link: SimLink;
  services: SimServices;
  rateLimit: RateLimit | null;
  nat?: SimHost['nat'];
  address?: SimAddresses;
}

export class TopologyBuilder {
  private readonly nodes: SimTopology['nodes'] = [];
  private readonly routes: RouteStep[][] = [];
  private readonly reach: (NodeReach | null)[] = [];
  private readonly rules: SimRule[] = [];
  private readonly targets: SimTarget[] = [];
  private routerCount = 0;
  private hostCount = 0;

  constructor(readonly ipv6: boolean) {}

  router(fields: RouterFields): SimRouter {
    const router: SimRouter = {
      kind: 'router',
      ...this.common('r', this.routerCount++, routerAddresses, fields),
      initialTtl: fields.initialTtl ?? 64,
      silent: fields.silent ?? false,
      mpls: fields.mpls ?? null,
    };
    return this.add(router);
  }

  host(fields: HostFields): SimHost {
    const host: SimHost = { kind: 'host', ...this.common('h', this.hostCount++, hostAddresses, fields), initialTtl: 64, services: fields.services, nat: fields.nat ?? null };
    return this.add(host);
  }

  /** What every node has: its id, a name (`prefix` and its number unless given), addresses (the plan's unless given). */
  private common(prefix: string, index: number, plan: (index: number, ipv6: boolean) => SimAddresses, fields: RouterFields | HostFields) {
    return { id: this.nodes.length, name: fields.name ?? `${prefix}${index + 1}`, address: fields.address ?? plan(index, this.ipv6), link: fields.link, rateLimit: fields.rateLimit };
  }

  private add<N extends SimTopology['nodes'][number]>(node: N): N {
    this.nodes.push(node);
    this.reach.push(null);
    return node;
  }

  /**
   * Registers a route and makes every plain router on it reachable through it (the first route that passes a router
   * is the one used to reach it: in a tree they all agree). Returns the route's id.
   */
  route(steps: RouteStep[]): number {
    const id = this.routes.length;
    this.routes.push(steps);
    steps.forEach((step, i) => {
      if (typeof step === 'number' && this.reach[step] === null) this.reach[step] = { route: id, steps: i };
    });
    return id;
  }

  /** Node `node` is reached by the whole of route `route`, then itself (a host behind its route's last router). */
  reachBy(node: number, route: number): void {
    this.reach[node] = { route, steps: this.routes[route]!.length };
  }

  rule(rule: SimRule): void {
    this.rules.push(rule);
  }

  target(host: SimHost, family: Family, protocol: SimProtocol, port: number | null, fault: FaultKind): SimTarget {
    const address = host.address[family];
    if (address === null) throw new RangeError(`host ${host.name} has no IPv6 address (the topology was built without IPv6)`);
    const target: SimTarget = { id: this.targets.length, host: host.id, family, address, protocol, port: protocol === 'icmp' ? null : port, fault };
    this.targets.push(target);
    return target;
  }

  finish(preset: string, seed: number, client: SimAddresses): SimTopology {
    return { preset, seed, client, nodes: this.nodes, routes: this.routes, reach: this.reach, rules: this.rules, targets: this.targets };
  }
}
