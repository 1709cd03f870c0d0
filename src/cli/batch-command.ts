// `portpath batch [FILE|-]`: many targets at once (trace/batch.ts), one probe rate for all. JSON Lines out — one
// object per target as it finishes (the trace's JSON result with the input line), then {"summary": …} — or, on a
// terminal, one table line per target and the summary in words. A progress line on stderr when it is a terminal.
// Ctrl-C stops the traces in flight (they are not written, so --resume traces them again) and prints the summary.
import { createReadStream, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import type { BatchCli, CliOptions } from './args.js';
import { parseBatchLine } from '../trace/batch-input.js';
import type { BatchTarget } from '../trace/batch-input.js';
import { traceMany } from '../trace/batch.js';
import type { BatchResult } from '../trace/batch.js';
import { BatchTally } from '../trace/batch-summary.js';
import type { BatchSummary } from '../trace/batch-summary.js';
import { errnoOf, PortpathError } from '../transport/errors.js';
import { safeText } from '../report/safe-text.js';

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

/**
 * The targets a previous run's output already answered, by line number and the line as written: an unchanged file
 * resumes exactly; a line that moved or changed is traced again rather than wrongly skipped.
 */
function alreadyDone(path: string): Set<string> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new PortpathError('ERR_USAGE', `Cannot read --resume ${path}: ${errnoOf(error) === 'ENOENT' ? 'no such file' : (error as Error).message}.`);
  }
  const done = new Set<string>();
  for (const line of text.split('\n')) {
    if (!line.startsWith('{')) continue;
    try {
      const record = JSON.parse(line) as { line?: unknown; input?: unknown; summary?: unknown };
      // A result line (not the summary, not a cut-off last line): its target was traced.
      if (typeof record.input === 'string' && typeof record.line === 'number' && record.summary === undefined) done.add(`${record.line}|${record.input}`);
    } catch {
      // A line cut short by a crash or a kill: that target is traced again.
    }
  }
  return done;
}

async function* targetsOf(batch: BatchCli, tally: BatchTally, io: Io, skip: Set<string>, counted: { total: number | null; skipped: number }): AsyncGenerator<BatchTarget> {
  const stream = batch.input === '-' ? process.stdin : createReadStream(batch.input);
  const opened = new Promise<void>((resolve, reject) => {
    stream.once('error', (error: NodeJS.ErrnoException) => reject(new PortpathError('ERR_USAGE', `Cannot read ${batch.input}: ${errnoOf(error) === 'ENOENT' ? 'no such file' : errnoOf(error) === 'EISDIR' ? 'it is a directory' : error.message}.`)));
    stream.once('readable', () => resolve());
    stream.once('end', () => resolve());
  });
  await opened;
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  let number = 0;
  for await (const text of lines) {
    number++;
    const parsed = parseBatchLine(text, number);
    if (parsed === null) continue;
    if ('error' in parsed) {
      tally.badLines++;
      io.err(`portpath: ${safeText(parsed.error)}; skipped.\n`);
      continue;
    }
    if (skip.has(`${number}|${parsed.target.input}`)) {
      counted.skipped++;
      continue;
    }
    yield parsed.target;
  }
}

/** Targets in a file, counted before the run for the progress line (standard input cannot be read twice). */
function countTargets(batch: BatchCli): number | null {
  if (batch.input === '-') return null;
  try {
    let n = 0;
    readFileSync(batch.input, 'utf8').split('\n').forEach((text, i) => {
      const parsed = parseBatchLine(text, i + 1);
      if (parsed && 'target' in parsed) n++;
    });
    return n;
  } catch {
    return null;
  }
}

function tableLine(result: BatchResult): string {
  const input = safeText(result.target.input).padEnd(32);
  if ('error' in result) return `${input} error: ${safeText(result.error.message)}\n`;
  const d = result.report.diagnosis;
  const where = d.hop !== null ? `hop ${d.hop}${d.by ? ` (${d.by})` : ''}` : '';
  return `${input} ${d.verdict.padEnd(24)} ${where}\n`;
}

function summaryText(s: BatchSummary, skipped: number): string {
  const verdicts = Object.entries(s.byVerdict).sort((a, b) => b[1] - a[1]).map(([v, n]) => `${v} ${n}`).join(', ');
  const errors = Object.entries(s.errors).map(([code, n]) => `${code} ${n}`).join(', ');
  const lines = [`\n${s.targets} targets in ${(s.durationMs / 1000).toFixed(1)} s, ${s.probes} probes${s.probesSaved ? ` (${s.probesSaved} more saved: hops near the source traced once)` : ''}${s.interrupted ? ' (interrupted)' : ''}${skipped ? `; ${skipped} skipped (--resume)` : ''}${s.badLines ? `; ${s.badLines} bad lines skipped` : ''}`];
  if (verdicts) lines.push(`  ${verdicts}`);
  if (errors) lines.push(`  not traced: ${errors}`);
  for (const stop of s.stops) lines.push(`  stops at ${stop.address ?? '(no answer)'}${stop.hop !== null ? ` (hop ${stop.hop})` : ''}: ${stop.targets} targets (${Object.entries(stop.verdicts).map(([v, n]) => `${v} ${n}`).join(', ')})`);
  return `${lines.join('\n')}\n`;
}

export async function batchCommand(cli: CliOptions, batch: BatchCli, io: Io, signal: AbortSignal): Promise<number> {
  const tally = new BatchTally();
  const skip = batch.resume ? alreadyDone(batch.resume) : new Set<string>();
  const counted = { total: countTargets(batch), skipped: 0 };
  const jsonLines = cli.json || !process.stdout.isTTY;
  const progress = process.stderr.isTTY === true;
  const started = performance.now();
  let done = 0;
  const showProgress = () => {
    if (!progress) return;
    const total = counted.total === null ? null : counted.total - counted.skipped;
    const seconds = (performance.now() - started) / 1000;
    const pps = seconds > 0 ? Math.round(tally.summary(false).probes / seconds) : 0;
    const eta = total !== null && done > 0 ? ` ETA ${Math.max(0, Math.round(((total - done) * seconds) / done))} s` : '';
    io.err(`\r\x1b[K${done}${total !== null ? `/${total}` : ''} targets, ${pps} probes/s${eta}`);
  };
  const ticker = progress ? setInterval(showProgress, 500) : null;
  try {
    const options = {
      protocol: cli.protocol,
      port: cli.port,
      family: cli.family,
      mode: cli.mode,
      probesPerHop: cli.probesPerHop,
      firstTtl: cli.firstTtl,
      maxTtl: cli.maxTtl,
      wait: cli.wait,
      source: cli.source,
      interface: cli.interface,
      control: cli.control?.length ? cli.control : false,
      lossTest: cli.lossTest,
      rate: batch.rate,
      concurrency: batch.concurrency,
      shareNearHops: batch.shareHops,
      signal,
    } as const;
    for await (const result of traceMany(targetsOf(batch, tally, io, skip, counted), options)) {
      done++;
      tally.add(result);
      const { line, input } = result.target;
      if (jsonLines) io.out(`${JSON.stringify('error' in result ? { line, input, error: result.error } : { line, input, ...result.report })}\n`);
      else io.out(tableLine(result));
    }
  } finally {
    if (ticker) clearInterval(ticker);
    if (progress) io.err('\r\x1b[K');
  }
  const summary = tally.summary(signal.aborted);
  if (jsonLines) io.out(`${JSON.stringify({ summary: { ...summary, skipped: counted.skipped } })}\n`);
  if (!jsonLines || process.stderr.isTTY) (jsonLines ? io.err : io.out)(summaryText(summary, counted.skipped));
  return signal.aborted ? 130 : 0;
}
