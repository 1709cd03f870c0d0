// What a run is told, what it reports and what it says while it runs: the types every run (a trace, --compare, a
// watch's diagnoses) and the library's callers share.
import type { Diagnosis } from '../analyze/diagnose.js';
import type { HopResult, ReachCheck, TraceResult, WaitOptions } from '../engine/types.js';
import type { Pacer } from '../engine/pacer.js';
import type { Family, ProbeReply, Protocol } from '../probe/method.js';
import type { RawSocketPool } from '../transport/privileges.js';
import type { PacketLog } from '../transport/packet-log.js';
import type { RouterTurns } from './router-budgets.js';
import type { TraceMeta } from './meta.js';
import type { OwnerInfo, OwnerLookups, OwnerOptions } from './owners.js';
import type { ProbeSpec, TransportMode } from './session.js';

/** What a run may be told; everything has a default. */
export interface RunOptions {
  /** Probe method (default 'tcp'). */
  protocol?: Protocol;
  /** Destination port (default: 80 for TCP, 53 for UDP; ignored for ICMP). */
  port?: number | null;
  /** Address family when a name resolves to both (default: the resolver's first answer). */
  family?: Family | null;
  /** 'auto' (default): raw sockets when permitted, else unprivileged sockets; 'raw' insists; 'unprivileged' never uses raw. */
  mode?: TransportMode;
  probesPerHop?: number;
  firstTtl?: number;
  maxTtl?: number;
  /** Waits: maxMs (longest wait for one probe) and the here/near multipliers of traceroute's -w. */
  wait?: Partial<WaitOptions>;
  /** Source address and interface to probe from; source port for TCP/UDP (default: reserved at random). */
  source?: string | null;
  interface?: string | null;
  sourcePort?: number | null;
  /** The echo identifier of an ICMP echo trace, which with its checksum is the flow (default: random). */
  icmpId?: number | null;
  /**
   * The control trace run alongside (default ICMP echo); false for none. A list: the first is traced, and where
   * neither the trace nor it reaches the destination, the reach check tries the others first (then ICMP echo, TCP
   * SYNs to 443, 80 and 22, a TCP ACK to the port, UDP to a closed port).
   */
  control?: ProbeSpec | readonly ProbeSpec[] | false;
  /**
   * The control runs after the trace, and only where its verdict needs one (analyze/control-need: the destination
   * did not answer, or its answer's TTL puts the sender nearer than where it came). A batch's default: half the
   * probes of an open or closed port. Default false: both run together.
   */
  controlWhenNeeded?: boolean;
  /** Follow-up probes where the evidence is thin (re-probes where a verdict hinges on a silence); default true. */
  followUp?: boolean;
  /**
   * The rate-limit test: on hops that answered only some probes, a burst and spaced probes tell a router's ICMP
   * rate limit from loss (hops[].loss; about 3.5 s more). Default false: it changes no verdict.
   */
  lossTest?: boolean;
  signal?: AbortSignal;
  /**
   * Raw sockets opened earlier (e.g. as root, before dropping privileges; see openRawSockets): the run takes the
   * ones it needs and closes the others, so a pool serves one run.
   */
  pool?: RawSocketPool;
  /** Every packet sent and received, as bytes (for a --debug view). */
  packetLog?: PacketLog;
  /** A probe rate shared with other runs (traceMany's rate): the trace's probes wait for their slots. */
  pacer?: Pacer;
  /**
   * Hops from TTL 1 that an earlier trace of the same batch found, for this trace to take as its own (marked
   * shared) instead of probing them again: give firstTtl as one past the last. Both the trace and its control
   * get them, before the diagnosis reads the hops.
   */
  knownHops?: HopResult[];
  /**
   * This run's turns at the routers' ICMP budgets as all the runs of a batch spend them (trace/router-budgets): its
   * probes and follow-up probes wait for their router's turn across runs.
   */
  routerTurns?: RouterTurns;
  /**
   * Who owns each hop (ASN, AS name, prefix, country): lookups run beside the trace, bounded in time, and the
   * report gets `owners`. Options, or an OwnerLookups of the caller's (to read results while the run goes on).
   */
  owners?: OwnerOptions | OwnerLookups;
}

/** A finished run: the main trace's result, its control's, and the diagnosis of both. */
export interface TraceReport extends TraceResult {
  control?: TraceResult;
  /** Only where neither the trace nor its control heard from the destination: the other methods that looked for it. */
  reach?: ReachCheck;
  /**
   * Every probe the run put on the wire: the trace's and its control's (distance probes and follow-ups included) and
   * the reach check's; not the hops a batch took as known. Absent in results saved before it was added.
   */
  probesSent?: number;
  diagnosis: Diagnosis;
  /** Only when asked for (options.owners): what is known about each address that answered, and lookup notes. */
  owners?: Record<string, OwnerInfo>;
  ownerNotes?: string[];
}

/** Which trace of a run an event belongs to. */
export type TraceRole = 'main' | 'control';

/** What happens during a run, in order, for live displays. */
export type TraceEvent =
  /** The sockets are open: what the main trace (and the control, when there is one) will probe, and how. */
  | { type: 'start'; meta: TraceMeta; control: TraceMeta | null }
  | { type: 'probe'; trace: TraceRole; ttl: number; probeId: number }
  | { type: 'reply'; trace: TraceRole; ttl: number; reply: ProbeReply; rttMs: number | null }
  | { type: 'hop'; trace: TraceRole; hop: HopResult }
  | { type: 'follow-up'; trace: TraceRole }
  | { type: 'result'; report: TraceReport };
