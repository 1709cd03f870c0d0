// A watch as text: the mtr-style table (one row per hop, with the Cause column mtr does not have), what the loss
// means, the changes seen, and the latest diagnosis. Used by `watch --report`, the plain periodic output when stdout
// is not a terminal, and the live view's rows.
import type { WatchChange } from '../analyze/watch-events.js';
import type { HopLoss } from '../analyze/watch-loss.js';
import type { WatchHop, WatchReport } from '../trace/watch.js';
import { methodLabel } from './services.js';
import { hostLabel, ownerLabel, targetLabel } from './text.js';
import type { NameOf, OwnerOf } from './text.js';

export type { NameOf, OwnerOf } from './text.js';

const ms = (v: number | null) => (v === null ? '-' : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));

/** The Cause column: what a hop's loss is. */
export function causeText(loss: HopLoss | null, forwardedFrom: number | null): string {
  if (!loss || loss.label === 'none') return '';
  if (loss.label === 'icmp-limit') return `ICMP limit (hop ${loss.comparedWith} ok)`;
  if (loss.label === 'forwarded') return forwardedFrom !== null ? `path loss from hop ${forwardedFrom}` : 'path loss';
  return 'too few samples';
}

export const WATCH_COLUMNS = ['Hop', 'Address', 'Loss%', 'Cause', 'Snt', 'Rcv', 'Last', 'Avg', 'Best', 'Wrst', 'StDev', 'Jttr', 'JMax', 'p50', 'p95'];

function hostText(address: string, nameOf: NameOf | null, ownerOf?: OwnerOf): string {
  return hostLabel(address, nameOf ?? (() => null)) + ownerLabel(ownerOf?.(address) ?? null);
}

/** One row of cells per hop; hops with several responders get a row per extra responder with its share. */
export function watchRows(report: WatchReport, nameOf: NameOf | null, ownerOf?: OwnerOf): string[][] {
  const rows: string[][] = [];
  const from = report.forwardedLoss?.fromTtl ?? null;
  for (const hop of report.hops) {
    const [first, ...others] = hop.responders;
    const address = first ? hostText(first.address, nameOf, ownerOf) + (others.length > 0 ? ` ${Math.round(first.share * 100)}%` : '') : '???';
    const port = hop.ttl === report.distance && report.portState && report.portState !== 'silent' ? ` [${report.portState}]` : '';
    rows.push([
      String(hop.ttl),
      address + port,
      hop.lossPct.toFixed(1),
      causeText(hop.loss, from),
      String(hop.sent),
      String(hop.received),
      ms(hop.lastMs),
      ms(hop.avgMs),
      ms(hop.bestMs),
      ms(hop.worstMs),
      ms(hop.stdevMs),
      ms(hop.jitterMeanMs),
      ms(hop.jitterMaxMs),
      ms(hop.p50Ms),
      ms(hop.p95Ms),
    ]);
    for (const other of others) rows.push(['', `${hostText(other.address, nameOf, ownerOf)} ${Math.round(other.share * 100)}%`, ...Array<string>(WATCH_COLUMNS.length - 2).fill('')]);
    if (hop.mpls && hop.mpls.length > 0) rows.push(['', `  MPLS ${hop.mpls.map((l) => l.label).join('/')}`, ...Array<string>(WATCH_COLUMNS.length - 2).fill('')]);
  }
  return rows;
}

/** Left-aligned text columns (`left`: the watch table's Address and Cause), right-aligned numbers; widths from the widest cell. */
export function columns(header: string[], rows: string[][], left: ReadonlySet<number> = new Set([1, 3])): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (left.has(i) ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

function target(report: WatchReport): string {
  return `${targetLabel(report.target)}, ${methodLabel(report.protocol, report.port)}`;
}

export function watchTitle(report: WatchReport): string {
  return `portpath watch ${target(report)}: ${report.rounds} rounds, every ${(report.intervalMs / 1000).toFixed(report.intervalMs < 1000 ? 2 : 1)} s, since ${report.startedAt.slice(11, 19)} UTC`;
}

function pct(v: number): string {
  return v < 10 ? v.toFixed(1) : v.toFixed(0);
}

/** The port, the loss that matters, and what the hops' loss is not. */
export function watchFindings(report: WatchReport): string[] {
  const lines: string[] = [];
  const control = report.control && report.control.sent > 0 ? `; ICMP echo answered ${report.control.received}/${report.control.sent}` : '';
  const state = report.portState === null ? 'not settled yet' : report.portState === 'silent' ? 'no answer (filtered, or the path is cut)' : report.portState;
  lines.push(report.protocol === 'icmp' ? `Destination: ${state}${control}` : `Port ${report.port}/${report.protocol}: ${state}${report.distance !== null ? ` at hop ${report.distance}` : ''}${control}`);
  const f = report.forwardedLoss;
  if (f) {
    const reach = f.fromTtl === f.atTtl ? `at hop ${f.atTtl}` : `from hop ${f.fromTtl} on (seen to hop ${f.atTtl})`;
    // An ICMP-limited hop between the last clean hop and the first lossy one hides which link loses.
    const start = f.afterTtl !== null && f.afterTtl < f.fromTtl - 1 ? `${reach}, starting somewhere after hop ${f.afterTtl}` : reach;
    lines.push(`Path loss: ${pct(f.lossPct)}% (95% interval ${pct(f.lowPct)}-${pct(f.highPct)}%, ${f.sent - f.received} of ${f.sent} lost) ${start}.`);
  } else if (report.rounds > 0) {
    lines.push('Path loss: none to the end of the path.');
  }
  const limited = report.hops.filter((h) => h.loss?.label === 'icmp-limit');
  for (const hop of limited) {
    lines.push(`Hop ${hop.ttl}: its ${pct(hop.lossPct)}% loss is the router's own ICMP (rate limit or busy CPU), not lost traffic: hop ${hop.loss!.comparedWith} past it answered more.`);
  }
  return lines;
}

/** "+12.3s round 12: hop 2 now 198.18.9.2 (was 198.18.2.2)" */
export function changeText(change: WatchChange): string {
  const when = `+${(change.atMs / 1000).toFixed(1)}s round ${change.round}:`;
  switch (change.type) {
    case 'path-change':
      return `${when} path change at hop ${change.ttl}: ${change.to} answers (was ${change.from ?? 'nobody'})`;
    case 'distance-change':
      return `${when} the destination is now ${change.to} hops away (was ${change.from ?? '?'})`;
    case 'port-state':
      return `${when} port state ${change.from ?? 'unknown'} -> ${change.to}`;
    case 'loss-start':
      return `${when} loss episode begins: ${pct(change.lossPct)}% of the last rounds lost`;
    case 'loss-end':
      return `${when} loss episode ends (${pct(change.lossPct)}% of the last rounds lost)`;
  }
}

/** The whole report as text (--report, and the plain output's periodic tables). */
export function formatWatchReport(report: WatchReport, nameOf: NameOf | null, options: { changes?: boolean; ownerOf?: OwnerOf | undefined } = {}): string {
  const lines = [watchTitle(report), ...columns(WATCH_COLUMNS, watchRows(report, nameOf, options.ownerOf)), ...watchFindings(report)];
  if (options.changes !== false && report.changes.length > 0) lines.push('Changes:', ...report.changes.map((c) => '  ' + changeText(c)));
  if (report.diagnosis) lines.push(`Diagnosis: ${report.diagnosis.verdict} (${report.diagnosis.confidence} confidence)`, `  ${report.diagnosis.explanation}`);
  return lines.join('\n') + '\n';
}

export type { WatchHop };
