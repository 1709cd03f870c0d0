// --report-file FILE: the run's report written to a file as HTML, Markdown, CSV or JSON, after the run (as the
// invoking user: privileges are dropped by then, so the file is theirs). A file that cannot be written is one
// sentence and exit status 10; the run's own output is already printed by then.
import { writeFileSync } from 'node:fs';
import { renderCsv, renderCsvComparison } from '../report/csv.js';
import { traceDocument, watchDocument } from '../report/document.js';
import type { ReportContext } from '../report/document.js';
import { renderHtml, renderHtmlComparison } from '../report/html.js';
import { renderJson } from '../report/json.js';
import { renderMarkdown, renderMarkdownComparison } from '../report/markdown.js';
import type { OwnerLookups } from '../trace/owners.js';
import type { TraceReport } from '../trace/trace.js';
import type { WatchReport } from '../trace/watch.js';
import type { ComparedTrace } from '../trace/compare.js';
import { PortpathError } from '../transport/errors.js';
import type { CliOptions } from './args.js';
import { packageVersion } from './args.js';

/** The command line as a shell would need it to run again. */
function commandLine(): string {
  const quote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`);
  return ['portpath', ...process.argv.slice(2).map(quote)].join(' ');
}

export function writeReportFile(
  cli: CliOptions,
  run: { trace: TraceReport; json: unknown } | { watch: WatchReport; json: unknown } | { compare: ComparedTrace[]; json: unknown },
  nameOf: ReportContext['nameOf'],
  owners: OwnerLookups | null,
): void {
  if (!cli.reportFile) return;
  const { path, format } = cli.reportFile;
  const context: ReportContext = { version: packageVersion(), commandLine: commandLine(), generatedAt: new Date(), nameOf, ownerOf: (a) => owners?.infoOf(a) ?? null };
  let text: string;
  if (format === 'json') text = renderJson(run.json);
  else if ('compare' in run) {
    const docs = run.compare.map((trace) => traceDocument(trace, context));
    text = format === 'html' ? renderHtmlComparison(docs) : format === 'md' ? renderMarkdownComparison(docs) : renderCsvComparison(docs);
  } else {
    const doc = 'trace' in run ? traceDocument(run.trace, context) : watchDocument(run.watch, context);
    text = format === 'html' ? renderHtml(doc) : format === 'md' ? renderMarkdown(doc) : renderCsv(doc);
  }
  try {
    writeFileSync(path, text);
  } catch (error) {
    throw new PortpathError('ERR_REPORT_FILE', `Cannot write the report to ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such directory' : (error as Error).message}.`);
  }
}
