// The human output, tcptraceroute-style: a header, one line per hop as soon as it is done, the port state, a summary.
import type { HopResult, ProbeResult, TraceResult } from '../engine/types.js';
import { describeUnreachable, unreachableMark } from '../packet/icmp-meaning.js';
import { serviceName } from './services.js';
import type { TraceMeta } from '../trace/meta.js';
import { reprobeAnswersShown, lastAnswer } from '../analyze/path-facts.js';
import { safeText } from './safe-text.js';
import type { OwnerInfo } from '../trace/owners.js';

export type NameOf = (address: string) => string | null | undefined;
/** Who owns an address, for the -z column: null when unknown or not asked. */
export type OwnerOf = (address: string) => OwnerInfo | null;

/**
 * What is known of an address's owner: "AS64500 LAB-NET, ZZ" (`full`: the whole AS name, as a report has room for),
 * "CGNAT" (a special range), "AS?" (a lookup that failed), or '' when nothing is known.
 */
export function ownerSummary(info: OwnerInfo | null, full = false): string {
  if (!info) return '';
  const owner = info.owner;
  if (owner) {
    const name = owner.asName ? safeText(full ? owner.asName : owner.asName.split(/[ ,]/)[0]!) : null;
    const as = owner.asn !== null ? `AS${owner.asn}${name ? ` ${name}` : ''}` : null;
    const parts = [as, owner.city ? safeText(owner.city) : null, owner.country].filter((v): v is string => v !== null);
    if (parts.length > 0) return parts.join(', ');
  }
  if (info.special) return info.special.kind;
  return info.lookup === 'failed' ? 'AS?' : '';
}

/** " [AS64500 LAB-NET, ZZ]": what -z adds after an address ('' when nothing is known). */
export function ownerLabel(info: OwnerInfo | null): string {
  const summary = ownerSummary(info);
  return summary ? ` [${summary}]` : '';
}

/** "web.example (198.18.4.2)", or the address alone when that is what was given. */
export function targetLabel(target: { host: string; address: string }): string {
  return target.host === target.address ? target.address : `${safeText(target.host)} (${target.address})`;
}

function protocolLabel(meta: Pick<TraceMeta, 'protocol' | 'port'>): string {
  if (meta.protocol === 'icmp' || meta.port === null) return 'ICMP echo';
  const service = serviceName(meta.protocol, meta.port);
  return `${meta.protocol.toUpperCase()} port ${meta.port}${service ? ` (${service})` : ''}`;
}

export function formatHeader(meta: TraceMeta): string {
  const target = targetLabel(meta);
  const lines = [`Tracing the path to ${target} on ${protocolLabel(meta)}, ${meta.maxTtl} hops max, ${meta.probesPerHop} probes per hop`];
  const from = [`from ${meta.source}`];
  if (meta.interface) from.unshift(`on ${meta.interface}`);
  if (meta.sourcePort !== null) from.push(`source port ${meta.sourcePort}`);
  lines.push(`Probes leave ${from.join(', ')}`);
  return lines.join('\n') + '\n';
}

/** "r1.example (198.18.1.2)": a hop's address with its reverse-DNS name, when it has one. */
export function hostLabel(address: string, nameOf: NameOf): string {
  const name = nameOf(address);
  return name ? `${safeText(name)} (${address})` : address;
}

/** " 3  198.18.3.2  1.234 ms  1.101 ms *": a new responder is named before its RTTs, like traceroute. */
export function formatHop(hop: HopResult, result: Pick<TraceResult, 'destination' | 'target'>, nameOf: NameOf, ownerOf?: OwnerOf): string {
  const isFinal = result.destination.hop === hop.ttl;
  const probeParts = (probes: readonly ProbeResult[]): string[] => {
    const parts: string[] = [];
    let shown: string | null = null;
    for (const probe of probes) {
      if (probe.from === null) {
        parts.push('*');
        continue;
      }
      if (probe.from !== shown) {
        shown = probe.from;
        const isTarget = isFinal && probe.from === result.destination.by && result.destination.state !== null;
        parts.push(hostLabel(probe.from, nameOf) + ownerLabel(ownerOf?.(probe.from) ?? null) + (isTarget ? ` [${result.destination.state}]` : ''));
      }
      parts.push(rttText(probe, result, isFinal));
    }
    return parts;
  };
  // A TTL only the follow-up asked (past the trace's end, or its probes not sent for a router's turn in a batch).
  const again = hop.probes.length === 0 ? (hop.reprobes ?? []) : reprobeAnswersShown(hop);
  const parts = [...probeParts(hop.probes), ...(again.length > 0 ? ['re-probed:', ...probeParts(again)] : [])];
  return `${String(hop.ttl).padStart(2)}  ${parts.join('  ')}\n`;
}

function rttText(probe: ProbeResult, result: Pick<TraceResult, 'destination' | 'target'>, isFinal: boolean): string {
  const mark = probe.reply?.kind === 'unreachable' ? unreachableMark(result.target.family, probe.reply.icmpCode, isFinal && probe.from === result.target.address) : '';
  return `${(probe.rtt ?? 0).toFixed(3)} ms${mark ? ` ${mark}` : ''}`;
}

const REASONS: Record<string, string> = { 'syn-ack': 'SYN-ACK', rst: 'RST', udp: 'UDP reply', 'echo-reply': 'echo reply' };

/** The port-state line: "Port 443/tcp: [open] (SYN-ACK from 198.18.4.2 at hop 4)". */
export function formatPortState(result: TraceResult): string {
  const d = result.destination;
  const subject = result.protocol === 'icmp' ? `ICMP echo to ${result.target.address}` : `Port ${result.port}/${result.protocol}`;
  let reason: string;
  if (d.reason === 'timeout') {
    const last = lastAnswer(result);
    reason = last ? `timeout: no answer past hop ${last.ttl} (${last.from})` : 'timeout: no answer from any hop';
  } else if (REASONS[d.reason]) {
    reason = `${REASONS[d.reason]} from ${d.by} at hop ${d.hop}`;
  } else {
    const replies = result.hops.find((h) => h.ttl === d.hop)?.probes.find((p) => p.from === d.by)?.reply;
    reason = `${describeUnreachable(result.target.family, replies?.icmpType, replies?.icmpCode)} from ${d.by} at hop ${d.hop}`;
  }
  const state = d.state ?? (d.reached ? 'reached' : 'not reached');
  return `${subject}: [${state}] (${reason})\n`;
}

/** The summary line; `forged`: the diagnosis found the final answer was given in the destination's name. */
export function formatSummary(result: TraceResult, forged = false): string {
  const stoppedBy = result.stoppedBy;
  const probes = result.hops.flatMap((h) => h.probes);
  const answered = probes.filter((p) => p.from !== null).length;
  const seconds = (result.durationMs / 1000).toFixed(2);
  const counts = `${probes.length} probes, ${answered} answered, ${seconds} s`;
  if (result.interrupted) return `Interrupted after ${result.hops.length} hops: ${counts}.\n`;
  if (result.destination.reached && forged) return `Answered in ${result.target.address}'s name at hop ${result.destination.hop} (not by it: see the diagnosis): ${counts}.\n`;
  if (result.destination.reached) return `Reached ${result.target.address} at hop ${result.destination.hop}: ${counts}.\n`;
  const last = lastAnswer(result);
  const why =
    stoppedBy === 'gap-limit'
      ? `stopped after ${result.hops.length - (last ? last.ttl - result.hops[0]!.ttl + 1 : 0)} silent hops`
      : stoppedBy === 'max-ttl'
        ? 'reached the maximum TTL'
        : `stopped at hop ${result.destination.hop}`;
  return `Did not reach ${result.target.address}${last ? `; last answer from hop ${last.ttl} (${last.from})` : ''}; ${why}: ${counts}.\n`;
}
