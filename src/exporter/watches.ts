// The config's continuous watches: each runs as `portpath watch` does (rounds, statistics, changes, a fresh
// diagnosis after each change), and /metrics reads them all. A reload keeps the watches whose config did not
// change (their statistics and counters go on), stops the removed ones and starts the new ones. A watch that cannot
// start (a name that does not resolve) is reported down and tried again a minute later: DNS comes back. Watches
// started together are spread over their interval (a minute at most): started in step, 200 watches would send their
// rounds in one burst every interval, and a router's ICMP burst allowance (6) would answer the same few every time.
import type { Registry } from 'prom-client';
import { startWatch } from '../trace/watch.js';
import type { WatchEvent, WatchHandle } from '../trace/watch.js';
import { PortpathError } from '../transport/errors.js';
import { runOptionsOf } from './config.js';
import type { WatchConfig } from './config.js';
import type { Logger } from './log.js';
import { PathMetrics } from './metrics.js';
import { targetLabel } from './target.js';
import { viewOfWatch } from './views.js';

const RETRY_MS = 60_000;
/** The longest a watch waits for its place in the spread (longer intervals still start within a minute). */
const SPREAD_MAX_MS = 60_000;
/** The changes counted, by the label they get. */
const CHANGE_TYPES = { 'path-change': 'path', 'distance-change': 'distance', 'port-state': 'port_state', 'loss-start': 'loss' } as const;
type ChangeLabel = (typeof CHANGE_TYPES)[keyof typeof CHANGE_TYPES];

/** When each of the watches started together begins: evenly over its interval (a minute at most), the first at once. */
export function spreadDelays(configs: readonly Pick<WatchConfig, 'intervalMs'>[]): number[] {
  return configs.map((config, i) => (i / configs.length) * Math.min(config.intervalMs, SPREAD_MAX_MS));
}

class RunningWatch {
  handle: WatchHandle | null = null;
  error: string | null = null;
  rounds = 0;
  readonly changes: Record<ChangeLabel, number> = { path: 0, distance: 0, port_state: 0, loss: 0 };
  private retry: NodeJS.Timeout | null = null;
  private stopped = false;

  /** `delayMs`: its place in the spread; it counts as up meanwhile. */
  constructor(
    readonly config: WatchConfig,
    private readonly log: Logger,
    delayMs: number,
  ) {
    if (delayMs <= 0) {
      this.start();
      return;
    }
    this.retry = setTimeout(() => this.start(), delayMs);
    this.retry.unref();
  }

  /** The config as a string: a watch is kept across a reload only when this is unchanged. */
  static keyOf(config: WatchConfig): string {
    const { module, ...rest } = config;
    return JSON.stringify({ ...rest, module: { ...module, name: undefined } });
  }

  private start(): void {
    const { module, target, intervalMs } = this.config;
    try {
      const handle = startWatch(
        target.host,
        { ...runOptionsOf(module, target), intervalMs },
        (event) => this.onEvent(event),
      );
      this.handle = handle;
      this.error = null;
      handle.done.then(
        () => this.ended(null),
        (error: unknown) => this.ended(error),
      );
    } catch (error) {
      this.ended(error);
    }
  }

  private onEvent(event: WatchEvent): void {
    if (event.type === 'round') this.rounds++;
    if (event.type === 'change' && event.change.type in CHANGE_TYPES) this.changes[CHANGE_TYPES[event.change.type as keyof typeof CHANGE_TYPES]]++;
  }

  private ended(error: unknown): void {
    if (this.stopped) return;
    this.handle = null;
    this.error = error instanceof PortpathError ? error.message : error ? `unexpected: ${(error as Error).message}` : 'the watch ended';
    this.log.warn('watch down, retrying in a minute', { watch: this.config.name, target: targetLabel(this.config.target), reason: this.error });
    this.retry = setTimeout(() => this.start(), RETRY_MS);
    this.retry.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const handle = this.handle;
    handle?.stop();
    await handle?.done.catch(() => undefined);
  }
}

export class WatchSet {
  private readonly running = new Map<string, RunningWatch>();

  constructor(private readonly log: Logger) {}

  /** Makes the running watches those of `configs`: unchanged ones go on, others stop or start. */
  async apply(configs: readonly WatchConfig[]): Promise<void> {
    const wanted = new Map(configs.map((c) => [RunningWatch.keyOf(c), c]));
    const stopping: Promise<void>[] = [];
    for (const [key, watch] of this.running) {
      if (wanted.has(key)) continue;
      this.running.delete(key);
      stopping.push(watch.stop());
    }
    await Promise.all(stopping);
    const starting = [...wanted].filter(([key]) => !this.running.has(key));
    const delays = spreadDelays(starting.map(([, config]) => config));
    starting.forEach(([key, config], i) => this.running.set(key, new RunningWatch(config, this.log, delays[i]!)));
  }

  get size(): number {
    return this.running.size;
  }

  async stopAll(): Promise<void> {
    await this.apply([]);
  }

  /** Every watch's series, labelled watch, target and module. */
  collect(registry: Registry, responderInfo: boolean): void {
    const metrics = new PathMetrics(registry, ['watch', 'target', 'module'], responderInfo);
    const up = metrics.gauge('portpath_watch_up', 'Whether the watch runs (0: it could not start; the reason is logged).');
    const rounds = metrics.counter('portpath_watch_rounds_total', 'Rounds the watch sent.');
    const changes = metrics.counter('portpath_watch_changes_total', 'Changes the watch saw: path, distance, port_state, loss (episodes begun).', ['type']);
    const loss = metrics.gauge('portpath_path_loss_ratio', 'Real loss at the end of the path (not routers\' ICMP limits); 0 when none.');
    const lossFrom = metrics.gauge('portpath_path_loss_from_hop', 'The first hop from which every later hop shows the path\'s loss; absent when none.');
    const sent = metrics.counter('portpath_hop_sent_total', 'Probes sent to the hop.', ['hop']);
    const received = metrics.counter('portpath_hop_received_total', 'Answers from the hop.', ['hop']);
    for (const watch of this.running.values()) {
      const labels = { watch: watch.config.name, target: targetLabel(watch.config.target), module: watch.config.module.name };
      up.set(labels, watch.error === null ? 1 : 0);
      rounds.inc(labels, watch.rounds);
      for (const [type, n] of Object.entries(watch.changes)) changes.inc({ ...labels, type }, n);
      if (!watch.handle) continue;
      const report = watch.handle.snapshot();
      const view = viewOfWatch(report);
      metrics.add(view, labels);
      loss.set(labels, report.forwardedLoss ? report.forwardedLoss.lossPct / 100 : 0);
      if (report.forwardedLoss) lossFrom.set(labels, report.forwardedLoss.fromTtl);
      for (const hop of view.hops) {
        sent.inc({ ...labels, hop: String(hop.ttl) }, hop.sent);
        received.inc({ ...labels, hop: String(hop.ttl) }, hop.received);
      }
    }
  }
}
