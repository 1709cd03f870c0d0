// The contract between the engine and a probe method: build the bytes of one probe, and recognise the replies to it.
import type { MplsLabel } from '../packet/icmp.js';
import type { InterfaceInfo } from '../packet/interface-info.js';

export type Family = 4 | 6;
export type Protocol = 'tcp' | 'udp' | 'icmp';

/**
 * Everything that stays constant for one trace (Paris traceroute): routers hash these fields for ECMP, so keeping
 * them fixed keeps every probe of the trace on one path. Only the probe id changes, in fields routers do not hash.
 */
export interface Flow {
  family: Family;
  protocol: Protocol;
  source: string;
  destination: string;
  sourcePort: number;
  destinationPort: number;
  /** ICMP echo identifier (ICMP method only). */
  icmpId: number;
  /** Random per trace; lets two traces that somehow share a flow tell their replies apart (TCP seq high bits). */
  nonce: number;
}

/** A probe ready for the transport. For IPv4 `bytes` is a whole IP packet; for IPv6 the upper-layer bytes only. */
export interface OutgoingPacket {
  family: Family;
  destination: string;
  ttl: number;
  /** IP protocol number of the upper layer (6, 17, 1 or 58): the IPv6 transport picks its socket by it. */
  ipProtocol: number;
  bytes: Buffer;
}

/** A packet the transport received, normalised across families: the upper-layer bytes plus what the IP header said. */
export interface InboundPacket {
  family: Family;
  from: string;
  /** Local address it was sent to, '' when unknown. */
  to: string;
  /** IP TTL / hop limit of the reply as received; null when the kernel did not say. */
  ttl: number | null;
  ipProtocol: number;
  payload: Uint8Array;
  /** Kernel receive timestamp, CLOCK_REALTIME nanoseconds. */
  receivedAtNs: bigint;
  /** Rebuilt from a socket event by the unprivileged transport: its ICMP quote is our probe, not the router's copy. */
  synthetic?: boolean;
}

export type ReplyKind = 'time-exceeded' | 'unreachable' | 'syn-ack' | 'rst' | 'echo-reply' | 'udp' | 'other-icmp';

/** The parts of a reply that a probe method could attribute to one of its probes. */
export interface ProbeReply {
  probeId: number;
  kind: ReplyKind;
  from: string;
  replyTtl: number | null;
  icmpType?: number;
  icmpCode?: number;
  /** The quoted original datagram of an ICMP error, for middlebox analysis. */
  quote?: Uint8Array;
  mpls?: MplsLabel[];
  /** RFC 5837: the interfaces the replying router named (the one the probe came in on, usually). */
  interfaces?: InterfaceInfo[];
  receivedAtNs: bigint;
}

export interface ProbeMethod {
  readonly protocol: Protocol;
  /** The IP protocol number probes are sent with. */
  readonly ipProtocol: number;
  build(flow: Flow, ttl: number, probeId: number): OutgoingPacket;
  /** Returns null for anything that is not a reply to a probe of this flow (it is then counted and ignored). */
  match(packet: InboundPacket, flow: Flow): ProbeReply | null;
}

/** Probe ids are 16-bit and never 0 or 0xffff (the UDP method puts them in the checksum, where those are special). */
export const MIN_PROBE_ID = 1;
export const MAX_PROBE_ID = 0xfffe;

/** probe id 0 in a reply: an answer from the destination that does not say which probe it answers (the engine picks). */
export const UNATTRIBUTED_PROBE = 0;

/**
 * The probe id a field of a reply carries, or null for values no probe is ever given (0, 0xffff). Those come from
 * middleboxes (a zeroed UDP checksum) or from other senders' packets, and must not become UNATTRIBUTED_PROBE, which
 * would hand the reply to whichever probe the engine guesses.
 */
export function probeIdFrom(value: number): number | null {
  return value >= MIN_PROBE_ID && value <= MAX_PROBE_ID ? value : null;
}
