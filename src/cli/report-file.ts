// --report-file FILE: the run's report written to a file as HTML, Markdown, CSV or JSON (a paths run: HTML or JSON). The file is opened before
// the run, with the permissions of whoever ran portpath (see cli/named-files.ts: as root from a root shell, as the
// invoking user under sudo, so the file is theirs), and written through that descriptor after the run. A file that
// cannot be opened is one sentence and exit status 10, before any probe is sent.
import { closeSync, constants, ftruncateSync, lstatSync, unlinkSync, writeFileSync } from 'node:fs';
import { renderCsv, renderCsvComparison } from '../report/csv.js';
import { traceDocument, watchDocument } from '../report/document.js';
import type { ReportContext } from '../report/document.js';
import { renderHtml, renderHtmlComparison } from '../report/html.js';
import { renderJson } from '../report/json.js';
import { renderMarkdown, renderMarkdownComparison } from '../report/markdown.js';
import { renderPathsHtml } from '../report/paths-html.js';
import type { OwnerLookups } from '../trace/owners.js';
import type { TraceReport } from '../trace/trace.js';
import type { WatchReport } from '../trace/watch.js';
import type { ComparedTrace } from '../trace/compare.js';
import type { PathsReport } from '../trace/paths.js';
import { FileRefused, openRegularFile } from '../trace/regular-file.js';
import type { OpenedFile } from '../trace/regular-file.js';
import { errnoOf, PortpathError } from '../transport/errors.js';
import type { CliOptions, ReportFormat } from './args.js';
import { packageVersion } from '../trace/target-text.js';

/** An opened report file: written once after the run, closed at the end of it either way. */
export interface ReportFile {
  readonly path: string;
  readonly format: ReportFormat;
  readonly opened: OpenedFile;
  /** Made by this run (removed again when the run ends without writing it). */
  readonly created: boolean;
  written: boolean;
}

/**
 * Opens --report-file's path for writing, without truncating it yet: a run that fails leaves a file that was there
 * as it was. Refused: a symbolic link at the path (O_NOFOLLOW: one planted there would send the report, and as root
 * the truncation, elsewhere), anything but a regular file, a file with other names (a hard link would write
 * through to them), and an existing file that belongs to another user.
 */
export function openReportFile(cli: CliOptions): ReportFile | null {
  if (!cli.reportFile) return null;
  const { path, format } = cli.reportFile;
  const refused = (reason: string) => new PortpathError('ERR_REPORT_FILE', `Cannot write the report to ${path}: ${reason}.`);
  let opened: OpenedFile;
  let created: boolean;
  try {
    ({ opened, created } = openForWriting(path));
  } catch (error) {
    throw error instanceof FileRefused ? refused(error.message) : error;
  }
  const problem = opened.stat.nlink > 1 ? 'it has other names (hard links), which would be written too' : opened.stat.uid !== process.geteuid?.() ? 'it belongs to another user' : null;
  if (problem) {
    closeSync(opened.fd);
    throw refused(problem);
  }
  return { path, format, opened, created, written: false };
}

/** A new file if there is none (O_EXCL says whether this run made it), else the one there. */
function openForWriting(path: string): { opened: OpenedFile; created: boolean } {
  const flags = constants.O_WRONLY | constants.O_NOFOLLOW;
  try {
    return { opened: openRegularFile(path, flags | constants.O_CREAT | constants.O_EXCL), created: true };
  } catch (error) {
    if (!(error instanceof FileRefused) || error.code !== 'EEXIST') throw error;
  }
  return { opened: openRegularFile(path, flags), created: false };
}

/**
 * Closes the file. One this run created and never wrote (the run failed first) is removed, if the path still names
 * it. After a drop to nobody (root without sudo) the directory may not let the process remove it: it stays, empty.
 */
export function closeReportFile(file: ReportFile | null): void {
  if (!file) return;
  closeSync(file.opened.fd);
  if (file.written || !file.created) return;
  try {
    const now = lstatSync(file.path);
    if (now.dev === file.opened.stat.dev && now.ino === file.opened.stat.ino) unlinkSync(file.path);
  } catch {
    // gone already, or not ours to remove any more
  }
}

/** The command line as a shell would need it to run again. */
function commandLine(): string {
  const quote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`);
  return ['portpath', ...process.argv.slice(2).map(quote)].join(' ');
}

export function writeReportFile(
  file: ReportFile | null,
  run: { trace: TraceReport; json: unknown } | { watch: WatchReport; json: unknown } | { compare: ComparedTrace[]; json: unknown } | { paths: PathsReport; json: unknown },
  nameOf: ReportContext['nameOf'],
  owners: OwnerLookups | null,
): void {
  if (!file) return;
  const { path, format } = file;
  const context: ReportContext = { version: packageVersion(), commandLine: commandLine(), generatedAt: new Date(), nameOf, ownerOf: (a) => owners?.infoOf(a) ?? null };
  let text: string;
  if (format === 'json') text = renderJson(run.json);
  // HTML: the command line refuses Markdown and CSV for paths (cli/args.ts).
  else if ('paths' in run) text = renderPathsHtml(run.paths, context);
  else if ('compare' in run) {
    const docs = run.compare.map((trace) => traceDocument(trace, context));
    text = format === 'html' ? renderHtmlComparison(docs) : format === 'md' ? renderMarkdownComparison(docs) : renderCsvComparison(docs);
  } else {
    const doc = 'trace' in run ? traceDocument(run.trace, context) : watchDocument(run.watch, context);
    text = format === 'html' ? renderHtml(doc) : format === 'md' ? renderMarkdown(doc) : renderCsv(doc);
  }
  try {
    ftruncateSync(file.opened.fd, 0);
    writeFileSync(file.opened.fd, text);
    file.written = true;
  } catch (error) {
    throw new PortpathError('ERR_REPORT_FILE', `Cannot write the report to ${path}: ${errnoOf(error) === 'ENOSPC' ? 'the disk is full' : (error as Error).message}.`);
  }
}
