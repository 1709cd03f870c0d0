// The simulated Internet's packet engine: a packet from the client goes in (bytes, with the time it arrived), and
// out come the answers the Internet sends back, each with the time it is due at the client. It walks the packet's
// path hop by hop: the link's loss (seeded) and delay, TTL expiry at a router (time exceeded, unless the router is
// ICMP-silent or out of ICMP budget), the firewall rules of each router it passes, and at the end the host (or the
// service behind a NAT). An answer goes back the same way, through each link's loss, and is due after the summed
// one-way delays both ways. Per probe the engine reads the header fields it needs in place and allocates only the
// answer it sends; the heavy lifting (hops of a flow, rules) is in SimNetwork's prepared lookups.
import { encodeExtensionStructure, encodeMplsObject } from '../../packet/extensions.js';
import { TCP_FLAGS } from '../../packet/tcp.js';
import { DueQueue } from '../due-queue.js';
import { deriveSeed, mix32, mulberry32 } from '../seeded-random.js';
import type { Random } from '../seeded-random.js';
import { MAX_PATH } from './network.js';
import type { SimNetwork } from './network.js';
import type { Family, RateLimit, SimLink, SimNode, SimRule, SimServices } from './model.js';
import { echoReply, icmpError, tcpAnswer, udpAnswer } from './replies.js';
import { TokenBuckets } from './token-bucket.js';
import type { ErrorFields, ProbeView } from './replies.js';

export type AnswerKind = 'time-exceeded' | 'unreachable' | 'syn-ack' | 'rst' | 'echo-reply' | 'udp';

/**
 * What the log keeps about one answer: the probe's identity (numbers, read from its bytes) and what was sent back.
 * Node ids, not addresses: answer-log.ts turns them into text when the log is read, off the packet path.
 */
export interface AnswerFacts {
  /** When the probe reached the simulator (the clock handle() was given). */
  probeAt: number;
  family: Family;
  /** The probe's IP protocol number (6, 17, 1, 58). */
  protocol: number;
  /** The node the probe was addressed to. */
  destination: number;
  /** TCP/UDP ports; the ICMP identifier is sourcePort (destinationPort -1) for echo probes. */
  sourcePort: number;
  destinationPort: number;
  /** TCP sequence number, UDP checksum, or ICMP sequence number: where portpath keeps the probe id. */
  sequence: number;
  /** The probe's IPv4 ID (-1 for IPv6). */
  ipId: number;
  /** The probe's TTL / hop limit as sent. */
  ttl: number;
  kind: AnswerKind;
  /** The hop (TTL) of the device that answered: the expiring router, the rejecting one, the host. */
  hop: number;
  /** The node whose address the answer comes from (a forged RST comes from the destination's address). */
  from: number;
  /** The device that sent it (the forging router for a forged RST; otherwise `from`). */
  by: number;
  icmpType: number;
  icmpCode: number;
  /** TTL / hop limit the answer arrives with. */
  replyTtl: number;
}

export interface SimAnswer {
  /** When it is due at the client (same clock as handle()'s `now`). */
  due: number;
  /** The whole IP packet. */
  packet: Buffer;
  facts: AnswerFacts;
}

/** What became of the packets handled so far. */
export interface EngineCounters {
  /** Packets handled. */
  packets: number;
  /** Answers queued. */
  answers: number;
  /** Lost on a link (either way). */
  lost: number;
  /** Expired at an ICMP-silent router, or an error the node's rate limit held back. */
  unanswered: number;
  /** Dropped by a firewall rule. */
  dropped: number;
  /** Not ours to answer: malformed, not to a simulated address, an RST or ICMP error from the client, ... */
  ignored: number;
}

const ICMP = { 4: { echo: 8, timeExceeded: [11, 0], adminProhibited: [3, 13], portUnreachable: [3, 3] }, 6: { echo: 128, timeExceeded: [3, 0], adminProhibited: [1, 1], portUnreachable: [1, 4] } } as const;
/** What a router answers as a destination: nothing open, but it answers ping. */
const ROUTER_SERVICES: SimServices = { tcpOpen: [], udpOpen: [], echo: true };
/** A Linux host's initial TTL: the service behind a NAT is one. */
const HOST_TTL = 64;

export class SimEngine {
  readonly counters: EngineCounters = { packets: 0, answers: 0, lost: 0, unanswered: 0, dropped: 0, ignored: 0 };
  private readonly queue = new DueQueue<SimAnswer>();
  private readonly random: Random;
  /** Two per node (one per family), then two per NAT's inner service. */
  private readonly buckets: TokenBuckets;
  private readonly nodes: SimNode[];
  /** Each MPLS router's extension structure, built once (by node id). */
  private readonly extensions: (Buffer | null)[];
  private readonly path = new Int32Array(MAX_PATH);
  private readonly probe: ProbeView = { packet: Buffer.alloc(0), family: 4, headerLength: 0, length: 0, protocol: 0, ttl: 0 };
  private ipId = 0;
  // The probe being handled: when it came, how many hops its path has, the one-way delay so far, and the NAT's inner
  // link when it crossed one.
  private now = 0;
  private hops = 0;
  private delay = 0;
  private inner: SimLink | null = null;

  /** `seed` draws the links' losses: the same seed and the same packets in the same order lose the same packets. */
  constructor(
    private readonly network: SimNetwork,
    seed: number,
  ) {
    this.nodes = network.topology.nodes;
    this.random = mulberry32(deriveSeed(seed, 0x51a7));
    this.buckets = new TokenBuckets(this.nodes.length * 4);
    this.extensions = this.nodes.map((node) => (node.kind === 'router' && node.mpls ? encodeExtensionStructure([encodeMplsObject(node.mpls)]) : null));
  }

  /** The earliest answer's due time, or undefined when none is waiting. */
  nextDue(): number | undefined {
    return this.queue.peekDue();
  }

  /** The next answer due at `now`, or undefined. */
  popDue(now: number): SimAnswer | undefined {
    return this.queue.popDue(now);
  }

  /** A packet from the client arrived at `now` (ms): queue what the Internet answers. */
  handle(packet: Buffer, now: number): void {
    this.counters.packets++;
    if (!this.read(packet)) {
      this.counters.ignored++;
      return;
    }
    const probe = this.probe;
    const l4 = probe.headerLength;
    const destination = this.network.nodeAt(packet, probe.family === 4 ? 16 : 24, probe.family);
    const hops = destination < 0 ? -1 : this.network.resolve(destination, packet, this.path);
    if (hops < 0 || probe.ttl === 0) {
      this.counters.ignored++;
      return;
    }
    const ported = probe.protocol === 6 || probe.protocol === 17;
    const rules = ported ? this.network.rulesFor(destination, probe.protocol, packet.readUInt16BE(l4 + 2)) : undefined;
    this.now = now;
    this.delay = 0;
    this.hops = hops;
    this.inner = null;
    for (let hop = 1; hop <= hops; hop++) {
      const node = this.path[hop - 1]!;
      if (!this.cross(this.nodes[node]!.link)) return;
      const rule = rules === undefined ? undefined : ruleAt(rules, node);
      if (hop < hops) {
        // A router: TTL expiry comes before its forwarding rules (Linux answers time exceeded before FORWARD).
        if (probe.ttl <= hop) return this.expire(node, hop);
        if (rule) return this.enforce(rule, node, destination, hop, probe.ttl - hop);
        continue;
      }
      if (rule) return this.enforce(rule, node, destination, hop, probe.ttl - hop + 1);
      return this.arrive(destination, hop);
    }
  }

  /** Reads the probe's header into this.probe; false for what is not ours to answer. */
  private read(packet: Buffer): boolean {
    const probe = this.probe;
    probe.packet = packet;
    const version = packet.length > 0 ? packet[0]! >> 4 : 0;
    if (version === 4) {
      if (packet.length < 20) return false;
      const headerLength = (packet[0]! & 0x0f) * 4;
      const total = packet.readUInt16BE(2);
      // Only whole packets (no fragment after the first) with their IHL and length in order.
      if (headerLength < 20 || total < headerLength || packet.length < total || (packet.readUInt16BE(6) & 0x1fff) !== 0) return false;
      probe.family = 4;
      probe.headerLength = headerLength;
      probe.length = total;
      probe.ttl = packet[8]!;
      probe.protocol = packet[9]!;
    } else if (version === 6) {
      if (packet.length < 40) return false;
      probe.family = 6;
      probe.headerLength = 40;
      probe.length = Math.min(packet.length, 40 + packet.readUInt16BE(4));
      probe.ttl = packet[7]!;
      probe.protocol = packet[6]!;
    } else {
      return false;
    }
    const l4 = probe.headerLength;
    const room = probe.length - l4;
    if (probe.protocol === 6) return room >= 20 && (packet[l4 + 13]! & TCP_FLAGS.RST) === 0; // the client's kernel resetting a SYN-ACK: nothing answers an RST
    if (probe.protocol === 17) return room >= 8;
    if (probe.protocol === (probe.family === 4 ? 1 : 58)) return room >= 8 && packet[l4] === ICMP[probe.family].echo; // not errors, not ND
    return false;
  }

  /** The packet crosses a link on its way out: its loss, then its delay. False when the link lost it. */
  private cross(link: SimLink): boolean {
    if (!this.survives(link)) return false;
    this.delay += link.delayMs;
    return true;
  }

  /** The link's loss alone (the way back: the delay was counted on the way out). */
  private survives(link: SimLink): boolean {
    if (link.loss > 0 && this.random() < link.loss) {
      this.counters.lost++;
      return false;
    }
    return true;
  }

  /** The probe's TTL ran out at router `node` (hop `hop`): time exceeded, if it answers. */
  private expire(node: number, hop: number): void {
    const router = this.nodes[node]!;
    if (router.kind === 'router' && router.silent) {
      this.counters.unanswered++;
      return;
    }
    const [type, code] = ICMP[this.probe.family].timeExceeded;
    this.error(node, hop, { type, code, quotedTtl: 1, extension: this.extensions[node]! });
  }

  /**
   * Rule `rule` of node `node` (hop `hop`) applies: drop, reject (admin prohibited) or reset (an RST in the
   * destination's name, sent by `node`). `quotedTtl`: the TTL the probe has there (a router decrements it first).
   */
  private enforce(rule: SimRule, node: number, destination: number, hop: number, quotedTtl: number): void {
    if (rule.action === 'drop') {
      this.counters.dropped++;
      return;
    }
    if (rule.action === 'reject' || this.probe.protocol !== 6) {
      const [type, code] = ICMP[this.probe.family].adminProhibited;
      return this.error(node, hop, { type, code, quotedTtl, extension: null });
    }
    this.answerTcp(destination, node, hop, this.nodes[node]!.initialTtl, false);
  }

  /** An ICMP error from `node` at `hop`, within the node's rate limit. */
  private error(node: number, hop: number, fields: ErrorFields): void {
    const sender = this.nodes[node]!;
    if (!this.buckets.allow(node * 2 + (this.probe.family === 6 ? 1 : 0), sender.rateLimit, this.now + this.delay)) {
      this.counters.unanswered++;
      return;
    }
    const ttl = sender.initialTtl - (hop - 1);
    const kind: AnswerKind = fields.type === ICMP[this.probe.family].timeExceeded[0] ? 'time-exceeded' : 'unreachable';
    const packet = icmpError(this.probe, this.address(node), ttl, this.nextIpId(), fields);
    this.send(packet, hop, node, node, kind, ttl, fields.type, fields.code);
  }

  /** The probe reached its destination at `hop`: the host (or the NAT, or the service behind it) answers. */
  private arrive(destination: number, hop: number): void {
    const node = this.nodes[destination]!;
    const probe = this.probe;
    const port = probe.protocol === 6 || probe.protocol === 17 ? probe.packet.readUInt16BE(probe.headerLength + 2) : -1;
    if (node.kind === 'host' && node.nat && port >= 0 && node.nat.forwards.includes(port)) {
      // Forwarded on: the NAT is a router for it (time exceeded from the target address), the service one hop further.
      if (probe.ttl <= hop) return this.expire(destination, hop);
      if (!this.cross(node.nat.innerLink)) return;
      this.inner = node.nat.innerLink;
      const inner = (this.nodes.length + destination) * 2 + (probe.family === 6 ? 1 : 0);
      return this.serve(node.nat.inner, destination, hop + 1, HOST_TTL, inner, node.rateLimit);
    }
    const services = node.kind === 'host' ? node.services : ROUTER_SERVICES;
    this.serve(services, destination, hop, node.initialTtl, destination * 2 + (probe.family === 6 ? 1 : 0), node.rateLimit);
  }

  /** `services` answer the probe in node `destination`'s name, from `hop` away. */
  private serve(services: SimServices, destination: number, hop: number, initialTtl: number, bucket: number, limit: RateLimit | null): void {
    const probe = this.probe;
    const l4 = probe.headerLength;
    const ttl = initialTtl - (hop - 1);
    if (probe.protocol === 6) {
      const flags = probe.packet[l4 + 13]!;
      const open = services.tcpOpen.includes(probe.packet.readUInt16BE(l4 + 2));
      if ((flags & TCP_FLAGS.SYN) !== 0) return this.answerTcp(destination, destination, hop, initialTtl, open);
      if ((flags & TCP_FLAGS.ACK) !== 0) return this.answerTcp(destination, destination, hop, initialTtl, false);
      this.counters.unanswered++;
      return;
    }
    if (probe.protocol === 17) {
      if (services.udpOpen.includes(probe.packet.readUInt16BE(l4 + 2))) {
        return this.send(udpAnswer(probe, this.address(destination), ttl, this.nextIpId()), hop, destination, destination, 'udp', ttl, -1, -1);
      }
      if (!this.buckets.allow(bucket, limit, this.now + this.delay)) {
        this.counters.unanswered++;
        return;
      }
      const [type, code] = ICMP[probe.family].portUnreachable;
      const packet = icmpError(probe, this.address(destination), ttl, this.nextIpId(), { type, code, quotedTtl: probe.ttl - (hop - 1), extension: null });
      return this.send(packet, hop, destination, destination, 'unreachable', ttl, type, code);
    }
    if (!services.echo) {
      this.counters.unanswered++;
      return;
    }
    this.send(echoReply(probe, this.address(destination), ttl, this.nextIpId()), hop, destination, destination, 'echo-reply', ttl, probe.family === 4 ? 0 : 129, 0);
  }

  /**
   * A TCP answer in `destination`'s name, sent by `by` at `hop`: a SYN-ACK (open), or an RST as Linux sends it — to a
   * SYN, RST+ACK acknowledging it; to an ACK, a bare RST with the sequence number it acknowledged.
   */
  private answerTcp(destination: number, by: number, hop: number, initialTtl: number, open: boolean): void {
    const packet = this.probe.packet;
    const l4 = this.probe.headerLength;
    const seq = packet.readUInt32BE(l4 + 4);
    const syn = (packet[l4 + 13]! & TCP_FLAGS.SYN) !== 0;
    const ttl = initialTtl - (hop - 1);
    const answer = open
      ? { flags: TCP_FLAGS.SYN | TCP_FLAGS.ACK, seq: mix32(seq ^ packet.readUInt32BE(l4)), ack: (seq + 1) >>> 0, mss: true }
      : syn
        ? { flags: TCP_FLAGS.RST | TCP_FLAGS.ACK, seq: 0, ack: (seq + 1) >>> 0, mss: false }
        : { flags: TCP_FLAGS.RST, seq: packet.readUInt32BE(l4 + 8), ack: 0, mss: false };
    const reply = tcpAnswer(this.probe, this.address(destination), ttl, this.nextIpId(), answer);
    this.send(reply, hop, destination, by, open ? 'syn-ack' : 'rst', ttl, -1, -1);
  }

  /** Sends an answer from `hop` back to the client: each link's loss on the way, due after the delays both ways. */
  private send(packet: Buffer, hop: number, from: number, by: number, kind: AnswerKind, replyTtl: number, icmpType: number, icmpCode: number): void {
    // Back over the links it came by, from the far end: a NAT's inner link first when it went that far.
    if (this.inner !== null && !this.survives(this.inner)) return;
    for (let back = Math.min(hop, this.hops); back >= 1; back--) {
      if (!this.survives(this.nodes[this.path[back - 1]!]!.link)) return;
    }
    const probe = this.probe;
    const l4 = probe.headerLength;
    const icmpProbe = probe.protocol === 1 || probe.protocol === 58;
    const facts: AnswerFacts = {
      probeAt: this.now,
      family: probe.family,
      protocol: probe.protocol,
      destination: this.path[this.hops - 1]!,
      sourcePort: probe.packet.readUInt16BE(icmpProbe ? l4 + 4 : l4),
      destinationPort: icmpProbe ? -1 : probe.packet.readUInt16BE(l4 + 2),
      sequence: probe.protocol === 6 ? probe.packet.readUInt32BE(l4 + 4) : probe.packet.readUInt16BE(l4 + 6),
      ipId: probe.family === 4 ? probe.packet.readUInt16BE(4) : -1,
      ttl: probe.ttl,
      kind,
      hop,
      from,
      by,
      icmpType,
      icmpCode,
      replyTtl,
    };
    const due = this.now + 2 * this.delay;
    this.counters.answers++;
    this.queue.push(due, { due, packet, facts });
  }

  private address(node: number): Buffer {
    return this.probe.family === 4 ? this.network.address4[node]! : this.network.address6[node]!;
  }

  private nextIpId(): number {
    this.ipId = (this.ipId + 1) & 0xffff;
    return this.ipId;
  }
}

/** The rule of `node` among a port's rules, if it has one. */
function ruleAt(rules: SimRule[], node: number): SimRule | undefined {
  for (const rule of rules) if (rule.at === node) return rule;
  return undefined;
}
