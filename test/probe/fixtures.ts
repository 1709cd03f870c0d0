// Probe fixtures: a flow per family/method and the replies routers and hosts would send to its probes, as bytes.
import { encodeIcmpError } from '../../src/packet/icmp.js';
import { encodeIcmpv6Error } from '../../src/packet/icmpv6.js';
import { encodeIpv6 } from '../../src/packet/ipv6.js';
import type { Family, Flow, InboundPacket, OutgoingPacket, Protocol } from '../../src/probe/method.js';

export const ADDRESSES = {
  4: { source: '198.18.1.1', destination: '198.18.4.2', router: '198.18.2.2' },
  6: { source: '2001:db8:1::1', destination: '2001:db8:4::2', router: '2001:db8:2::2' },
} as const;

export function flowFor(family: Family, protocol: Protocol, destinationPort = 443, nonce = 0x5a5a): Flow {
  const a = ADDRESSES[family];
  return { family, protocol, source: a.source, destination: a.destination, sourcePort: 40123, destinationPort, icmpId: 0x1234, nonce };
}

/** The datagram as it went on the wire: IPv4 probes are whole packets already; IPv6 ones get their header here. */
export function wireDatagram(flow: Flow, probe: OutgoingPacket): Buffer {
  if (flow.family === 4) return probe.bytes;
  return encodeIpv6({ source: flow.source, destination: flow.destination, nextHeader: probe.ipProtocol, hopLimit: probe.ttl }, probe.bytes);
}

export function inbound(flow: Flow, from: string, ipProtocol: number, payload: Uint8Array, ttl = 60): InboundPacket {
  return { family: flow.family, from, to: flow.source, ttl, ipProtocol, payload, receivedAtNs: 123n };
}

/**
 * What a router sends: time exceeded (or another error) quoting the first bytes of the datagram — as `edit` left
 * them, for middleboxes that changed the probe on its way (the IP header comes first, 20 or 40 bytes).
 */
export function icmpErrorFor(
  flow: Flow,
  probe: OutgoingPacket,
  from: string,
  kind: 'time-exceeded' | 'unreachable',
  code = 0,
  quoteBytes = 28,
  edit?: (datagram: Buffer) => void,
): InboundPacket {
  const datagram = Buffer.from(wireDatagram(flow, probe));
  edit?.(datagram);
  if (flow.family === 4) {
    const quote = datagram.subarray(0, Math.min(datagram.length, quoteBytes));
    return inbound(flow, from, 1, encodeIcmpError({ type: kind === 'time-exceeded' ? 11 : 3, code, quote }));
  }
  const quote = datagram.subarray(0, Math.min(datagram.length, quoteBytes + 20));
  return inbound(flow, from, 58, encodeIcmpv6Error({ type: kind === 'time-exceeded' ? 3 : 1, code, quote }, from, flow.source));
}

