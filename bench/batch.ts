// `portpath batch` on the simulated Internet (issue 22), for `npm run bench -- --only batch` or alone with smaller
// counts (`node dist/bench/batch.js --targets 1000 --rates 2000 --concurrency 256`). The real CLI runs inside the
// simulator's namespace over every target of a seeded Internet (the seed is printed), and its JSON Lines are checked:
//   - right: each line's diagnosis verdict and hop against the simulator's ground truth, by kind of fault (`unknown`
//     counts as wrong); first with the routers' ICMP rate limits off (as the truth assumes), then with Linux's on;
//   - misattributed: every answer the JSON reports (hops[].probes and reprobes, of the trace and its control) must be
//     one the simulator sent for a probe of that flow (destination, protocol, port) at that TTL — counted as a
//     multiset over the whole batch, so an answer reported twice, or reported at another TTL, or taken from another
//     target's flow, is caught; answers from the destination (SYN-ACK, RST, port unreachable, echo reply, a
//     router's reject: the same for any TTL past its hop) must have been sent for that flow at that TTL or a
//     lower one; shared near hops (an earlier trace's answers) must have been sent by that router at that TTL (their
//     re-probes are the trace's own, and checked as its own);
//   - throughput: probes on the wire (the simulator's count) per second at each --rate and --concurrency, the wall
//     time, and the CPU of portpath (GNU time) and of the simulator (/proc);
//   - memory: portpath's peak RSS for the 10,000 and for --big targets;
//   - probes saved by the shared near hops (--no-share-hops against the default);
//   - scamper beside it (batch-scamper.ts): the same targets at the same rate on the simulator's veth front, wall
//     time, probes on the wire and hops found against the truth's paths side by side (portpath with and without
//     its shared near hops), and what scamper says instead of a port verdict (its stop reasons).
// It is a report, not a test: it prints what it measured and exits 0.
import { spawnSync } from 'node:child_process';
import { closeSync, createReadStream, createWriteStream, fstatSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import type { AnswerRecord } from '../src/lab/sim/answer-log.js';
import type { TargetTruth } from '../src/lab/sim/ground-truth.js';
import { startSimulatedInternet } from '../src/lab/sim/simulated-internet.js';
import type { SimulatedInternet, SimulatedInternetOptions } from '../src/lab/sim/simulated-internet.js';
import { emptyTally, readScamper, scamperArgs, scamperCommands, tallyHops } from './batch-scamper.js';
import type { HopTally, SeenAnswer } from './batch-scamper.js';
import { findCommand } from './exec.js';
import { PORTPATH_CLI } from './peers.js';

/** The CLI the runs use (--cli: another build, e.g. a baseline). */
let cli = PORTPATH_CLI;

export interface BatchBenchSettings {
  seed: number;
  targets: number;
  /** The rate and concurrency of the accuracy runs. */
  rate: number;
  concurrency: number;
  /** Throughput: every rate at every concurrency. */
  rates: number[];
  concurrencies: number[];
  /** Targets of the memory run (0: none) and its rate. */
  big: number;
  bigRate: number;
  /** Targets traced beside scamper (0: none). */
  scamper: number;
  parts: Set<string>;
  /** Runs of each throughput setting. */
  repeat: number;
  /** A CPU profile of one throughput run (its directory), or null. */
  profileDir: string | null;
  timeoutSeconds: number;
  /** Node options for the memory runs' portpath (e.g. --max-old-space-size=256: a cap shows what RSS is slack). */
  memoryNodeArgs: string[];
  /** Keep the JSON Lines and targets here (null: a temporary directory, removed at the end). */
  keepDir: string | null;
}

export const BATCH_PARTS = ['accuracy', 'limits', 'throughput', 'memory', 'share', 'scamper'] as const;

const out = (line = ''): void => void process.stdout.write(`${line}\n`);
const progress = (line: string): void => void process.stderr.write(`  … ${line}\n`);

interface JsonProbe {
  from: string | null;
  reply: { kind: string } | null;
}
interface JsonHop {
  ttl: number;
  probes: JsonProbe[];
  reprobes?: JsonProbe[];
  shared?: true;
}
interface JsonTrace {
  target: { address: string; family: 4 | 6 };
  protocol: 'tcp' | 'udp' | 'icmp';
  port: number | null;
  hops: JsonHop[];
}
interface JsonLine extends Partial<JsonTrace> {
  line?: number;
  input?: string;
  error?: { code: string; message: string };
  diagnosis?: { verdict: string; hop: number | null; explanation?: string };
  control?: JsonTrace;
  summary?: { targets: number; probes: number; probesSaved: number; durationMs: number; byVerdict: Record<string, number> };
}

/** What one tool's run in the simulator's namespace cost, and what the simulator saw of it. */
export interface MeasuredRun {
  code: number | null;
  wallMs: number;
  /** portpath's CPU (user + system), ms, and peak RSS, KiB (GNU time). */
  cpuMs: number | null;
  rssKb: number | null;
  /** The simulator's CPU over the run, ms. */
  simCpuMs: number | null;
  /** Probes the simulator received (not counting the client kernel's RSTs to SYN-ACKs). */
  wireProbes: number;
  /** What the simulator did with them: answered, held back by a rate limit or silent, dropped by a rule, ignored. */
  sim: { answers: number; unanswered: number; dropped: number; lost: number; ignored: number };
  /** Its stdout. */
  outFile: string;
  stderr: string;
}

export interface BatchRun extends MeasuredRun {
  args: string[];
  summary: NonNullable<JsonLine['summary']> | null;
}

/** user + system CPU of a process so far, ms (/proc/PID/stat, 100 ticks a second). */
function processCpuMs(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return null;
  }
}

/** Runs `command` in the simulator's namespace under GNU time, its stdout to `<name>.jsonl` in `dir` (SIGINT at the timeout). */
export async function runMeasured(sim: SimulatedInternet, dir: string, name: string, command: string[], timeoutSeconds: number): Promise<MeasuredRun> {
  const outFile = join(dir, `${name}.jsonl`);
  const timeFile = join(dir, `${name}.time`);
  const time = findCommand('/usr/bin/time');
  const before = await sim.counters();
  const simBefore = processCpuMs(sim.simulatorPid);
  const started = performance.now();
  const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = time ? sim.spawn(time, ['-v', '-o', timeFile, ...command]) : sim.spawn(command[0]!, command.slice(1));
    child.stdin?.end();
    const file = createWriteStream(outFile);
    child.stdout?.pipe(file);
    let err = '';
    child.stderr?.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-4000)));
    const timer = setTimeout(() => child.kill('SIGINT'), timeoutSeconds * 1000);
    child.once('close', (exit) => {
      clearTimeout(timer);
      file.end(() => resolve({ code: exit, stderr: err }));
    });
  });
  const wallMs = performance.now() - started;
  const simAfter = processCpuMs(sim.simulatorPid);
  const after = await sim.counters();
  let cpuMs: number | null = null;
  let rssKb: number | null = null;
  if (time) {
    const text = readFileSync(timeFile, 'utf8');
    const user = /User time \(seconds\): ([\d.]+)/.exec(text);
    const system = /System time \(seconds\): ([\d.]+)/.exec(text);
    const rss = /Maximum resident set size \(kbytes\): (\d+)/.exec(text);
    if (user && system) cpuMs = (Number(user[1]) + Number(system[1])) * 1000;
    if (rss) rssKb = Number(rss[1]);
  }
  return {
    code,
    wallMs,
    cpuMs,
    rssKb,
    simCpuMs: simBefore !== null && simAfter !== null ? simAfter - simBefore : null,
    wireProbes: after.packets - after.ignored - (before.packets - before.ignored),
    sim: {
      answers: after.answers - before.answers,
      unanswered: after.unanswered - before.unanswered,
      dropped: after.dropped - before.dropped,
      lost: after.lost - before.lost,
      ignored: after.ignored - before.ignored,
    },
    outFile,
    stderr,
  };
}

/** Runs `portpath batch` in the simulator's namespace (runMeasured), its JSON Lines to a file. */
export async function runBatch(sim: SimulatedInternet, dir: string, name: string, targetsFile: string, args: string[], timeoutSeconds: number, nodeArgs: string[] = []): Promise<BatchRun> {
  const run = await runMeasured(sim, dir, name, [process.execPath, ...nodeArgs, cli, 'batch', '--json', '-n', ...args, targetsFile], timeoutSeconds);
  let summary: BatchRun['summary'];
  try {
    summary = (JSON.parse(lastLineOf(run.outFile)) as JsonLine).summary ?? null;
  } catch {
    summary = null;
  }
  return { ...run, args, summary };
}

/** The last line of a file that may be larger than a string can be (100,000 results: 870 MB). */
function lastLineOf(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    const tail = Buffer.alloc(Math.min(size, 1 << 20));
    readSync(fd, tail, 0, tail.length, size - tail.length);
    return tail.toString('utf8').trimEnd().split('\n').at(-1) ?? '';
  } finally {
    closeSync(fd);
  }
}

/** One target per line in the simulator's order: line i is truth.targets[i - 1]. */
export function writeTargets(truth: TargetTruth[], file: string): void {
  writeFileSync(file, truth.map((t) => (t.protocol === 'icmp' ? `${t.address} icmp` : `${t.address} ${t.port} ${t.protocol}`)).join('\n') + '\n');
}

async function* jsonLines(file: string): AsyncGenerator<JsonLine> {
  for await (const text of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) if (text.startsWith('{')) yield JSON.parse(text) as JsonLine;
}

export interface Accuracy {
  results: number;
  right: number;
  /** By fault: [right, traced]. */
  byFault: Map<string, [number, number]>;
  /** Wrong ones, by what went wrong ("drop-in-path: truth filtered-in-path@5, portpath unknown@5"). */
  wrongKinds: Map<string, number>;
  examples: string[];
  errors: number;
}

export async function checkAccuracy(file: string, truth: TargetTruth[]): Promise<Accuracy> {
  const acc: Accuracy = { results: 0, right: 0, byFault: new Map(), wrongKinds: new Map(), examples: [], errors: 0 };
  for await (const line of jsonLines(file)) {
    if (line.summary || line.line === undefined) continue;
    const t = truth[line.line - 1]!;
    acc.results++;
    const counts = acc.byFault.get(t.fault) ?? [0, 0];
    acc.byFault.set(t.fault, counts);
    counts[1]++;
    if (line.error) {
      acc.errors++;
      continue;
    }
    const d = line.diagnosis!;
    if (d.verdict === t.verdict && d.hop === t.hop) {
      counts[0]++;
      acc.right++;
      continue;
    }
    const how = `${t.fault}: truth ${t.verdict} → portpath ${d.verdict}${d.verdict === t.verdict ? ` (hop ${d.hop} not ${t.hop})` : ''}`;
    acc.wrongKinds.set(how, (acc.wrongKinds.get(how) ?? 0) + 1);
    if (acc.examples.length < 6) acc.examples.push(`line ${line.line} ${line.input} (${t.fault}): truth ${t.verdict}@${t.hop}, portpath ${d.verdict}@${d.hop}: ${d.explanation ?? ''}`);
  }
  return acc;
}

export interface Attribution {
  /** Answers the JSON reports (shared hops apart), and those the simulator never sent for that flow at that TTL. */
  checked: number;
  misattributed: number;
  /** Shared near hops' answers checked against what the routers sent at that TTL, and those not found. */
  sharedChecked: number;
  sharedUnknown: number;
  examples: string[];
}

const flowKey = (family: number, destination: string, protocol: string, port: number | null): string => `${family}|${destination}|${protocol}|${port ?? ''}`;

/**
 * Checks every answer in the JSON Lines against the simulator's log (see the file comment). Time exceeded: the
 * reported count of (flow, TTL, from) must not exceed the count sent. Any other answer: the count of (flow, from,
 * kind) must not exceed the count sent, and it must have been sent at that TTL or a lower one.
 */
export async function checkAttribution(file: string, log: AnswerRecord[]): Promise<Attribution> {
  const sentExact = new Map<string, number>();
  const sentOther = new Map<string, { count: number; minTtl: number }>();
  const sharedSent = new Set<string>();
  for (const r of log) {
    const flow = flowKey(r.family, r.destination, r.protocol, r.destinationPort);
    if (r.kind === 'time-exceeded') {
      const key = `${flow}|${r.ttl}|${r.from}`;
      sentExact.set(key, (sentExact.get(key) ?? 0) + 1);
      sharedSent.add(`${r.family}|${r.ttl}|${r.from}`);
    } else {
      const key = `${flow}|${r.from}|${r.kind}`;
      const s = sentOther.get(key);
      if (s) {
        s.count++;
        s.minTtl = Math.min(s.minTtl, r.ttl);
      } else sentOther.set(key, { count: 1, minTtl: r.ttl });
    }
  }
  const result: Attribution = { checked: 0, misattributed: 0, sharedChecked: 0, sharedUnknown: 0, examples: [] };
  const reportedExact = new Map<string, number>();
  const reportedOther = new Map<string, number>();
  const bad = (why: string): void => {
    result.misattributed++;
    if (result.examples.length < 6) result.examples.push(why);
  };
  const visit = (trace: JsonTrace, input: string): void => {
    const flow = flowKey(trace.target.family, trace.target.address, trace.protocol, trace.protocol === 'icmp' ? null : trace.port);
    for (const hop of trace.hops) {
      // A shared hop's probes are an earlier trace's answers; its re-probes are this trace's own, on its own flow
      // (the question about the last shared hop), and are checked as such: the destination may answer them.
      const taken = hop.shared ? hop.probes.length : 0;
      for (const [i, probe] of [...hop.probes, ...(hop.reprobes ?? [])].entries()) {
        if (probe.from === null || !probe.reply) continue;
        if (i < taken) {
          result.sharedChecked++;
          if (!sharedSent.has(`${trace.target.family}|${hop.ttl}|${probe.from}`)) {
            result.sharedUnknown++;
            if (result.examples.length < 6) result.examples.push(`${input}: shared hop ${hop.ttl} ${probe.from}: no such router answer at that TTL`);
          }
          continue;
        }
        result.checked++;
        if (probe.reply.kind === 'time-exceeded') {
          const key = `${flow}|${hop.ttl}|${probe.from}`;
          const n = (reportedExact.get(key) ?? 0) + 1;
          reportedExact.set(key, n);
          if (n > (sentExact.get(key) ?? 0)) bad(`${input} (${trace.protocol}): ttl ${hop.ttl} time exceeded from ${probe.from}: sent ${sentExact.get(key) ?? 0} for this flow at that TTL, reported ${n}`);
        } else {
          const key = `${flow}|${probe.from}|${probe.reply.kind}`;
          const n = (reportedOther.get(key) ?? 0) + 1;
          reportedOther.set(key, n);
          const sent = sentOther.get(key);
          if (!sent || n > sent.count || hop.ttl < sent.minTtl) bad(`${input} (${trace.protocol}): ttl ${hop.ttl} ${probe.reply.kind} from ${probe.from}: sent ${sent?.count ?? 0} for this flow, lowest TTL ${sent?.minTtl ?? '-'}; reported ${n}`);
        }
      }
    }
  };
  for await (const line of jsonLines(file)) {
    if (line.summary || line.error || line.hops === undefined) continue;
    visit(line as JsonTrace, line.input ?? '?');
    if (line.control) visit(line.control, `${line.input ?? '?'} control`);
  }
  return result;
}

const pct = (a: number, b: number): string => (b === 0 ? '-' : `${((100 * a) / b).toFixed(2)}%`);
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

/** A run in one line; without portpath's summary (another tool), the probe rate is over the wall time. */
function describeRun(run: MeasuredRun & { summary?: BatchRun['summary'] }): string {
  const s = run.summary ?? null;
  const activeMs = s ? s.durationMs : run.wallMs;
  const pps = activeMs > 0 ? run.wireProbes / (activeMs / 1000) : 0;
  const parts = [
    s ? `${s.targets} targets in ${seconds(run.wallMs)} wall (batch ${seconds(s.durationMs)})` : `${seconds(run.wallMs)} wall`,
    `${run.wireProbes} probes on the wire = ${pps.toFixed(0)}/s`,
    `CPU ${run.cpuMs === null ? '?' : seconds(run.cpuMs)} (${run.cpuMs === null ? '?' : ((100 * run.cpuMs) / run.wallMs).toFixed(0)}% of a core)`,
    `simulator CPU ${run.simCpuMs === null ? '?' : seconds(run.simCpuMs)} (${run.simCpuMs === null ? '?' : ((100 * run.simCpuMs) / run.wallMs).toFixed(0)}%)`,
    `peak RSS ${run.rssKb === null ? '?' : (run.rssKb / 1024).toFixed(0)} MiB`,
    `simulator: ${run.sim.answers} answers, ${run.sim.unanswered} held back (rate limit, silent router), ${run.sim.dropped} dropped by rules, ${run.sim.ignored} ignored`,
  ];
  if (run.code !== 0) parts.push(`EXIT ${run.code}: ${run.stderr.trim().split('\n').at(-1) ?? ''}`);
  return parts.join('; ');
}

function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

async function accuracyPart(label: string, sim: SimulatedInternet, dir: string, file: string, settings: BatchBenchSettings): Promise<void> {
  progress(`${label}: ${settings.targets} targets at --rate ${settings.rate} --concurrency ${settings.concurrency}`);
  const run = await runBatch(sim, dir, label, file, ['--rate', String(settings.rate), '--concurrency', String(settings.concurrency)], settings.timeoutSeconds);
  out(`  run: ${describeRun(run)} (load average before: ${loadAverage()})`);
  const acc = await checkAccuracy(run.outFile, sim.truth.targets);
  out(`  right (verdict and hop as the ground truth): ${acc.right} of ${sim.truth.targets.length} = ${pct(acc.right, sim.truth.targets.length)} (target ≥ 99.5%); results ${acc.results}, errors ${acc.errors}`);
  const faults = [...acc.byFault].sort((a, b) => b[1][1] - a[1][1]).map(([fault, [right, n]]) => `${fault} ${right}/${n}`);
  out(`  by fault: ${faults.join(', ')}`);
  for (const [how, n] of [...acc.wrongKinds].sort((a, b) => b[1] - a[1]).slice(0, 12)) out(`    wrong ${n}: ${how}`);
  for (const example of acc.examples) out(`    e.g. ${example}`);
  progress(`${label}: reading the simulator's log`);
  const log = await sim.log();
  const att = await checkAttribution(run.outFile, log);
  out(`  attribution: ${att.checked} answers checked against the simulator's ${log.length} logged answers: ${att.misattributed} misattributed; shared near hops: ${att.sharedChecked} answers, ${att.sharedUnknown} not sent by that router at that TTL`);
  for (const example of att.examples) out(`    ${example}`);
}

/** The simulated Internet's address plan (--address-plan): aggregated as providers number, or the scattered worst case. */
let addressPlan: 'aggregated' | 'scattered' = 'aggregated';

async function withSim<T>(options: SimulatedInternetOptions, fn: (sim: SimulatedInternet) => Promise<T>): Promise<T> {
  const sim = await startSimulatedInternet({ ...options, internet: { ...options.internet, addressPlan } });
  try {
    return await fn(sim);
  } finally {
    await sim.stop();
  }
}

export async function measureBatch(settings: BatchBenchSettings): Promise<void> {
  const dir = settings.keepDir ?? mkdtempSync(join(tmpdir(), 'portpath-batch-bench-'));
  const parts = settings.parts;
  const base = { seed: settings.seed, targets: settings.targets, ipv6: true };
  out(`Batch on the simulated Internet: seed ${settings.seed}, ${settings.targets} targets (IPv4 and IPv6), ${addressPlan} addresses, portpath ${cli}`);
  try {
    if (parts.has('accuracy') || parts.has('throughput') || parts.has('share')) {
      await withSim({ ...base, internet: { rateLimit: null } }, async (sim) => {
        const file = join(dir, 'targets.txt');
        writeTargets(sim.truth.targets, file);
        out(`  simulator: ${sim.topology.nodes.length} nodes, started in ${sim.startMs.toFixed(0)} ms; truth: ${Object.entries(sim.truth.verdicts).map(([v, n]) => `${v} ${n}`).join(', ')}`);
        if (parts.has('accuracy')) {
          out();
          out(`Accuracy, routers' ICMP rate limits off (as the ground truth assumes):`);
          await accuracyPart('nolimits', sim, dir, file, settings);
        }
        if (parts.has('share')) {
          out();
          out(`Probes saved by the shared near hops (rate limits off, --rate ${settings.rate} --concurrency ${settings.concurrency}):`);
          const args = ['--rate', String(settings.rate), '--concurrency', String(settings.concurrency)];
          progress('share: default');
          const shared = await runBatch(sim, dir, 'shared', file, args, settings.timeoutSeconds);
          progress('share: --no-share-hops');
          const full = await runBatch(sim, dir, 'full', file, [...args, '--no-share-hops'], settings.timeoutSeconds);
          out(`  shared: ${describeRun(shared)}; summary: ${shared.summary?.probes} probes, ${shared.summary?.probesSaved} saved`);
          out(`  --no-share-hops: ${describeRun(full)}; summary: ${full.summary?.probes} probes`);
          out(`  probes on the wire: ${shared.wireProbes} vs ${full.wireProbes}: ${pct(full.wireProbes - shared.wireProbes, full.wireProbes)} fewer (target ≥ 30%)`);
          const [a, b] = await Promise.all([checkAccuracy(shared.outFile, sim.truth.targets), checkAccuracy(full.outFile, sim.truth.targets)]);
          out(`  right: shared ${pct(a.right, settings.targets)}, not shared ${pct(b.right, settings.targets)}`);
        }
        if (parts.has('throughput')) {
          out();
          out(`Throughput (rate limits off; the simulator logs every answer; load average before: ${loadAverage()}):`);
          for (const concurrency of settings.concurrencies) {
            for (const rate of settings.rates) {
              for (let i = 0; i < settings.repeat; i++) {
                progress(`throughput: --rate ${rate} --concurrency ${concurrency} (run ${i + 1})`);
                const run = await runBatch(sim, dir, `rate-${rate}-${concurrency}`, file, ['--rate', String(rate), '--concurrency', String(concurrency)], settings.timeoutSeconds);
                const acc = await checkAccuracy(run.outFile, sim.truth.targets);
                out(`  --rate ${rate} --concurrency ${concurrency}: ${describeRun(run)}; right ${pct(acc.right, settings.targets)}`);
              }
            }
          }
          if (settings.profileDir) {
            const rate = Math.max(...settings.rates);
            const concurrency = Math.max(...settings.concurrencies);
            progress(`profile: --rate ${rate} --concurrency ${concurrency}`);
            const run = await runBatch(sim, dir, 'profile', file, ['--rate', String(rate), '--concurrency', String(concurrency)], settings.timeoutSeconds, ['--cpu-prof', '--cpu-prof-dir', settings.profileDir]);
            out(`  profiled (--cpu-prof into ${settings.profileDir}): ${describeRun(run)}`);
          }
        }
      });
    }
    if (parts.has('limits')) {
      await withSim(base, async (sim) => {
        const file = join(dir, 'targets-limits.txt');
        writeTargets(sim.truth.targets, file);
        out();
        out(`Accuracy, Linux's ICMP rate limits on every router and host (burst 6, then 1/s per source):`);
        await accuracyPart('limits', sim, dir, file, settings);
      });
    }
    if (parts.has('memory') && settings.big > 0) {
      out();
      out(`Memory: peak RSS at --rate ${settings.bigRate} --concurrency ${settings.concurrency}, rate limits off, the simulator not logging`);
      for (const count of settings.targets === settings.big ? [settings.big] : [settings.targets, settings.big]) {
        await withSim({ ...base, targets: count, internet: { rateLimit: null }, log: false }, async (sim) => {
          const file = join(dir, `targets-${count}.txt`);
          writeTargets(sim.truth.targets, file);
          progress(`memory: ${count} targets`);
          const run = await runBatch(sim, dir, `memory-${count}`, file, ['--rate', String(settings.bigRate), '--concurrency', String(settings.concurrency)], settings.timeoutSeconds, settings.memoryNodeArgs);
          const acc = await checkAccuracy(run.outFile, sim.truth.targets);
          out(`  ${count} targets (simulator started in ${sim.startMs.toFixed(0)} ms${settings.memoryNodeArgs.length ? `; node ${settings.memoryNodeArgs.join(' ')}` : ''}): ${describeRun(run)}; right ${pct(acc.right, count)}`);
          rmSync(run.outFile, { force: true });
        });
      }
    }
    if (parts.has('scamper') && settings.scamper > 0) await scamperPart(settings, dir);
  } finally {
    if (settings.keepDir === null) rmSync(dir, { recursive: true, force: true });
  }
}

/** portpath's answers in one trace's JSON (shared near hops too: they are what it reports), for tallyHops. */
function portpathSeen(trace: JsonTrace): SeenAnswer[] {
  return trace.hops.flatMap((hop) =>
    [...hop.probes, ...(hop.reprobes ?? [])].flatMap((probe) => (probe.from !== null && probe.reply ? [{ ttl: hop.ttl, from: probe.from, timeExceeded: probe.reply.kind === 'time-exceeded', shared: hop.shared === true }] : [])),
  );
}

const ratio = (a: number, b: number): string => (b === 0 ? '-' : (a / b).toFixed(2));
const hopsLine = (t: HopTally): string => `${t.found} (${pct(t.found, t.expected)}), ${t.wrong} wrong${t.wrongShared ? ` (${t.wrongShared} of them shared near hops)` : ''}`;

/** Hops found by one portpath run (tallyHops over its JSON Lines). */
async function portpathHops(file: string, truth: TargetTruth[]): Promise<HopTally> {
  const tally = emptyTally();
  for await (const line of jsonLines(file)) if (line.line !== undefined && line.hops) tallyHops(truth[line.line - 1]!, portpathSeen(line as JsonTrace), tally);
  return tally;
}

/**
 * portpath batch (with its shared near hops, then without), then scamper, on the same targets of one simulated
 * Internet behind the veth front (routers' rate limits off, as the truth assumes), all capped at --rate probes a
 * second; side by side with portpath / scamper ratios. Shared hops are taken from other traces (batch-knowledge.ts),
 * so the run without them shows which of portpath's hop figures are its tracing's and which the sharing's.
 */
async function scamperPart(settings: BatchBenchSettings, dir: string): Promise<void> {
  out();
  const scamper = findCommand('scamper');
  if (!scamper) return out('Beside scamper: scamper is not installed (Debian: apt-get install scamper)');
  await withSim({ seed: settings.seed, targets: settings.scamper, ipv6: true, internet: { rateLimit: null }, front: 'veth' }, async (sim) => {
    const truth = sim.truth.targets;
    const file = join(dir, 'targets-scamper.txt');
    writeTargets(truth, file);
    // `scamper -v` prints its version on stderr and exits 255.
    const { stdout, stderr } = spawnSync(scamper, ['-v'], { encoding: 'utf8' });
    const version = `${stdout}${stderr}`.trim();
    out(`Beside scamper (${version}), on the veth front: ${truth.length} targets (TCP, UDP, ICMP, IPv4 and IPv6 as the truth has them), rate limits off, --rate ${settings.rate} / scamper -p ${settings.rate}:`);
    const args = ['--rate', String(settings.rate), '--concurrency', String(settings.concurrency)];
    progress(`scamper part: portpath batch, ${truth.length} targets`);
    const shared = await runBatch(sim, dir, 'beside-portpath', file, args, settings.timeoutSeconds);
    progress(`scamper part: portpath batch --no-share-hops`);
    const full = await runBatch(sim, dir, 'beside-portpath-full', file, [...args, '--no-share-hops'], settings.timeoutSeconds);
    progress(`scamper part: scamper, ${truth.length} targets`);
    const other = await runMeasured(sim, dir, 'beside-scamper', [scamper, ...scamperArgs(scamperCommands(truth), settings.rate)], settings.timeoutSeconds);
    out(`  portpath batch --concurrency ${settings.concurrency}: ${describeRun(shared)}`);
    out(`  portpath batch --concurrency ${settings.concurrency} --no-share-hops: ${describeRun(full)}`);
    out(`  scamper: ${describeRun(other)}`);

    const [ours, oursFull] = await Promise.all([portpathHops(shared.outFile, truth), portpathHops(full.outFile, truth)]);
    const theirs = emptyTally();
    const records = await readScamper(other.outFile);
    const stops = new Map<string, number>();
    truth.forEach((t, i) => {
      const record = records.get(i);
      if (record) tallyHops(t, record.seen, theirs);
      const key = `${t.verdict} → ${record?.stopReason ?? 'no record'}`;
      stops.set(key, (stops.get(key) ?? 0) + 1);
    });
    out(`  hops found (TTLs where the truth's path has an answerer: ${ours.expected}): portpath ${hopsLine(ours)}; --no-share-hops ${hopsLine(oursFull)}; scamper ${hopsLine(theirs)}`);
    const [acc, accFull] = await Promise.all([checkAccuracy(shared.outFile, truth), checkAccuracy(full.outFile, truth)]);
    out(`  port verdict and hop as the truth: portpath ${pct(acc.right, truth.length)}, --no-share-hops ${pct(accFull.right, truth.length)}; scamper gives none (${records.size} trace records)`);
    out(`  scamper's stop reasons, by the truth's verdict: ${[...stops].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ${n}`).join(', ')}`);
    for (const [label, run, tally] of [['portpath', shared, ours], ['--no-share-hops', full, oursFull]] as const) {
      out(`  ${label} / scamper: wall ${ratio(run.wallMs, other.wallMs)}, probes on the wire ${ratio(run.wireProbes, other.wireProbes)}, hops found ${ratio(tally.found, theirs.found)}, wrong hops ${tally.wrong} vs ${theirs.wrong}`);
    }
  });
}

export function settingsFromArgs(argv: string[]): BatchBenchSettings {
  const { values } = parseArgs({
    args: argv,
    options: {
      seed: { type: 'string', default: '22' },
      targets: { type: 'string', default: '10000' },
      rate: { type: 'string', default: '10000' },
      concurrency: { type: 'string', default: '1024' },
      rates: { type: 'string', default: '1000,5000,10000,20000' },
      concurrencies: { type: 'string', default: '256,1024' },
      big: { type: 'string', default: '100000' },
      'big-rate': { type: 'string', default: '20000' },
      scamper: { type: 'string', default: '1000' },
      only: { type: 'string', default: BATCH_PARTS.join(',') },
      repeat: { type: 'string', default: '1' },
      profile: { type: 'string' },
      timeout: { type: 'string', default: '1800' },
      keep: { type: 'string' },
      cli: { type: 'string' },
      'memory-node-args': { type: 'string', default: '' },
      'address-plan': { type: 'string', default: 'aggregated' },
    },
  });
  if (values.cli) cli = values.cli;
  if (values['address-plan'] !== 'aggregated' && values['address-plan'] !== 'scattered') throw new Error(`--address-plan takes aggregated or scattered; not ${values['address-plan']}`);
  addressPlan = values['address-plan'];
  const numbers = (text: string): number[] => text.split(',').map(Number);
  const parts = new Set(values.only.split(','));
  for (const part of parts) if (!(BATCH_PARTS as readonly string[]).includes(part)) throw new Error(`--only takes ${BATCH_PARTS.join(', ')}; not ${part}`);
  const settings: BatchBenchSettings = {
    seed: Number(values.seed),
    targets: Number(values.targets),
    rate: Number(values.rate),
    concurrency: Number(values.concurrency),
    rates: numbers(values.rates),
    concurrencies: numbers(values.concurrencies),
    big: Number(values.big),
    bigRate: Number(values['big-rate']),
    scamper: Number(values.scamper),
    parts,
    repeat: Number(values.repeat),
    profileDir: values.profile ?? null,
    timeoutSeconds: Number(values.timeout),
    keepDir: values.keep ?? null,
    memoryNodeArgs: values['memory-node-args'].split(/\s+/).filter(Boolean),
  };
  const all = [settings.seed, settings.targets, settings.rate, settings.concurrency, ...settings.rates, ...settings.concurrencies, settings.big, settings.bigRate, settings.scamper, settings.repeat, settings.timeoutSeconds];
  if (!all.every((n) => Number.isSafeInteger(n) && n >= 0)) throw new Error('every count, rate and seed must be a whole number ≥ 0');
  return settings;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  measureBatch(settingsFromArgs(process.argv.slice(2))).catch((error: unknown) => {
    process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
    process.exit(2);
  });
}
