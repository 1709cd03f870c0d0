// `portpath watch HOST [PORT]`: rounds of probes until Ctrl-C, q or -c N rounds. On a terminal, a live full-screen
// view (cli/live-view.ts); otherwise plain text: changes as they happen and the table every ten seconds or so;
// --report only the table at the end, --json the final report, --stream one JSON line per event. The watch itself
// is trace/'s.
import type { RawSocketPool } from '../transport/privileges.js';
import { changeText, formatWatchReport } from '../report/watch-text.js';
import { renderJson } from '../report/json.js';
import { startWatch } from '../trace/watch.js';
import type { WatchEvent, WatchHandle, WatchOptions, WatchReport } from '../trace/watch.js';
import type { CliOptions, WatchCli } from './args.js';
import { announceMode, runOptions } from './common.js';
import type { Output } from './common.js';
import { ReverseNames } from './names.js';
import type { OwnerLookups } from '../trace/owners.js';
import { writeReportFile } from './report-file.js';
import type { ReportFile } from './report-file.js';

/** Plain output prints the table about this often. */
const PLAIN_TABLE_EVERY_MS = 10_000;

/** One JSON line per event for --stream: small, flat, stable keys. */
export function streamLines(event: WatchEvent): object[] {
  switch (event.type) {
    case 'start':
      return [{ type: 'start', target: { host: event.meta.host, address: event.meta.address }, protocol: event.meta.protocol, port: event.meta.port, mode: event.meta.mode }];
    case 'round': {
      const { round } = event;
      const probes = round.probes.map((p) => ({ type: 'probe', round: round.round, ttl: p.ttl, from: p.result.from, rttMs: p.result.rtt, reply: p.result.reply?.kind ?? null }));
      const received = round.probes.filter((p) => p.result.from !== null).length;
      return [...probes, { type: 'round', round: round.round, atMs: Math.round(round.atMs), sent: round.probes.length, received, skipped: round.skipped, destination: round.destination }];
    }
    case 'change': {
      const { type: change, ...rest } = event.change;
      return [{ type: 'change', change, ...rest, atMs: Math.round(event.change.atMs) }];
    }
    case 'diagnosis':
      return [{ type: 'diagnosis', verdict: event.report.diagnosis.verdict, confidence: event.report.diagnosis.confidence, hop: event.report.diagnosis.hop, explanation: event.report.diagnosis.explanation }];
    case 'result':
      return [];
  }
}

/** The live view draws when stdout is a terminal and no other output was asked for. */
export function wantsLiveView(cli: CliOptions, watch: WatchCli): boolean {
  return Boolean(process.stdout.isTTY) && !cli.json && !watch.report && !watch.stream;
}

/** The live view's code (ink and React, a chunk of their own): loaded only for it, and before privileges drop. */
export function loadLiveView(): Promise<typeof import('./live-view.js')> {
  return import('./live-view.js');
}

export async function watchCommand(cli: CliOptions, watch: WatchCli, io: Output, signal: AbortSignal, pool?: RawSocketPool, owners: OwnerLookups | null = null, reportFile: ReportFile | null = null): Promise<number> {
  const names = new ReverseNames(!cli.numeric);
  const options: WatchOptions = {
    ...runOptions(cli, io, signal, pool, { protocol: cli.protocol, port: cli.port, control: cli.control ?? false }),
    ...(owners ? { owners } : {}),
    intervalMs: watch.intervalMs,
    rounds: watch.rounds,
  };
  if (wantsLiveView(cli, watch)) {
    const { liveView } = await loadLiveView();
    const report = await liveView(cli, options, names, io, owners);
    writeReportFile(reportFile, { watch: report, json: report }, names.nameOf, owners);
    return 0;
  }
  let handle: WatchHandle | null = null;
  let lastTable = performance.now();
  const onEvent = (event: WatchEvent) => {
    if (event.type === 'start') announceMode(cli, [event.meta], io);
    if (event.type === 'round') for (const p of event.round.probes) if (p.result.from) void names.lookup(p.result.from);
    if (watch.stream) {
      for (const line of streamLines(event)) io.out(JSON.stringify(line) + '\n');
      return;
    }
    if (cli.json || watch.report) return;
    // Plain: what changed as it happens, the table now and then.
    if (event.type === 'diagnosis') io.out(`Diagnosis${event.after ? ' (after the change)' : ''}: ${event.report.diagnosis.verdict} (${event.report.diagnosis.confidence} confidence). ${event.report.diagnosis.explanation}\n`);
    if (event.type === 'change') io.out(changeText(event.change) + '\n');
    if (event.type === 'round' && handle && performance.now() - lastTable >= PLAIN_TABLE_EVERY_MS) {
      lastTable = performance.now();
      io.out('\n' + formatWatchReport(handle.snapshot(), names.nameOf, { changes: false, ownerOf: owners?.infoOf }) + '\n');
    }
  };
  handle = startWatch(cli.host, options, onEvent);
  try {
    const report: WatchReport = await handle.done;
    await Promise.all(report.hops.flatMap((h) => h.responders.map((r) => names.lookup(r.address))));
    if (cli.json) io.out(renderJson(report));
    else if (watch.stream) io.out(JSON.stringify({ type: 'result', rounds: report.rounds, portState: report.portState, forwardedLoss: report.forwardedLoss }) + '\n');
    else io.out((watch.report ? '' : '\n') + formatWatchReport(report, names.nameOf, { ownerOf: owners?.infoOf }));
    writeReportFile(reportFile, { watch: report, json: report }, names.nameOf, owners);
    return 0;
  } finally {
    names.cancel();
    owners?.cancel();
  }
}
