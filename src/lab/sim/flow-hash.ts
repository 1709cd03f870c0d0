// ECMP's flow hash. A balancer with an L4 hash policy hashes the 5-tuple (addresses, protocol, ports), so every
// packet of one flow takes one branch and other flows spread (Paris traceroute's premise); for ICMP, hardware routers
// hash the first four bytes after the IP header (type, code, checksum), which Paris traceroute keeps constant per
// flow. The hash reads the packet's bytes in place (no copies, no text): the engine runs it on every balanced packet,
// and the ground truth runs it on a packet made from a flow's description, so both take the same branch.
import { IPV4_HEADER_LENGTH, writeIpv4Header } from '../../packet/ipv4.js';
import { IPV6_HEADER_LENGTH, writeIpv6Header } from '../../packet/ipv6.js';
import { addressFamily, addressToBytes } from '../../packet/address.js';
import { mix32 } from '../seeded-random.js';

/** The bytes a missing one reads as (a packet cut short still hashes, to something). */
const byte = (packet: Uint8Array, at: number): number => packet[at] ?? 0;

function word(packet: Uint8Array, at: number): number {
  return ((byte(packet, at) << 24) | (byte(packet, at + 1) << 16) | (byte(packet, at + 2) << 8) | byte(packet, at + 3)) >>> 0;
}

/** The flow hash of an IPv4 or IPv6 packet (IP header first): addresses, protocol, and the first 4 bytes of the L4 header. */
export function flowHash(packet: Uint8Array): number {
  let hash = 0x9e3779b9;
  if (byte(packet, 0) >> 4 === 4) {
    const l4 = (byte(packet, 0) & 0x0f) * 4;
    hash = mix32(hash ^ word(packet, 12));
    hash = mix32(hash ^ word(packet, 16));
    hash = mix32(hash ^ byte(packet, 9));
    return mix32(hash ^ word(packet, l4));
  }
  for (let at = 8; at < IPV6_HEADER_LENGTH; at += 4) hash = mix32(hash ^ word(packet, at));
  hash = mix32(hash ^ byte(packet, 6));
  return mix32(hash ^ word(packet, IPV6_HEADER_LENGTH));
}

/** The branch (0..width-1) a balancer with this salt sends a flow of this hash to. */
export function branchOf(hash: number, salt: number, width: number): number {
  return mix32(hash ^ salt) % width;
}

/**
 * A flow as a test describes it. For ICMP the hash covers type, code and checksum: give the checksum the probes carry
 * (Paris traceroute keeps it constant per flow; the type defaults to echo request).
 */
export type FlowTuple =
  | { protocol: 'tcp' | 'udp'; source: string; destination: string; sourcePort: number; destinationPort: number }
  | { protocol: 'icmp'; source: string; destination: string; icmpType?: number; icmpCode?: number; icmpChecksum: number };

const PROTOCOL_NUMBER = { tcp: 6, udp: 17, icmp: { 4: 1, 6: 58 } } as const;

/** A packet with just the hashed fields of `flow` (an IP header and the first 4 bytes after it), for flowHash. */
export function flowPacket(flow: FlowTuple): Uint8Array {
  const family = addressFamily(flow.source);
  if (family === null || family !== addressFamily(flow.destination)) throw new RangeError(`a flow needs two addresses of one family: ${flow.source} → ${flow.destination}`);
  const protocol = flow.protocol === 'icmp' ? PROTOCOL_NUMBER.icmp[family] : PROTOCOL_NUMBER[flow.protocol];
  const headerLength = family === 4 ? IPV4_HEADER_LENGTH : IPV6_HEADER_LENGTH;
  const packet = new Uint8Array(headerLength + 4);
  const [source, destination] = [addressToBytes(flow.source), addressToBytes(flow.destination)];
  if (family === 4) writeIpv4Header(packet, packet.length, { protocol, ttl: 64 }, source, destination);
  else writeIpv6Header(packet, 4, { nextHeader: protocol, hopLimit: 64 }, source, destination);
  const first = flow.protocol === 'icmp' ? (((flow.icmpType ?? (family === 4 ? 8 : 128)) << 8) | (flow.icmpCode ?? 0)) : flow.sourcePort;
  const second = flow.protocol === 'icmp' ? flow.icmpChecksum : flow.destinationPort;
  packet.set([first >> 8, first & 0xff, (second >> 8) & 0xff, second & 0xff], headerLength);
  return packet;
}
