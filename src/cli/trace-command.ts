// `portpath HOST [PORT]`: run one trace and print it as it happens (text) or at the end (JSON).
import { describePacket } from '../packet/describe.js';
import { buildTraceResult, renderJson, withNames } from '../report/json.js';
import { formatHeader, formatHop, formatPortState, formatSummary } from '../report/text.js';
import { openSession } from '../session.js';
import type { CliOptions } from './args.js';
import { ReverseNames } from './names.js';
import { resolveHost } from './resolve.js';

export interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Exit status 130 after Ctrl-C, as shells expect; 0 when the trace ran to its end, whatever the port state. */
export const EXIT_INTERRUPTED = 130;

export async function traceCommand(cli: CliOptions, io: Output, signal?: AbortSignal): Promise<number> {
  const target = await resolveHost(cli.host, cli.family);
  const session = openSession({
    host: cli.host,
    address: target.address,
    family: target.family,
    protocol: cli.protocol,
    port: cli.port,
    probesPerHop: cli.probesPerHop,
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
              `${direction === 'send' ? '>' : '<'} ${describePacket(family, bytes, {
                v6Source: direction === 'send' ? session.meta.source : info.peer,
                v6Destination: direction === 'send' ? info.peer : session.meta.source,
                v6Protocol: info.ipProtocol,
                ...(info.ttl !== null ? { hopLimit: info.ttl } : {}),
              })}\n`,
            ),
        }
      : {}),
  });
  const { meta, tracer } = session;
  const names = new ReverseNames(!cli.numeric);
  const started = performance.now();
  const onAbort = () => tracer.interrupt();
  signal?.addEventListener('abort', onAbort);

  // Hop lines print in TTL order once each hop is done and its names are looked up; a promise chain keeps order.
  let printing = Promise.resolve();
  const printed = new Set<number>();
  const partial = { target: { host: meta.host, address: meta.address, family: meta.family } };
  if (!cli.json) io.out(formatHeader(meta));
  tracer.on('reply', (_probe, reply) => void names.lookup(reply.from));
  tracer.on('hop-done', (hop) => {
    if (cli.json) return;
    const lookups = hop.probes.flatMap((p) => (p.from ? [names.lookup(p.from)] : []));
    printing = printing.then(async () => {
      await Promise.all(lookups);
      // The port state is known only at the end; the final hop's line is printed with it (below).
      if (hop.probes.some((p) => p.reply && p.reply.kind !== 'time-exceeded' && p.reply.kind !== 'other-icmp')) return;
      printed.add(hop.ttl);
      io.out(formatHop(hop, { ...partial, destination: { reached: false, hop: null, state: null, reason: '', by: null } }, names.nameOf));
    });
  });

  try {
    const outcome = await tracer.run();
    const result = buildTraceResult(meta, outcome, performance.now() - started);
    await printing;
    if (cli.json) {
      await Promise.all(result.hops.flatMap((h) => h.probes.flatMap((p) => (p.from ? [names.lookup(p.from)] : []))));
      io.out(renderJson(cli.numeric ? result : withNames(result, names.names)));
    } else {
      for (const hop of result.hops) {
        if (printed.has(hop.ttl)) continue;
        await Promise.all(hop.probes.flatMap((p) => (p.from ? [names.lookup(p.from)] : [])));
        io.out(formatHop(hop, result, names.nameOf));
      }
      io.out(formatPortState(result));
      io.out(formatSummary(result, outcome.stoppedBy));
    }
    return outcome.interrupted ? EXIT_INTERRUPTED : 0;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    names.cancel();
    session.close();
  }
}
