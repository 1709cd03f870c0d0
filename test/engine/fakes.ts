// A fake clock and a scripted fake network: the tracer's state machine runs against them with no sockets and no
// real time, so each scheduling rule can be checked exactly.
import type { Clock } from '../../src/engine/clock.js';
import type { Network } from '../../src/engine/network.js';
import type { Flow, InboundPacket, OutgoingPacket, ProbeMethod, ProbeReply, ReplyKind } from '../../src/probe/method.js';

export class FakeClock implements Clock {
  private current = 0;
  private timers: { at: number; fn: () => void; seq: number }[] = [];
  private seq = 0;

  now(): number {
    return this.current;
  }

  setTimer(ms: number, fn: () => void): () => void {
    const timer = { at: this.current + Math.max(0, ms), fn, seq: this.seq++ };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter((t) => t !== timer);
    };
  }

  /** Runs every timer due within ms, in time order, moving the clock as it goes. */
  advance(ms: number): void {
    const end = this.current + ms;
    while (true) {
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      const next = this.timers[0];
      if (!next || next.at > end) break;
      this.timers.shift();
      this.current = next.at;
      next.fn();
    }
    this.current = end;
  }

  /** Runs timers until none is left (or the limit), returning the time reached. */
  runAll(limitMs = 600_000): number {
    while (this.timers.length > 0 && this.current < limitMs) {
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      this.advance(this.timers[0]!.at - this.current);
    }
    return this.current;
  }

  /**
   * runAll, letting queued microtasks run after each timer as the real event loop does (the tracer steps on in a
   * microtask after a paced send: with runAll those steps would all wait until the end).
   */
  async runAllSettling(limitMs = 600_000): Promise<number> {
    while (this.timers.length > 0 && this.current < limitMs) {
      this.timers.sort((a, b) => a.at - b.at || a.seq - b.seq);
      this.advance(this.timers[0]!.at - this.current);
      await new Promise((resolve) => setImmediate(resolve));
    }
    return this.current;
  }
}

/** How one hop of the fake path behaves toward a probe that expires there (or, for the last, reaches it). */
export interface FakeHop {
  address: string;
  /** Round-trip time in ms. */
  rtt: number;
  /** Never answers. */
  silent?: boolean;
  /** Answers only these probe indexes (0-based per hop); others are lost. */
  answers?: number[];
  /** Drops every probe that would pass through it (a firewall): later hops never see them. */
  dropsForward?: boolean;
  /** Answers probes that reach it with this instead of time-exceeded (e.g. an unreachable from a router). */
  reply?: { kind: ReplyKind; icmpType?: number; icmpCode?: number };
  /** Answers probes that pass through it with this, in the destination's name (a middlebox forging RSTs). */
  forges?: { kind: ReplyKind };
}

/** Destination behaviour: the last hop of the path. */
export interface FakePath {
  /**
   * Answers wait for the next send() and are delivered inside it, before it returns (as the unprivileged datagram
   * transport does when it reads its error queue before sending); a timer delivers the last ones.
   */
  answerDuringSend?: boolean;
  hops: FakeHop[];
  destination: FakeHop & { reply: { kind: ReplyKind; icmpType?: number; icmpCode?: number } };
  /**
   * A busy process: answers reach the socket at their RTT (their timestamp) but are read this much later; while one
   * waits unread, the network says it reads behind (readBehind) unless `hidesLag`.
   */
  readLagMs?: number;
  hidesLag?: boolean;
}

/** The fake probe method encodes (ttl, id) in the bytes and decodes the fake network's replies. */
export const fakeMethod: ProbeMethod = {
  protocol: 'tcp',
  ipProtocol: 6,
  build(flow: Flow, ttl: number, probeId: number): OutgoingPacket {
    const bytes = Buffer.alloc(4);
    bytes.writeUInt16BE(ttl, 0);
    bytes.writeUInt16BE(probeId, 2);
    return { family: flow.family, destination: flow.destination, ttl, ipProtocol: 6, bytes };
  },
  match(packet: InboundPacket): ProbeReply | null {
    if (packet.payload.length !== 8) return null;
    const view = Buffer.from(packet.payload);
    const kinds: ReplyKind[] = ['time-exceeded', 'unreachable', 'syn-ack', 'rst', 'echo-reply', 'udp', 'other-icmp'];
    const kind = kinds[view.readUInt8(0)];
    if (!kind) return null;
    const icmpType = view.readUInt8(1);
    return {
      probeId: view.readUInt16BE(2),
      kind,
      from: packet.from,
      replyTtl: packet.ttl,
      ...(icmpType !== 0xff ? { icmpType, icmpCode: view.readUInt8(4) } : {}),
      receivedAtNs: packet.receivedAtNs,
    };
  },
};

export class FakeNetwork implements Network {
  readonly sent: { atMs: number; ttl: number; id: number; index: number }[] = [];
  private handler: ((packet: InboundPacket) => void) | null = null;
  private readonly counts = new Map<number, number>();

  constructor(
    private readonly clock: FakeClock,
    private readonly path: FakePath,
  ) {}

  onPacket(handler: (packet: InboundPacket) => void): void {
    this.handler = handler;
  }

  close(): void {
    this.handler = null;
  }

  /** Delivers an arbitrary packet, as if it arrived on the socket now. */
  inject(packet: InboundPacket): void {
    this.handler?.(packet);
  }

  private held: (() => void)[] = [];
  /** Answers arrived (their RTT passed) and not yet read, with readLagMs. */
  private unread = 0;

  readBehind(): boolean {
    return !this.path.hidesLag && this.unread > 0;
  }

  private flushHeld(): void {
    for (const fn of this.held.splice(0)) fn();
  }

  send(packet: OutgoingPacket): bigint {
    if (this.path.answerDuringSend) this.flushHeld();
    const ttl = packet.bytes.readUInt16BE(0);
    const id = packet.bytes.readUInt16BE(2);
    const index = this.counts.get(ttl) ?? 0;
    this.counts.set(ttl, index + 1);
    const sentAt = this.clock.now();
    this.sent.push({ atMs: sentAt, ttl, id, index });

    const hops = [...this.path.hops, this.path.destination];
    let hop: FakeHop | undefined;
    /** How many hops away the answering hop is: its reply arrives with 64 less that. */
    let distance = 0;
    for (let i = 0; i < hops.length; i++) {
      const candidate = hops[i]!;
      if (i + 1 === ttl || i === hops.length - 1) {
        hop = candidate;
        distance = i + 1;
        break;
      }
      if (candidate.dropsForward) return toNs(sentAt);
      if (candidate.forges) {
        hop = { address: this.path.destination.address, rtt: candidate.rtt, reply: candidate.forges };
        distance = i + 1;
        break;
      }
    }
    if (!hop || hop.silent || (hop.answers && !hop.answers.includes(index))) return toNs(sentAt);
    const reply = hop.reply ?? { kind: 'time-exceeded' as const, icmpType: 11, icmpCode: 0 };
    const kinds: ReplyKind[] = ['time-exceeded', 'unreachable', 'syn-ack', 'rst', 'echo-reply', 'udp', 'other-icmp'];
    const payload = Buffer.alloc(8);
    payload.writeUInt8(kinds.indexOf(reply.kind), 0);
    payload.writeUInt8(reply.icmpType ?? 0xff, 1);
    payload.writeUInt16BE(id, 2);
    payload.writeUInt8(reply.icmpCode ?? 0, 4);
    const from = hop.address;
    const lag = this.path.readLagMs ?? 0;
    const arrival = sentAt + hop.rtt;
    const deliver = (fn: () => void) => {
      if (lag > 0) {
        this.clock.setTimer(hop.rtt, () => this.unread++);
        return void this.clock.setTimer(hop.rtt + lag, () => {
          this.unread--;
          fn();
        });
      }
      if (!this.path.answerDuringSend) return void this.clock.setTimer(hop.rtt, fn);
      this.held.push(fn);
      this.clock.setTimer(hop.rtt + 1, () => this.flushHeld());
    };
    deliver(() =>
      this.handler?.({
        family: 4,
        from,
        to: '198.18.1.1',
        ttl: 65 - distance,
        ipProtocol: 6,
        payload,
        receivedAtNs: toNs(lag > 0 ? arrival : this.clock.now()),
      }),
    );
    return toNs(sentAt);
  }
}

function toNs(ms: number): bigint {
  return BigInt(Math.round(ms * 1e6));
}
