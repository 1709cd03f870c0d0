// `portpath paths HOST [PORT]`: every path the port's traffic can take from here and where each one stops, as text,
// JSON or a Graphviz graph, and with --report-file as an HTML page (or JSON). The run itself is trace/'s.
import { renderJson } from '../report/json.js';
import { formatPathsDot } from '../report/paths-dot.js';
import { formatPaths, formatPathsHeader } from '../report/paths-text.js';
import type { RawSocketPool } from '../transport/privileges.js';
import { runPaths } from '../trace/paths.js';
import type { CliOptions, PathsCli } from './args.js';
import { EXIT_INTERRUPTED, runOptions } from './common.js';
import type { Output } from './common.js';
import { ReverseNames } from './names.js';
import { writeReportFile } from './report-file.js';
import type { ReportFile } from './report-file.js';

export async function pathsCommand(cli: CliOptions, paths: PathsCli, io: Output, signal?: AbortSignal, pool?: RawSocketPool, reportFile: ReportFile | null = null): Promise<number> {
  const names = new ReverseNames(!cli.numeric);
  try {
    // The trace's options as the command line gives them (runPaths takes those it uses), and the multipath ones.
    const method = { protocol: cli.protocol, port: cli.port };
    const report = await runPaths(cli.host, { ...runOptions(cli, io, signal, pool, method), confidence: paths.confidence, maxFlows: paths.maxFlows });
    // Names for the text and the HTML page (the JSON and the graph carry addresses only).
    if ((!cli.json && !paths.dot) || cli.reportFile) await names.lookupHops(report.nodes.map((n) => ({ ttl: n.ttl, probes: [{ from: n.address, rtt: null, reply: null }] })));
    if (cli.json) io.out(renderJson(report));
    else if (paths.dot) io.out(formatPathsDot(report));
    else io.out(formatPathsHeader(report) + formatPaths(report, names.nameOf));
    writeReportFile(reportFile, { paths: report, json: report }, names.nameOf, null);
    return report.interrupted ? EXIT_INTERRUPTED : 0;
  } finally {
    names.cancel();
  }
}
