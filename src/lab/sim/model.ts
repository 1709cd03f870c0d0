// The simulated Internet's model: plain data, no behaviour, JSON-friendly, so the same topology can be built from a
// seed in the test process (for the ground truth) and in the simulator process (to answer packets) and come out
// identical. Everything the packet engine does is decided from these fields; nothing here knows about bytes.
import type { MplsLabel } from '../../packet/extensions.js';
import type { Family } from '../addressing.js';

export type { Family } from '../addressing.js';
export type SimProtocol = 'tcp' | 'udp' | 'icmp';

/** The link a node is reached by, from the node before it on the path (the client's side). Both directions alike. */
export interface SimLink {
  /** One-way delay, ms. */
  delayMs: number;
  /** Fraction of packets lost each way (0..1). */
  loss: number;
}

/**
 * How a node paces its ICMP errors (time exceeded, unreachable), per source it answers: Linux's icmp_ratelimit is a
 * token bucket of `burst` errors that refills one every `intervalMs` (6 and 1000 ms by default). Echo replies and
 * TCP answers are not limited, as on Linux.
 */
export interface RateLimit {
  burst: number;
  intervalMs: number;
}

/** Linux's default: a burst of 6, then one error per second per source. */
export const LINUX_RATE_LIMIT: RateLimit = { burst: 6, intervalMs: 1000 };

export interface SimAddresses {
  4: string;
  /** null when the topology has no IPv6. */
  6: string | null;
}

interface NodeBase {
  /** Index in SimTopology.nodes. */
  id: number;
  /** Readable and unique: "r3", "edge12", "h407". */
  name: string;
  /** The address it answers from (a router: its interface toward the client). */
  address: SimAddresses;
  /** The link that reaches it from the previous hop. */
  link: SimLink;
  /** The IP TTL / hop limit its own packets start with: 64 for Linux, 255 for many hardware routers. */
  initialTtl: number;
  /** null: its ICMP errors are not limited. */
  rateLimit: RateLimit | null;
}

export interface SimRouter extends NodeBase {
  kind: 'router';
  /** Never sends time exceeded (an ICMP-silent router); it still forwards, and still rejects what its rules reject. */
  silent: boolean;
  /** The label stack its time exceeded quotes as an RFC 4950 object in an RFC 4884 extension (an MPLS LSR), or null. */
  mpls: MplsLabel[] | null;
}

/** What a host (or the service behind a NAT) runs. Every other port is closed: TCP RST, UDP port unreachable. */
export interface SimServices {
  tcpOpen: number[];
  /** UDP ports that answer (the payload echoed back, which a DNS query's id survives). */
  udpOpen: number[];
  /** Answers ICMP echo (default true). */
  echo: boolean;
}

export interface SimHost extends NodeBase {
  kind: 'host';
  services: SimServices;
  /**
   * The host is a NAT: `forwards` ports (TCP and UDP) go on to a service one hop further (which answers in the NAT's
   * name, its replies passing the NAT), the rest the NAT answers itself with `services`. A probe that reaches the NAT
   * with TTL 1 for a forwarded port expires there: the target address answers time exceeded, as DNAT boxes do.
   */
  nat: { forwards: number[]; inner: SimServices; innerLink: SimLink } | null;
}

export type SimNode = SimRouter | SimHost;

/**
 * A stretch of path where the router before it balances flows over parallel branches (ECMP) by an L4 hash of the
 * 5-tuple: every packet of one flow takes the same branch (Paris traceroute's premise), other flows spread.
 */
export interface SimDiamond {
  /** Mixed into the hash, so two balancers on one path do not make the same choice. */
  salt: number;
  /** Router node ids of each branch, from the balancer's side. */
  branches: number[][];
}

/** One step of a route: a node (by id), or a balanced stretch (the node before it is the balancer). */
export type RouteStep = number | SimDiamond;

/**
 * A firewall rule: node `at` (a router forwarding, or the host itself receiving) does `action` to packets of
 * `protocol`/`port` going to host `host` (either of its addresses). drop: silently; reject: ICMP administratively
 * prohibited (3/13, ICMPv6 1/1) from `at`; reset: an RST in the destination's name (TCP only), sent by `at`.
 */
export interface SimRule {
  at: number;
  host: number;
  protocol: 'tcp' | 'udp';
  port: number;
  action: 'drop' | 'reject' | 'reset';
}

/** What a generated target was made to show (its verdict comes from the ground truth, which evaluates the model). */
export type FaultKind =
  | 'none'
  | 'drop-in-path'
  | 'drop-at-last-router'
  | 'drop-at-destination'
  | 'reject-in-path'
  | 'reject-at-destination'
  | 'reset-in-path'
  | 'nat';

export interface SimTarget {
  /** Index in SimTopology.targets. */
  id: number;
  /** The host node it lives on. */
  host: number;
  family: Family;
  address: string;
  protocol: SimProtocol;
  /** null for ICMP echo targets. */
  port: number | null;
  fault: FaultKind;
}

/** A node is reached by the first `steps` steps of route `route`, then the node itself. */
export interface NodeReach {
  route: number;
  steps: number;
}

export interface SimTopology {
  /** What built it ('internet', 'chain', 'diamond', 'long') and from which seed. */
  preset: string;
  seed: number;
  /** The client's addresses: on the TUN in the client's namespace; every probe comes from one of them. */
  client: SimAddresses;
  nodes: SimNode[];
  /** Routes by id: steps from the first hop on; many nodes share one route (a tree's branch), each a prefix of it. */
  routes: RouteStep[][];
  /** How each node is reached, by node id; null for a node that cannot be a destination (a router inside a diamond). */
  reach: (NodeReach | null)[];
  rules: SimRule[];
  targets: SimTarget[];
}
