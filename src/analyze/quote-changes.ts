// Middlebox detection, tracebox-style: a router's ICMP error quotes the packet as it reached that router, so any
// field that differs from what we sent was rewritten by something between us and it (MSS clamping, DSCP
// re-marking, NAT, ...). The IP TTL/hop limit and header checksum always change on the way and are not compared.
import { decodeIpv4 } from '../packet/ipv4.js';
import { decodeIpv6 } from '../packet/ipv6.js';
import { decodeTcp } from '../packet/tcp.js';
import type { TcpHeader } from '../packet/tcp.js';
import { decodeUdp } from '../packet/udp.js';
import type { Family } from '../probe/method.js';
import type { FieldChange, FieldValue } from '../engine/types.js';


export interface QuoteComparison {
  /** full: the quote holds the whole transport header (options included); partial: only some of it (RFC 792's 8 bytes). */
  quote: 'full' | 'partial';
  changes: FieldChange[];
}

type Fields = Map<string, FieldValue>;

function ipFields(family: Family, bytes: Uint8Array): { fields: Fields; protocol: number; l4: Uint8Array } | null {
  const fields: Fields = new Map();
  if (family === 4) {
    const ip = decodeIpv4(bytes);
    if (!ip.ok) return null;
    const h = ip.value.header;
    fields.set('ip.src', h.source).set('ip.dst', h.destination).set('ip.dscp', h.dscp).set('ip.ecn', h.ecn);
    fields.set('ip.id', h.id).set('ip.df', h.dontFragment).set('ip.length', h.totalLength).set('ip.options', h.options.length);
    return { fields, protocol: h.protocol, l4: ip.value.payload };
  }
  const ip = decodeIpv6(bytes);
  if (!ip.ok) return null;
  const h = ip.value.header;
  fields.set('ip.src', h.source).set('ip.dst', h.destination).set('ip.dscp', h.dscp).set('ip.ecn', h.ecn);
  // No ip.flowLabel: Linux picks the flow label of raw IPv6 packets itself, so what was sent is not known here.
  fields.set('ip.length', h.payloadLength);
  return { fields, protocol: ip.value.upperProtocol, l4: ip.value.payload };
}

function tcpFields(header: TcpHeader, fields: Fields): void {
  fields.set('l4.srcPort', header.sourcePort).set('l4.dstPort', header.destinationPort).set('tcp.seq', header.seq);
  if (header.flagBits === undefined) return; // only the first 8 bytes were quoted
  fields.set('tcp.ack', header.ack ?? 0).set('tcp.flags', header.flagBits).set('tcp.window', header.window ?? 0);
  fields.set('tcp.checksum', header.checksum ?? 0).set('tcp.headerLength', header.headerLength ?? 0);
}

function tcpOptionFields(header: TcpHeader, fields: Fields): void {
  const options = header.options;
  if (!options) return;
  fields.set('tcp.mss', options.mss ?? 'none').set('tcp.wscale', options.wscale ?? 'none');
  fields.set('tcp.sackPermitted', options.sackPermitted ?? false).set('tcp.timestamps', options.timestamps ? 'present' : 'none');
  fields.set('tcp.otherOptions', options.other.join(',') || 'none');
}

/** The comparable fields of a datagram (IP header first) and whether its transport header is all there. */
function fieldsOf(family: Family, bytes: Uint8Array): { fields: Fields; complete: boolean } | null {
  const ip = ipFields(family, bytes);
  if (!ip) return null;
  const { fields, protocol, l4 } = ip;
  if (protocol === 6) {
    const tcp = decodeTcp(l4);
    if (!tcp.ok) return { fields, complete: false };
    const h = tcp.value.header;
    tcpFields(h, fields);
    const complete = h.headerLength !== undefined && l4.length >= h.headerLength;
    if (complete) tcpOptionFields(h, fields);
    return { fields, complete };
  }
  if (protocol === 17) {
    const udp = decodeUdp(l4);
    if (!udp.ok) return { fields, complete: false };
    const h = udp.value.header;
    fields.set('l4.srcPort', h.sourcePort).set('l4.dstPort', h.destinationPort).set('udp.length', h.length).set('udp.checksum', h.checksum);
    return { fields, complete: true };
  }
  if (l4.length >= 8) {
    const view = Buffer.from(l4.buffer, l4.byteOffset, l4.byteLength);
    fields.set('icmp.type', view[0]!).set('icmp.checksum', view.readUInt16BE(2)).set('icmp.id', view.readUInt16BE(4)).set('icmp.seq', view.readUInt16BE(6));
  }
  return { fields, complete: l4.length >= 8 };
}

/**
 * Compares the datagram we sent (IP header first) with a router's quote of it. Fields the quote does not reach are
 * not compared. 'full' means the whole transport header (TCP options included) was quoted, whatever payload followed.
 */
export function compareQuote(family: Family, sent: Uint8Array, quote: Uint8Array): QuoteComparison | null {
  const before = fieldsOf(family, sent);
  const after = fieldsOf(family, quote);
  if (!before || !after) return null;
  const changes: FieldChange[] = [];
  for (const [field, quoted] of after.fields) {
    const original = before.fields.get(field);
    // ip.length of a quote is the length the router received, which is what we sent unless something resized it.
    if (original !== undefined && original !== quoted) changes.push({ field, sent: original, quoted });
  }
  // A checksum covers the whole segment: without all of it quoted, a changed checksum may just be a change in the
  // part that is missing (an MSS option cut off the quote), so it proves nothing.
  const judged = after.complete ? withoutConsequentialChecksums(changes) : changes.filter((c) => c.field !== 'tcp.checksum' && c.field !== 'udp.checksum');
  return { quote: after.complete ? 'full' : 'partial', changes: judged };
}

/**
 * A transport checksum changes whenever a field it covers does (ports, MSS, addresses via the pseudo-header), so it
 * is only news on its own: a checksum that changed while every field it covers looks untouched means the packet was
 * rewritten and then restored — address translation that conntrack undid in the quote (Dublin traceroute's test).
 */
function withoutConsequentialChecksums(changes: FieldChange[]): FieldChange[] {
  const covered = (field: string) => field.startsWith('l4.') || field.startsWith('tcp.') || field.startsWith('udp.') || field === 'ip.src' || field === 'ip.dst';
  const isChecksum = (field: string) => field === 'tcp.checksum' || field === 'udp.checksum';
  const explained = changes.some((c) => covered(c.field) && !isChecksum(c.field));
  return explained ? changes.filter((c) => !isChecksum(c.field)) : changes;
}
