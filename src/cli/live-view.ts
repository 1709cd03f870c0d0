// The live view of `portpath watch` on a terminal: a full-screen table redrawn in place, with ink (React for
// terminals: it diffs frames, reads keys in raw mode and restores the terminal on unmount). Keys: q quit, p pause,
// r reset, d display (statistics / RTT history / changes), n names. The alternate screen keeps the user's scrollback;
// leaving it (on q, Ctrl-C, SIGTERM or an error) puts the shell back as it was, and the final report is printed there.
import { createElement as h, Fragment, useEffect, useState } from 'react';
import type { ReactElement } from 'react';
import { Box, render, Text, useInput, useStdout } from 'ink';
import { changeText, columns, formatWatchReport, WATCH_COLUMNS, watchFindings, watchRows, watchTitle } from '../report/watch-text.js';
import { safeText } from '../report/safe-text.js';
import { startWatch } from '../trace/watch.js';
import type { WatchEvent, WatchHandle, WatchOptions, WatchReport } from '../trace/watch.js';
import type { CliOptions } from './args.js';
import type { Output } from './common.js';
import type { ReverseNames } from './names.js';
import type { OwnerLookups } from '../trace/owners.js';

type Display = 'stats' | 'history' | 'changes';
const NEXT_DISPLAY: Record<Display, Display> = { stats: 'history', history: 'changes', changes: 'stats' };
const ENTER_ALTERNATE = '\x1b[?1049h\x1b[H';
const LEAVE_ALTERNATE = '\x1b[?1049l';
const BLOCKS = '▁▂▃▄▅▆▇█';

/** The RTT history of a hop as a strip of block characters, scaled between its best and worst; '·' is a lost probe. */
export function historyStrip(history: readonly (number | null)[], width: number): string {
  const recent = history.slice(-width);
  const answered = recent.filter((v): v is number => v !== null);
  const low = Math.min(...answered);
  const span = Math.max(...answered) - low;
  return recent.map((v) => (v === null ? '·' : BLOCKS[span > 0 ? Math.min(7, Math.floor(((v - low) / span) * 8)) : 0])).join('');
}

interface ViewProps {
  handle: WatchHandle;
  subscribe: (listener: () => void) => () => void;
  names: ReverseNames;
  owners: OwnerLookups | null;
  numericAtStart: boolean;
  onQuit: () => void;
}

function LiveView({ handle, subscribe, names, owners, numericAtStart, onQuit }: ViewProps): ReactElement {
  const { stdout } = useStdout();
  const [, setTick] = useState(0);
  const [display, setDisplay] = useState<Display>('stats');
  const [showNames, setShowNames] = useState(!numericAtStart);
  const [size, setSize] = useState({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
  useEffect(() => subscribe(() => setTick((t) => t + 1)), [subscribe]);
  useEffect(() => {
    const onResize = () => setSize({ columns: stdout.columns || 80, rows: stdout.rows || 24 });
    stdout.on('resize', onResize);
    return () => void stdout.off('resize', onResize);
  }, [stdout]);
  useInput((input, key) => {
    if (input === 'q' || (key.ctrl && input === 'c')) onQuit();
    else if (input === 'p') {
      if (handle.paused) handle.resume();
      else handle.pause();
      setTick((t) => t + 1);
    } else if (input === 'r') {
      handle.reset();
      setTick((t) => t + 1);
    } else if (input === 'd') setDisplay((d) => NEXT_DISPLAY[d]);
    else if (input === 'n') setShowNames((n) => !n);
  });
  const report = handle.snapshot();
  const width = Math.max(20, size.columns - 1);
  const fit = (line: string) => (line.length > width ? line.slice(0, width - 1) + '…' : line);
  const title = `${watchTitle(report)}${handle.paused ? '   [paused]' : ''}`;
  let body: string[];
  if (display === 'stats') {
    body = columns(WATCH_COLUMNS, watchRows(report, showNames ? names.nameOf : null, owners?.infoOf));
  } else if (display === 'history') {
    const label = (ttl: number, address: string) => `${String(ttl).padStart(3)}  ${address.padEnd(16).slice(0, 16)}  `;
    body = ['Hop  Address           RTT history (newest right; · lost)'].concat(
      report.hops.map((hop) => label(hop.ttl, hop.responders[0]?.address ?? '???') + historyStrip(hop.history, Math.max(10, width - 25))),
    );
  } else {
    body = report.changes.length > 0 ? report.changes.map(changeText) : ['No changes seen yet.'];
  }
  const diagnosis = report.diagnosis ? [`Diagnosis: ${report.diagnosis.verdict} (${report.diagnosis.confidence} confidence). ${safeText(report.diagnosis.explanation)}`] : [];
  const recent = display !== 'changes' ? report.changes.slice(-3).map((c) => '  ' + changeText(c)) : [];
  const footer = `q quit  p ${handle.paused ? 'resume' : 'pause'}  r reset  d display: ${display}  n names: ${showNames ? 'on' : 'off'}`;
  const fixed = [title, '', ...watchFindings(report), ...diagnosis, ...(recent.length > 0 ? ['Recent changes:', ...recent] : []), footer];
  // Keep within the screen: ink redraws in place only while the frame is shorter than the terminal.
  const room = Math.max(1, size.rows - fixed.length - 2);
  const shownBody = body.length > room ? [...body.slice(0, room - 1), `… ${body.length - room + 1} more rows (enlarge the window)`] : body;
  const lines = [title, '', ...shownBody, '', ...fixed.slice(2, -1), fixed.at(-1)!];
  return h(
    Box,
    { flexDirection: 'column' },
    ...lines.map((line, i) => h(Text, { key: i, ...(i === 0 || i === lines.length - 1 ? { bold: true } : {}) }, fit(line) || ' ')),
  );
}

/** Runs the watch on screen until q, Ctrl-C or SIGTERM; prints the final report on the normal screen and returns it. */
export async function liveView(cli: CliOptions, options: WatchOptions, names: ReverseNames, io: Output, owners: OwnerLookups | null): Promise<WatchReport> {
  const listeners = new Set<() => void>();
  const subscribe = (listener: () => void) => {
    listeners.add(listener);
    return () => void listeners.delete(listener);
  };
  const onEvent = (event: WatchEvent) => {
    if (event.type === 'round') for (const p of event.round.probes) if (p.result.from) void names.lookup(p.result.from);
    for (const listener of listeners) listener();
  };
  const handle = startWatch(cli.host, options, onEvent);
  process.stdout.write(ENTER_ALTERNATE);
  const app = render(h(Fragment, null, h(LiveView, { handle, subscribe, names, owners, numericAtStart: cli.numeric, onQuit: () => handle.stop() })), {
    exitOnCtrlC: false,
    patchConsole: false,
  });
  let report: WatchReport;
  try {
    report = await handle.done;
  } finally {
    app.unmount();
    await app.waitUntilExit().catch(() => undefined);
    process.stdout.write(LEAVE_ALTERNATE);
    names.cancel();
    owners?.cancel();
  }
  io.out(formatWatchReport(report, cli.numeric ? null : names.nameOf, { ownerOf: owners?.infoOf }));
  return report;
}
