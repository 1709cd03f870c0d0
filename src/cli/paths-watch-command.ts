// `portpath watch --paths HOST PORT`: a paths run, then one flow per path watched side by side until Ctrl-C or -c N
// rounds. Text (on a terminal too: the live view is a plain watch's only, so far): the paths found, each change as it
// happens (with where the other paths stand) and the compact per-path table after each round, at most once a
// second; --report only the full report at the end, --json the final report, --stream one JSON line per event. The
// watch itself is trace/'s.
import { renderJson } from '../report/json.js';
import { formatPathsWatchReport, formatPathsWatchTable, pathChangeText } from '../report/paths-watch-text.js';
import { startPathsWatch } from '../trace/watch-paths.js';
import type { PathsWatchEvent, PathsWatchHandle, PathsWatchOptions } from '../trace/watch-paths.js';
import type { RawSocketPool } from '../transport/privileges.js';
import type { CliOptions, WatchCli } from './args.js';
import { runOptions } from './common.js';
import type { Output } from './common.js';
import { ReverseNames } from './names.js';
import { streamLines } from './watch-command.js';

/** The compact table goes out after each round, but no more often than this (fast rounds would flood the output). */
const TABLE_EVERY_MS = 1000;

/** --stream's lines for a paths watch: a plain watch's, each with the path it belongs to. */
function pathStreamLines(event: PathsWatchEvent): object[] {
  switch (event.type) {
    case 'start':
      return streamLines(event);
    case 'discovered':
      return [{ type: 'paths', summary: event.report.summary, paths: event.report.paths.map((p) => ({ path: p.id, sourcePort: p.reproduce, hops: p.hops.map((h) => h.address), end: p.end })) }];
    case 'round':
      return streamLines({ type: 'round', round: event.round }).map((line) => ({ ...line, path: event.path }));
    case 'change': {
      const { type: change, ...rest } = event.change;
      return [{ type: 'change', path: event.path, change, ...rest, atMs: Math.round(event.change.atMs), others: event.others }];
    }
    case 'result':
      return [];
  }
}

export async function pathsWatchCommand(cli: CliOptions, watch: WatchCli, multipath: NonNullable<WatchCli['paths']>, io: Output, signal: AbortSignal, pool?: RawSocketPool): Promise<number> {
  const names = new ReverseNames(!cli.numeric);
  const options: PathsWatchOptions = {
    ...runOptions(cli, io, signal, pool, { protocol: cli.protocol, port: cli.port, control: false }),
    intervalMs: watch.intervalMs,
    rounds: watch.rounds,
    paths: true,
    ...multipath,
  };
  const plain = !cli.json && !watch.report && !watch.stream;
  let handle: PathsWatchHandle | null = null;
  let lastTable = -Infinity;
  const onEvent = (event: PathsWatchEvent) => {
    if (event.type === 'round') for (const p of event.round.probes) if (p.result.from) void names.lookup(p.result.from);
    if (watch.stream) for (const line of pathStreamLines(event)) io.out(JSON.stringify(line) + '\n');
    if (!plain) return;
    if (event.type === 'discovered') {
      const { paths, summary } = event.report;
      io.out(`Found ${paths.length} path${paths.length === 1 ? '' : 's'}: ${summary}\nWatching one flow per path (its source port reproduces it).\n`);
    }
    if (event.type === 'change') io.out(pathChangeText(event.path, event.change, event.others) + '\n');
    if (event.type === 'round' && handle && performance.now() - lastTable >= TABLE_EVERY_MS) {
      lastTable = performance.now();
      io.out(formatPathsWatchTable(handle.snapshot()));
    }
  };
  handle = startPathsWatch(cli.host, options, onEvent);
  try {
    const report = await handle.done;
    if (cli.json) io.out(renderJson(report));
    else if (watch.stream) io.out(JSON.stringify({ type: 'result', rounds: report.rounds, summary: report.summary, paths: report.paths.map((p) => ({ path: p.id, portState: p.portState, verdict: p.verdict })) }) + '\n');
    else {
      await Promise.all(report.paths.flatMap((p) => p.found.hops.flatMap((h) => (h.address ? [names.lookup(h.address)] : []))));
      io.out((watch.report ? '' : '\n') + formatPathsWatchReport(report, names.nameOf));
    }
    return 0;
  } finally {
    names.cancel();
  }
}
