// A probe's answer as the result shows it: who, how long, and what the reply was (ICMP named in words).
import { icmpName } from '../packet/icmp.js';
import { icmpv6Name } from '../packet/icmpv6.js';
import type { Family, ProbeReply } from '../probe/method.js';
import type { HopResult, ProbeResult } from './types.js';

/** "time exceeded", "communication administratively prohibited", ... */
function replyName(family: Family, reply: ProbeReply): string {
  const type = reply.icmpType ?? -1;
  const code = reply.icmpCode ?? 0;
  return family === 4 ? icmpName(type, code) : icmpv6Name(type, code);
}

const UNANSWERED: ProbeResult = { from: null, rtt: null, reply: null };

export function probeResult(family: Family, reply: ProbeReply | undefined, rttMs: number | undefined): ProbeResult {
  if (!reply) return { ...UNANSWERED };
  return {
    from: reply.from,
    rtt: Math.round((rttMs ?? 0) * 1000) / 1000,
    reply: {
      kind: reply.kind,
      ...(reply.icmpType !== undefined ? { icmpType: reply.icmpType, icmpCode: reply.icmpCode, name: replyName(family, reply) } : {}),
      ttl: reply.replyTtl,
    },
  };
}

/** Milliseconds from the send time to the kernel's receive time (never negative). */
export function rttOf(sentAtNs: bigint | undefined, reply: ProbeReply): number {
  return Math.max(0, Number(reply.receivedAtNs - (sentAtNs ?? reply.receivedAtNs)) / 1e6);
}

/** Every probe sent at this TTL: the trace's own, then its re-probes. */
export function allProbes(hop: Pick<HopResult, 'probes' | 'reprobes'>): ProbeResult[] {
  return hop.reprobes ? [...hop.probes, ...hop.reprobes] : hop.probes;
}

/**
 * A hop as this trace's own probes saw it. A hop a batch took as known (`shared`) holds an earlier trace's answers:
 * only its re-probes are this trace's.
 */
export function ownHop(hop: HopResult): HopResult {
  if (!hop.shared) return hop;
  const { shared: _shared, ...own } = hop;
  return { ...own, probes: [] };
}

/** The probes this trace sent at a hop (see ownHop). */
export const ownProbes = (hop: HopResult): ProbeResult[] => allProbes(ownHop(hop));
