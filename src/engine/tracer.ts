// The tracer: a state machine that decides which probe to send when, attributes replies, times probes out and
// decides when the trace is over. It never touches a socket or the system clock: a Network and a Clock are injected.
import { EventEmitter } from 'node:events';
import type { Flow, InboundPacket, ProbeMethod, ProbeReply } from '../probe/method.js';
import type { Clock } from './clock.js';
import type { Network } from './network.js';
import { decideFinal, isFinalReply, mayBeOwnCollision } from './port-state.js';
import type { FinalAnswer, SettledProbe } from './port-state.js';
import { ProbeIds } from './probe-ids.js';
import { ProbeCore } from './probe-core.js';
import type { Pacer, ProbeGate } from './pacer.js';
import type { CoreProbe } from './probe-core.js';
import { probeResult } from './probe-result.js';
import type { DestinationResult, HopResult, TraceOptions } from './types.js';
import { waitFor } from './wait-policy.js';
import { hopsAway } from '../packet/reply-ttl.js';

/** The constant part of every probe of a trace (Paris traceroute). */
export function flowOf(options: TraceOptions): Flow {
  return {
    family: options.family,
    protocol: options.protocol,
    source: options.source,
    destination: options.destination,
    sourcePort: options.sourcePort,
    destinationPort: options.port ?? 0,
    icmpId: options.icmpId,
    nonce: options.nonce,
  };
}

/** How often a probe past its deadline looks again while the transport reads behind (Tracer.readingBehind). */
const READ_BEHIND_RECHECK_MS = 25;

/** held: a repeat probe waiting until its TTL is known not to be past the destination (see confirmRepeats). */
export type ProbeStatus = 'held' | 'queued' | 'sent' | 'answered' | 'timed-out';

export interface ProbeRecord extends CoreProbe {
  /** 0-based position among the probes of its hop. */
  index: number;
  status: ProbeStatus;
  /** When the probe is due to be sent (engine clock, ms). */
  dueMs: number;
  /** Queued with the shared pacer, waiting for its slot. */
  awaitingSlot?: boolean;
  /** Its wait ran out in an earlier pass: it expires in the next one, once the sockets have been read (see step). */
  overdue?: boolean;
  /** Not sent: its router's turn was too far off (see ProbeGate). Settled as unanswered. */
  skipped?: boolean;
}

/** What the engine knows at the end; the CLI adds target names and timing around it. */
export interface TraceOutcome {
  hops: HopResult[];
  destination: DestinationResult;
  unmatchedPackets: number;
  interrupted: boolean;
  /** Why the trace stopped: destination/unreachable reached, too many silent hops, max TTL, or interrupted. */
  stoppedBy: 'final-reply' | 'gap-limit' | 'max-ttl' | 'interrupted';
}

export interface TracerEvents {
  'probe-sent': [ProbeRecord];
  reply: [ProbeRecord, ProbeReply];
  'hop-done': [HopResult];
  unmatched: [InboundPacket];
  done: [TraceOutcome];
}

export class Tracer extends EventEmitter<TracerEvents> {
  /** Sends, matches, times out and settles this trace's probes (engine/probe-core). */
  private readonly core: ProbeCore<ProbeRecord>;
  /** The distance probe, on a flow (and so a core) of its own (options.distancePort). */
  private readonly distance: { core: ProbeCore<ProbeRecord>; probe: ProbeRecord; hops: number | null } | null;
  private readonly hops = new Map<number, ProbeRecord[]>();
  /** Inside network.send: packets delivered meanwhile wait (see defer). */
  private transmitting = false;
  private readonly deferred: InboundPacket[] = [];
  /** Largest RTT seen per answering TTL, for the wait policy. */
  private readonly answeredRtts = new Map<number, number>();
  /** Smallest RTT seen per answering TTL: with the largest, the spread (jitter) the waits allow for. */
  private readonly fastestRtts = new Map<number, number>();
  private jitterMs = 0;
  private highestLaunched: number;
  private lastAnswered: number;
  /** Highest TTL answered by a router (not the destination): the destination is farther than this. */
  private lastTransit: number;
  /** Highest TTL with a probe not sent for its router's turn (see ProbeGate). */
  private lastSkipped = 0;
  /** Lowest TTL that got a final reply (destination or unreachable); nothing past it matters. */
  private finalTtl: number | null = null;
  private emittedThrough: number;
  private unmatched = 0;
  private cancelTimer: (() => void) | null = null;
  private finished = false;
  /** Probes waiting in the shared pacer's queue: taken out when the trace ends. */
  private readonly slotRequests: (() => void)[] = [];
  private resolveDone!: (outcome: TraceOutcome) => void;
  private rejectDone!: (error: unknown) => void;

  constructor(
    private readonly options: TraceOptions,
    private readonly method: ProbeMethod,
    private readonly network: Network,
    private readonly clock: Clock,
    /** Shared with the follow-up probes of the same flow (see ProbeIds). */
    readonly ids: ProbeIds = new ProbeIds(options.nonce),
    /** A probe rate shared with other traces (a batch's): each probe waits for its slot. */
    private readonly pacer: Pacer | null = null,
    /** Each probe waits for its router's turn (a batch's ICMP budgets): see ProbeGate. */
    private readonly gate: ProbeGate | null = null,
  ) {
    super();
    const flow = flowOf(options);
    this.core = new ProbeCore(method, network, flow, ids, clock);
    this.distance =
      options.distancePort !== undefined && options.maxTtl > options.firstTtl + options.window - 1
        ? {
            core: new ProbeCore(method, network, { ...flow, sourcePort: options.distancePort }, ids, clock),
            probe: { id: 0, ttl: options.maxTtl, index: -1, status: 'queued', dueMs: 0 },
            hops: null,
          }
        : null;
    this.highestLaunched = options.firstTtl - 1;
    this.lastAnswered = options.firstTtl - 1;
    this.lastTransit = options.firstTtl - 1;
    this.emittedThrough = options.firstTtl - 1;
  }

  /** Runs the trace; resolves when it is over (or interrupted), rejects when the network fails to send. */
  run(): Promise<TraceOutcome> {
    const done = new Promise<TraceOutcome>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    this.network.listen?.(this.core.flow);
    if (this.distance) this.network.listen?.(this.distance.core.flow);
    this.network.onPacket((packet) => (this.transmitting ? this.defer(packet) : this.onPacket(packet)));
    if (this.distance && !this.sendDistanceProbe()) return done;
    this.step();
    return done;
  }

  /** Ends the trace now with what it has (Ctrl-C). */
  interrupt(): void {
    if (!this.finished) this.finish('interrupted');
  }

  private launchUpTo(limit: number): void {
    const now = this.clock.now();
    while (this.highestLaunched < limit) {
      const ttl = ++this.highestLaunched;
      const probes: ProbeRecord[] = [];
      for (let index = 0; index < this.options.probesPerHop; index++) {
        const spaced = now + index * this.options.probeSpacingMs;
        // Past the destination's known distance the destination answers, not the router a gate would wait for.
        const turn = this.gate && !this.pastDistance(ttl) ? this.gate(ttl, spaced) : spaced;
        const probe: ProbeRecord = {
          id: 0,
          ttl,
          index,
          // Not sent (see ProbeGate): settled at once, as a probe that went unanswered.
          status: turn === null ? 'timed-out' : index > 0 && this.options.confirmRepeats ? 'held' : 'queued',
          dueMs: Math.max(spaced, turn ?? spaced),
          ...(turn === null ? { skipped: true } : {}),
        };
        if (turn === null) this.lastSkipped = Math.max(this.lastSkipped, ttl);
        probes.push(probe);
      }
      this.hops.set(ttl, probes);
    }
  }

  /**
   * Whether answers due by `deadline` may still be waiting unread in the transport (Network.readBehind): then the
   * probe waits on, though not longer than the longest wait past its deadline (a process behind for good still ends).
   */
  private readingBehind(now: number, deadline: number): boolean {
    return now - deadline < this.options.wait.maxMs && this.network.readBehind?.() === true;
  }

  /** How far probes may be launched now: the window, the final hop, the distance the distance probe gave. */
  private launchLimit(now: number): number {
    // The window slides with answers and with hops resolved by timeout alike, so silence cannot stall it.
    const progress = Math.max(this.lastAnswered, this.emittedThrough);
    const distanceLimit = this.distanceLimit(now);
    // Once the destination's distance is known, every TTL up to it goes out at once (none of them reaches past it),
    // so a silent hop holding the window back no longer delays the far hops of a long path.
    const distanceKnown = this.distance?.hops != null && distanceLimit !== Infinity;
    const windowLimit = distanceKnown ? Infinity : progress + this.options.window;
    return Math.min(this.options.maxTtl, this.finalTtl ?? Infinity, windowLimit, distanceLimit);
  }

  /**
   * The highest TTL that still matters: the final hop once known, else the silent-gap horizon. The gap counts from
   * the farthest evidence that the path goes on: a router's answer, or the destination's answer to the distance probe
   * (the hops before it are transit, however silent: a batch finds the routers near the source out of ICMP budget,
   * and its paced probes to the destination's TTL may still be waiting for their slots when those hops time out).
   */
  private horizon(): number {
    if (this.finalTtl !== null) return this.finalTtl;
    // A TTL whose probes were not sent (see ProbeGate) has a router other traces met there: no evidence of an end.
    const farthest = Math.max(this.lastAnswered, this.lastSkipped, this.distance?.hops ?? 0);
    return Math.min(this.options.maxTtl, farthest + this.options.gapLimit);
  }

  /** One pass of the state machine: launch, send what is due, time out what is overdue, emit, maybe finish. */
  private step(): void {
    if (this.finished) return;
    this.cancelTimer?.();
    this.cancelTimer = null;

    const now = this.clock.now();
    const launchLimit = this.launchLimit(now);
    this.launchUpTo(launchLimit);

    this.releaseRepeats(now);
    let nextWake = Infinity;
    let awaitingSlots = false;
    for (const [ttl, probes] of this.hops) {
      if (ttl > launchLimit) continue; // past the destination: never probed once it is found
      // Probes past the silent-gap horizon go out (they find far destinations sooner) but nobody waits for them.
      const waitedFor = ttl <= this.horizon();
      for (const probe of probes) {
        if (probe.status === 'queued') {
          if (probe.dueMs <= now) {
            if (this.pacer) {
              // The pacer sends it when its slot comes (sendPaced); meanwhile the trace waits as for any probe.
              awaitingSlots = true;
              if (!probe.awaitingSlot) {
                probe.awaitingSlot = true;
                this.slotRequests.push(this.pacer.request(() => this.sendPaced(probe)));
              }
              continue;
            }
            if (!this.send(probe)) return;
          } else {
            nextWake = Math.min(nextWake, probe.dueMs);
            continue;
          }
        }
        if (probe.status === 'sent' && waitedFor) {
          const deadline = (probe.sentAtMs ?? now) + waitFor(ttl, this.answeredRtts, this.options.wait, this.jitterMs);
          const unread = deadline <= now && this.readingBehind(now, deadline);
          if (deadline <= now && probe.overdue && !unread) {
            probe.status = 'timed-out';
            this.core.expire(probe);
          } else if (deadline <= now) {
            // Not yet: an event loop running late (a busy process: a thousand traces, a collection) runs its timers
            // before it reads the sockets, and an answer that came in time may be waiting there. The next pass
            // comes after the loop has read them — or, while the transport has not read its sockets empty, after
            // it has (their queue can hold seconds of answers when the process is at a full core).
            probe.overdue = true;
            nextWake = Math.min(nextWake, unread ? now + READ_BEHIND_RECHECK_MS : now);
          } else nextWake = Math.min(nextWake, deadline);
        }
      }
    }

    this.emitCompletedHops();
    if (this.emittedThrough >= this.horizon() && this.highestLaunched >= this.horizon()) {
      this.finish(this.finalTtl !== null ? 'final-reply' : this.horizon() >= this.options.maxTtl ? 'max-ttl' : 'gap-limit');
      return;
    }
    // (An unresolved first window has probe deadlines of its own that wake the tracer.)
    if (this.distance?.probe.status === 'sent') {
      if (this.distanceDeadline() !== Infinity) nextWake = Math.min(nextWake, this.distanceDeadline());
      // The pending limit grows with time: wake when it reaches the next TTL past what is launched.
      const perHop = this.msPerHop();
      const pending = this.pendingDistanceLimit(now);
      if (perHop !== null && pending === launchLimit) nextWake = Math.min(nextWake, (this.distance.probe.sentAtMs ?? now) + (pending + 1) * perHop);
    }
    if (nextWake !== Infinity) this.cancelTimer = this.clock.setTimer(nextWake - now, () => this.step());
    // Nothing left to send or wait for, yet the finish rule did not fire. Probes waiting for the pacer's slots are
    // something to wait for (sendPaced steps on). So is a limit that moved during this pass — a silent hop at the
    // distance a forged RST gave timed out just now, which lifts the distance limit: a new pass launches past it —
    // and so are repeats held behind a first probe that timed out in this pass (releaseRepeats ran before it): ended
    // here, the hop would keep one probe and the window would never reach the silent-gap limit. Otherwise end rather
    // than hang (a safety net).
    else if (!awaitingSlots) {
      if (this.launchLimit(now) > launchLimit || this.releaseRepeats(now)) return this.step();
      this.finish(this.finalTtl !== null ? 'final-reply' : 'gap-limit');
    }
  }

  /** The pacer's slot for a probe came: send it, unless the trace no longer wants it (then the slot passes on). */
  private sendPaced(probe: ProbeRecord): boolean {
    probe.awaitingSlot = false;
    if (this.finished || probe.status !== 'queued') return false;
    // Queued before the destination's distance or final hop was known (a slot can come seconds later in a busy
    // batch): past them it would only draw another answer from the destination (a SYN-ACK and our kernel's RST). It
    // stays queued, its slot passes on, and the state machine asks again if the limit moves past it.
    if (probe.ttl > this.launchLimit(this.clock.now())) return false;
    if (!this.send(probe)) return true;
    // Its wait starts now: the state machine sets the timers (outside the pacer's loop, which is sending others).
    queueMicrotask(() => this.step());
    return true;
  }

  /** Whether `ttl` reaches the destination by the distance its answer to the distance probe gave. */
  private pastDistance(ttl: number): boolean {
    const hops = this.distance?.hops ?? null;
    return hops !== null && ttl >= hops;
  }

  private sendDistanceProbe(): boolean {
    // Sent at once (the trace waits on it), but its slot is taken: the probes after it wait that much longer.
    this.pacer?.charge();
    return this.transmit(this.distance!.core, this.distance!.probe);
  }

  /**
   * While the distance probe is out, the window slides no farther than pendingDistanceLimit allows; once the
   * destination answered it, no TTL past the distance its reply TTL tells is probed. That distance assumes a symmetric path, so
   * the limit goes as soon as a router answers at or past it, or the TTL there stays silent.
   */
  private distanceLimit(now: number): number {
    const distance = this.distance;
    if (!distance) return Infinity;
    if (distance.probe.status === 'sent') {
      if (now < this.distanceDeadline()) return this.pendingDistanceLimit(now);
      distance.probe.status = 'timed-out';
      distance.core.expire(distance.probe);
    }
    const hops = distance.hops;
    if (hops === null) return Infinity;
    // The trace starts no nearer than firstTtl. A distance short of it (a batch took a sibling's hops, and this
    // destination is nearer) says those hops are not all its path, not that the distance is wrong: only the TTL
    // where it starts goes out until that TTL answers or stays silent.
    const limit = Math.max(hops, this.options.firstTtl);
    // A final answer from past the distance (a silent forger's RSTs, met one TTL on) proves it wrong as well: the
    // limit must not come back then, or the probes already out at the final TTL are no longer waited for.
    const wrong = this.lastTransit >= limit || (this.isHopResolved(limit) && (this.finalTtl === null || this.finalTtl > limit));
    if (wrong) return Infinity;
    return limit;
  }

  /**
   * While the distance probe is out: its answer takes longer than the time already waited, so the destination is
   * farther than any TTL whose round trip (extrapolated from the farthest hop that answered, assuming RTT grows with
   * the hop count) is shorter than that. The window may slide that far, and no farther than its first placement
   * otherwise; on a long path it slides almost as fast as without the probe.
   */
  private pendingDistanceLimit(now: number): number {
    const first = this.options.firstTtl + this.options.window - 1;
    const perHop = this.msPerHop();
    if (perHop === null) return first;
    return Math.max(first, Math.floor((now - (this.distance!.probe.sentAtMs ?? now)) / perHop));
  }

  /** RTT per TTL of the farthest hop that answered (ms), or null before any answer. */
  private msPerHop(): number | null {
    let farthest = -1;
    for (const ttl of this.answeredRtts.keys()) farthest = Math.max(farthest, ttl);
    if (farthest < 1) return null;
    return Math.max(this.answeredRtts.get(farthest)! / farthest, 0.05);
  }

  /**
   * The distance probe is given up once every hop of the first window is resolved and the path's RTTs say its
   * answer is overdue (NEAR times the largest; before the window is resolved the largest RTT is not known yet).
   */
  private distanceDeadline(): number {
    const probe = this.distance!.probe;
    for (let ttl = this.options.firstTtl; ttl < this.options.firstTtl + this.options.window; ttl++) {
      if (!this.isHopResolved(ttl)) return Infinity;
    }
    const largest = Math.max(-1, ...this.answeredRtts.values());
    const wait = this.options.wait;
    const ms = largest < 0 ? wait.maxMs : Math.min(wait.maxMs, Math.max(wait.minMs, wait.near * largest));
    return (probe.sentAtMs ?? this.clock.now()) + ms;
  }

  private onDistanceReply(reply: ProbeReply): void {
    const distance = this.distance!;
    distance.core.answer(distance.probe, reply);
    distance.probe.status = 'answered';
    // The destination's own answer, whatever it is (a port unreachable it sends travels as far as its RST would).
    const fromDestination = reply.from === this.options.destination && isFinalReply(reply);
    if (fromDestination && reply.replyTtl !== null) distance.hops = hopsAway(reply.replyTtl);
    // Probes not sent for a router's turn at the destination's distance: the destination answers them (past it,
    // nothing is probed once the distance is known).
    const atDistance = distance.hops === null ? [] : (this.hops.get(distance.hops) ?? []);
    for (const probe of atDistance.filter((p) => p.skipped)) {
      probe.skipped = false;
      probe.status = 'queued';
      probe.dueMs = this.clock.now();
    }
    this.step();
  }

  /**
   * With confirmRepeats, a hop's 2nd and later probes wait until the hop is known to be on the path (a router at or
   * past the previous TTL answered, or this TTL is the destination's) or its first probe is resolved either way.
   * Speculative probes past the destination would otherwise each draw an ICMP error from the destination, whose
   * rate limit (6 in a burst, then 1/s on Linux) would then silence the answers that count. Returns whether any
   * repeat was released (then there is something to send: the state machine must not end the trace).
   */
  private releaseRepeats(now: number): boolean {
    let released = false;
    for (const [ttl, probes] of this.hops) {
      const first = probes[0];
      const onPath = ttl <= this.lastTransit + 1 || (this.finalTtl !== null && ttl <= this.finalTtl);
      const firstResolved = first !== undefined && (first.status === 'answered' || first.status === 'timed-out');
      if (!onPath && !firstResolved) continue;
      let slot = 0;
      for (const probe of probes) {
        if (probe.status !== 'held') continue;
        probe.status = 'queued';
        probe.dueMs = Math.max(probe.dueMs, now + slot++ * this.options.probeSpacingMs);
        released = true;
      }
    }
    return released;
  }

  private send(probe: ProbeRecord): boolean {
    if (!this.transmit(this.core, probe)) return false;
    this.emit('probe-sent', probe);
    return true;
  }

  /** Sends one probe through `core`; a send failure ends the trace with that error (and returns false). */
  private transmit(core: ProbeCore<ProbeRecord>, probe: ProbeRecord): boolean {
    this.transmitting = true;
    try {
      core.send(probe);
      probe.status = 'sent';
      return true;
    } catch (error) {
      this.finished = true;
      this.rejectDone(error);
      return false;
    } finally {
      this.transmitting = false;
    }
  }

  /**
   * A packet the transport handed over while we were inside its send (the unprivileged datagram socket reads its
   * error queue there): handled once the current step is over, so the state machine is never re-entered half-way
   * (it would see this probe still queued and send it twice).
   */
  private defer(packet: InboundPacket): void {
    this.deferred.push(packet);
    if (this.deferred.length === 1) {
      this.clock.setTimer(0, () => {
        for (const waiting of this.deferred.splice(0)) this.onPacket(waiting);
      });
    }
  }

  private onPacket(packet: InboundPacket): void {
    if (this.finished) {
      // Until the follow-up stage takes the network over, late answers are kept for it (see acceptLate).
      this.acceptLate(packet);
      return;
    }
    const distance = this.distance;
    if (distance?.probe.status === 'sent') {
      const answer = distance.core.match(packet);
      if (answer?.probe === distance.probe) return this.onDistanceReply(answer.reply);
    }
    const matched = this.core.match(packet);
    if (!matched) {
      this.unmatched++;
      this.emit('unmatched', packet);
      return;
    }
    const { probe, reply } = matched;
    if (probe.reply) return; // a duplicate (or a second answer to a probe we already timed out and then got)
    this.core.answer(probe, reply);
    probe.status = 'answered';
    const rtt = probe.rttMs!;
    this.answeredRtts.set(probe.ttl, Math.max(this.answeredRtts.get(probe.ttl) ?? 0, rtt));
    this.fastestRtts.set(probe.ttl, Math.min(this.fastestRtts.get(probe.ttl) ?? Infinity, rtt));
    this.jitterMs = Math.max(this.jitterMs, this.answeredRtts.get(probe.ttl)! - this.fastestRtts.get(probe.ttl)!);
    this.lastAnswered = Math.max(this.lastAnswered, probe.ttl);
    if (!isFinalReply(reply)) this.lastTransit = Math.max(this.lastTransit, probe.ttl);
    if (isFinalReply(reply) && (this.finalTtl === null || probe.ttl < this.finalTtl)) this.finalTtl = probe.ttl;
    this.emit('reply', probe, reply);
    this.step();
  }

  private isHopResolved(ttl: number): boolean {
    const probes = this.hops.get(ttl);
    return probes !== undefined && probes.every((p) => p.status === 'answered' || p.status === 'timed-out');
  }

  private emitCompletedHops(): void {
    while (this.emittedThrough < this.horizon() && this.isHopResolved(this.emittedThrough + 1)) {
      this.emittedThrough++;
      this.emit('hop-done', this.hopResult(this.emittedThrough));
    }
  }

  /** A hop's probes as the result gives them: those sent (one not sent for its router's turn is no evidence of silence). */
  private hopResult(ttl: number): HopResult {
    const probes = this.probesAt(ttl).map((probe) => probeResult(this.options.family, probe.reply, probe.rttMs));
    return { ttl, probes };
  }

  /** Probes of the trace's flow at or past the final TTL, settled (answered or timed out): the collision rule's input. */
  private reachedDestination(): Map<ProbeRecord, SettledProbe> {
    const settled = new Map<ProbeRecord, SettledProbe>();
    for (const p of this.core.probes()) {
      if (p.ttl < this.finalTtl! || p.sentAtMs === undefined || (p.status !== 'answered' && p.status !== 'timed-out')) continue;
      settled.set(p, { sentAtMs: p.sentAtMs, kind: p.reply?.kind ?? null });
    }
    return settled;
  }

  /**
   * After the trace: an answer to one of its probes that came after that probe's wait ran out (a jittery path).
   * Recorded on the probe; returns it, or null when the packet answers nothing still open.
   */
  acceptLate(packet: InboundPacket): ProbeRecord | null {
    const matched = this.core.match(packet);
    if (!matched || matched.probe.reply || matched.probe.status !== 'timed-out') return null;
    this.core.answer(matched.probe, matched.reply);
    matched.probe.status = 'answered';
    return matched.probe;
  }

  /** The probe records of one hop (for reporters that want more than the result). */
  probesAt(ttl: number): readonly ProbeRecord[] {
    return (this.hops.get(ttl) ?? []).filter((probe) => !probe.skipped);
  }

  private finish(stoppedBy: TraceOutcome['stoppedBy']): void {
    this.finished = true;
    for (const cancel of this.slotRequests.splice(0)) cancel();
    this.core.expireAll();
    this.distance?.core.expireAll();
    this.cancelTimer?.();
    this.cancelTimer = null;
    const last = stoppedBy === 'interrupted' ? Math.min(this.horizon(), this.highestLaunched) : this.horizon();
    const hops: HopResult[] = [];
    for (let ttl = this.options.firstTtl; ttl <= last; ttl++) if (this.hops.has(ttl)) hops.push(this.hopResult(ttl));
    const finalProbes = this.finalTtl === null ? [] : (this.hops.get(this.finalTtl) ?? []).filter((p) => p.reply && isFinalReply(p.reply));
    const reached = this.options.protocol === 'tcp' && this.finalTtl !== null ? this.reachedDestination() : new Map<ProbeRecord, SettledProbe>();
    const answers: FinalAnswer[] = finalProbes.map((p) => {
      const own = reached.get(p);
      return { reply: p.reply!, flow: 'trace', suspect: own !== undefined && mayBeOwnCollision(own, [...reached.values()]) };
    });
    // The distance probe went on a flow of its own, where no half-open connection of ours can be.
    const distanceAnswer = this.distance?.probe.reply;
    if (distanceAnswer) answers.push({ reply: distanceAnswer, flow: 'fresh' });
    const destination = decideFinal(this.options, this.finalTtl, answers);
    const outcome: TraceOutcome = {
      hops,
      destination,
      unmatchedPackets: this.unmatched,
      interrupted: stoppedBy === 'interrupted',
      stoppedBy,
    };
    this.emit('done', outcome);
    this.resolveDone(outcome);
  }
}
