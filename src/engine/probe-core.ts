// The one place probes are built, sent, matched to their answers, timed out and settled. The tracer decides which
// probe to send when (its window, waits and finish rule); the follow-up probes and a watch's rounds ask for probes
// at chosen TTLs and times. Both go through a ProbeCore, so an answer is attributed by the same rules wherever it
// arrives: by the id it carries, or — naming none — by the one rule of engine/unattributed.
import { UNATTRIBUTED_PROBE } from '../probe/method.js';
import type { Flow, InboundPacket, OutgoingPacket, ProbeMethod, ProbeReply } from '../probe/method.js';
import type { Clock } from './clock.js';
import type { Network } from './network.js';
import type { ProbeIds } from './probe-ids.js';
import { rttOf } from './probe-result.js';
import { ownerOfUnattributed } from './unattributed.js';

/** What the core keeps of a probe; the tracer's and the follow-ups' records add their own fields. */
export interface CoreProbe {
  /** Given when the probe is sent (0 before; see ProbeIds). */
  id: number;
  ttl: number;
  sentAtMs?: number;
  sentAtNs?: bigint;
  /** The packet as handed to the transport (kept for comparing with routers' quotes of it). */
  packet?: OutgoingPacket;
  reply?: ProbeReply;
  rttMs?: number;
  /** Sent and still waited for: neither answered nor given up on. */
  open?: boolean;
}

export class ProbeCore<P extends CoreProbe> {
  private readonly byId = new Map<number, P>();
  /** The highest TTL a router answered with time exceeded: no probe at or below it reached the destination. */
  private routersUpTo = 0;

  constructor(
    private readonly method: ProbeMethod,
    private readonly network: Network,
    readonly flow: Flow,
    private readonly ids: ProbeIds,
    private readonly clock: Clock,
  ) {}

  /** Every probe sent through this core, in the order sent. */
  probes(): IterableIterator<P> {
    return this.byId.values();
  }

  /** Gives the probe its id and sends it on this core's flow; throws what the network throws. */
  send(probe: P): void {
    probe.id = this.ids.take();
    this.byId.set(probe.id, probe);
    probe.packet = this.method.build(this.flow, probe.ttl, probe.id);
    probe.sentAtMs = this.clock.now();
    probe.sentAtNs = this.network.send(probe.packet);
    probe.open = true;
  }

  /**
   * Which probe of ours a packet answers: the one whose id it carries (open or not: the caller decides what a late
   * or second answer is worth), or for an answer that names none, the one rule. Null: not ours.
   */
  match(packet: InboundPacket): { probe: P; reply: ProbeReply } | null {
    const reply = this.method.match(packet, this.flow);
    if (!reply) return null;
    const probe = reply.probeId === UNATTRIBUTED_PROBE ? this.unattributed() : this.byId.get(reply.probeId);
    return probe ? { probe, reply } : null;
  }

  private unattributed(): P | undefined {
    const open = [...this.byId.values()].filter((p): p is P & { sentAtMs: number } => p.open === true && p.sentAtMs !== undefined);
    return ownerOfUnattributed(open, this.routersUpTo);
  }

  /** Records the answer and its round-trip time; the probe is no longer waited for. */
  answer(probe: P, reply: ProbeReply): void {
    probe.reply = reply;
    probe.rttMs = rttOf(probe.sentAtNs, reply);
    if (reply.kind === 'time-exceeded') this.routersUpTo = Math.max(this.routersUpTo, probe.ttl);
    this.close(probe);
  }

  /** The probe's wait ran out (or it is no longer wanted): stop waiting for it. A late answer may still be matched. */
  expire(probe: P): void {
    this.close(probe);
  }

  /** Expires every probe still waited for (the end of a trace or a batch). */
  expireAll(): void {
    for (const probe of this.byId.values()) if (probe.open) this.close(probe);
  }

  private close(probe: P): void {
    if (!probe.open) return;
    probe.open = false;
    // The transport may stop listening for this packet's answers (its ICMP filter).
    if (probe.packet) this.network.settle?.(probe.packet);
  }
}
