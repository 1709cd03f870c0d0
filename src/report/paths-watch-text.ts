// A paths watch as text: one row per path side by side (its flow's source port, loss and RTT to the end of the
// path, the port's state now and round by round), each path's routers and verdict, and the changes with where the
// other paths stood. Used at the end of `watch --paths` and for its plain periodic tables.
import type { PathWatchChange, PathWatchReport, RoundMark } from '../trace/path-watch.js';
import type { PathsWatchReport } from '../trace/watch-paths.js';
import type { RoundPortState } from '../analyze/watch-events.js';
import { methodLabel } from './services.js';
import { hostLabel, targetLabel } from './text.js';
import type { NameOf } from './text.js';
import { changeText, columns } from './watch-text.js';

const ms = (v: number | null) => (v === null ? '-' : v < 10 ? v.toFixed(2) : v < 100 ? v.toFixed(1) : v.toFixed(0));

export const PATHS_WATCH_COLUMNS = ['Path', 'Sport', 'Rnd', 'Loss%', 'To hop', 'Avg', 'Best', 'Wrst', 'Jttr', 'Port', 'Rounds (newest right)'];
/** Port and Rounds are text. */
const LEFT = new Set([9, 10]);
/** Rounds shown in the strip at most. */
const STRIP = 30;

const MARKS: Record<RoundMark, string> = { open: 'o', closed: 'c', rejected: 'x', silent: '.', unasked: '-', elsewhere: '~' };
export const MARKS_LEGEND = 'Rounds: o open, c closed, x rejected, . no answer, - not asked (ICMP budget), ~ the flow took another path';

/** The port's state in the path's last rounds, one character each, newest right. */
export function roundsStrip(path: Pick<PathWatchReport, 'portStates'>, width = STRIP): string {
  let strip = '';
  for (let i = path.portStates.length - 1; i >= 0 && strip.length < width; i--) {
    const run = path.portStates[i]!;
    strip = MARKS[run.state].repeat(Math.min(width - strip.length, run.toRound - run.fromRound + 1)) + strip;
  }
  return strip;
}

function stateText(path: PathWatchReport): string {
  return path.verdict.state === 'unsettled' ? '?' : path.verdict.state;
}

/** One row per path. */
export function pathsWatchRows(report: PathsWatchReport): string[][] {
  return report.paths.map((p) => [
    String(p.id),
    String(p.sourcePort),
    String(p.rounds),
    p.end ? (p.end.loss * 100).toFixed(1) : '-',
    p.end ? `${p.end.ttl}${p.end.destination ? '' : '*'}` : '-',
    ms(p.end?.avgMs ?? null),
    ms(p.end?.bestMs ?? null),
    ms(p.end?.worstMs ?? null),
    ms(p.end?.jitterMs ?? null),
    stateText(p),
    roundsStrip(p),
  ]);
}

export function pathsWatchTitle(report: PathsWatchReport): string {
  const every = (report.intervalMs / 1000).toFixed(report.intervalMs < 1000 ? 2 : 1);
  return `portpath watch --paths ${targetLabel(report.target)}, ${methodLabel(report.protocol, report.port)}: ${report.paths.length} paths, ${report.rounds} rounds, every ${every} s, since ${report.startedAt.slice(11, 19)} UTC`;
}

/** "198.18.1.2 > 198.18.2.2 > 198.18.4.2": the routers the paths run found, the end included. */
function routersText(path: PathWatchReport, nameOf: NameOf): string {
  const end = path.found.end;
  const hops = path.found.hops.map((h) => (h.address ? hostLabel(h.address, nameOf) : '*'));
  if (end.kind === 'destination' || end.kind === 'rejected') hops.push(hostLabel(end.address, nameOf));
  return hops.join(' > ') || '(no router answered)';
}

/** Each path: its routers, its share of the flows, and its verdict. */
export function pathsWatchVerdicts(report: PathsWatchReport, nameOf: NameOf): string[] {
  const lines = report.paths.flatMap((p) => [
    `Path ${p.id} (${Math.round(p.found.share * 100)}% of flows, --sport ${p.sourcePort}): ${routersText(p, nameOf)}`,
    `  ${p.verdict.text}${p.notCounted > 0 ? ` (${p.notCounted} rounds not counted: the flow was elsewhere)` : ''}`,
  ]);
  for (const u of report.unwatched) lines.push(`Path ${u.id}: not watched: ${u.reason}.`);
  return lines;
}

/** "path 2: +3.2s round 32: port state open -> silent (path 1: open)" */
export function pathChangeText(path: number, change: PathWatchChange, others: readonly { path: number; portState: RoundPortState | null }[] = []): string {
  const when = `+${(change.atMs / 1000).toFixed(1)}s round ${change.round}:`;
  let text: string;
  if (change.type === 'flow-moved') {
    const to = change.nowOn !== null ? `it now takes path ${change.nowOn}` : 'it now takes a path the paths run did not find';
    text = `${when} the flow left this path: hop ${change.ttl} answers from ${change.seen}, not ${change.expected} (${to}); its rounds are no longer counted here`;
  } else if (change.type === 'flow-back') {
    text = `${when} the flow is back on this path; its rounds count again`;
  } else {
    text = changeText(change);
  }
  const elsewhere = change.type === 'port-state' && others.length > 0 ? ` (${others.map((o) => `path ${o.path}: ${o.portState ?? 'not settled'}`).join(', ')})` : '';
  return `path ${path}: ${text}${elsewhere}`;
}

/** The title and the table alone: what plain output prints as the rounds go. */
export function formatPathsWatchTable(report: PathsWatchReport): string {
  return [pathsWatchTitle(report), ...columns(PATHS_WATCH_COLUMNS, pathsWatchRows(report), LEFT)].join('\n') + '\n';
}

/** The whole report as text. */
export function formatPathsWatchReport(report: PathsWatchReport, nameOf: NameOf): string {
  const lines = report.paths.length > 0 ? [formatPathsWatchTable(report).trimEnd(), "Loss and RTT to the destination's hop (To hop; * the farthest hop that answered, where it did not).", MARKS_LEGEND] : [pathsWatchTitle(report)];
  lines.push(...pathsWatchVerdicts(report, nameOf));
  if (report.changes.length > 0) lines.push('Changes:', ...report.changes.map((c) => '  ' + pathChangeText(c.path, c.change, c.others)));
  lines.push(`Summary: ${report.summary}`);
  return lines.join('\n') + '\n';
}
