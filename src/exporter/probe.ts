// /probe?target=HOST:PORT&module=NAME: one trace (or one multipath run) per scrape, blackbox_exporter's
// multi-target pattern. The answer carries that run's series only, in a registry of its own. Within the scrape
// timeout Prometheus sends; past the allowlist, the concurrency cap and the per-target minimum interval nothing runs.
import { Gauge, Registry } from 'prom-client';
import { paths, trace } from '../trace/api.js';
import type { PathsReport } from '../trace/paths.js';
import { resolveHost } from '../trace/resolve.js';
import type { TraceReport } from '../trace/trace.js';
import { LruMap } from '../trace/lru-map.js';
import { addressFamily } from '../packet/address.js';
import { PortpathError } from '../transport/errors.js';
import { allowsAddress, allowsName, allowsPort, watchTargetsOnly } from './allowlist.js';
import { runOptionsOf } from './config.js';
import type { ExporterConfig, Module } from './config.js';
import { addPaths, PathMetrics } from './metrics.js';
import type { PathEndName } from './metrics.js';
import { parseTarget, targetLabel } from './target.js';
import type { ProbeTarget } from './target.js';
import { viewOfTrace } from './views.js';

export type ProbeOutcome = 'done' | 'cached' | 'refused' | 'busy' | 'bad_request';

export interface ProbeAnswer {
  status: number;
  body: string;
  contentType: string;
  outcome: ProbeOutcome;
  module: string;
}

/** What Prometheus did not say: the longest a /probe may take without a scrape-timeout header (as blackbox). */
const DEFAULT_TIMEOUT_MS = 120_000;
/** Kept for answering after the run ends (blackbox's timeout_offset). */
const TIMEOUT_OFFSET_MS = 500;
const MIN_RUN_MS = 1000;
/** Targets remembered for the minimum interval at most; an attacker cycling targets cannot grow this. */
const RECENT_CAPACITY = 10_000;

interface Run {
  /** When the run ended (performance.now()); null while it goes on. */
  endedAt: number | null;
  result: Promise<{ metrics: string; log: string[]; json: string | null }>;
}

const text = (status: number, body: string, outcome: ProbeOutcome, module = ''): ProbeAnswer => ({ status, body: `${body}\n`, contentType: 'text/plain; charset=utf-8', outcome, module });

export class Prober {
  private inFlight = 0;
  private readonly recent = new LruMap<string, Run>(RECENT_CAPACITY);

  constructor(
    private config: ExporterConfig,
    private readonly stopping: AbortSignal,
  ) {}

  get running(): number {
    return this.inFlight;
  }

  reconfigure(config: ExporterConfig): void {
    this.config = config;
  }

  async handle(query: URLSearchParams, scrapeTimeout: string | undefined): Promise<ProbeAnswer> {
    const moduleName = query.get('module') ?? (this.config.modules.size === 1 ? [...this.config.modules.keys()][0]! : null);
    if (moduleName === null) return text(400, "The module parameter is missing (/probe?target=HOST:PORT&module=NAME).", 'bad_request');
    const module = this.config.modules.get(moduleName);
    if (!module) return text(400, `Unknown module '${clip(moduleName)}'.`, 'bad_request');
    const targetText = query.get('target');
    if (!targetText) return text(400, 'The target parameter is missing (/probe?target=HOST:PORT&module=NAME).', 'bad_request', moduleName);
    const target = parseTarget(targetText, module);
    if (typeof target === 'string') return text(400, `Bad target: ${clip(target)}.`, 'bad_request', moduleName);
    const timeout = timeoutOf(scrapeTimeout);
    if (timeout === null) return text(400, 'The X-Prometheus-Scrape-Timeout-Seconds header is not a number of seconds.', 'bad_request', moduleName);

    const key = `${moduleName}|${targetLabel(target)}`;
    const previous = this.recent.peek(key);
    let outcome: ProbeOutcome = 'cached';
    // A run in flight is shared; a finished one is served again until min_interval has passed since it ended.
    let run = previous && (previous.endedAt === null || performance.now() - previous.endedAt < this.config.minIntervalMs) ? previous : null;
    if (!run) {
      if (this.inFlight >= this.config.concurrentProbes) return text(503, `Busy: ${this.inFlight} probes are running, the most the config allows (limits.concurrent_probes).`, 'busy', moduleName);
      const admitted = await this.admit(target);
      if (typeof admitted === 'string') return text(403, `Not allowed: ${admitted}`, 'refused', moduleName);
      const fresh: Run = { endedAt: null, result: this.run(module, target, admitted.host, timeout) };
      void fresh.result.finally(() => (fresh.endedAt = performance.now()));
      run = fresh;
      this.recent.set(key, run);
      outcome = 'done';
    }
    const result = await run.result;
    if (query.get('debug') === 'true') {
      const body = [`Logs for the probe of ${targetLabel(target)} with module ${moduleName}:`, ...result.log, '', 'Metrics that would have been returned:', result.metrics, 'Result:', result.json ?? '(none)'].join('\n');
      return text(200, body, outcome, moduleName);
    }
    return { status: 200, body: result.metrics, contentType: new Registry().contentType, outcome, module: moduleName };
  }

  /**
   * What to probe (the host, or the address a name was allowed by), or why not: the config's allow section (or,
   * without one, the watches' targets) decides.
   */
  private async admit(target: ProbeTarget): Promise<{ host: string } | string> {
    const rules = this.config.allow;
    // The watches' own targets are always allowed: the exporter probes them anyway.
    if (watchTargetsOnly(this.config.watches.map((w) => w.target))(target)) return { host: target.host };
    if (rules === null) return "the config has no allow section, so /probe may aim only at the watches' targets.";
    if (!allowsPort(rules, target.port)) return `port ${target.port} is not in allow.ports.`;
    if (allowsName(rules, target.host)) return { host: target.host };
    if (addressFamily(target.host) !== null) return allowsAddress(rules, target.host) ? { host: target.host } : `${target.host} is in none of allow.targets.`;
    try {
      // The run is given the address this check saw: resolving the name again could land outside the prefixes.
      const { address } = await resolveHost(target.host, null);
      return allowsAddress(rules, address) ? { host: address } : `${target.host} resolves to ${address}, which is in none of allow.targets.`;
    } catch {
      return `${target.host} is not in allow.targets and does not resolve.`;
    }
  }

  private async run(module: Module, target: ProbeTarget, host: string, timeoutMs: number): Promise<{ metrics: string; log: string[]; json: string | null }> {
    this.inFlight++;
    const started = performance.now();
    const log: string[] = [`module: method=${module.protocol} port=${target.port ?? '-'} paths=${module.paths} timeout=${(timeoutMs / 1000).toFixed(1)}s`];
    const registry = new Registry();
    const metrics = new PathMetrics(registry, [], this.config.responderInfo);
    const success = new Gauge({ name: 'probe_success', help: 'Whether the probe succeeded: the verdict is one the module expects.', registers: [registry] });
    const duration = new Gauge({ name: 'probe_duration_seconds', help: 'How long the probe took.', registers: [registry] });
    // A timer of our own, not AbortSignal.timeout(): Node 20 holds a timeout signal inside AbortSignal.any() only
    // weakly, so a garbage collection before it fires lost the cut-off and the trace overran the scrape timeout
    // (nodejs/node#57736; 42 of 50 traces at once did in the lab).
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(new DOMException('The scrape timeout ran out.', 'TimeoutError')), timeoutMs);
    const signal = AbortSignal.any([this.stopping, deadline.signal]);
    const { probesPerHop, control, followUp, lossTest, ...common } = runOptionsOf(module, target);
    const options = { ...common, signal };
    let json: string | null = null;
    try {
      if (module.paths) {
        const report = await paths(host, { ...options, confidence: module.confidence });
        json = JSON.stringify(report, null, 2);
        this.pathsMetrics(metrics, report, module, log);
        success.set(report.paths.length > 0 && report.paths.every((p) => expects(module, p.end.kind === 'destination' ? p.end.state : p.end.kind)) ? 1 : 0);
      } else {
        const report = await trace(host, { ...options, probesPerHop, control, followUp, lossTest });
        json = JSON.stringify(report, null, 2);
        this.traceMetrics(metrics, report, log);
        success.set(module.expect.includes(report.diagnosis.verdict) ? 1 : 0);
      }
    } catch (error) {
      // A name that does not resolve, a source that cannot be used: this target's probe fails, nothing else does.
      log.push(`error: ${error instanceof PortpathError ? error.message : `unexpected: ${(error as Error).message}`}`);
      success.set(0);
    } finally {
      clearTimeout(timer);
      this.inFlight--;
    }
    const seconds = (performance.now() - started) / 1000;
    duration.set(seconds);
    log.push(`done in ${seconds.toFixed(2)}s`);
    return { metrics: await registry.metrics(), log, json };
  }

  private traceMetrics(metrics: PathMetrics, report: TraceReport, log: string[]): void {
    metrics.add(viewOfTrace(report));
    metrics.gauge('portpath_trace_interrupted', 'Whether the scrape timeout cut the trace short.').set(report.interrupted ? 1 : 0);
    const sent = report.hops.reduce((n, h) => n + h.probes.length + (h.reprobes?.length ?? 0), 0);
    metrics.gauge('portpath_probe_packets_sent', 'Probes the run sent (the main trace).').set(sent);
    log.push(`target ${report.target.host} (${report.target.address}), ${report.hops.length} hops, port ${report.destination.state ?? 'unknown'}`, `verdict: ${report.diagnosis.verdict}: ${report.diagnosis.explanation}`);
    if (report.interrupted) log.push('the scrape timeout cut the trace short');
  }

  private pathsMetrics(metrics: PathMetrics, report: PathsReport, module: Module, log: string[]): void {
    addPaths(metrics, report, (end) => expects(module, end));
    metrics.gauge('portpath_trace_interrupted', 'Whether the scrape timeout cut the trace short.').set(report.interrupted ? 1 : 0);
    metrics.gauge('portpath_probe_packets_sent', 'Probes the run sent.').set(report.probes);
    log.push(`target ${report.target.host} (${report.target.address}), ${report.paths.length} paths, ${report.probes} probes`, `summary: ${report.summary}`);
  }
}

/** A path's end counts as expected when the module expects the verdict of the same name (open, closed, reachable). */
function expects(module: Module, end: PathEndName | string): boolean {
  return (module.expect as string[]).includes(end);
}

/** The run's time: Prometheus's scrape timeout less what answering needs; null when the header is garbage. */
function timeoutOf(header: string | undefined): number | null {
  if (header === undefined) return DEFAULT_TIMEOUT_MS;
  const seconds = Number(header);
  if (!Number.isFinite(seconds) || seconds <= 0) return null;
  return Math.max(MIN_RUN_MS, Math.min(DEFAULT_TIMEOUT_MS, seconds * 1000 - TIMEOUT_OFFSET_MS));
}

/** Query text echoed in an error is cut short and kept to printable ASCII: it is a stranger's. */
function clip(value: string): string {
  const printable = value.replace(/[^\x20-\x7e]/g, '?');
  return printable.length > 80 ? `${printable.slice(0, 80)}…` : printable;
}
