// `--compare tcp:443,udp:53,icmp`: several methods traced at once to the same host (trace/compare), shown side by
// side hop by hop, each with its port state and diagnosis — for protocol-specific filtering or QoS.
import { protocolLabel } from '../analyze/path-facts.js';
import { formatComparison } from '../report/comparison.js';
import { renderJson, withNames } from '../report/json.js';
import type { RawSocketPool } from '../transport/privileges.js';
import { runCompare } from '../trace/compare.js';
import type { TraceMeta } from '../trace/meta.js';
import type { CliOptions } from './args.js';
import { announceMode, EXIT_INTERRUPTED, runOptions } from './common.js';
import type { Output } from './common.js';
import { ReverseNames } from './names.js';
import { writeReportFile } from './report-file.js';
import type { ReportFile } from './report-file.js';

export async function compareCommand(cli: CliOptions, io: Output, signal?: AbortSignal, pool?: RawSocketPool, reportFile: ReportFile | null = null): Promise<number> {
  const methods = cli.compare ?? [];
  const started: TraceMeta[] = [];
  const { control: _none, ...options } = runOptions(cli, io, signal, pool, { control: false });
  const report = await runCompare(cli.host, methods, options, (_i, event) => {
    if (event.type !== 'start') return;
    started.push(event.meta);
    if (started.length < methods.length) return;
    announceMode(cli, started, io);
    if (!cli.json) io.out(`Comparing ${started.map((m) => protocolLabel(m)).join(', ')} to ${started[0]!.address}, ${cli.probesPerHop} probes per hop\n`);
  });
  const results = report.compare;
  const names = new ReverseNames(!cli.numeric);
  if (cli.json || cli.reportFile) await names.lookupHops(results.flatMap((r) => r.hops));
  names.cancel();
  const json = () => ({ compare: results.map((r) => (cli.numeric ? r : withNames(r, names.names))) });
  if (cli.json) io.out(renderJson(json()));
  else io.out(formatComparison(results, results.map((r) => r.diagnosis)));
  writeReportFile(reportFile, { compare: results, json: json() }, names.nameOf, null);
  return results.some((r) => r.interrupted) ? EXIT_INTERRUPTED : 0;
}
