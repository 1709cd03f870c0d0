// The ground truth: for each target, what a correct traceroute-to-a-port must conclude, in portpath's own vocabulary
// (analyze/finding.ts), read off the model rather than off any trace. The verdict and its hop follow the diagnosis's
// definitions (README, "Diagnosis"): open/closed at the destination's hop; a drop stops at the last hop that answers
// before it (filtered-in-path; filtered-at-destination when only the destination lies past it — a drop at the last
// router and one at the host look the same from the client); a reject at the TTL where the router's unreachable comes
// (one past the hop where it answers time exceeded: it forwards nothing); a forged RST at the forging router's hop.
// It assumes a clean measurement: no loss, no rate limit, and a control (ICMP echo) the destination answers.
import { flowPacket } from './flow-hash.js';
import type { FlowTuple } from './flow-hash.js';
import { MAX_PATH, SimNetwork } from './network.js';
import type { FaultKind, Family, SimDiamond, SimNode, SimProtocol, SimRule, SimTarget, SimTopology } from './model.js';

/** portpath's verdicts (analyze/finding.ts's Verdict) that a model can call for; the lab does not import analyze/. */
export type TrueVerdict = 'open' | 'closed' | 'reachable' | 'filtered-at-destination' | 'filtered-in-path' | 'rejected-in-path' | 'reset-in-path' | 'no-answer' | 'unknown';

/** The port state a trace reports (nmap's rules, fooled by a forged RST as any tracer is). */
export type TrueState = 'open' | 'closed' | 'filtered' | 'open|filtered' | null;

/** Who answers time exceeded at a hop: an address, null for a silent router, or the choices of a balanced hop. */
export type PathHop = string | null | { ecmp: (string | null)[] };

export interface TargetTruth {
  id: number;
  address: string;
  family: Family;
  protocol: SimProtocol;
  port: number | null;
  fault: FaultKind;
  verdict: TrueVerdict;
  /** The diagnosis's `hop`: see the file comment. null when nothing before the stop answers. */
  hop: number | null;
  /** The diagnosis's `by`: the destination, the last answering router, the rejecting or forging router (null if silent). */
  by: string | null;
  /** A drop hidden behind silent routers: it is at `hop` or any hop up to this one. */
  upTo?: number;
  state: TrueState;
  /** Where the destination's own answers come from (behind a NAT: the service, one hop past the NAT). */
  destinationHop: number;
  /** Hop by hop from TTL 1, the destination last. */
  path: PathHop[];
  /** The verdict or hop may differ between flows (unequal branches, or a rule or silent router on a branch). */
  flowDependent: boolean;
}

export interface GroundTruth {
  preset: string;
  seed: number;
  client: { 4: string; 6: string | null };
  targets: TargetTruth[];
  /** Targets by verdict. */
  verdicts: Partial<Record<TrueVerdict, number>>;
  /** Targets by the fault they were made with. */
  faults: Partial<Record<FaultKind, number>>;
}

type Judgement = Pick<TargetTruth, 'verdict' | 'hop' | 'by' | 'upTo' | 'state' | 'destinationHop'>;

const PROTOCOL_NUMBER = { tcp: 6, udp: 17 } as const;
const answersTimeExceeded = (node: SimNode): boolean => node.kind !== 'router' || !node.silent;

/** The truth of every target of a topology (balanced hops judged on their first branch: see flowDependent). */
export function groundTruth(topology: SimTopology, network = new SimNetwork(topology)): GroundTruth {
  const hops = new Int32Array(MAX_PATH);
  const verdicts: GroundTruth['verdicts'] = {};
  const faults: GroundTruth['faults'] = {};
  const rulesByHost = new Map<number, SimRule[]>();
  for (const rule of topology.rules) rulesByHost.set(rule.host, [...(rulesByHost.get(rule.host) ?? []), rule]);
  const targets = topology.targets.map((target) => {
    const length = network.resolve(target.host, null, hops);
    const truth: TargetTruth = {
      id: target.id,
      address: target.address,
      family: target.family,
      protocol: target.protocol,
      port: target.port,
      fault: target.fault,
      ...judge(network, target, hops, length),
      path: pathHops(topology, target),
      flowDependent: flowDependent(topology, target, rulesByHost),
    };
    verdicts[truth.verdict] = (verdicts[truth.verdict] ?? 0) + 1;
    faults[truth.fault] = (faults[truth.fault] ?? 0) + 1;
    return truth;
  });
  return { preset: topology.preset, seed: topology.seed, client: topology.client, targets, verdicts, faults };
}

/** The truth for one flow to a target: what its probes meet on the branches that flow takes. */
export function truthFor(network: SimNetwork, target: SimTarget, flow: FlowTuple): Judgement & { path: (string | null)[] } {
  const hops = new Int32Array(MAX_PATH);
  const length = network.resolve(target.host, flowPacket(flow), hops);
  return { ...judge(network, target, hops, length), path: pathFor(network, target, flow) };
}

/** Who answers time exceeded at each TTL for this flow (null: a silent router), the destination last. */
export function pathFor(network: SimNetwork, target: SimTarget, flow: FlowTuple): (string | null)[] {
  const hops = new Int32Array(MAX_PATH);
  const length = network.resolve(target.host, flowPacket(flow), hops);
  const nodes = network.topology.nodes;
  const path = Array.from(hops.subarray(0, length), (id) => (answersTimeExceeded(nodes[id]!) ? nodes[id]!.address[target.family] : null));
  return forwardedToService(network.topology, target) ? [...path, target.address] : path;
}

/** Whether the target's port is forwarded by its host, a NAT, to a service one hop further. */
function forwardedToService(topology: SimTopology, target: SimTarget): boolean {
  const host = topology.nodes[target.host]!;
  return host.kind === 'host' && host.nat !== null && target.port !== null && target.protocol !== 'icmp' && host.nat.forwards.includes(target.port);
}

function judge(network: SimNetwork, target: SimTarget, hops: Int32Array, length: number): Judgement {
  const nodes = network.topology.nodes;
  const address = (id: number) => nodes[id]!.address[target.family];
  const destination = length;
  const host = nodes[target.host]!;
  const plain = (verdict: TrueVerdict, state: TrueState, hop = destination): Judgement => ({ verdict, hop, by: target.address, state, destinationHop: hop });
  if (target.protocol === 'icmp' || target.port === null) {
    const echo = host.kind === 'router' || host.services.echo;
    return echo ? plain('reachable', null) : { verdict: 'no-answer', hop: null, by: null, state: null, destinationHop: destination };
  }
  const tcp = target.protocol === 'tcp';
  const rules = network.rulesFor(target.host, PROTOCOL_NUMBER[target.protocol], target.port) ?? [];
  for (let hop = 1; hop <= destination; hop++) {
    const node = hops[hop - 1]!;
    const rule = rules.find((r: SimRule) => r.at === node);
    if (!rule) continue;
    if (rule.action === 'drop') return dropped(nodes, target, hops, hop, destination);
    if (hop === destination) {
      // The host's own firewall: a reject is the destination rejecting the port itself; its reset is a plain RST.
      if (rule.action === 'reject' || !tcp) return { verdict: 'filtered-at-destination', hop, by: target.address, state: 'filtered', destinationHop: destination };
      return plain('closed', 'closed');
    }
    if (rule.action === 'reject' || !tcp) return { verdict: 'rejected-in-path', hop: hop + 1, by: address(node), state: 'filtered', destinationHop: destination };
    return { verdict: 'reset-in-path', hop, by: answersTimeExceeded(nodes[node]!) ? address(node) : null, state: 'closed', destinationHop: destination };
  }
  const forwarded = forwardedToService(network.topology, target);
  const services = host.kind === 'router' ? { tcpOpen: [], udpOpen: [] } : forwarded && host.nat ? host.nat.inner : host.services;
  const hop = forwarded ? destination + 1 : destination;
  const open = (tcp ? services.tcpOpen : services.udpOpen).includes(target.port);
  return open ? plain('open', 'open', hop) : plain('closed', 'closed', hop);
}

/**
 * Dropped at hop `at` (a router forwarding, or the destination itself): the trace's last answer is the last router up
 * to there that answers time exceeded; whether anything answers between it and the destination decides the verdict.
 */
function dropped(nodes: SimNode[], target: SimTarget, hops: Int32Array, at: number, destination: number): Judgement {
  const state: TrueState = target.protocol === 'udp' ? 'open|filtered' : 'filtered';
  const answering = (hop: number) => answersTimeExceeded(nodes[hops[hop - 1]!]!);
  let last: number | null = null;
  for (let hop = Math.min(at, destination - 1); hop >= 1 && last === null; hop--) if (answering(hop)) last = hop;
  const by = last === null ? null : nodes[hops[last - 1]!]!.address[target.family];
  if (last !== null && last >= destination - 1) return { verdict: 'filtered-at-destination', hop: last, by: target.address, state, destinationHop: destination };
  let next = (last ?? 0) + 1;
  while (next < destination && !answering(next)) next++;
  // The control (ICMP echo) hears a router past the stop: the drop is on the path; no router there: two stories fit.
  if (next === destination) return { verdict: 'unknown', hop: last, by, state, destinationHop: destination };
  return { verdict: 'filtered-in-path', hop: last, by, ...(next - 1 > (last ?? 0) ? { upTo: next - 1 } : {}), state, destinationHop: destination };
}

/** The path as the JSON gives it: each hop's time-exceeded address (balanced hops: every branch's), the destination last. */
function pathHops(topology: SimTopology, target: SimTarget): PathHop[] {
  const family = target.family;
  const who = (id: number): string | null => (answersTimeExceeded(topology.nodes[id]!) ? topology.nodes[id]!.address[family] : null);
  const reach = topology.reach[target.host]!;
  const path: PathHop[] = [];
  for (const step of topology.routes[reach.route]!.slice(0, reach.steps)) {
    if (typeof step === 'number') path.push(who(step));
    else for (let i = 0; i < Math.max(...step.branches.map((b) => b.length)); i++) path.push({ ecmp: step.branches.map((b) => (b[i] === undefined ? null : who(b[i]!))) });
  }
  path.push(target.address);
  return forwardedToService(topology, target) ? [...path, target.address] : path;
}

/** Whether a balanced stretch on the target's route could make flows differ: unequal branches, rules or silence on them. */
function flowDependent(topology: SimTopology, target: SimTarget, rulesByHost: Map<number, SimRule[]>): boolean {
  const reach = topology.reach[target.host]!;
  const diamonds = topology.routes[reach.route]!.slice(0, reach.steps).filter((s): s is SimDiamond => typeof s !== 'number');
  if (diamonds.length === 0) return false;
  const ruled = new Set(rulesByHost.get(target.host)?.map((r) => r.at));
  return diamonds.some(
    (d) => new Set(d.branches.map((b) => b.length)).size > 1 || d.branches.some((b) => b.some((id) => ruled.has(id) || !answersTimeExceeded(topology.nodes[id]!))),
  );
}
