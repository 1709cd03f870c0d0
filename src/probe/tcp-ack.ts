// TCP ACK probes: nmap's ACK ping. A segment that acknowledges nothing we ever sent: a host without a stateful filter
// in front of the port answers it with an RST whatever the port's state, so it finds a host that drops SYNs to a port
// (a stateless `--syn` rule) and ICMP echo. Flow as for SYN probes (fixed source port, the target port). Probe id:
// the low 16 bits of the sequence number, which ICMP errors quote, and of the acknowledgment number, which the RST
// sends back as its sequence number (RFC 9293: a reset answering an ACK takes its sequence number from that ACK).
import { decodeTcp } from '../packet/tcp.js';
import { IPPROTO_TCP } from './icmp-error.js';
import type { Flow, InboundPacket, OutgoingPacket, ProbeMethod, ProbeReply } from './method.js';
import { buildTcpProbe, matchTcpIcmpError, probeIdFromSequence, sequenceFor } from './tcp-syn.js';

export function createTcpAckMethod(): ProbeMethod {
  return {
    protocol: 'tcp',
    ipProtocol: IPPROTO_TCP,
    build(flow: Flow, ttl: number, probeId: number): OutgoingPacket {
      return buildTcpProbe(flow, ttl, probeId, { flags: { ack: true }, ack: sequenceFor(flow, probeId) });
    },
    match(packet: InboundPacket, flow: Flow): ProbeReply | null {
      return packet.ipProtocol === IPPROTO_TCP ? matchReset(packet, flow) : matchTcpIcmpError(packet, flow);
    },
  };
}

/** An RST answering one of our ACKs: ports reversed, its sequence number our acknowledgment number. */
function matchReset(packet: InboundPacket, flow: Flow): ProbeReply | null {
  if (packet.from !== flow.destination) return null;
  const decoded = decodeTcp(packet.payload);
  if (!decoded.ok || decoded.value.partial) return null;
  const { sourcePort, destinationPort, flags, seq } = decoded.value.header;
  if (sourcePort !== flow.destinationPort || destinationPort !== flow.sourcePort || !flags?.rst) return null;
  const probeId = probeIdFromSequence(flow, seq);
  if (probeId === null) return null;
  return { probeId, kind: 'rst', from: packet.from, replyTtl: packet.ttl, receivedAtNs: packet.receivedAtNs };
}
