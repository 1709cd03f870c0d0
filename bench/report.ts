// Plain-text tables and small statistics for the benchmark's report.
import { lastAnswering } from './parse.js';
import type { ParsedTrace } from './parse.js';
import type { ToolRun } from './run-tool.js';

/** Left-aligned columns separated by two spaces; the widths come from the widest cell. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/**
 * Answers per hop, run-length compressed so 30 silent hops do not flood the table: "3/3×3 0/3 3/3×3" reads as
 * three hops fully answered, one silent, three fully answered.
 */
export function answersPerHop(trace: ParsedTrace): string {
  const cells = trace.hops.map((h) => `${h.answered}/${h.sent}`);
  const runs: string[] = [];
  for (let i = 0; i < cells.length; ) {
    let j = i;
    while (j < cells.length && cells[j] === cells[i]) j++;
    runs.push(j - i > 1 ? `${cells[i]}×${j - i}` : cells[i]!);
    i = j;
  }
  return runs.join(' ');
}

/** "6/7": hops with at least one answer, of the hops the tool reported. */
export function hopsAnswered(trace: ParsedTrace): string {
  return `${trace.hops.filter((h) => h.answered > 0).length}/${trace.hops.length}`;
}

export function describeLast(trace: ParsedTrace | null): string {
  const last = trace ? lastAnswering(trace) : null;
  return last ? `${last.ttl} ${last.address}` : '-';
}

export function seconds(run: ToolRun): string {
  if (run.seconds === null) return '-';
  return run.status === 'timeout' ? `>${run.seconds.toFixed(0)}` : run.seconds.toFixed(2);
}

export function toolRow(run: ToolRun, portpathSeconds: number | null): string[] {
  const status = run.status === 'ok' ? '' : run.status;
  const relative =
    run.seconds !== null && portpathSeconds && run.status !== 'failed'
      ? `${run.status === 'timeout' ? '>' : ''}${(run.seconds / portpathSeconds).toFixed(2)}`
      : '-';
  return [
    run.tool.label,
    seconds(run),
    describeLast(run.trace),
    run.trace ? hopsAnswered(run.trace) : '-',
    run.trace ? answersPerHop(run.trace) : '-',
    run.trace?.portState ?? '-',
    relative,
    status,
  ];
}

export const TOOL_HEADER = ['tool', 'wall s', 'last answering hop', 'hops answered', 'answers per hop', 'port', 'x portpath', 'status'];

/** Nearest-rank percentile (p in 0..100) of unsorted values; NaN for none. */
export function percentile(values: number[], p: number): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1]!;
}

export function median(values: number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

export function verdict(pass: boolean): string {
  return pass ? 'PASS' : 'FAIL';
}
