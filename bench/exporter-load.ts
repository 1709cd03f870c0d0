// The exporter under load (issue 21), for `npm run bench` (--exporter-minutes N, default 10): the real CLI
// (`portpath exporter`) in the client namespace of a 3-router lab whose server answers on 200 addresses of its own
// (198.19.0.1-200 on its loopback, routed to it like the rest of the lab range), one TCP listener on port 443.
//   1. 200 watches (one per address, a round every 10 s) for N minutes, /metrics fetched every 15 s as Prometheus
//      would: the exporter's CPU as a share of one core (utime + stime from /proc), its RSS (flat: the second half's
//      peak no higher than the first half's, +10%), its open descriptors, each scrape's latency and size, and what
//      the watches say at the end (their rounds, verdicts, loss per hop and how many watches each hop answered).
//   2. A fresh exporter without watches: 50 /probe requests at once (50 of those addresses, allowlisted,
//      limits.concurrent_probes 50, min_interval 0s), each with X-Prometheus-Scrape-Timeout-Seconds: 10, then the
//      same 50 one by one, then at once again (warm). The overhead of an answer is its HTTP latency less the trace's
//      own probe_duration_seconds; the exporter's CPU per probe says how much of that is queueing behind the others.
//      Last, 50 at once to a port the server drops, with a 2 s scrape timeout: each trace must be cut off in time.
//   3. RLIMIT_NOFILE: the exporter is started with soft 1024 (systemd's default for services; hard 4096 here) and
//      the limit it runs with is read back; descriptors and sockets are counted against the idle exporter of (2).
// Every request is made from inside the client namespace by one long-lived Node helper (no process start per
// request), timed there from before the request to the last byte of the answer.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { ipBatch } from '../src/lab/lab-runtime.js';
import { buildChain } from '../src/lab/topology.js';
import type { Chain } from '../src/lab/topology.js';
import { findCommand, sleep } from './exec.js';
import { PORTPATH_CLI } from './peers.js';
import { cpuPercent, nofileLimit, openFiles, sample, TICKS_PER_SECOND } from './proc.js';
import type { OpenFiles, Sample } from './proc.js';
import { median } from './report.js';

const ROUTERS = 3;
const WATCHES = 200;
const PROBES = 50;
const PORT = 443;
const LISTEN = '127.0.0.1:9089';
const SCRAPE_EVERY_MS = 15_000;
const SAMPLE_EVERY_MS = 2000;
const SCRAPE_TIMEOUT_SECONDS = 10;
/** The port the server drops (filtered): a trace to it needs more than a short scrape timeout allows. */
const DROPPED_PORT = 444;
/** The scrape timeout of the batch to the dropped port: 1.5 s for the trace, which must be cut off in time. */
const SHORT_TIMEOUT_SECONDS = 2;
const INTERVAL_SECONDS = 10;
/** Between the concurrent and the sequential /probe runs: the routers' ICMP buckets (burst 6, 1/s) fill again. */
const COOLDOWN_MS = 7000;
/** systemd starts services with a soft limit of 1024; Node raises its soft limit to the hard one at start. */
const NOFILE = { soft: 1024, hard: 4096 };
const MODULE = `modules:
  tcp_443:
    method: tcp
    port: ${PORT}
`;

/** The i-th target address (0-based), on the server's loopback. */
const targetAddress = (i: number): string => `198.19.0.${i + 1}`;

interface Reply {
  status: number;
  ms: number;
  bytes: number;
  body: string;
}

/** The helper run inside the namespace: JSON lines in ({id, url, headers, body}), JSON lines out. */
const CLIENT = `
const http = require('node:http');
const out = (o) => process.stdout.write(JSON.stringify(o) + '\\n');
require('node:readline').createInterface({ input: process.stdin }).on('line', (line) => {
  const { id, url, headers, body } = JSON.parse(line);
  const started = performance.now();
  const chunks = [];
  let bytes = 0;
  const request = http.get(url, { headers, agent: false }, (res) => {
    res.on('data', (c) => { bytes += c.length; if (body) chunks.push(c); });
    res.on('end', () => out({ id, status: res.statusCode, ms: performance.now() - started, bytes, body: Buffer.concat(chunks).toString() }));
  });
  request.setTimeout(120000, () => request.destroy(new Error('timeout')));
  request.on('error', (e) => out({ id, status: 0, ms: performance.now() - started, bytes, body: String(e) }));
}).on('close', () => process.exit(0));
`;

/** HTTP GETs to the exporter from inside the client namespace. */
class NsClient {
  private next = 0;
  private readonly waiting = new Map<number, (reply: Reply) => void>();
  private readonly child: ChildProcess;

  constructor(chain: Chain) {
    this.child = chain.spawn(chain.client, process.execPath, ['-e', CLIENT]);
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      const { id, ...reply } = JSON.parse(line) as Reply & { id: number };
      this.waiting.get(id)?.(reply);
      this.waiting.delete(id);
    });
    this.child.once('exit', () => {
      for (const resolve of this.waiting.values()) resolve({ status: 0, ms: NaN, bytes: 0, body: 'the HTTP helper exited' });
      this.waiting.clear();
    });
  }

  get(path: string, { headers = {}, body = false }: { headers?: Record<string, string>; body?: boolean } = {}): Promise<Reply> {
    const id = this.next++;
    return new Promise((resolve) => {
      this.waiting.set(id, resolve);
      this.child.stdin!.write(`${JSON.stringify({ id, url: `http://${LISTEN}${path}`, headers, body })}\n`);
    });
  }

  close(): void {
    this.child.stdin?.end();
  }
}

/** A running `portpath exporter`; `ip netns exec` and prlimit exec in place, so the child's pid is the exporter's. */
class ExporterProcess {
  private output = '';
  private exited = false;

  private constructor(private readonly child: ChildProcess) {
    const keep = (chunk: Buffer) => (this.output = (this.output + chunk.toString()).slice(-4000));
    child.stdout?.on('data', keep);
    child.stderr?.on('data', keep);
    child.once('exit', () => (this.exited = true));
  }

  get pid(): number {
    return this.child.pid!;
  }

  static async start(chain: Chain, client: NsClient, config: string): Promise<ExporterProcess> {
    const args = [PORTPATH_CLI, 'exporter', '--config', config, '--web.listen-address', LISTEN, '--log.level', 'warn'];
    const prlimit = findCommand('prlimit');
    const child = prlimit ? chain.spawn(chain.client, prlimit, [`--nofile=${NOFILE.soft}:${NOFILE.hard}`, '--', process.execPath, ...args]) : chain.spawn(chain.client, process.execPath, args);
    child.stdin?.end();
    const exporter = new ExporterProcess(child);
    const deadline = performance.now() + 30_000;
    while ((await client.get('/-/ready')).status !== 200) {
      if (exporter.exited || performance.now() > deadline) {
        await exporter.stop();
        throw new Error(`the exporter did not get ready:\n${exporter.output}`);
      }
      await sleep(200);
    }
    return exporter;
  }

  async stop(): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.kill('SIGTERM');
    const kill = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await gone;
    clearTimeout(kill);
  }
}

/** One line of the text exposition format: name, labels, value. */
interface Series {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseExposition(text: string): Series[] {
  const series: Series[] = [];
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match) continue;
    const labels: Record<string, string> = {};
    for (const [, key, value] of (match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[key!] = value!;
    series.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  return series;
}

const valueOf = (series: Series[], name: string): number => series.find((s) => s.name === name)?.value ?? NaN;

export interface Point {
  atSeconds: number;
  rssMib: number;
  heapUsedMib: number;
  files: OpenFiles | null;
}

export interface HopLoss {
  hop: number;
  /** Mean portpath_hop_loss_ratio over the watches that have the hop. */
  meanLoss: number;
  /** Watches that flag the hop's loss as its ICMP rate limit. */
  icmpLimited: number;
  /** Watches the hop answered at least once. */
  heard: number;
  watches: number;
}

export interface WatchLoad {
  minutes: number;
  /** CPU share of one core: the first minute (the 200 first traces), minute 1 to the end, the last minute. */
  cpuFirstMinutePct: number;
  cpuSteadyPct: number;
  cpuLastMinutePct: number;
  atMinute: Point;
  atEnd: Point;
  peakFiles: number;
  /** RSS at the end of each minute, MiB. */
  rssByMinuteMib: number[];
  /** Highest RSS in the first and in the second half of the run, MiB: a leak makes the second higher. */
  rssPeakHalvesMib: [number, number];
  nofile: string;
  scrapes: { ms: number; bytes: number; status: number }[];
  series: number;
  watchesUp: number;
  rounds: number[];
  verdicts: Record<string, number>;
  portOpen: number;
  hops: HopLoss[];
  /** Watches reporting real loss at the end of the path (portpath_path_loss_ratio > 0). */
  pathLoss: number;
  changes: Record<string, number>;
}

export interface ProbeRun {
  status: number;
  ms: number;
  durationMs: number;
  interrupted: boolean;
  success: boolean;
}

/** 50 /probe requests, at once or one by one, and what they cost the exporter. */
export interface ProbeBatch {
  runs: ProbeRun[];
  wallMs: number;
  /** The exporter's CPU time over the batch, per request. */
  cpuMsPerProbe: number;
  peakFiles: number;
}

export interface ProbeLoad {
  /** At once, the first traces of a fresh process (code not yet optimised). */
  cold: ProbeBatch;
  sequential: ProbeBatch;
  /** At once again, after the 100 before. */
  warm: ProbeBatch;
  /** At once to the dropped port with a short scrape timeout: every trace needs its whole budget and is cut off. */
  cutOff: ProbeBatch;
  idle: { rssMib: number; files: OpenFiles | null };
  /** 50 GETs of /-/healthy at once: what 50 new connections through one client cost without any trace, ms. */
  healthyMs: number[];
}

export interface ExporterLoad {
  rateLimits: boolean;
  watches: WatchLoad;
  probes: ProbeLoad;
}

const peakRss = (samples: Sample[]): number => Math.max(...samples.map((s) => s.rssKib)) / 1024;

function point(atMs: number, start: number, s: Sample | undefined, heapUsedMib: number, files: OpenFiles | null): Point {
  return { atSeconds: (atMs - start) / 1000, rssMib: (s?.rssKib ?? NaN) / 1024, heapUsedMib, files };
}

function watchConfig(): string {
  const watches = Array.from({ length: WATCHES }, (_, i) => `  - target: ${targetAddress(i)}:${PORT}\n    module: tcp_443\n    interval: ${INTERVAL_SECONDS}s\n`);
  return `${MODULE}watches:\n${watches.join('')}`;
}

/** What the watches say in a /metrics answer. */
function watchFindings(series: Series[]): Pick<WatchLoad, 'watchesUp' | 'rounds' | 'verdicts' | 'portOpen' | 'hops' | 'pathLoss' | 'changes'> {
  const named = (name: string) => series.filter((s) => s.name === name);
  const verdicts: Record<string, number> = {};
  for (const s of named('portpath_verdict')) if (s.value === 1) verdicts[s.labels.verdict!] = (verdicts[s.labels.verdict!] ?? 0) + 1;
  const changes: Record<string, number> = {};
  for (const s of named('portpath_watch_changes_total')) changes[s.labels.type!] = (changes[s.labels.type!] ?? 0) + s.value;
  const hops = new Map<number, HopLoss>();
  for (const s of named('portpath_hop_loss_ratio')) {
    const hop = Number(s.labels.hop);
    const h = hops.get(hop) ?? { hop, meanLoss: 0, icmpLimited: 0, heard: 0, watches: 0 };
    h.meanLoss += s.value;
    h.watches++;
    hops.set(hop, h);
  }
  for (const s of named('portpath_hop_icmp_limited')) if (s.value === 1) hops.get(Number(s.labels.hop))!.icmpLimited++;
  for (const s of named('portpath_hop_received_total')) if (s.value > 0 && hops.has(Number(s.labels.hop))) hops.get(Number(s.labels.hop))!.heard++;
  for (const h of hops.values()) h.meanLoss /= h.watches;
  return {
    watchesUp: named('portpath_watch_up').reduce((n, s) => n + s.value, 0),
    rounds: named('portpath_watch_rounds_total').map((s) => s.value).sort((a, b) => a - b),
    verdicts,
    portOpen: named('portpath_port_state').filter((s) => s.labels.state === 'open' && s.value === 1).length,
    hops: [...hops.values()].sort((a, b) => a.hop - b.hop),
    pathLoss: named('portpath_path_loss_ratio').filter((s) => s.value > 0).length,
    changes,
  };
}

async function measureWatches(chain: Chain, client: NsClient, dir: string, minutes: number): Promise<WatchLoad> {
  const exporter = await ExporterProcess.start(chain, client, writeConfig(dir, 'watches.yml', watchConfig()));
  try {
    const pid = exporter.pid;
    const start = performance.now();
    const end = start + minutes * 60_000;
    const samples: Sample[] = [];
    let peakFiles = 0;
    let minuteFiles: OpenFiles | null = null;
    const sampling = (async () => {
      while (performance.now() < end) {
        const s = sample(pid);
        const files = openFiles(pid);
        if (s) samples.push(s);
        if (files) peakFiles = Math.max(peakFiles, files.total);
        if (!minuteFiles && performance.now() - start >= 60_000) minuteFiles = files;
        await sleep(SAMPLE_EVERY_MS);
      }
    })();
    const scrapes: WatchLoad['scrapes'] = [];
    let minuteBody: string | null = null;
    let lastBody = '';
    for (let at = start + SCRAPE_EVERY_MS; at <= end; at += SCRAPE_EVERY_MS) {
      await sleep(Math.max(0, at - performance.now()));
      const reply = await client.get('/metrics', { body: true });
      scrapes.push({ ms: reply.ms, bytes: reply.bytes, status: reply.status });
      if (reply.status !== 200) continue;
      if (minuteBody === null && at - start >= 60_000) minuteBody = reply.body;
      lastBody = reply.body;
    }
    await sampling;
    const endFiles = openFiles(pid);
    const last = sample(pid) ?? samples.at(-1);
    const minute = samples.find((s) => s.atMs - start >= 60_000) ?? samples[0];
    const lastMinute = samples.find((s) => s.atMs >= (last?.atMs ?? end) - 60_000);
    const final = parseExposition(lastBody);
    const heap = (body: string | null) => valueOf(parseExposition(body ?? ''), 'nodejs_heap_size_used_bytes') / 2 ** 20;
    return {
      minutes,
      cpuFirstMinutePct: cpuPercent(samples[0], minute),
      cpuSteadyPct: cpuPercent(minute, last),
      cpuLastMinutePct: cpuPercent(lastMinute, last),
      atMinute: point(minute?.atMs ?? start, start, minute, heap(minuteBody), minuteFiles),
      atEnd: point(last?.atMs ?? end, start, last, heap(lastBody), endFiles),
      peakFiles,
      rssPeakHalvesMib: [peakRss(samples.filter((s) => s.atMs - start < (end - start) / 2)), peakRss(samples.filter((s) => s.atMs - start >= (end - start) / 2))],
      rssByMinuteMib: Array.from({ length: minutes }, (_, m) => (samples.filter((s) => s.atMs - start <= (m + 1) * 60_000).at(-1)?.rssKib ?? NaN) / 1024),
      nofile: nofileLimit(pid),
      scrapes,
      series: final.length,
      ...watchFindings(final),
    };
  } finally {
    await exporter.stop();
  }
}

function probeRun(reply: Reply): ProbeRun {
  const series = parseExposition(reply.body);
  return {
    status: reply.status,
    ms: reply.ms,
    durationMs: valueOf(series, 'probe_duration_seconds') * 1000,
    interrupted: valueOf(series, 'portpath_trace_interrupted') === 1,
    success: valueOf(series, 'probe_success') === 1,
  };
}

/** Runs a batch of requests, sampling the exporter's descriptors every 100 ms and its CPU time around it. */
async function batch(pid: number, requests: () => Promise<Reply[]>): Promise<ProbeBatch> {
  let peakFiles = 0;
  let busy = true;
  const sampling = (async () => {
    while (busy) {
      peakFiles = Math.max(peakFiles, openFiles(pid)?.total ?? 0);
      await sleep(100);
    }
  })();
  const before = sample(pid);
  const runs = (await requests()).map(probeRun);
  const after = sample(pid);
  busy = false;
  await sampling;
  const cpuMs = before && after ? ((after.cpuTicks - before.cpuTicks) / TICKS_PER_SECOND) * 1000 : NaN;
  return { runs, wallMs: (after?.atMs ?? NaN) - (before?.atMs ?? NaN), cpuMsPerProbe: cpuMs / runs.length, peakFiles };
}

async function measureProbes(chain: Chain, client: NsClient, dir: string): Promise<ProbeLoad> {
  const config = `${MODULE}allow:\n  targets: [198.19.0.0/24]\n  ports: [${PORT}, ${DROPPED_PORT}]\nlimits:\n  concurrent_probes: ${PROBES}\n  min_interval: 0s\n`;
  const exporter = await ExporterProcess.start(chain, client, writeConfig(dir, 'probes.yml', config));
  try {
    await sleep(2000);
    const idle = { rssMib: (sample(exporter.pid)?.rssKib ?? NaN) / 1024, files: openFiles(exporter.pid) };
    const healthyMs = (await Promise.all(Array.from({ length: PROBES }, () => client.get('/-/healthy')))).map((r) => r.ms);
    const probe = (i: number, port = PORT, timeout = SCRAPE_TIMEOUT_SECONDS) => client.get(`/probe?module=tcp_443&target=${targetAddress(i)}:${port}`, { headers: { 'X-Prometheus-Scrape-Timeout-Seconds': String(timeout) }, body: true });
    const atOnce = () => Promise.all(Array.from({ length: PROBES }, (_, i) => probe(i)));
    const cold = await batch(exporter.pid, atOnce);
    await sleep(COOLDOWN_MS);
    const sequential = await batch(exporter.pid, async () => {
      const replies: Reply[] = [];
      for (let i = 0; i < PROBES; i++) replies.push(await probe(i));
      return replies;
    });
    await sleep(COOLDOWN_MS);
    const warm = await batch(exporter.pid, atOnce);
    await sleep(COOLDOWN_MS);
    const cutOff = await batch(exporter.pid, () => Promise.all(Array.from({ length: PROBES }, (_, i) => probe(i, DROPPED_PORT, SHORT_TIMEOUT_SECONDS))));
    return { cold, sequential, warm, cutOff, idle, healthyMs };
  } finally {
    await exporter.stop();
  }
}

function writeConfig(dir: string, name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** Both measurements on a lab of their own, with the routers' ICMP rate limits at Linux's defaults or off. */
export async function measureExporterLoad(minutes: number, rateLimits: boolean): Promise<ExporterLoad> {
  const chain = await buildChain({ routers: ROUTERS, ipv6: false, icmpRateLimit: rateLimits });
  const dir = mkdtempSync(join(tmpdir(), 'portpath-exporter-load-'));
  let client: NsClient | null = null;
  try {
    await chain.startServices({ tcp: [PORT] });
    // The server's 200 addresses: inside the lab range, so every router already routes them toward the server.
    ipBatch(chain.server, Array.from({ length: WATCHES }, (_, i) => `addr add ${targetAddress(i)}/32 dev lo`));
    chain.exec(chain.server, 'iptables', ['-I', 'INPUT', '-p', 'tcp', '--dport', String(DROPPED_PORT), '-j', 'DROP']);
    client = new NsClient(chain);
    const watches = await measureWatches(chain, client, dir, minutes);
    const probes = await measureProbes(chain, client, dir);
    return { rateLimits, watches, probes };
  } finally {
    client?.close();
    rmSync(dir, { recursive: true, force: true });
    await chain.destroy();
  }
}

const mib = (n: number) => n.toFixed(1);
const pct = (n: number) => n.toFixed(1);

function overheads({ runs, wallMs, cpuMsPerProbe, peakFiles }: ProbeBatch, timeoutSeconds = SCRAPE_TIMEOUT_SECONDS): string {
  const answered = runs.filter((r) => r.status === 200 && Number.isFinite(r.durationMs));
  if (answered.length === 0) return 'no answer to measure';
  const over = answered.map((r) => r.ms - r.durationMs);
  const within = runs.filter((r) => r.status === 200 && r.ms <= timeoutSeconds * 1000).length;
  const maxOver = Math.max(...over);
  return `${within}/${runs.length} answered 200 within ${timeoutSeconds} s (max ${(Math.max(...runs.map((r) => r.ms)) / 1000).toFixed(2)} s); overhead (HTTP answer − probe_duration_seconds) median ${median(over).toFixed(1)} ms, max ${maxOver.toFixed(1)} ms (${maxOver <= 50 ? 'PASS' : 'FAIL'} ≤ 50 ms); trace median ${(median(answered.map((r) => r.durationMs)) / 1000).toFixed(2)} s, max ${(Math.max(...answered.map((r) => r.durationMs)) / 1000).toFixed(2)} s; interrupted ${runs.filter((r) => r.interrupted).length}, probe_success 1: ${runs.filter((r) => r.success).length}; all in ${(wallMs / 1000).toFixed(2)} s; exporter CPU ${cpuMsPerProbe.toFixed(1)} ms per probe; peak fds ${peakFiles}`;
}

const files = (f: OpenFiles | null) => (f ? `${f.total} (${f.sockets} sockets)` : '?');

export function describeExporterLoad({ rateLimits, watches: w, probes: p }: ExporterLoad): string[] {
  const ok = w.scrapes.filter((s) => s.status === 200);
  const [firstHalf, secondHalf] = w.rssPeakHalvesMib;
  const flat = secondHalf <= firstHalf * 1.1;
  const socketsPerWatch = w.atEnd.files && p.idle.files ? (w.atEnd.files.sockets - p.idle.files.sockets) / WATCHES : NaN;
  const hops = w.hops.map((h) => `${h.hop}: ${pct(h.meanLoss * 100)}% (${h.heard}/${h.watches} watches heard it, ${h.icmpLimited} flag it icmp-limited)`).join('; ');
  const list = (record: Record<string, number>) => Object.entries(record).map(([k, n]) => `${k} ${n}`).join(', ') || 'none';
  return [
    `ICMP rate limits on the routers: ${rateLimits ? "Linux's defaults (1/s per destination, burst 6)" : 'off'}`,
    `  ${WATCHES} watches, a round every ${INTERVAL_SECONDS} s, /metrics every ${SCRAPE_EVERY_MS / 1000} s, ${w.minutes} min:`,
    `    CPU % of one core: first minute ${pct(w.cpuFirstMinutePct)} (the ${WATCHES} first traces), minute 1 to ${w.minutes} ${pct(w.cpuSteadyPct)}, last minute ${pct(w.cpuLastMinutePct)} (${w.cpuSteadyPct < 10 ? 'PASS' : 'FAIL'} < 10%); ${(((w.cpuSteadyPct / 100) * INTERVAL_SECONDS * 1000) / WATCHES).toFixed(2)} ms of CPU per watch round, scrapes included`,
    `    RSS at ${w.atMinute.atSeconds.toFixed(0)} s ${mib(w.atMinute.rssMib)} MiB, at ${w.atEnd.atSeconds.toFixed(0)} s ${mib(w.atEnd.rssMib)} MiB (${flat ? 'PASS' : 'FAIL'} flat: peak of the second half ${mib(secondHalf)} ≤ first half's ${mib(firstHalf)} + 10%); heap used ${mib(w.atMinute.heapUsedMib)} → ${mib(w.atEnd.heapUsedMib)} MiB; idle exporter ${mib(p.idle.rssMib)} MiB; by minute: ${w.rssByMinuteMib.map((r) => r.toFixed(0)).join(' ')}`,
    `    /metrics: ${ok.length}/${w.scrapes.length} scrapes 200; latency median ${median(ok.map((s) => s.ms)).toFixed(0)} ms, max ${Math.max(...ok.map((s) => s.ms)).toFixed(0)} ms; ${(median(ok.map((s) => s.bytes)) / 1024).toFixed(0)} KiB, ${w.series} series`,
    `    open fds: at 1 min ${files(w.atMinute.files)}, at the end ${files(w.atEnd.files)}, peak ${w.peakFiles}; idle exporter ${files(p.idle.files)} → ${socketsPerWatch.toFixed(2)} sockets per watch; RLIMIT_NOFILE started ${NOFILE.soft}:${NOFILE.hard}, runs with ${w.nofile}`,
    `    watches up ${w.watchesUp}/${WATCHES}; rounds per watch min ${w.rounds[0] ?? '?'}, median ${w.rounds.length ? median(w.rounds) : '?'}, max ${w.rounds.at(-1) ?? '?'}; verdicts: ${list(w.verdicts)}; port open in ${w.portOpen}`,
    `    loss per hop (mean over the watches): ${hops}; real path loss reported by ${w.pathLoss} watches; changes: ${list(w.changes)}`,
    `  /probe on a fresh exporter without watches (scrape timeout ${SCRAPE_TIMEOUT_SECONDS} s); for scale, ${PROBES} GET /-/healthy at once take median ${median(p.healthyMs).toFixed(1)} ms, max ${Math.max(...p.healthyMs).toFixed(1)} ms:`,
    `    ${PROBES} at once, the process's first: ${overheads(p.cold)}`,
    `    the same ${PROBES} one by one: ${overheads(p.sequential)}`,
    `    the same ${PROBES} at once again: ${overheads(p.warm)}`,
    `    ${PROBES} at once to port ${DROPPED_PORT}, which the server drops, scrape timeout ${SHORT_TIMEOUT_SECONDS} s (each trace needs more than its ${SHORT_TIMEOUT_SECONDS - 0.5} s): ${overheads(p.cutOff, SHORT_TIMEOUT_SECONDS)}`,
  ];
}
