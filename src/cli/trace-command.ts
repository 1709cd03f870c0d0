// `portpath HOST [PORT]`: the trace to the port, printed as it happens (text) or at the end (JSON), with a control
// trace alongside and the diagnosis of where and why traffic to the port stops.
import { diagnose } from '../analyze/diagnose.js';
import type { TraceResult } from '../engine/types.js';
import { describePacket } from '../packet/describe.js';
import { formatDiagnosis, formatHopDetails } from '../report/diagnosis-text.js';
import { renderJson, withNames } from '../report/json.js';
import { formatHeader, formatHop, formatPortState, formatSummary } from '../report/text.js';
import { openSession } from '../session.js';
import type { Session, SessionRequest } from '../session.js';
import { PortpathError } from '../transport/errors.js';
import type { RawSocketPool } from '../transport/privileges.js';
import type { CliOptions } from './args.js';
import { compareCommand } from './compare-command.js';
import { ReverseNames } from './names.js';
import { resolveHost } from './resolve.js';
import type { ResolvedTarget } from './resolve.js';
import { detailedHop, followUpTimed, sessionRequest, startRun } from './trace-run.js';

export interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Exit status 130 after Ctrl-C, as shells expect; 0 when the trace ran to its end, whatever the port state. */
export const EXIT_INTERRUPTED = 130;

/** --debug lines carry seconds since the process started its first trace, like tcpdump's relative times. */
const debugStart = performance.now();

/** A control trace is cheap: one probe per hop is enough to see how far it gets. */
const CONTROL_PROBES_PER_HOP = 1;

export function baseRequest(
  cli: CliOptions,
  target: ResolvedTarget,
  io: Output,
  getSource: () => string,
  pool?: RawSocketPool,
): Omit<SessionRequest, 'protocol' | 'port' | 'probesPerHop'> {
  return {
    mode: cli.mode,
    ...(pool ? { pool } : {}),
    host: cli.host,
    address: target.address,
    family: target.family,
    firstTtl: cli.firstTtl,
    maxTtl: cli.maxTtl,
    wait: cli.wait,
    source: cli.source,
    interface: cli.interface,
    sourcePort: cli.sourcePort,
    ...(cli.debug
      ? {
          packetLog: (direction, family, bytes, info) =>
            io.err(
              `${((performance.now() - debugStart) / 1000).toFixed(6)} ${direction === 'send' ? '>' : '<'} ${describePacket(family, bytes, {
                v6Source: direction === 'send' ? getSource() : info.peer,
                v6Destination: direction === 'send' ? info.peer : getSource(),
                v6Protocol: info.ipProtocol,
                ...(info.ttl !== null ? { hopLimit: info.ttl } : {}),
              })}\n`,
            ),
        }
      : {}),
  };
}

/** Classic traceroute's UDP port: nothing listens there, so the destination answers port unreachable. */
const FALLBACK_CONTROL = { protocol: 'udp', port: 33434 } as const;

/**
 * The control trace. Without raw sockets ICMP echo needs ping sockets, which ping_group_range may forbid: then a
 * UDP control to an unused port does the same job (the destination answers port unreachable).
 */
function openControl(cli: CliOptions, base: Omit<SessionRequest, 'protocol' | 'port' | 'probesPerHop'>): Session | null {
  if (!cli.control) return null;
  try {
    return openSession(sessionRequest(base, cli.control, CONTROL_PROBES_PER_HOP));
  } catch (error) {
    const pingForbidden = error instanceof PortpathError && error.code === 'ERR_NO_PRIVILEGE' && cli.control.protocol === 'icmp';
    if (!pingForbidden) throw error;
    return openSession(sessionRequest(base, FALLBACK_CONTROL, CONTROL_PROBES_PER_HOP));
  }
}

/** One line on stderr when auto mode had to go without raw sockets. */
export function announceMode(cli: CliOptions, sessions: Session[], io: Output): void {
  if (cli.mode === 'auto' && sessions.some((s) => s.meta.mode === 'unprivileged')) {
    io.err('portpath: no raw-socket privileges: tracing with unprivileged sockets (connect and datagram probes, ICMP from the error queue).\n');
  }
}

export async function traceCommand(cli: CliOptions, io: Output, signal?: AbortSignal, pool?: RawSocketPool): Promise<number> {
  const target = await resolveHost(cli.host, cli.family);
  if (cli.compare) return compareCommand(cli, target, io, signal, pool);
  const sessions: Session[] = [];
  const base = baseRequest(cli, target, io, () => sessions[0]?.meta.source ?? '', pool);
  const session = openSession(sessionRequest(base, { protocol: cli.protocol, port: cli.port }, cli.probesPerHop));
  sessions.push(session);
  let control: Session | null;
  try {
    control = openControl(cli, base);
  } catch (error) {
    session.close();
    throw error;
  }
  if (control) sessions.push(control);
  pool?.closeAll();
  announceMode(cli, sessions, io);
  const names = new ReverseNames(!cli.numeric);
  try {
    // Hop lines print in TTL order once each hop is done and its names are looked up; a promise chain keeps order.
    let printing = Promise.resolve();
    const printed = new Set<number>();
    if (!cli.json) io.out(formatHeader(session.meta));
    session.tracer.on('reply', (_probe, reply) => void names.lookup(reply.from));
    session.tracer.on('hop-done', (hop) => {
      if (cli.json) return;
      const lookups = names.lookupHops([hop]);
      printing = printing.then(async () => {
        await lookups;
        // The port state is known only at the end; the final hop's line is printed with it (below).
        if (hop.probes.some((p) => p.reply && p.reply.kind !== 'time-exceeded' && p.reply.kind !== 'other-icmp')) return;
        printed.add(hop.ttl);
        const pending = { target: { host: session.meta.host, address: session.meta.address, family: session.meta.family }, destination: { reached: false, hop: null, state: null, reason: '', by: null } };
        io.out(formatHop(hop, pending, names.nameOf) + formatHopDetails(detailedHop(session, hop), cli.verbose));
      });
    });

    const others = (self: Session) => () => sessions.filter((s) => s !== self);
    const mainRun = startRun(session, others(session), signal);
    const controlRun = control ? startRun(control, others(control), signal) : null;
    const result = await mainRun.result;
    const controlResult: TraceResult | null = controlRun ? await controlRun.result : null;
    await followUpTimed(
      { session, result },
      control && controlResult ? { session: control, result: controlResult } : null,
      signal,
    );
    const diagnosis = diagnose(result, controlResult);
    await printing;
    if (cli.json) {
      await names.lookupHops([...result.hops, ...(controlResult?.hops ?? [])]);
      const named = (r: TraceResult) => (cli.numeric ? r : withNames(r, names.names));
      io.out(renderJson({ ...named(result), ...(controlResult ? { control: named(controlResult) } : {}), diagnosis }));
    } else {
      for (const hop of result.hops) {
        if (printed.has(hop.ttl)) continue;
        await names.lookupHops([hop]);
        io.out(formatHop(hop, result, names.nameOf) + formatHopDetails(hop, cli.verbose));
      }
      io.out(formatPortState(result));
      io.out(formatSummary(result, diagnosis.verdict === 'reset-in-path' || diagnosis.verdict === 'terminated-in-path'));
      io.out(formatDiagnosis(diagnosis, cli.verbose));
    }
    return result.interrupted ? EXIT_INTERRUPTED : 0;
  } finally {
    names.cancel();
    session.close();
    control?.close();
  }
}
