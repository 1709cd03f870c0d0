// The destination's port state, by nmap's rules (which users already know), decided here and only here: for a
// trace, its follow-up probes, a watch's rounds, compare, and any later command. Every answer it is given is tagged
// with the flow it came on, because that decides what it can prove: an RST on the trace's own flow may reset our
// own half-open connection, one on a flow of its own cannot.
import type { Family, ProbeReply, Protocol } from '../probe/method.js';
import { icmpReason, isPortUnreachable } from '../packet/icmp-meaning.js';
import { allProbes } from './probe-result.js';
import type { DestinationResult, Doubt, PortState, ProbeResult, TraceResult } from './types.js';

/** A reply that ends the trace: the destination spoke, or somebody said the destination cannot be reached. */
export function isFinalReply(reply: Pick<ProbeReply, 'kind'>): boolean {
  return reply.kind !== 'time-exceeded' && reply.kind !== 'other-icmp';
}

/** What the port-state rule needs of an answer. */
export type StateReply = Pick<ProbeReply, 'kind' | 'from' | 'icmpType' | 'icmpCode'>;

/**
 * Where an answer came from. `trace`: the trace's own flow (so are a watch's rounds and the confirmation rounds);
 * `fresh`: a flow no probe of ours used before (a newly reserved source port, or the distance probe's), where no
 * half-open connection of ours can be.
 */
export type AnswerFlow = 'trace' | 'fresh';

/** The sentence for a doubt (the JSON carries its code). */
export function doubtText(doubt: Doubt): string {
  switch (doubt) {
    case 'own-half-open':
      return 'SYNs of ours that reached the server went unanswered around every RST: the server may have been resetting our own half-open connection (its SYN-ACK lost), not refusing the port';
  }
}

function unreachableState(protocol: Protocol, family: Family, reply: StateReply, destination: string): PortState | null {
  if (protocol === 'icmp') return null;
  // Only the destination's own port-unreachable proves a closed UDP port; every other unreachable (nmap's 3/0,1,2,
  // 3,9,10,13 and their IPv6 twins, or a router's port-unreachable) means something stood in the way: filtered.
  if (protocol === 'udp' && isPortUnreachable(family, reply.icmpType, reply.icmpCode) && reply.from === destination) return 'closed';
  return 'filtered';
}

/** Replies that speak for the destination come first: one SYN-ACK outweighs an RST or an ICMP error at the same hop. */
const PRIORITY: Record<string, number> = { 'syn-ack': 0, udp: 0, 'echo-reply': 0, rst: 1, unreachable: 2 };

export interface Target {
  protocol: Protocol;
  family: Family;
  /** The destination's address. */
  destination: string;
}

/**
 * Decides the destination from the final replies at the hop where the trace ended (`hop`), or from silence.
 */
export function decideDestination(target: Target, hop: number | null, finalReplies: readonly StateReply[]): DestinationResult {
  const { protocol, family, destination } = target;
  const best = [...finalReplies].sort((a, b) => (PRIORITY[a.kind] ?? 9) - (PRIORITY[b.kind] ?? 9))[0];
  if (hop === null || best === undefined) {
    const state: PortState | null = protocol === 'tcp' ? 'filtered' : protocol === 'udp' ? 'open|filtered' : null;
    return { reached: false, hop: null, state, reason: 'timeout', by: null };
  }
  switch (best.kind) {
    case 'syn-ack':
      return { reached: true, hop, state: 'open', reason: 'syn-ack', by: best.from };
    case 'rst':
      return { reached: true, hop, state: 'closed', reason: 'rst', by: best.from };
    case 'udp':
      return { reached: true, hop, state: 'open', reason: 'udp', by: best.from };
    case 'echo-reply':
      return { reached: true, hop, state: null, reason: 'echo-reply', by: best.from };
    default:
      return {
        reached: best.from === destination,
        hop,
        state: unreachableState(protocol, family, best, destination),
        reason: icmpReason(family, best.icmpType, best.icmpCode),
        by: best.from,
      };
  }
}

/** The rule's input from a result's probe (a follow-up's, a round's): null when it was not answered. */
export function stateReply(probe: ProbeResult): StateReply | null {
  if (probe.from === null || probe.reply === null) return null;
  return { kind: probe.reply.kind, from: probe.from, ...(probe.reply.icmpType !== undefined ? { icmpType: probe.reply.icmpType } : {}), ...(probe.reply.icmpCode !== undefined ? { icmpCode: probe.reply.icmpCode } : {}) };
}

/** How long a server may hold a half-open connection from a SYN whose SYN-ACK was lost (two SYN-ACK retransmits). */
export const HALF_OPEN_MS = 3000;

/** One probe of the trace's own flow that went as far as the destination's TTL, for the collision rule. */
export interface SettledProbe {
  sentAtMs: number;
  /** Its answer's kind; null when it got none. */
  kind: ProbeReply['kind'] | null;
}

/**
 * RSTs that may answer our own earlier SYN rather than say the port is closed: all our SYNs share one flow, so a
 * SYN whose SYN-ACK was lost leaves a half-open connection at the server, and a later SYN of the flow arriving
 * within its receive window is answered with an RST (which also clears that connection). A closed port never
 * holds a connection, so every SYN that reaches it draws an RST; an RST is therefore sound only when every other
 * SYN that reached that far within HALF_OPEN_MS of it (before or after: a jittery path reorders probes sent close
 * together, so send order says nothing about arrival order) also drew an RST. Probes still in flight when the trace
 * ends say nothing either way (leave them out of `reached`).
 */
export function mayBeOwnCollision(rst: SettledProbe, reached: readonly SettledProbe[]): boolean {
  if (rst.kind !== 'rst') return false;
  return reached.some((p) => p !== rst && Math.abs(p.sentAtMs - rst.sentAtMs) <= HALF_OPEN_MS && p.kind !== 'rst');
}

/** The final answers of a trace, each with the flow it came on and whether it may be our own collision. */
export interface FinalAnswer {
  reply: StateReply;
  flow: AnswerFlow;
  suspect?: boolean;
}

/**
 * The trace's state from its final answers at the final hop (`hop`), and answers on fresh flows from the destination
 * (the distance probe's): answers that may be our own collisions do not decide while a sound one exists; a SYN-ACK
 * on a fresh flow proves a listener whatever RSTs the shared flow drew (a collision only ever draws an RST); an answer
 * on a fresh flow settles a state that only suspect answers gave. What stays in doubt says so.
 */
export function decideFinal(target: Target, hop: number | null, answers: readonly FinalAnswer[]): DestinationResult {
  const onTrace = answers.filter((a) => a.flow === 'trace');
  const fresh = answers.filter((a) => a.flow === 'fresh' && a.reply.from === target.destination && isFinalReply(a.reply));
  const sound = onTrace.filter((a) => !a.suspect);
  const deciding = (sound.length > 0 ? sound : onTrace).map((a) => a.reply);
  const allSuspect = sound.length === 0 && onTrace.length > 0;
  const freshSynAck = fresh.find((a) => a.reply.kind === 'syn-ack');
  const openByFresh = freshSynAck !== undefined && !deciding.some((r) => r.kind === 'syn-ack') && deciding.some((r) => r.kind === 'rst');
  const settledByFresh = fresh.length > 0 && (allSuspect || openByFresh);
  const destination = decideDestination(target, hop, settledByFresh ? [(freshSynAck ?? fresh[0]!).reply] : deciding);
  if (!settledByFresh && allSuspect && destination.state === 'closed') destination.doubt = 'own-half-open';
  return destination;
}

/**
 * A port state in doubt (every RST may have reset a half-open connection of ours) is settled by answers that cannot
 * be collisions: a SYN-ACK from the destination proves a listener (a collision only ever draws an RST), wherever it
 * came (a late answer to a trace probe, a follow-up); an RST to a SYN on a flow of its own (`fresh`) proves a
 * closed port.
 */
export function settleDoubt(result: TraceResult, fresh: readonly ProbeResult[] = []): void {
  const d = result.destination;
  if (!d.doubt || d.hop === null) return;
  const from = (p: ProbeResult, kind: string) => p.from === d.by && p.reply?.kind === kind;
  const synAck = result.hops.some((h) => h.ttl >= d.hop! && allProbes(h).some((p) => from(p, 'syn-ack')));
  if (!synAck && !fresh.some((p) => from(p, 'rst'))) return;
  const { doubt: _settled, ...rest } = d;
  result.destination = synAck ? { ...rest, state: 'open', reason: 'syn-ack' } : rest;
}

/**
 * A final answer found later (a follow-up probe, or a late answer) at a lower TTL moves the destination's hop there,
 * and the TTLs past it leave the hop list (they were past the destination); one found where the trace had none at
 * all (its answers lost) sets it. Not an RST then: on the trace's flow it may reset a half-open connection of ours.
 */
export function refreshDestination(result: TraceResult): void {
  const d = result.destination;
  const target: Target = { protocol: result.protocol, family: result.target.family, destination: result.target.address };
  for (const hop of result.hops) {
    if (d.hop !== null && hop.ttl >= d.hop) break;
    const finals = allProbes(hop).flatMap((p) => {
      const reply = stateReply(p);
      return reply && isFinalReply(reply) ? [reply] : [];
    });
    if (d.hop !== null) {
      if (!finals.some((r) => r.from === d.by)) continue;
      result.destination = { ...d, hop: hop.ttl };
      result.hops = result.hops.filter((h) => h.ttl <= hop.ttl);
      return;
    }
    const usable = finals.filter((r) => r.kind !== 'rst');
    if (usable.length === 0) continue;
    result.destination = decideDestination(target, hop.ttl, usable);
    result.hops = result.hops.filter((h) => h.ttl <= hop.ttl);
    return;
  }
}
