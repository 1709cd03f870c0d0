// Per-hop details from the probe records: how much of our probe the hop's ICMP errors quoted, which fields of it
// were rewritten before it got there, and the MPLS labels and RFC 5837 interfaces its replies carried.
import type { ProbeRecord } from '../engine/tracer.js';
import type { FieldChange, HopResult } from '../engine/types.js';
import { encodeIpv6 } from '../packet/ipv6.js';
import type { Flow } from '../probe/method.js';
import { compareQuote } from './quote-changes.js';

/** The datagram as it left, IP header first (IPv6 probes are built without one: the kernel adds it). */
function sentDatagram(flow: Pick<Flow, 'family' | 'source' | 'destination'>, record: ProbeRecord): Uint8Array | null {
  const packet = record.packet;
  if (!packet) return null;
  if (flow.family === 4) return packet.bytes;
  return encodeIpv6({ source: flow.source, destination: flow.destination, nextHeader: packet.ipProtocol, hopLimit: packet.ttl }, packet.bytes);
}

type HopDetails = Pick<HopResult, 'quote' | 'changes' | 'mpls' | 'interfaces'>;

export function hopDetails(flow: Pick<Flow, 'family' | 'source' | 'destination'>, records: readonly ProbeRecord[]): HopDetails {
  const details: HopDetails = {};
  const changes = new Map<string, FieldChange>();
  for (const record of records) {
    const reply = record.reply;
    if (!reply?.quote) continue;
    if (reply.mpls && reply.mpls.length > 0 && !details.mpls) details.mpls = reply.mpls;
    if (reply.interfaces && reply.interfaces.length > 0 && !details.interfaces) details.interfaces = reply.interfaces;
    const sent = sentDatagram(flow, record);
    const comparison = sent ? compareQuote(flow.family, sent, reply.quote) : null;
    if (!comparison) continue;
    // One full quote is enough to say the hop quotes fully; a router quotes the same way every time.
    if (details.quote !== 'full') details.quote = comparison.quote;
    for (const change of comparison.changes) if (!changes.has(change.field)) changes.set(change.field, change);
  }
  // Each probe is compared with its own sent bytes (ip.id and tcp.seq differ per probe); the first change seen of
  // each field stands for the hop.
  if (details.quote) details.changes = [...changes.values()];
  return details;
}
