// `portpath HOST [PORT]`: the trace to the port, printed as it happens (text) or at the end (JSON), with a control
// trace alongside and the diagnosis of where and why traffic to the port stops. The run itself is trace/'s.
import { isAnswered } from '../analyze/path-facts.js';
import { isFinalReply } from '../engine/port-state.js';
import type { TraceResult } from '../engine/types.js';
import { formatDiagnosis, formatHopDetails } from '../report/diagnosis-text.js';
import { renderJson, withNames } from '../report/json.js';
import { formatHeader, formatHop, formatPortState, formatSummary } from '../report/text.js';
import type { RawSocketPool } from '../transport/privileges.js';
import { runTrace } from '../trace/trace.js';
import type { TraceEvent } from '../trace/trace.js';
import type { CliOptions } from './args.js';
import { compareCommand } from './compare-command.js';
import { announceMode, EXIT_INTERRUPTED, runOptions } from './common.js';
import type { Output } from './common.js';
import { ReverseNames } from './names.js';
import type { OwnerLookups } from '../trace/owners.js';
import { writeReportFile } from './report-file.js';
import type { ReportFile } from './report-file.js';

export async function traceCommand(cli: CliOptions, io: Output, signal?: AbortSignal, pool?: RawSocketPool, owners: OwnerLookups | null = null, reportFile: ReportFile | null = null): Promise<number> {
  if (cli.compare) return compareCommand(cli, io, signal, pool, reportFile);
  const names = new ReverseNames(!cli.numeric);
  // Hop lines print in TTL order once each hop is done and its names are looked up; a promise chain keeps order.
  let printing = Promise.resolve();
  const printed = new Set<number>();
  // Once the destination has answered, a hop where nobody answered may be it, nearer than its answers came (their
  // reply TTL says so): the follow-up asks it again, so its line (and every line after it, to keep TTL order) waits
  // for the end instead of printing stars.
  let destinationAnswered = false;
  let holding = false;
  let target: Pick<TraceResult, 'target'>['target'] | null = null;
  const onEvent = (event: TraceEvent) => {
    if (event.type === 'start') {
      announceMode(cli, [event.meta, ...(event.control ? [event.control] : [])], io);
      target = { host: event.meta.host, address: event.meta.address, family: event.meta.family };
      if (!cli.json) io.out(formatHeader(event.meta));
    } else if (event.type === 'reply' && event.trace === 'main') {
      void names.lookup(event.reply.from);
      if (isFinalReply(event.reply)) destinationAnswered = true;
    } else if (event.type === 'hop' && event.trace === 'main' && !cli.json && target) {
      const { hop } = event;
      holding ||= destinationAnswered && !isAnswered(hop);
      if (holding) return;
      const pending = { target, destination: { reached: false, hop: null, state: null, reason: 'timeout' as const, by: null } };
      const lookups = Promise.all([names.lookupHops([hop]), ...(owners ? hop.probes.flatMap((p) => (p.from ? [owners.lookup(p.from)] : [])) : [])]);
      printing = printing.then(async () => {
        await lookups;
        // The port state is known only at the end; the final hop's line is printed with it (below).
        if (hop.probes.some((p) => p.reply && p.reply.kind !== 'time-exceeded' && p.reply.kind !== 'other-icmp')) return;
        printed.add(hop.ttl);
        io.out(formatHop(hop, pending, names.nameOf, owners?.infoOf) + formatHopDetails(hop, cli.verbose));
      });
    }
  };
  try {
    const report = await runTrace(cli.host, { ...runOptions(cli, io, signal, pool, { protocol: cli.protocol, port: cli.port, control: cli.control ?? false }), ...(owners ? { owners } : {}) }, onEvent);
    await printing;
    const { control, diagnosis, owners: known, ownerNotes, ...result } = report;
    const named = (r: TraceResult) => (cli.numeric ? r : withNames(r, names.names));
    const json = () => ({ ...named(result), ...(control ? { control: named(control) } : {}), diagnosis, ...(known ? { owners: known, ownerNotes } : {}) });
    if (cli.json || cli.reportFile) await names.lookupHops([...result.hops, ...(control?.hops ?? [])]);
    if (cli.json) {
      io.out(renderJson(json()));
    } else {
      for (const hop of result.hops) {
        if (printed.has(hop.ttl)) continue;
        await names.lookupHops([hop]);
        io.out(formatHop(hop, result, names.nameOf, owners?.infoOf) + formatHopDetails(hop, cli.verbose));
      }
      io.out(formatPortState(result));
      io.out(formatSummary(result, diagnosis.verdict === 'reset-in-path' || diagnosis.verdict === 'terminated-in-path'));
      io.out(formatDiagnosis(diagnosis, cli.verbose));
      for (const note of ownerNotes ?? []) io.err(`portpath: ${note}\n`);
    }
    writeReportFile(reportFile, { trace: report, json: json() }, names.nameOf, owners);
    return result.interrupted ? EXIT_INTERRUPTED : 0;
  } finally {
    names.cancel();
    owners?.cancel();
  }
}
