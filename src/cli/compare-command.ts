// `--compare tcp:443,udp:53,icmp`: several methods traced at once to the same host, shown side by side hop by hop,
// each with its port state and diagnosis — for protocol-specific filtering or QoS.
import { diagnose } from '../analyze/diagnose.js';
import type { Diagnosis } from '../analyze/diagnose.js';
import type { TraceResult } from '../engine/types.js';
import { lastAnswer, protocolLabel } from '../analyze/path-facts.js';
import { renderJson, withNames } from '../report/json.js';
import { openSession } from '../session.js';
import type { Session } from '../session.js';
import type { CliOptions } from './args.js';
import { ReverseNames } from './names.js';
import type { ResolvedTarget } from './resolve.js';
import type { Output } from './trace-command.js';
import { announceMode, baseRequest, EXIT_INTERRUPTED } from './trace-command.js';
import type { RawSocketPool } from '../transport/privileges.js';
import { followUpTimed, sessionRequest, startRun } from './trace-run.js';

const COLUMN = 30;

/** One cell: the responder (once per hop) and the RTTs of its probes, '*' for silence. */
function cell(result: TraceResult, ttl: number): string {
  const hop = result.hops.find((h) => h.ttl === ttl);
  if (!hop) return '';
  const from = hop.probes.find((p) => p.from !== null)?.from;
  const rtts = hop.probes.map((p) => (p.rtt === null ? '*' : p.rtt.toFixed(2))).join(' ');
  return from ? `${from} ${rtts}` : rtts;
}

export function formatComparison(results: TraceResult[], diagnoses: Diagnosis[]): string {
  const ttls = [...new Set(results.flatMap((r) => r.hops.map((h) => h.ttl)))].sort((a, b) => a - b);
  const pad = (text: string) => (text.length >= COLUMN ? `${text} ` : text.padEnd(COLUMN));
  const lines = [`TTL  ${results.map((r) => pad(protocolLabel(r))).join('').trimEnd()}`];
  for (const ttl of ttls) lines.push(`${String(ttl).padStart(3)}  ${results.map((r) => pad(cell(r, ttl))).join('').trimEnd()}`);
  lines.push('RTTs in ms.');
  results.forEach((result, i) => {
    const d = result.destination;
    const state = d.state ?? (d.reached ? 'reached' : 'not reached');
    lines.push(`${protocolLabel(result)}: [${state}] ${diagnoses[i]!.verdict} — ${diagnoses[i]!.explanation}`);
  });
  return lines.join('\n') + '\n';
}

export async function compareCommand(cli: CliOptions, target: ResolvedTarget, io: Output, signal?: AbortSignal, pool?: RawSocketPool): Promise<number> {
  const sessions: Session[] = [];
  const base = baseRequest(cli, target, io, () => sessions[0]?.meta.source ?? '', pool);
  try {
    for (const spec of cli.compare ?? []) sessions.push(openSession(sessionRequest(base, spec, cli.probesPerHop)));
    pool?.closeAll();
    announceMode(cli, sessions, io);
    if (!cli.json) io.out(`Comparing ${sessions.map((s) => protocolLabel(s.meta)).join(', ')} to ${target.address}, ${cli.probesPerHop} probes per hop\n`);
    const runs = sessions.map((session) => startRun(session, () => sessions.filter((s) => s !== session), signal));
    const results = await Promise.all(runs.map((run) => run.result));
    await Promise.all(results.map((result, i) => followUpTimed({ session: sessions[i]!, result }, null, signal)));
    // Each trace is the others' control: the one that gets furthest tells a blocked port from a broken path.
    const diagnoses = results.map((result, i) => diagnose(result, furthest(results.filter((_, j) => j !== i))));
    if (cli.json) {
      const names = new ReverseNames(!cli.numeric);
      await names.lookupHops(results.flatMap((r) => r.hops));
      names.cancel();
      io.out(renderJson({ compare: results.map((r, i) => ({ ...(cli.numeric ? r : withNames(r, names.names)), diagnosis: diagnoses[i] })) }));
    } else {
      io.out(formatComparison(results, diagnoses));
    }
    return results.some((r) => r.interrupted) ? EXIT_INTERRUPTED : 0;
  } finally {
    for (const session of sessions) session.close();
  }
}

/** The trace that got furthest: reached the destination, else the highest answering TTL. */
function furthest(results: TraceResult[]): TraceResult | null {
  const reach = (r: TraceResult) => (r.destination.reached ? 1000 : (lastAnswer(r)?.ttl ?? 0));
  return results.reduce<TraceResult | null>((best, r) => (best === null || reach(r) > reach(best) ? r : best), null);
}
