// The destination's port state, by nmap's rules (which users already know).
import type { Family, ProbeReply, Protocol } from '../probe/method.js';
import { icmpReason, isPortUnreachable } from '../packet/icmp-meaning.js';
import type { DestinationResult, PortState } from './types.js';

/** A reply that ends the trace: the destination spoke, or somebody said the destination cannot be reached. */
export function isFinalReply(reply: Pick<ProbeReply, 'kind'>): boolean {
  return reply.kind !== 'time-exceeded' && reply.kind !== 'other-icmp';
}

function unreachableState(protocol: Protocol, family: Family, reply: ProbeReply, destination: string): PortState | null {
  if (protocol === 'icmp') return null;
  // Only the destination's own port-unreachable proves a closed UDP port; every other unreachable (nmap's 3/0,1,2,
  // 3,9,10,13 and their IPv6 twins, or a router's port-unreachable) means something stood in the way: filtered.
  if (protocol === 'udp' && isPortUnreachable(family, reply.icmpType, reply.icmpCode) && reply.from === destination) return 'closed';
  return 'filtered';
}

/** Replies that speak for the destination come first: one SYN-ACK outweighs an RST or an ICMP error at the same hop. */
const PRIORITY: Record<string, number> = { 'syn-ack': 0, udp: 0, 'echo-reply': 0, rst: 1, unreachable: 2 };

/**
 * Decides the destination from the final replies at the hop where the trace ended (`hop`), or from silence.
 */
export function decideDestination(
  protocol: Protocol,
  family: Family,
  destination: string,
  hop: number | null,
  finalReplies: readonly ProbeReply[],
): DestinationResult {
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
