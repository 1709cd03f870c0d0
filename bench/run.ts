// `npm run bench`: portpath against traceroute -T, tcptraceroute, mtr and scamper on a 6-router lab with real
// latency (5 ms per link each way, ~70 ms RTT to the server) and Linux's default ICMP rate limits. It reports wall
// time, hops found and answers per hop for two scenarios, portpath's diagnosis in each, what that diagnosis costs
// (default run with its control trace vs --control none), portpath's RTT accuracy against a packet capture, and
// its peak memory, then one PASS/FAIL line per target. It is a report, not a test: it exits 0 whatever the
// figures; 1 when the lab itself cannot be built (not root, no namespaces...), 2 when the benchmark crashes.
//
// Options: --verbose (raw output of peers whose output could not be parsed), --timeout S (per tool, default 120),
// --cooldown S (pause between tool runs, default 6), --repeat N (runs of each quick tool, median kept; default 3),
// --only a,b,c,rtt,rss,overhead,long,many,flood,owners,paths,exporter,watch,batch (a subset of the phases; overhead measures both scenarios, --repeat runs
// per side; long builds a lab of its own, 20 routers at 2 ms per link; exporter, the exporter under load on labs of
// its own, --exporter-minutes (default 10) of 200 watches with the routers' ICMP rate limits on, as many with them
// off, and /probe in between; watch, only when asked for by --only, a 30-hop watch for --watch-seconds, default 600;
// batch, only when named: `portpath batch` over 10,000 targets of the simulated Internet, bench/batch.ts, about half
// an hour; --batch-args "--targets 1000 --rates 2000 ..." passes its own flags).
import { parseArgs } from 'node:util';
import { buildChain } from '../src/lab/topology.js';
import type { Chain } from '../src/lab/topology.js';
import { interfaceName } from '../src/lab/names.js';
import { runInNode, sleep } from './exec.js';
import { describeControl, describeDiagnosis, diagnosisRight, reprobedHops } from './diagnosis.js';
import { measureFlood } from './flood.js';
import { measureMany } from './many.js';
import { measureWatch } from './watch.js';
import { describeExporterLoad, measureExporterLoad } from './exporter-load.js';
import { measureBatch, settingsFromArgs as batchSettings } from './batch.js';
import { measureOwners } from './owners.js';
import { measurePaths, PATHS_COOLDOWN_MS, PATHS_RUNS } from './paths.js';
import { chanceToMissOne, flowsNeeded } from '../src/engine/multipath.js';
import { describeOverhead, measureOverhead } from './overhead.js';
import type { OverheadOutcome } from './overhead.js';
import { PORTPATH_CLI, portpath, toolsFor } from './peers.js';
import type { ToolSpec } from './peers.js';
import { table, TOOL_HEADER, toolRow, verdict, median } from './report.js';
import { peakRss } from './rss.js';
import type { PeakRss } from './rss.js';
import { describeAccuracy, describeOutcome, measureAccuracy } from './rtt-accuracy.js';
import type { AccuracyOutcome } from './rtt-accuracy.js';
import { rawOutput, runTool } from './run-tool.js';
import type { RunSettings, ToolRun } from './run-tool.js';
import { applyRules, pathDifferences, scenarioA, scenarioB, scenarioC, scenarioLong } from './scenarios.js';
import type { Scenario, ScenarioOutcome } from './scenarios.js';
import { TARGETS, targetA, targetB, targetDiagnosis, targetOverhead, targetSilentNeighbour, targetUnprivileged } from './targets.js';

const ROUTERS = 6;
const DELAY_MS = 5;

const PARTS = ['a', 'b', 'c', 'rtt', 'rss', 'overhead', 'long', 'many', 'flood', 'owners', 'paths', 'exporter', 'watch', 'batch'] as const;
/** Phases run without --only: the watch phase takes ten minutes and the batch phase half an hour, so they run only when named. */
const DEFAULT_PARTS = PARTS.filter((p) => p !== 'watch' && p !== 'batch');
const LONG_ROUTERS = 20;
const LONG_DELAY_MS = 2;
/** Only runs quicker than this are repeated (see measuredRun). */
const REPEAT_BELOW_SECONDS = 5;
type Part = (typeof PARTS)[number];

interface Settings extends RunSettings {
  /** Seconds between tool runs. Routers answer a given host with a token bucket of 6 ICMP errors refilled at one
   *  per second (icmp_ratelimit=1000, burst 6); pausing lets every tool start with full buckets, whatever ran before. */
  cooldownSeconds: number;
  /** Runs per tool when its first run is quick (median kept); also the runs per side of the overhead phase. */
  repeat: number;
  parts: ReadonlySet<Part>;
  watchSeconds: number;
  exporterMinutes: number;
  /** bench/batch.ts's own flags. */
  batchArgs: string[];
}

function settingsFromArgs(): Settings {
  const { values } = parseArgs({
    options: {
      verbose: { type: 'boolean', default: false },
      timeout: { type: 'string', default: '120' },
      cooldown: { type: 'string', default: '6' },
      repeat: { type: 'string', default: '3' },
      only: { type: 'string', default: DEFAULT_PARTS.join(',') },
      'watch-seconds': { type: 'string', default: '600' },
      'exporter-minutes': { type: 'string', default: '10' },
      'batch-args': { type: 'string', default: '' },
    },
  });
  const timeoutSeconds = Number(values.timeout);
  const cooldownSeconds = Number(values.cooldown);
  const repeat = Number(values.repeat);
  if (!(timeoutSeconds > 0) || !(cooldownSeconds >= 0)) throw new Error('--timeout must be > 0 and --cooldown ≥ 0 (seconds)');
  if (!Number.isInteger(repeat) || repeat < 1) throw new Error('--repeat must be a whole number ≥ 1');
  const parts = values.only.split(',').map((p) => p.trim());
  const unknown = parts.filter((p) => !(PARTS as readonly string[]).includes(p));
  if (unknown.length) throw new Error(`--only takes a comma list of ${PARTS.join(', ')}; not ${unknown.join(', ')}`);
  const watchSeconds = Number(values['watch-seconds']);
  if (!Number.isInteger(watchSeconds) || watchSeconds < 70) throw new Error('--watch-seconds must be a whole number ≥ 70');
  const exporterMinutes = Number(values['exporter-minutes']);
  if (!Number.isInteger(exporterMinutes) || exporterMinutes < 2) throw new Error('--exporter-minutes must be a whole number ≥ 2');
  const batchArgs = values['batch-args'].split(/\s+/).filter(Boolean);
  return { verbose: values.verbose, timeoutSeconds, cooldownSeconds, repeat, parts: new Set(parts as Part[]), watchSeconds, exporterMinutes, batchArgs };
}

const out = (line = ''): void => void process.stdout.write(`${line}\n`);
const progress = (line: string): void => void process.stderr.write(`  … ${line}\n`);

let firstRun = true;

/** Before every probing run but the first, so no run starts with routers' ICMP buckets drained by the one before. */
async function pause(settings: Settings): Promise<void> {
  if (!firstRun) await sleep(settings.cooldownSeconds * 1000);
  firstRun = false;
}

/** Every tool run goes through here so the cool-down between runs is never forgotten. */
async function timedRun(chain: Chain, tool: ToolSpec, scenario: Scenario, settings: Settings): Promise<ToolRun> {
  await pause(settings);
  progress(`(${scenario.key}) ${tool.label}`);
  return runTool(chain, tool, chain.serverAddress(4), scenario.port, settings);
}

function fastestPeer(runs: ToolRun[]): ToolRun | null {
  const candidates = runs.filter((r) => !r.tool.isPortpath && (r.status === 'ok' || r.status === 'timeout') && r.seconds !== null);
  return candidates.reduce<ToolRun | null>((best, r) => (best === null || r.seconds! < best.seconds! ? r : best), null);
}

/**
 * A tool's run for the table. Sub-second runs are noisy (Node start-up, scheduling on a 2-core machine) and the
 * speed-up targets compare exactly those, so a tool whose first run was quick runs `repeat` times and the run with
 * the median wall time is kept; slow runs (seconds of waiting for silent hops) are not worth repeating.
 */
async function measuredRun(chain: Chain, tool: ToolSpec, scenario: Scenario, settings: Settings, seen?: ToolRun[]): Promise<ToolRun> {
  const runs = [await timedRun(chain, tool, scenario, settings)];
  while (runs.length < settings.repeat && runs[0]!.status === 'ok' && runs[0]!.seconds! < REPEAT_BELOW_SECONDS) {
    runs.push(await timedRun(chain, tool, scenario, settings));
  }
  seen?.push(...runs);
  const ok = runs.filter((r) => r.status === 'ok').sort((x, y) => x.seconds! - y.seconds!);
  if (runs.length === 1 || ok.length === 0) return runs[0]!;
  const chosen = ok[(ok.length - 1) >> 1]!;
  const times = runs.map((r) => (r.status === 'ok' ? r.seconds!.toFixed(2) : r.status)).join(', ');
  const note = `wall times of ${runs.length} runs: ${times} s (median shown)`;
  return { ...chosen, note: chosen.note ? `${chosen.note}; ${note}` : note };
}

async function runScenario(chain: Chain, scenario: Scenario, settings: Settings): Promise<ScenarioOutcome> {
  const runs: ToolRun[] = [];
  const portpathRuns: ToolRun[] = [];
  for (const tool of toolsFor(scenario.key)) runs.push(await measuredRun(chain, tool, scenario, settings, tool.isPortpath ? portpathRuns : undefined));
  const pp = runs.find((r) => r.tool.isPortpath)!;
  const fastest = fastestPeer(runs);
  const ratio = fastest && pp.status === 'ok' && pp.seconds ? fastest.seconds! / pp.seconds : null;
  return { scenario, runs, portpath: pp, portpathRuns, fastest, ratio };
}

function printScenario(chain: Chain, outcome: ScenarioOutcome, settings: Settings): void {
  const { scenario, runs, portpath: pp } = outcome;
  out();
  out(`Scenario (${scenario.key}): ${scenario.title} — TCP ${scenario.port} to ${chain.serverAddress(4)}`);
  out(table(TOOL_HEADER, runs.map((r) => toolRow(r, pp.status === 'ok' ? pp.seconds : null))));
  if (outcome.fastest && outcome.ratio !== null) {
    const bound = outcome.fastest.status === 'timeout' ? '≥ ' : '';
    out(`ratio = fastest peer (${outcome.fastest.tool.label}, ${outcome.fastest.seconds!.toFixed(2)} s) / portpath (${pp.seconds!.toFixed(2)} s) = ${bound}${outcome.ratio.toFixed(2)}x`);
  }
  if (pp.result) {
    const wall = pp.seconds! * 1000;
    out(`portpath's own durationMs: ${pp.result.durationMs} ms of ${wall.toFixed(0)} ms wall (the rest is Node start-up and exit); unmatched packets: ${pp.result.unmatchedPackets}`);
    const differences = pp.trace ? pathDifferences(pp.trace.hops, scenario.expectedPath(chain)) : [];
    out(`portpath path: ${differences.length ? `DIFFERS — ${differences.join('; ')}` : 'as expected'}`);
    const expected = scenario.expectedDiagnosis(chain);
    const diagnosis = pp.result.diagnosis;
    const confidence = diagnosis?.confidence ? ` (confidence ${diagnosis.confidence})` : '';
    out(`portpath diagnosis: ${describeDiagnosis(diagnosis)}${confidence} — ${diagnosisRight(diagnosis, expected) ? 'as expected' : `WRONG, expected ${describeDiagnosis(expected)}`}`);
    if (diagnosis?.explanation) out(`  explanation: ${diagnosis.explanation}`);
    out(`  control trace: ${describeControl(pp.result)}`);
    const reprobed = reprobedHops(pp.result);
    if (reprobed.length) out(`  re-probed after partial answers: ${reprobed.join('; ')}`);
  }
  for (const run of runs) {
    if (!run.note) continue;
    out(`  note: ${run.tool.label}: ${run.note}`);
    if (settings.verbose && (run.status === 'failed' || run.note.includes('not understood'))) out(rawOutput(run));
  }
  if (!settings.verbose && runs.some((r) => r.status === 'failed')) out('  (run with --verbose for the raw output of failed runs)');
}

async function main(): Promise<number> {
  let settings: Settings;
  try {
    settings = settingsFromArgs();
  } catch (error) {
    process.stderr.write(`bench: ${(error as Error).message}\n`);
    return 64;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write('bench: needs root (it builds network namespaces and runs raw-socket tools)\n');
    return 1;
  }
  // Ctrl-C: exit through process.exit so the lab's exit hook removes the namespaces.
  process.once('SIGINT', () => process.exit(130));

  let chain: Chain;
  try {
    chain = await buildChain({ routers: ROUTERS, delayMs: DELAY_MS, icmpRateLimit: true });
  } catch (error) {
    process.stderr.write(`bench: could not build the lab: ${(error as Error).message}\n`);
    return 1;
  }
  try {
    await chain.startServices({ tcp: [scenarioA.port] });
  } catch (error) {
    await chain.destroy();
    process.stderr.write(`bench: could not start the lab's TCP listener: ${(error as Error).message}\n`);
    return 1;
  }
  try {
    await report(chain, settings);
    return 0;
  } finally {
    await chain.destroy();
  }
}

/** The phases in order; the lab stays in scenario (a) for the RTT and memory measurements. */
async function report(chain: Chain, settings: Settings): Promise<void> {
  const { parts } = settings;
  out(`portpath benchmark: client — ${ROUTERS} routers — server, ${DELAY_MS} ms per link each way, default ICMP rate limits`);
  out(`portpath: ${PORTPATH_CLI}; 3 probes per hop for every tool; per-tool timeout ${settings.timeoutSeconds} s, ${settings.cooldownSeconds} s pause between runs`);
  out(`tools whose first run takes < ${REPEAT_BELOW_SECONDS} s run ${settings.repeat} times; the median wall time is shown`);

  let a: ScenarioOutcome | null = null;
  let overheadA: OverheadOutcome | null = null;
  let accuracy: AccuracyOutcome | null = null;
  let rss: PeakRss | null = null;
  if (parts.has('a') || parts.has('rtt') || parts.has('rss') || parts.has('overhead')) {
    applyRules(chain, scenarioA, '-A');
    if (parts.has('a')) {
      a = await runScenario(chain, scenarioA, settings);
      printScenario(chain, a, settings);
      await firstProbe(chain, settings);
    }
    if (parts.has('overhead')) overheadA = await runOverhead(chain, scenarioA, settings);
    if (parts.has('rtt')) {
      out();
      out(`RTT accuracy (scenario a; tcpdump on the client's ${interfaceName(1, 'left')}): |tool RTT − capture RTT| per probe`);
      const destinationTtl = scenarioA.expectedPath(chain).length;
      accuracy = await measureAccuracy(chain, scenarioA.port, destinationTtl, (tool) => timedRun(chain, tool, scenarioA, settings));
      for (const line of describeOutcome(accuracy, destinationTtl)) out(`  ${line}`);
    }
    if (parts.has('rss')) rss = await measureRss(chain, settings);
    applyRules(chain, scenarioA, '-D');
  }
  let b: ScenarioOutcome | null = null;
  let overheadB: OverheadOutcome | null = null;
  if (parts.has('b') || parts.has('overhead')) {
    applyRules(chain, scenarioB, '-A');
    if (parts.has('b')) {
      b = await runScenario(chain, scenarioB, settings);
      printScenario(chain, b, settings);
    }
    if (parts.has('overhead')) overheadB = await runOverhead(chain, scenarioB, settings);
    applyRules(chain, scenarioB, '-D');
  }
  let c: ScenarioOutcome | null = null;
  if (parts.has('c')) {
    applyRules(chain, scenarioC, '-A');
    c = await runScenario(chain, scenarioC, settings);
    printScenario(chain, c, settings);
    applyRules(chain, scenarioC, '-D');
  }
  const long = parts.has('long') ? await runLongPath(settings) : null;
  if (parts.has('many')) await runMany(settings);
  if (parts.has('flood')) await runFlood();
  if (parts.has('owners')) await runOwners();
  if (parts.has('paths')) await runPaths();
  if (parts.has('exporter')) await runExporterLoad(settings);
  if (parts.has('watch')) await runWatch(settings);
  if (parts.has('batch')) await runBatchPhase(settings);
  printTargets(chain, parts, { a, b, c, overheadA, overheadB, accuracy, rss, long });
}

/** The long-path scenario on a lab of its own, torn down after. */
async function runLongPath(settings: Settings): Promise<ScenarioOutcome | null> {
  let chain: Chain;
  try {
    chain = await buildChain({ routers: LONG_ROUTERS, delayMs: LONG_DELAY_MS, icmpRateLimit: true, ipv6: false });
  } catch (error) {
    out(`Long path: could not build its lab: ${(error as Error).message}`);
    return null;
  }
  try {
    await chain.startServices({ tcp: [scenarioLong.port] });
    applyRules(chain, scenarioLong, '-A');
    const outcome = await runScenario(chain, scenarioLong, settings);
    printScenario(chain, outcome, settings);
    return outcome;
  } finally {
    await chain.destroy();
  }
}

/** The CLI's time from process start to its first probe: --debug stamps each packet with seconds since start. */
async function firstProbe(chain: Chain, settings: Settings): Promise<void> {
  await pause(settings);
  const run = await runInNode(chain, chain.client, process.execPath, [PORTPATH_CLI, '-n', '-d', chain.serverAddress(4), String(scenarioA.port)], settings.timeoutSeconds);
  const first = /^(\d+\.\d+) > /m.exec(run.stderr);
  const node = await runInNode(chain, chain.client, process.execPath, ['-e', '0'], settings.timeoutSeconds);
  out(first ? `portpath's first probe: ${(Number(first[1]) * 1000).toFixed(0)} ms after its process started (node -e 0 takes ${(node.seconds * 1000).toFixed(0)} ms here, wall)` : 'first probe: not seen in --debug output');
}

/** A busy host: unrelated SYNs flood the client while portpath and traceroute -T trace (bench/flood.ts). */
async function runFlood(): Promise<void> {
  out();
  progress('(flood) tracing while unrelated SYNs flood the client');
  try {
    const rows = await measureFlood();
    out('Busy host: unrelated TCP SYNs flood the client (hping3) while each tool traces an open port 4 hops away');
    out(table(['SYN flood', 'tool', 'wall s', 'CPU s', 'every hop 3/3'], rows.map((r) => [r.rate, r.tool, r.wall.toFixed(2), r.cpu.toFixed(2), r.complete ? 'yes' : 'NO'])));
  } catch (error) {
    out(`Busy host: not measured (${(error as Error).message})`);
  }
}

/** What portpath paths costs on one path and finds on a diamond, beside scamper's tracelb (bench/paths.ts). */
async function runPaths(): Promise<void> {
  out();
  progress('(paths) a trace and a paths run on a single path; paths and scamper tracelb on 4- and 8-wide diamonds');
  try {
    const rows = await measurePaths();
    out(`Multipath (portpath paths; medians of ${PATHS_RUNS} runs, ${PATHS_COOLDOWN_MS / 1000} s apart, ICMP rate limits on):`);
    out(table(['lab', 'tool', 'wall s', 'probes', 'to the server', 'found'], rows.map((r) => [r.where, r.tool, r.wallSeconds.toFixed(2), String(r.probes), String(r.toServer), r.found])));
    for (const where of new Set(rows.map((r) => r.where))) {
      const ours = rows.find((r) => r.where === where && r.tool === 'portpath paths');
      const theirs = rows.find((r) => r.where === where && r.tool.startsWith('scamper'));
      if (ours && theirs) out(`  ${where}: portpath paths ${(theirs.wallSeconds / ours.wallSeconds).toFixed(1)}× faster than scamper (target ≥ 5×), ${(ours.probes / theirs.probes).toFixed(2)}× its probes (target ≤ 1)`);
    }
    // On paper: how often a fixed number of flows (Paris/Dublin-style tools that send N flows and stop) misses a
    // branch, against the stopping rule's flows for the same diamond.
    const fixed = [[8, 20], [8, 32], [4, 20]] as const;
    out(`Fixed flow counts on paper (uniform hashing): ${fixed.map(([w, n]) => `${n} flows miss a branch of a ${w}-way diamond ${(100 * chanceToMissOne(w, n)).toFixed(1)}% of the time`).join('; ')}; the rule's ${flowsNeeded(7, 0.95)} flows after 7 branches seen leave an 8th unseen ${(100 * chanceToMissOne(8, flowsNeeded(7, 0.95))).toFixed(1)}% of the time.`);
  } catch (error) {
    out(`Multipath: not measured (${(error as Error).message})`);
  }
}

/** What -z costs with an answering and with a dead resolver (bench/owners.ts). */
async function runOwners(): Promise<void> {
  out();
  progress('(owners) a trace without -z, with -z against dnsmasq, with -z against a resolver that never answers');
  try {
    const o = await measureOwners();
    out(`Owner lookups (-z), median wall of ${o.runs} traces each on a 3-router lab: none ${o.plainMs.toFixed(0)} ms; answering resolver ${o.answeringMs.toFixed(0)} ms (+${(o.answeringMs - o.plainMs).toFixed(0)} ms, target ≤ 50${o.answered ? '' : '; NO AS SHOWN'}); dead resolver ${o.deadMs.toFixed(0)} ms (+${(o.deadMs - o.plainMs).toFixed(0)} ms, target ≤ its 1 s timeout)`);
  } catch (error) {
    out(`Owner lookups: not measured (${(error as Error).message})`);
  }
}

/** The exporter's own cost with 200 watches and scrapes, and /probe's overhead, with ICMP rate limits on and off (bench/exporter-load.ts). */
async function runExporterLoad(settings: Settings): Promise<void> {
  out();
  out('Exporter under load (portpath exporter in a 3-router lab; CPU and latency include whatever else this machine runs meanwhile):');
  for (const rateLimits of [true, false]) {
    progress(`(exporter) 200 watches for ${settings.exporterMinutes} min, then 50 /probe at once and one by one; ICMP rate limits ${rateLimits ? 'on' : 'off'}`);
    try {
      for (const line of describeExporterLoad(await measureExporterLoad(settings.exporterMinutes, rateLimits))) out(`  ${line}`);
    } catch (error) {
      out(`  ICMP rate limits ${rateLimits ? 'on' : 'off'}: not measured (${(error as Error).message})`);
    }
  }
}

/** `portpath batch` on the simulated Internet (bench/batch.ts): accuracy, attribution, throughput, memory, shared hops. */
async function runBatchPhase(settings: Settings): Promise<void> {
  out();
  try {
    await measureBatch(batchSettings(settings.batchArgs));
  } catch (error) {
    out(`Batch on the simulated Internet: not measured (${(error as Error).message})`);
  }
}

/** A long watch beside mtr (bench/watch.ts). */
async function runWatch(settings: Settings): Promise<void> {
  out();
  progress(`(watch) a 30-hop watch at 1 round/s for ${settings.watchSeconds} s: portpath, 10 watches in one process, mtr`);
  try {
    const rows = await measureWatch(settings.watchSeconds);
    out(`Long watch: 30 hops, 1 round/s, ${settings.watchSeconds} s, three watchers at once on one lab (ICMP rate limits off); CPU after the first minute`);
    out(table(['watcher', 'CPU % of a core', 'RSS at 1 min MiB', 'RSS at end MiB', 'rounds'], rows.map((r) => [r.tool, r.cpuPct.toFixed(2), r.rssAtMinuteMib.toFixed(1), r.rssAtEndMib.toFixed(1), r.rounds])));
  } catch (error) {
    out(`Long watch: not measured (${(error as Error).message})`);
  }
}

/** The library under load: 50 traces at once in one process (bench/many.ts). */
async function runMany(settings: Settings): Promise<void> {
  out();
  progress('(many) 50 traces at once through the library');
  try {
    const m = await measureMany(settings.timeoutSeconds);
    out(`Many traces (library, one process): ${m.traces} traces with their controls, ${m.probes} probes, ${m.replies} answers in ${(m.wallMs / 1000).toFixed(2)} s;`);
    out(`  peak probes in flight (sent, not yet answered): ${m.peakInFlight}; reading to handled, per packet through the shared sockets: ${m.handlingUsPerPacket.toFixed(1)} µs (${m.handled} packets);`);
    out(`  CPU per answer, everything included (probe building, timers, follow-ups, diagnoses): ${m.cpuUsPerReply.toFixed(0)} µs;`);
    out(`  peak RSS ${m.rssMib.toFixed(1)} MiB; first probe ${m.firstProbeMs.toFixed(0)} ms after process start; verdicts wrong: ${m.wrong} of ${m.traces}`);
  } catch (error) {
    out(`Many traces: not measured (${(error as Error).message})`);
  }
}

async function runOverhead(chain: Chain, scenario: Scenario, settings: Settings): Promise<OverheadOutcome> {
  out();
  out(`Diagnosis overhead (scenario ${scenario.key}): portpath by default (control trace + diagnosis) vs --control none, ${settings.repeat} runs each, alternating; medians compared`);
  const outcome = await measureOverhead(scenario, settings.repeat, (tool) => timedRun(chain, tool, scenario, settings));
  for (const line of describeOverhead(outcome)) out(`  ${line}`);
  if (settings.verbose) {
    for (const run of [...outcome.withControl, ...outcome.withoutControl]) if (run.status === 'failed') out(rawOutput(run));
  }
  return outcome;
}

async function measureRss(chain: Chain, settings: Settings): Promise<PeakRss | null> {
  out();
  await pause(settings);
  progress('(a) portpath under GNU time');
  try {
    const rss = await peakRss(chain, process.execPath, portpath.args(chain.serverAddress(4), scenarioA.port), settings.timeoutSeconds);
    out(`Peak RSS of one portpath trace (scenario a): ${rss.mib.toFixed(1)} MiB (${rss.method}; trace exit ${rss.exitCode})`);
    return rss;
  } catch (error) {
    out(`Peak RSS: not measured (${(error as Error).message})`);
    return null;
  }
}

interface Measured {
  a: ScenarioOutcome | null;
  b: ScenarioOutcome | null;
  c: ScenarioOutcome | null;
  overheadA: OverheadOutcome | null;
  overheadB: OverheadOutcome | null;
  accuracy: AccuracyOutcome | null;
  rss: PeakRss | null;
  long: ScenarioOutcome | null;
}

function printTargets(chain: Chain, parts: ReadonlySet<Part>, { a, b, c, overheadA, overheadB, accuracy, rss, long }: Measured): void {
  out();
  out('Targets:');
  const skipped = (what: string): void => out(`  SKIP ${what}: not run (--only)`);
  if (a) {
    const ta = targetA(a);
    out(`  ${verdict(ta.pass)} ${ta.line}`);
  } else skipped('(a)');
  if (b) {
    const tb = targetB(chain, b);
    out(`  ${verdict(tb.pass)} ${tb.line}`);
  } else skipped('(b)');
  if (c) {
    for (const tc of [targetB(chain, c), ...(b ? [targetSilentNeighbour(b, c)] : [])]) out(`  ${verdict(tc.pass)} ${tc.line}`);
  } else skipped('(c)');
  if (long) {
    const tl = targetA(long);
    out(`  ${verdict(tl.pass)} ${tl.line}`);
  } else skipped('(long)');
  for (const outcome of [a, b]) {
    if (!outcome) continue;
    const tu = targetUnprivileged(outcome);
    out(`  ${verdict(tu.pass)} ${tu.line}`);
  }
  const rttLabel = `RTT accuracy median ≤ ${TARGETS.rttMedianUs} µs`;
  if (accuracy) {
    const errors = accuracy.portpath?.accuracy.errorsUs ?? [];
    const rttPass = errors.length > 0 && median(errors) <= TARGETS.rttMedianUs;
    out(`  ${verdict(rttPass)} ${rttLabel}: ${accuracy.portpath ? describeAccuracy(accuracy.portpath.accuracy) : 'not measured'}`);
  } else skipped(rttLabel);
  const rssLabel = `peak RSS ≤ ${TARGETS.rssMiB} MiB`;
  if (parts.has('rss')) {
    const rssPass = rss !== null && rss.exitCode === 0 && rss.mib <= TARGETS.rssMiB;
    out(`  ${verdict(rssPass)} ${rssLabel}: ${rss ? `${rss.mib.toFixed(1)} MiB` : 'not measured'}`);
  } else skipped(rssLabel);
  for (const [scenario, outcome, overhead] of [
    [scenarioA, a, overheadA],
    [scenarioB, b, overheadB],
    [scenarioC, c, null],
  ] as const) {
    // Every run made with the default control counts: the scenario's (repeats included) and the overhead phase's.
    const runs = [...(outcome?.portpathRuns ?? []), ...(overhead?.withControl ?? [])];
    if (runs.length) {
      const td = targetDiagnosis(chain, scenario, runs);
      out(`  ${verdict(td.pass)} ${td.line}`);
    } else skipped(`(${scenario.key}) diagnosis`);
  }
  for (const [key, overhead] of [
    ['a', overheadA],
    ['b', overheadB],
  ] as const) {
    if (overhead) {
      const to = targetOverhead(overhead);
      out(`  ${verdict(to.pass)} ${to.line}`);
    } else skipped(`(${key}) diagnosis overhead ≤ ${TARGETS.overheadPct}%`);
  }
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    // A bug in the benchmark itself (the lab is destroyed by now): the report is incomplete, so say so in the
    // exit status too. Targets that are missed never get here; they only print FAIL.
    process.stderr.write(`bench: internal error: ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 2;
  },
);
