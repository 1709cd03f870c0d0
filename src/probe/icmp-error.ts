// Shared by every probe method: turn an inbound ICMP/ICMPv6 packet into "what kind of error, quoting what".
import { decodeIcmp } from '../packet/icmp.js';
import type { IcmpMessage } from '../packet/icmp.js';
import { decodeIcmpv6 } from '../packet/icmpv6.js';
import { decodeIpv4 } from '../packet/ipv4.js';
import { decodeIpv6 } from '../packet/ipv6.js';
import type { InboundPacket, ProbeReply, ReplyKind } from './method.js';

/** The original datagram an ICMP error quotes: enough of it to tell which probe it was. */
export interface QuotedDatagram {
  source: string;
  destination: string;
  protocol: number;
  /** The quoted upper-layer bytes (at least 8 when a router followed RFC 792). */
  l4: Uint8Array;
  /** The quoted IP header bytes and upper layer, for middlebox comparisons. */
  raw: Uint8Array;
}

export interface IcmpError {
  message: IcmpMessage;
  kind: ReplyKind;
  quoted: QuotedDatagram;
}

export const IPPROTO_ICMP = 1;
export const IPPROTO_TCP = 6;
export const IPPROTO_UDP = 17;
export const IPPROTO_ICMPV6 = 58;

/** Decodes the packet as ICMP of its family; null when it is not ICMP or does not decode. */
export function decodeIcmpOf(packet: InboundPacket): IcmpMessage | null {
  if (packet.family === 4 && packet.ipProtocol === IPPROTO_ICMP) {
    const decoded = decodeIcmp(packet.payload);
    return decoded.ok ? decoded.value : null;
  }
  if (packet.family === 6 && packet.ipProtocol === IPPROTO_ICMPV6) {
    const decoded = decodeIcmpv6(packet.payload);
    return decoded.ok ? decoded.value : null;
  }
  return null;
}

/** Error kinds by family: time exceeded, destination unreachable, and everything else that quotes a datagram. */
function errorKind(family: 4 | 6, type: number): ReplyKind {
  if (family === 4) return type === 11 ? 'time-exceeded' : type === 3 ? 'unreachable' : 'other-icmp';
  return type === 3 ? 'time-exceeded' : type === 1 ? 'unreachable' : 'other-icmp';
}

/** Parses an ICMP error and the datagram it quotes; null for non-errors and undecodable quotes. */
export function decodeIcmpError(packet: InboundPacket): IcmpError | null {
  const message = decodeIcmpOf(packet);
  if (!message?.quote) return null;
  const quoted = decodeQuote(packet.family, message.quote);
  if (!quoted) return null;
  return { message, kind: errorKind(packet.family, message.type), quoted };
}

function decodeQuote(family: 4 | 6, quote: Uint8Array): QuotedDatagram | null {
  if (family === 4) {
    const inner = decodeIpv4(quote);
    if (!inner.ok) return null;
    const { header, payload } = inner.value;
    return { source: header.source, destination: header.destination, protocol: header.protocol, l4: payload, raw: quote };
  }
  const inner = decodeIpv6(quote);
  if (!inner.ok) return null;
  const { header, upperProtocol, payload } = inner.value;
  return { source: header.source, destination: header.destination, protocol: upperProtocol, l4: payload, raw: quote };
}

/** The reply a method reports for an ICMP error it attributed to probeId. */
export function replyFromIcmpError(packet: InboundPacket, error: IcmpError, probeId: number): ProbeReply {
  return {
    probeId,
    kind: error.kind,
    from: packet.from,
    replyTtl: packet.ttl,
    icmpType: error.message.type,
    icmpCode: error.message.code,
    // A synthetic quote is our own probe: comparing it with what we sent would prove nothing.
    ...(packet.synthetic ? {} : { quote: error.quoted.raw }),
    ...(error.message.extensions?.mpls ? { mpls: error.message.extensions.mpls } : {}),
    ...(error.message.extensions?.interfaces ? { interfaces: error.message.extensions.interfaces } : {}),
    receivedAtNs: packet.receivedAtNs,
  };
}
