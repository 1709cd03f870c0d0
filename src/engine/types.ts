// Options in, results out: the engine's public shapes. The result mirrors the JSON contract in DESIGN.md.
import type { IcmpReason } from '../packet/icmp-meaning.js';
import type { MplsLabel } from '../packet/icmp.js';
import type { InterfaceInfo } from '../packet/interface-info.js';
import type { Family, Protocol, ReplyKind } from '../probe/method.js';

export type PortState = 'open' | 'closed' | 'filtered' | 'open|filtered';

/** How long to wait for a probe, traceroute-style (-w MAX,HERE,NEAR) plus a floor and a trailing rule. */
export interface WaitOptions {
  /** Never wait longer than this for one probe (ms). */
  maxMs: number;
  /** Wait HERE times the RTT of an answered probe of the same hop. */
  here: number;
  /** Wait NEAR times the RTT of the nearest later hop that answered. */
  near: number;
  /** Never give up on a probe sooner than this (ms). */
  minMs: number;
  /** For hops past the last one that answered: at least this long (ms), and at least NEAR times the largest RTT. */
  trailingMs: number;
}

export interface TraceOptions {
  family: Family;
  protocol: Protocol;
  destination: string;
  /** Target port (TCP/UDP); null for ICMP. */
  port: number | null;
  source: string;
  sourcePort: number;
  icmpId: number;
  nonce: number;
  firstTtl: number;
  maxTtl: number;
  probesPerHop: number;
  wait: WaitOptions;
  /** Stop after this many consecutive hops past the last answering one stay silent. */
  gapLimit: number;
  /** How many TTLs past the last answering hop may be in flight at once. */
  window: number;
  /** Spacing between successive probes to the same hop (ms): routers rate-limit their ICMP per source. */
  probeSpacingMs: number;
  /**
   * Send a hop's repeat probes only once the hop is known to be on the path (see Tracer). For methods whose
   * destination answers with rate-limited ICMP (UDP), so speculative probes cannot use up its ICMP budget.
   */
  confirmRepeats: boolean;
  /**
   * A second reserved source port for one probe at maxTtl sent first: the destination's answer to it tells its
   * distance (reply TTL), and no TTL past that distance is then probed — every SYN past the destination is one
   * more connection attempt in the server's logs. Its own port keeps the half-open connection it makes at the
   * server apart from the trace's flow, whose SYNs would otherwise meet it and draw resets.
   */
  distancePort?: number;
}

export interface ReplyInfo {
  kind: ReplyKind;
  icmpType?: number;
  icmpCode?: number;
  /** The ICMP type/code in words ("time exceeded", "port unreachable"). */
  name?: string;
  /** IP TTL / hop limit of the reply as it arrived. */
  ttl: number | null;
}

export interface ProbeResult {
  /** Who answered; null when nobody did. */
  from: string | null;
  /** Round-trip time in ms (µs resolution); null when unanswered. */
  rtt: number | null;
  reply: ReplyInfo | null;
}

export interface HopResult {
  ttl: number;
  probes: ProbeResult[];
  /**
   * How much of our probe this hop's ICMP quotes held (analysis adds it; absent without quotes). 'unavailable':
   * the unprivileged transport cannot see the quote, so middlebox changes are unknown rather than absent.
   */
  quote?: 'full' | 'partial' | 'unavailable';
  /** Fields of the quoted probe that differ from what was sent: rewritten before this hop. */
  changes?: FieldChange[];
  /** RFC 4950 MPLS label stack from the ICMP extensions of this hop's replies. */
  mpls?: MplsLabel[];
  /** RFC 5837 interfaces this hop's replies named (role, ifIndex, address, name, MTU). */
  interfaces?: InterfaceInfo[];
  /** Why some probes went unanswered, when the hop answered others (see analyze/loss-cause). */
  loss?: LossCause;
  /**
   * Answers to follow-up probes at this TTL, sent after the trace, spaced, where a conclusion hinged on this TTL
   * (trace/confirm): one lost probe must not decide a verdict. Same shape as `probes`.
   */
  reprobes?: ProbeResult[];
  /**
   * A batch's hop near the source, traced once for many targets (trace/batch-knowledge): these answers are an
   * earlier trace's, not this one's.
   */
  shared?: true;
}

export type FieldValue = number | string | boolean;

export interface FieldChange {
  /** ip.dscp, ip.ecn, ip.id, ip.src, tcp.mss, tcp.window, tcp.seq, udp.checksum, l4.srcPort, ... */
  field: string;
  sent: FieldValue;
  quoted: FieldValue;
}

export interface LossCause {
  /**
   * rate-limit: the router answered spaced probes and dropped the tail of a burst (an ICMP budget, not loss);
   * loss: answers went missing whatever the spacing; unknown: the re-probes cannot tell the two apart.
   */
  cause: 'rate-limit' | 'loss' | 'unknown';
  /** All re-probes of the test (burst + spaced). */
  recheck: { sent: number; answered: number };
  /** Back-to-back probes: a rate limiter answers at most its budget, then nothing. */
  burst?: { sent: number; answered: number };
  /** Probes a little over a second apart: a rate limiter answers each. */
  spaced?: { sent: number; answered: number };
  /**
   * For loss: 'path' when the hops after this one lose about as much (packets are lost on the way to or from it),
   * 'router' when they lose clearly less (this router's own ICMP goes missing), 'unclear' when the samples are too
   * few to say.
   */
  where?: 'path' | 'router' | 'unclear';
  /** This hop over the trace and the re-probes: probes sent, answered, and the loss in percent. */
  sent?: number;
  answered?: number;
  lossPct?: number;
}

/**
 * What decided the destination, as the JSON result spells it: the answer's kind, 'timeout' for silence, or an ICMP
 * error as "icmp-TYPE/CODE" (IPv4) / "icmpv6-TYPE/CODE" (IPv6). parseReason (packet/icmp-meaning) reads it.
 */
export type DestinationReason = 'syn-ack' | 'rst' | 'udp' | 'echo-reply' | 'timeout' | IcmpReason;

/**
 * Why a port state may be wrong. own-half-open: every RST came where a SYN of ours got no answer, so each may be the
 * server resetting our own half-open connection (its SYN-ACK lost), not refusing the port.
 */
export type Doubt = 'own-half-open';

export interface DestinationResult {
  reached: boolean;
  hop: number | null;
  state: PortState | null;
  reason: DestinationReason;
  /** Who sent the reply the state rests on (the destination, or e.g. a router's ICMP unreachable). */
  by: string | null;
  /**
   * Why the state may be wrong, when the trace itself gives a reason (absent otherwise); engine/port-state's
   * doubtText says it in words.
   */
  doubt?: Doubt;
}

export interface TraceResult {
  version: 1;
  target: { host: string; address: string; family: Family };
  protocol: Protocol;
  port: number | null;
  source: { address: string; port: number | null; interface: string | null };
  /** raw sockets, or unprivileged sockets (no ICMP quotes of TCP probes, no reply TTL of TCP answers). */
  mode: 'raw' | 'unprivileged';
  destination: DestinationResult;
  hops: HopResult[];
  startedAt: string;
  durationMs: number;
  /** Packets that arrived on our sockets but matched none of this trace's probes. */
  unmatchedPackets: number;
  /**
   * Packets the kernel dropped at our own receive sockets during the trace (their buffers were full: a busy host).
   * Answers lost there are ours, not the routers'. Absent when the transport cannot count them.
   */
  receiveDrops?: number;
  /** True when the trace was interrupted (Ctrl-C) before it finished. */
  interrupted: boolean;
  /** Why the trace ended: a final answer, too many silent hops in a row, the TTL limit, or Ctrl-C. */
  stoppedBy: 'final-reply' | 'gap-limit' | 'max-ttl' | 'interrupted';
}

/** A way to look for the destination when the control did not reach it: a TCP SYN (or ACK) to a port, UDP to a port, ICMP echo. */
export interface ReachMethod {
  protocol: Protocol;
  port: number | null;
  /** TCP only: an ACK instead of a SYN (a host without a stateful filter answers it with an RST, whatever the port). */
  tcp?: 'ack';
}

/** One method of the reach check and what its one probe, sent past the path's end, drew. */
export interface ReachAttempt {
  method: ReachMethod;
  /** Whether its probe went out: methods after the first that reached are not tried. */
  sent: boolean;
  /** The answer (from the destination, or a router's ICMP error), or null: none came. */
  answer: (ProbeResult & { from: string; reply: ReplyInfo }) | null;
  /** Why the method could not be tried (a TCP ACK needs raw sockets). */
  skipped?: string;
}

/**
 * The reach check: where neither the trace nor its control got an answer from the destination, other methods look
 * for it (nmap's host discovery), one probe each, spaced, stopping at the first the destination answers; that method
 * is then traced from `fromTtl` to place the destination on the path.
 */
export interface ReachCheck {
  /** The first TTL the placing trace probed: the one after the trace's last answer. */
  fromTtl: number;
  attempts: ReachAttempt[];
  /** The method the destination answered, or null when it answered none. */
  found: ReachMethod | null;
  /** That method traced from fromTtl, one probe per hop; null when none was found. */
  trace: TraceResult | null;
  /** Probes the check sent in all (its attempts and the placing trace's). */
  probes: number;
  durationMs: number;
}
