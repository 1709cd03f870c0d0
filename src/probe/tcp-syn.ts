// TCP SYN probes. Flow: fixed source port and the target port. Probe id: the low 16 bits of the sequence number
// (the high 16 are the trace's nonce), which sits in the first 8 bytes every ICMP error must quote, and comes back
// as ack - 1 in a SYN-ACK or RST.
import { encodeIpv4 } from '../packet/ipv4.js';
import { decodeTcp, encodeTcp } from '../packet/tcp.js';
import { decodeIcmpError, replyFromIcmpError, IPPROTO_TCP } from './icmp-error.js';
import { probeIdFrom } from './method.js';
import type { Flow, InboundPacket, OutgoingPacket, ProbeMethod, ProbeReply } from './method.js';
import type { TcpFields } from '../packet/tcp.js';

/** A plausible SYN: middleboxes drop odd ones. The MSS option is also what lets MSS clamping show in quotes. */
const WINDOW = 64240;
const MSS = { v4: 1460, v6: 1440 };

export function sequenceFor(flow: Flow, probeId: number): number {
  return (((flow.nonce & 0xffff) << 16) | (probeId & 0xffff)) >>> 0;
}

/** The probe id a sequence number carries, or null when its high bits are not this trace's nonce. */
export function probeIdFromSequence(flow: Flow, seq: number): number | null {
  return seq >>> 16 === (flow.nonce & 0xffff) ? probeIdFrom(seq & 0xffff) : null;
}

export function createTcpSynMethod(): ProbeMethod {
  return {
    protocol: 'tcp',
    ipProtocol: IPPROTO_TCP,
    build(flow: Flow, ttl: number, probeId: number): OutgoingPacket {
      return buildTcpProbe(flow, ttl, probeId, { flags: { syn: true }, mss: flow.family === 4 ? MSS.v4 : MSS.v6 });
    },
    match(packet: InboundPacket, flow: Flow): ProbeReply | null {
      return packet.ipProtocol === IPPROTO_TCP ? matchSegment(packet, flow) : matchTcpIcmpError(packet, flow);
    },
  };
}

/** A TCP probe of this flow carrying the probe id in its sequence number (ICMP errors quote it). */
export function buildTcpProbe(flow: Flow, ttl: number, probeId: number, fields: Pick<TcpFields, 'flags' | 'ack' | 'mss'>): OutgoingPacket {
  const segment = encodeTcp(
    { sourcePort: flow.sourcePort, destinationPort: flow.destinationPort, seq: sequenceFor(flow, probeId), window: WINDOW, ...fields },
    new Uint8Array(0),
    flow.source,
    flow.destination,
  );
  const bytes =
    flow.family === 4
      ? encodeIpv4({ source: flow.source, destination: flow.destination, protocol: IPPROTO_TCP, ttl, id: probeId, dontFragment: true }, segment)
      : segment;
  return { family: flow.family, destination: flow.destination, ttl, ipProtocol: IPPROTO_TCP, bytes };
}

/** An ICMP error quoting one of this flow's TCP probes (any flags: the id is in the quoted sequence number). */
export function matchTcpIcmpError(packet: InboundPacket, flow: Flow): ProbeReply | null {
  const error = decodeIcmpError(packet);
  if (!error || error.quoted.protocol !== IPPROTO_TCP || error.quoted.destination !== flow.destination) return null;
  // Only the first 8 bytes (ports, sequence) are needed; reading just those also copes with routers that quote
  // 8 bytes and zero-pad to 128 for an RFC 4884 extension (the padding would read as a bad header), and with
  // quotes whose data offset is damaged.
  const inner = decodeTcp(error.quoted.l4.subarray(0, 8));
  if (!inner.ok) return null;
  const { sourcePort, destinationPort, seq } = inner.value.header;
  if (sourcePort !== flow.sourcePort || destinationPort !== flow.destinationPort) return null;
  const probeId = probeIdFromSequence(flow, seq);
  if (probeId === null) return null;
  return replyFromIcmpError(packet, error, probeId);
}

/** A SYN-ACK or RST answering one of our SYNs: ports reversed, ACK = our sequence + 1. */
function matchSegment(packet: InboundPacket, flow: Flow): ProbeReply | null {
  if (packet.from !== flow.destination) return null; // only the destination's address may answer for it
  const decoded = decodeTcp(packet.payload);
  if (!decoded.ok || decoded.value.partial) return null;
  const { sourcePort, destinationPort, flags, ack } = decoded.value.header;
  if (sourcePort !== flow.destinationPort || destinationPort !== flow.sourcePort || !flags?.ack || ack === undefined) return null;
  const kind = flags.rst ? 'rst' : flags.syn ? 'syn-ack' : null;
  if (!kind) return null;
  const probeId = probeIdFromSequence(flow, (ack - 1) >>> 0);
  if (probeId === null) return null;
  return { probeId, kind, from: packet.from, replyTtl: packet.ttl, receivedAtNs: packet.receivedAtNs };
}
