// `portpath batch [FILE|-]`: many targets at once (trace/batch.ts), one probe rate for all. JSON Lines out — one
// object per target as it finishes (the trace's JSON result with the input line), then {"summary": …} — or, on a
// terminal, one table line per target and the summary in words. A progress line on stderr when it is a terminal.
// Ctrl-C stops the traces in flight (they are not written, so --resume traces them again) and prints the summary.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { BatchCli, CliOptions } from './args.js';
import type { BatchFiles } from './batch-files.js';
import { runOptions } from './common.js';
import { parseBatchLine } from '../trace/batch-input.js';
import type { BatchTarget } from '../trace/batch-input.js';
import { traceMany } from '../trace/batch.js';
import type { BatchResult } from '../trace/batch.js';
import { BatchTally } from '../trace/batch-summary.js';
import type { BatchSummary } from '../trace/batch-summary.js';
import { safeText } from '../report/safe-text.js';
import type { RawSocketPool } from '../transport/privileges.js';
import { holdRawSockets } from '../transport/raw.js';

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

/**
 * The targets a previous run's output already answered, by line number and the line as written: an unchanged file
 * resumes exactly; a line that moved or changed is traced again rather than wrongly skipped.
 */
function alreadyDone(text: string): Set<string> {
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

async function* targetsOf(files: BatchFiles, tally: BatchTally, io: Io, skip: Set<string>, counted: { total: number | null; skipped: number }): AsyncGenerator<BatchTarget> {
  const stream = files.input === null ? process.stdin : createReadStream('', { fd: files.input });
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
function countTargets(files: BatchFiles): number | null {
  if (files.countText === null) return null;
  let n = 0;
  files.countText.split('\n').forEach((text, i) => {
    const parsed = parseBatchLine(text, i + 1);
    if (parsed && 'target' in parsed) n++;
  });
  return n;
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
  const lines = [`\n${s.targets} targets in ${(s.durationMs / 1000).toFixed(1)} s, ${s.probes} probes${s.probesSaved ? ` (and ${s.probesSaved} answers of shared hops reused instead of probing them again)` : ''}${s.interrupted ? ' (interrupted)' : ''}${skipped ? `; ${skipped} skipped (--resume)` : ''}${s.badLines ? `; ${s.badLines} bad lines skipped` : ''}`];
  if (verdicts) lines.push(`  ${verdicts}`);
  if (errors) lines.push(`  not traced: ${errors}`);
  for (const stop of s.stops) lines.push(`  stops at ${stop.address ?? '(no answer)'}${stop.hop !== null ? ` (hop ${stop.hop})` : ''}: ${stop.targets} targets (${Object.entries(stop.verdicts).map(([v, n]) => `${v} ${n}`).join(', ')})`);
  return `${lines.join('\n')}\n`;
}

/**
 * `pool`: raw sockets opened before privileges were dropped. They serve every trace of the batch: the process's
 * shared set is held open between traces (a dropped process could not open it again), and each trace leaves the
 * sockets it does not need for the next.
 */
export async function batchCommand(cli: CliOptions, batch: BatchCli, files: BatchFiles, io: Io, signal: AbortSignal, pool?: RawSocketPool): Promise<number> {
  const release = holdRawSockets();
  try {
    return await runBatch(cli, batch, files, io, signal, pool?.forManyRuns());
  } finally {
    release();
    pool?.closeAll(true);
  }
}

async function runBatch(cli: CliOptions, batch: BatchCli, files: BatchFiles, io: Io, signal: AbortSignal, pool: RawSocketPool | undefined): Promise<number> {
  const tally = new BatchTally();
  const skip = files.resumeText !== null ? alreadyDone(files.resumeText) : new Set<string>();
  const counted = { total: countTargets(files), skipped: 0 };
  files.countText = null; // counted: a long list's text need not stay in memory for the whole run
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
    // A trace's options from the command line (one source port or echo id cannot serve a batch: args.ts refuses them).
    const { sourcePort: _sport, icmpId: _icmpId, packetLog: _log, ...trace } = runOptions(cli, io, signal, pool, {
      protocol: cli.protocol,
      port: cli.port,
      control: cli.control?.length ? cli.control : false,
    });
    const options = { ...trace, rate: batch.rate, concurrency: batch.concurrency, shareNearHops: batch.shareHops };
    for await (const result of traceMany(targetsOf(files, tally, io, skip, counted), options)) {
      done++;
      tally.add(result);
      const { line, input } = result.target;
      // A target traced again (its sibling's hops did not fit it) shows the probes of the attempts it threw away: the
      // results' probesSent and discardedProbes add up to the summary's count.
      const discarded = 'error' in result || !result.discardedProbes ? {} : { discardedProbes: result.discardedProbes };
      if (jsonLines) io.out(`${JSON.stringify('error' in result ? { line, input, error: result.error } : { line, input, ...result.report, ...discarded })}\n`);
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
