// The set-up every run shares (a trace, --compare, a watch): the method with its usual port, the target resolved, the
// sessions opened with a control beside them (ICMP echo, or UDP when ping sockets are forbidden), the raw-socket
// pool's leftovers closed, owner lookups, the tracers' events relayed with their hops' details, and everything
// closed again however the run ends.
import { PortpathError } from '../transport/errors.js';
import { DEFAULT_PORTS } from './method-spec.js';
import { OwnerLookups } from './owners.js';
import { resolveHost } from './resolve.js';
import { detailedHop, sessionRequest } from './run.js';
import type { RunOptions, TraceEvent, TraceRole } from './run-types.js';
import { openSession } from './session.js';
import type { OpenReach } from './reach-check.js';
import type { ProbeSpec, Session, SessionRequest } from './session.js';

export const DEFAULT_PROBES_PER_HOP = 3;
export const DEFAULT_CONTROL: ProbeSpec = { protocol: 'icmp', port: null };
/** Classic traceroute's UDP port: nothing listens there, so the destination answers port unreachable. */
const FALLBACK_CONTROL: ProbeSpec = { protocol: 'udp', port: 33434 };
/** A control trace is cheap: one probe per hop is enough to see how far it gets. */
const CONTROL_PROBES_PER_HOP = 1;

/** The method a run probes: TCP unless told, on the method's usual port unless told. */
export function methodOf(options: Pick<RunOptions, 'protocol' | 'port'>): ProbeSpec {
  const protocol = options.protocol ?? 'tcp';
  return { protocol, port: protocol === 'icmp' ? null : (options.port ?? DEFAULT_PORTS[protocol]) };
}

export type BaseRequest = Omit<SessionRequest, 'protocol' | 'port' | 'probesPerHop'>;

/** The session request shared by every trace of a run, for a resolved target. */
async function baseRequest(target: string, options: RunOptions): Promise<BaseRequest> {
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
    icmpId: options.icmpId ?? null,
    ...(options.packetLog ? { packetLog: options.packetLog } : {}),
    ...(options.pacer ? { pacer: options.pacer } : {}),
    ...(options.routerTurns ? { gate: options.routerTurns.gate } : {}),
  };
}

/**
 * The control trace. Without raw sockets ICMP echo needs ping sockets, which ping_group_range may forbid: then a
 * UDP control to an unused port does the same job (the destination answers port unreachable).
 */
function openControl(spec: ProbeSpec | false, base: BaseRequest): Session | null {
  if (!spec) return null;
  try {
    return openSession(sessionRequest(base, spec, CONTROL_PROBES_PER_HOP));
  } catch (error) {
    const pingForbidden = error instanceof PortpathError && error.code === 'ERR_NO_PRIVILEGE' && spec.protocol === 'icmp';
    if (!pingForbidden) throw error;
    return openSession(sessionRequest(base, FALLBACK_CONTROL, CONTROL_PROBES_PER_HOP));
  }
}

/** What a run opens: one session per method (a trace and a watch: one), the control's, and the owner lookups. */
export interface OpenRun {
  sessions: Session[];
  control: Session | null;
  /** options.owners as lookups; null when not asked for. */
  owners: OwnerLookups | null;
  /** Opens the reach check's sessions on the same target (each on a source port of its own). */
  openReach: OpenReach;
}

/** The control a run traces (the first of options.control; false: none) and the others, which the reach check tries first. */
export function controlsOf(options: Pick<RunOptions, 'control'>): { traced: ProbeSpec | false; extra: ProbeSpec[] } {
  const given = options.control;
  if (given === false) return { traced: false, extra: [] };
  if (given === undefined) return { traced: DEFAULT_CONTROL, extra: [] };
  const list = Array.isArray(given) ? given : [given];
  return list.length === 0 ? { traced: false, extra: [] } : { traced: list[0]!, extra: list.slice(1) };
}

/** What a run opens: a session per method, `probesPerHop` each, and a control (false: none). */
export type RunPlan = { methods: readonly ProbeSpec[]; probesPerHop: number; control: ProbeSpec | false };

/** Opens what `plan` needs for a run to `target`, runs `body` on it, and closes it all when body ends or fails. */
export async function withRun<T>(target: string, options: RunOptions, plan: RunPlan, body: (run: OpenRun) => Promise<T>): Promise<T> {
  const base = await baseRequest(target, options);
  const owners = options.owners === undefined ? null : options.owners instanceof OwnerLookups ? options.owners : new OwnerLookups(options.owners);
  const sessions: Session[] = [];
  let control: Session | null = null;
  // Open until the reach check closes them (or the run ends first).
  const reachSessions = new Set<Session>();
  const openReach: OpenReach = (method, firstTtl) => {
    // A source port of its own (a named one is the trace's) and no pool: the run has taken what it needed from it.
    const { pool: _pool, ...rest } = base;
    const request = { ...sessionRequest({ ...rest, firstTtl, sourcePort: null }, method, 1), ...(method.tcp ? { tcpProbe: method.tcp } : {}) };
    const session = openSession(request);
    reachSessions.add(session);
    return { ...session, close: () => reachSessions.delete(session) && session.close() };
  };
  try {
    for (const spec of plan.methods) sessions.push(openSession(sessionRequest(base, spec, plan.probesPerHop)));
    control = openControl(plan.control, base);
    // The run took the pre-opened sockets it needs; the rest would only queue copies of every packet.
    options.pool?.closeAll();
    return await body({ sessions, control, owners, openReach });
  } finally {
    for (const session of sessions) session.close();
    control?.close();
    for (const session of reachSessions) session.close();
    // Lookups the run started itself end with it (a caller's OwnerLookups is the caller's to cancel).
    if (owners && owners !== options.owners) owners.cancel();
  }
}

/** Forwards one trace's tracer events as run events, each finished hop with its details (quotes compared, MPLS). */
export function relay(session: Session, role: TraceRole, emit: (event: TraceEvent) => void): void {
  session.tracer.on('probe-sent', (probe) => emit({ type: 'probe', trace: role, ttl: probe.ttl, probeId: probe.id }));
  session.tracer.on('reply', (probe, reply) => emit({ type: 'reply', trace: role, ttl: probe.ttl, reply, rttMs: probe.rttMs ?? null }));
  session.tracer.on('hop-done', (hop) => emit({ type: 'hop', trace: role, hop: detailedHop(session, hop) }));
}

/** A caller's listener, whose failure is the caller's: it must not end a run half-way with sockets open. */
export function guarded<A extends unknown[]>(listener: ((...args: A) => void) | undefined): (...args: A) => void {
  return (...args) => {
    try {
      listener?.(...args);
    } catch {
      /* the listener's */
    }
  };
}
