// Which of our flows a received packet can belong to, read once per packet so one set of raw sockets can serve many
// traces: our end of it — the TCP/UDP port the probes leave from, or the ICMP echo identifier — taken from the
// packet itself (a SYN-ACK's destination port, an echo reply's identifier) or from the datagram an ICMP error quotes.
// The probe method's own match still decides which probe a packet answers; this only says whose it can be.
import { decodeIcmpError, decodeIcmpOf, IPPROTO_ICMP, IPPROTO_ICMPV6, IPPROTO_TCP, IPPROTO_UDP } from './icmp-error.js';
import type { Flow, InboundPacket } from './method.js';

const port = (bytes: Uint8Array, at: number): number | null => (bytes.length >= at + 2 ? (bytes[at]! << 8) | bytes[at + 1]! : null);

/** "tcp:40123", "udp:40123", "icmp:4242": the key of a flow's packets. */
export function flowKey(flow: Pick<Flow, 'protocol' | 'sourcePort' | 'icmpId'>): string {
  return flow.protocol === 'icmp' ? `icmp:${flow.icmpId}` : `${flow.protocol}:${flow.sourcePort}`;
}

/** The key of the flow a packet answers, or null when it cannot answer any probe of ours. */
export function packetFlowKey(packet: InboundPacket): string | null {
  const { payload, ipProtocol } = packet;
  // A direct answer: our port is its destination port.
  if (ipProtocol === IPPROTO_TCP || ipProtocol === IPPROTO_UDP) {
    const ours = port(payload, 2);
    return ours === null ? null : `${ipProtocol === IPPROTO_TCP ? 'tcp' : 'udp'}:${ours}`;
  }
  if (ipProtocol !== IPPROTO_ICMP && ipProtocol !== IPPROTO_ICMPV6) return null;
  const message = decodeIcmpOf(packet);
  if (!message) return null;
  const echoReply = packet.family === 4 ? message.type === 0 : message.type === 129;
  if (echoReply) {
    const id = port(payload, 4);
    return id === null ? null : `icmp:${id}`;
  }
  // An error: the datagram it quotes is one of our probes, so our port is its source port (the echo identifier
  // for an echo request).
  const error = decodeIcmpError(packet);
  if (!error) return null;
  const { protocol, l4 } = error.quoted;
  if (protocol === IPPROTO_TCP || protocol === IPPROTO_UDP) {
    const ours = port(l4, 0);
    return ours === null ? null : `${protocol === IPPROTO_TCP ? 'tcp' : 'udp'}:${ours}`;
  }
  if (protocol !== IPPROTO_ICMP && protocol !== IPPROTO_ICMPV6) return null;
  const id = port(l4, 4);
  return id === null ? null : `icmp:${id}`;
}
