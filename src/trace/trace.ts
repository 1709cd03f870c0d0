// The one owner of a trace run: resolve the target (or take an address), open the main trace's session and its
// control's, run both, follow up where the evidence is thin, diagnose, and return one typed report. The CLI and the
// library API both run traces through here; nothing here prints, exits or handles signals.
import { diagnose } from '../analyze/diagnose.js';
import type { Diagnosis } from '../analyze/diagnose.js';
import type { HopResult, TraceResult, WaitOptions } from '../engine/types.js';
import type { Family, ProbeReply, Protocol } from '../probe/method.js';
import { PortpathError } from '../transport/errors.js';
import type { RawSocketPool } from '../transport/privileges.js';
import type { PacketLog } from '../transport/packet-log.js';
import type { TraceMeta } from './meta.js';
import { checkInteger, DEFAULT_PORTS } from './method-spec.js';
import { resolveHost } from './resolve.js';
import { detailedHop, followUpTimed, sessionRequest, startRun } from './run.js';
import { openSession } from './session.js';
import type { ProbeSpec, Session, SessionRequest, TransportMode } from './session.js';
import { OwnerLookups } from './owners.js';
import type { OwnerInfo, OwnerOptions } from './owners.js';


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
  /** The control trace run alongside (default ICMP echo); false for none. */
  control?: ProbeSpec | false;
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
  /**
   * Who owns each hop (ASN, AS name, prefix, country): lookups run beside the trace, bounded in time, and the
   * report gets `owners`. Options, or an OwnerLookups of the caller's (to read results while the run goes on).
   */
  owners?: OwnerOptions | OwnerLookups;
}

/** A finished run: the main trace's result, its control's, and the diagnosis of both. */
export interface TraceReport extends TraceResult {
  control?: TraceResult;
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

/** A control trace is cheap: one probe per hop is enough to see how far it gets. */
const CONTROL_PROBES_PER_HOP = 1;
const DEFAULT_CONTROL: ProbeSpec = { protocol: 'icmp', port: null };
/** Classic traceroute's UDP port: nothing listens there, so the destination answers port unreachable. */
const FALLBACK_CONTROL: ProbeSpec = { protocol: 'udp', port: 33434 };

export type BaseRequest = Omit<SessionRequest, 'protocol' | 'port' | 'probesPerHop'>;

/** The session request shared by every trace of a run, for a resolved target. */
export async function baseRequest(target: string, options: RunOptions): Promise<BaseRequest> {
  const resolved = await resolveHost(target, options.family ?? null);
  return {
    mode: options.mode ?? 'auto',
    ...(options.pool ? { pool: options.pool } : {}),
    host: target,
    address: resolved.address,
    family: resolved.family,
    firstTtl: options.firstTtl ?? 1,
    maxTtl: options.maxTtl ?? 30,
    wait: options.wait ?? {},
    source: options.source ?? null,
    interface: options.interface ?? null,
    sourcePort: options.sourcePort ?? null,
    ...(options.packetLog ? { packetLog: options.packetLog } : {}),
  };
}

export function validate(options: RunOptions): void {
  const int = (value: number | undefined, min: number, max: number, what: string) => {
    if (value !== undefined) checkInteger(what, min, max, value);
  };
  int(options.probesPerHop, 1, 10, 'probesPerHop');
  int(options.firstTtl, 1, 255, 'firstTtl');
  int(options.maxTtl, 1, 255, 'maxTtl');
  if (options.port !== undefined && options.port !== null) int(options.port, 1, 65535, 'port');
  if ((options.firstTtl ?? 1) > (options.maxTtl ?? 30)) throw new PortpathError('ERR_USAGE', 'firstTtl must not exceed maxTtl.');
}

/**
 * The control trace. Without raw sockets ICMP echo needs ping sockets, which ping_group_range may forbid: then a
 * UDP control to an unused port does the same job (the destination answers port unreachable).
 */
export function openControl(spec: ProbeSpec | false, base: BaseRequest): Session | null {
  if (!spec) return null;
  try {
    return openSession(sessionRequest(base, spec, CONTROL_PROBES_PER_HOP));
  } catch (error) {
    const pingForbidden = error instanceof PortpathError && error.code === 'ERR_NO_PRIVILEGE' && spec.protocol === 'icmp';
    if (!pingForbidden) throw error;
    return openSession(sessionRequest(base, FALLBACK_CONTROL, CONTROL_PROBES_PER_HOP));
  }
}

/** Forwards one trace's tracer events as run events. */
function relay(session: Session, role: TraceRole, emit: (event: TraceEvent) => void): void {
  session.tracer.on('probe-sent', (probe) => emit({ type: 'probe', trace: role, ttl: probe.ttl, probeId: probe.id }));
  session.tracer.on('reply', (probe, reply) => emit({ type: 'reply', trace: role, ttl: probe.ttl, reply, rttMs: probe.rttMs ?? null }));
  session.tracer.on('hop-done', (hop) => emit({ type: 'hop', trace: role, hop: detailedHop(session, hop) }));
}

/** Runs one trace (and its control) to `target` (a name or an address) and diagnoses it. */
export async function runTrace(target: string, options: RunOptions = {}, onEvent?: (event: TraceEvent) => void): Promise<TraceReport> {
  validate(options);
  const owners = options.owners === undefined ? null : options.owners instanceof OwnerLookups ? options.owners : new OwnerLookups(options.owners);
  const emit = (event: TraceEvent) => {
    if (owners && event.type === 'reply') void owners.lookup(event.reply.from);
    // A listener's failure is the listener's: it must not end the run half-way with sockets open.
    try {
      onEvent?.(event);
    } catch {
      /* ignored */
    }
  };
  const protocol = options.protocol ?? 'tcp';
  const spec: ProbeSpec = { protocol, port: protocol === 'icmp' ? null : (options.port ?? DEFAULT_PORTS[protocol]) };
  const base = await baseRequest(target, options);
  const session = openSession(sessionRequest(base, spec, options.probesPerHop ?? 3));
  let control: Session | null;
  try {
    control = openControl(options.control === undefined ? DEFAULT_CONTROL : options.control, base);
  } catch (error) {
    session.close();
    throw error;
  }
  const sessions = control ? [session, control] : [session];
  // The run took the pre-opened sockets it needs; the rest would only queue copies of every packet.
  options.pool?.closeAll();
  try {
    emit({ type: 'start', meta: session.meta, control: control?.meta ?? null });
    relay(session, 'main', emit);
    if (control) relay(control, 'control', emit);
    const mainRun = startRun(session, options.signal);
    const controlRun = control ? startRun(control, options.signal) : null;
    const result = await mainRun.result;
    const controlResult = controlRun ? await controlRun.result : null;
    if (options.followUp !== false) {
      emit({ type: 'follow-up', trace: 'main' });
      await followUpTimed({ session, result }, control && controlResult ? { session: control, result: controlResult } : null, options.signal, { lossTest: options.lossTest === true });
    }
    const report: TraceReport = { ...result, ...(controlResult ? { control: controlResult } : {}), diagnosis: diagnose(result, controlResult) };
    if (owners) {
      // Bounded: at most one lookup timeout past the end of the trace (see OwnerLookups.settle).
      await owners.settle();
      report.owners = owners.all();
      report.ownerNotes = [...owners.notes];
    }
    emit({ type: 'result', report });
    return report;
  } finally {
    for (const s of sessions) s.close();
    // Lookups the run started itself end with it (a caller's OwnerLookups is the caller's to cancel).
    if (owners && owners !== options.owners) owners.cancel();
  }
}
