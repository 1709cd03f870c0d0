// The one owner of an exporter process's work: the config and web config, the watches, the prober, the HTTP
// listeners and the exporter's own metrics. It reloads on request (the CLI maps SIGHUP to reload()) and stops
// cleanly (SIGTERM: probes in flight end with what they have, the watches stop, the listeners close).
import { collectDefaultMetrics, Counter, Gauge, Registry } from 'prom-client';
import { PortpathError } from '../transport/errors.js';
import { packageVersion } from '../trace/target-text.js';
import { loadConfig } from './config.js';
import type { ExporterConfig } from './config.js';
import { HttpFront, parseListenAddress } from './http.js';
import type { Answer, Route } from './http.js';
import type { Logger } from './log.js';
import { Prober } from './probe.js';
import type { ProbeOutcome } from './probe.js';
import { WatchSet } from './watches.js';
import { loadWebConfig, NO_WEB_CONFIG } from './web-config.js';
import type { WebConfig } from './web-config.js';

export interface ExporterOptions {
  configFile: string;
  webConfigFile: string | null;
  /** Listen addresses (":9089", "127.0.0.1:9089", "[::1]:9089"). */
  listen: readonly string[];
  log: Logger;
}

export const DEFAULT_LISTEN = ':9089';
/** How long answers in progress may go on once the exporter stops. */
const STOP_GRACE_MS = 5000;

const OUTCOMES: readonly ProbeOutcome[] = ['done', 'cached', 'refused', 'busy', 'bad_request'];

export class Exporter {
  private readonly self = new Registry();
  private readonly stopping = new AbortController();
  private readonly requests: Counter;
  private readonly reloadOk: Gauge;
  private readonly reloadAt: Gauge;
  private readonly watches: WatchSet;
  private readonly prober: Prober;
  private readonly front: HttpFront;
  private reloading: Promise<boolean> | null = null;
  /** Where it listens, as bound. */
  readonly addresses: string[] = [];

  private constructor(
    private config: ExporterConfig,
    web: WebConfig,
    private readonly options: ExporterOptions,
  ) {
    const log = options.log;
    collectDefaultMetrics({ register: this.self });
    // prom-client counts active handles in gauges named *_total, which Prometheus's conventions (and promtool
    // check metrics) keep for counters: leave those three out rather than serve names the linter rejects.
    for (const metric of this.self.getMetricsAsArray()) if (metric.name.endsWith('_total') && metric instanceof Gauge) this.self.removeSingleMetric(metric.name);
    new Gauge({ name: 'portpath_exporter_build_info', help: 'The exporter\'s version and the Node.js it runs on; always 1.', labelNames: ['version', 'nodejs'], registers: [this.self] }).set({ version: packageVersion(), nodejs: process.version }, 1);
    this.reloadOk = new Gauge({ name: 'portpath_exporter_config_last_reload_successful', help: 'Whether the last config reload worked (0: the previous config still runs).', registers: [this.self] });
    this.reloadAt = new Gauge({ name: 'portpath_exporter_config_last_reload_success_timestamp_seconds', help: 'When the config was last loaded, in seconds since the epoch.', registers: [this.self] });
    this.reloadOk.set(1);
    this.reloadAt.setToCurrentTime();
    this.requests = new Counter({ name: 'portpath_exporter_probe_requests_total', help: '/probe requests by module and outcome: done, cached (within limits.min_interval), refused, busy, bad_request.', labelNames: ['module', 'outcome'], registers: [this.self] });
    const prober = (this.prober = new Prober(config, this.stopping.signal));
    new Gauge({ name: 'portpath_exporter_probes_in_flight', help: '/probe runs going on now.', registers: [this.self], collect() { this.set(prober.running); } });
    const watches = (this.watches = new WatchSet(log));
    new Gauge({ name: 'portpath_exporter_watches', help: 'Watches the config runs.', registers: [this.self], collect() { this.set(watches.size); } });
    this.touchModules();
    this.front = new HttpFront(web, this.routes(), (message) => log.error(message));
  }

  static async start(options: ExporterOptions): Promise<Exporter> {
    const config = await loadConfig(options.configFile);
    const web = options.webConfigFile ? await loadWebConfig(options.webConfigFile) : NO_WEB_CONFIG;
    const exporter = new Exporter(config, web, options);
    try {
      for (const text of options.listen.length > 0 ? options.listen : [DEFAULT_LISTEN]) exporter.addresses.push(await exporter.front.listen(parseListenAddress(text)));
    } catch (error) {
      await exporter.front.close(0);
      throw error;
    }
    await exporter.watches.apply(config.watches);
    options.log.info('portpath exporter started', { listen: exporter.addresses.join(','), config: options.configFile, modules: config.modules.size, watches: config.watches.length, tls: web.tls !== null, auth: web.users.size > 0 });
    return exporter;
  }

  /** Reads both config files again; a bad one is refused (logged, counted) and the running config stays. */
  reload(): Promise<boolean> {
    this.reloading ??= this.reloadNow().finally(() => (this.reloading = null));
    return this.reloading;
  }

  private async reloadNow(): Promise<boolean> {
    const log = this.options.log;
    try {
      const config = await loadConfig(this.options.configFile);
      const web = this.options.webConfigFile ? await loadWebConfig(this.options.webConfigFile) : NO_WEB_CONFIG;
      this.front.reconfigure(web);
      this.config = config;
      this.prober.reconfigure(config);
      this.touchModules();
      await this.watches.apply(config.watches);
      this.reloadOk.set(1);
      this.reloadAt.setToCurrentTime();
      log.info('config reloaded', { modules: config.modules.size, watches: config.watches.length });
      return true;
    } catch (error) {
      this.reloadOk.set(0);
      log.error('config reload refused; the previous config still runs', { reason: error instanceof PortpathError ? error.message : (error as Error).message });
      return false;
    }
  }

  /** Ends the probes in flight (each answers with what it had), stops the watches, closes the listeners. */
  async stop(): Promise<void> {
    if (this.stopping.signal.aborted) return;
    this.stopping.abort();
    await Promise.all([this.watches.stopAll(), this.front.close(STOP_GRACE_MS)]);
    this.options.log.info('portpath exporter stopped');
  }

  /** Every module's request counts exist from the start, so rate() over them sees the first request. */
  private touchModules(): void {
    for (const name of this.config.modules.keys()) for (const outcome of OUTCOMES) this.requests.inc({ module: name, outcome }, 0);
  }

  private routes(): Map<string, Route> {
    const get = ['GET', 'HEAD'];
    const ok = (body: string): Answer => ({ status: 200, body: `${body}\n` });
    return new Map<string, Route>([
      ['/', { methods: get, handle: () => ({ status: 200, contentType: 'text/html; charset=utf-8', body: LANDING }) }],
      ['/-/healthy', { methods: get, handle: () => ok('Healthy') }],
      ['/-/ready', { methods: get, handle: () => (this.stopping.signal.aborted ? { status: 503, body: 'Stopping\n' } : ok('Ready')) }],
      ['/-/reload', { methods: ['POST', 'PUT'], handle: async () => ((await this.reload()) ? ok('Reloaded') : { status: 500, body: 'The config was refused; the previous one still runs (see the log).\n' }) }],
      ['/metrics', { methods: get, handle: () => this.metrics() }],
      ['/probe', { methods: get, handle: (req, url) => this.probe(url.searchParams, req.headers['x-prometheus-scrape-timeout-seconds']) }],
    ]);
  }

  private async metrics(): Promise<Answer> {
    const registry = new Registry();
    this.watches.collect(registry, this.config.responderInfo);
    const body = (await this.self.metrics()) + (await registry.metrics());
    return { status: 200, body, contentType: this.self.contentType };
  }

  private async probe(query: URLSearchParams, timeout: string | string[] | undefined): Promise<Answer> {
    if (this.stopping.signal.aborted) return { status: 503, body: 'The exporter is stopping.\n' };
    const answer = await this.prober.handle(query, Array.isArray(timeout) ? timeout[0] : timeout);
    if (this.config.modules.has(answer.module)) this.requests.inc({ module: answer.module, outcome: answer.outcome });
    else this.requests.inc({ module: '', outcome: answer.outcome });
    if (answer.outcome === 'refused' || answer.outcome === 'bad_request') this.options.log.debug('probe refused', { status: answer.status, reason: answer.body.trim() });
    return { status: answer.status, body: answer.body, contentType: answer.contentType };
  }
}

const LANDING = `<!doctype html><html><head><meta charset="utf-8"><title>portpath exporter</title></head><body>
<h1>portpath exporter</h1>
<p>Traces to a port, for Prometheus: <a href="/metrics">/metrics</a> (the watches and the exporter itself),
<code>/probe?target=HOST:PORT&amp;module=NAME</code> (one trace per scrape; add <code>&amp;debug=true</code> for its log and JSON),
<a href="/-/healthy">/-/healthy</a>, <a href="/-/ready">/-/ready</a>.</p>
</body></html>
`;
