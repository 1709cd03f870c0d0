// Shared by the simulator's unit tests: portpath's own probes (the probe methods' bytes, whole IP packets) for a
// simulated target, and the simulator's answers turned into what portpath's transport hands its matchers, so a test
// can check every answer is attributed to the probe it answers, exactly as portpath would.
import { decodeIpv4 } from '../../src/packet/ipv4.js';
import { decodeIpv6, encodeIpv6 } from '../../src/packet/ipv6.js';
import { createProbeMethod } from '../../src/probe/index.js';
import type { Flow, InboundPacket, ProbeMethod, ProbeReply } from '../../src/probe/method.js';
import type { SimAnswer, SimEngine } from '../../src/lab/sim/engine.js';
import type { SimTarget, SimTopology } from '../../src/lab/sim/model.js';

export function flowTo(topology: SimTopology, target: SimTarget, sourcePort = 40000, nonce = 0x1234): Flow {
  return {
    family: target.family,
    protocol: target.protocol,
    source: topology.client[target.family]!,
    destination: target.address,
    sourcePort,
    destinationPort: target.port ?? 0,
    icmpId: sourcePort,
    nonce,
  };
}

/** A probe as it leaves the client: the whole IP packet (IPv6 probes get their header as the kernel would add it). */
export function probePacket(method: ProbeMethod, flow: Flow, ttl: number, probeId: number): Buffer {
  const outgoing = method.build(flow, ttl, probeId);
  if (flow.family === 4) return outgoing.bytes;
  return encodeIpv6({ source: flow.source, destination: flow.destination, nextHeader: outgoing.ipProtocol, hopLimit: ttl }, outgoing.bytes);
}

/** An answer as portpath's transport hands it on: the upper layer, who sent it, its TTL. */
export function inbound(answer: SimAnswer): InboundPacket {
  const bytes = answer.packet;
  if (bytes[0]! >> 4 === 4) {
    const ip = decodeIpv4(bytes);
    if (!ip.ok) throw new Error(ip.error);
    const h = ip.value.header;
    return { family: 4, from: h.source, to: h.destination, ttl: h.ttl, ipProtocol: h.protocol, payload: ip.value.payload, receivedAtNs: 0n };
  }
  const ip = decodeIpv6(bytes);
  if (!ip.ok) throw new Error(ip.error);
  const h = ip.value.header;
  return { family: 6, from: h.source, to: h.destination, ttl: h.hopLimit, ipProtocol: ip.value.upperProtocol, payload: ip.value.payload, receivedAtNs: 0n };
}

/** Every answer due by `until` (default: all of them). */
export function drain(engine: SimEngine, until = Infinity): SimAnswer[] {
  const out: SimAnswer[] = [];
  for (let answer = engine.popDue(until); answer; answer = engine.popDue(until)) out.push(answer);
  return out;
}

export interface Probed {
  answers: SimAnswer[];
  /** What portpath's matcher makes of each answer (null: not attributed to this flow). */
  replies: (ProbeReply | null)[];
}

/** Sends one probe of `target`'s method at TTL `ttl` (probe id `id`) at `now`, and reads every answer. */
export function probe(engine: SimEngine, topology: SimTopology, target: SimTarget, ttl: number, id: number, now = 0, flow = flowTo(topology, target)): Probed {
  const method = createProbeMethod(target.protocol);
  engine.handle(probePacket(method, flow, ttl, id), now);
  const answers = drain(engine);
  return { answers, replies: answers.map((answer) => method.match(inbound(answer), flow)) };
}
