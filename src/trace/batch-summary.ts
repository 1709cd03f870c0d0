// What a batch found, counted as results arrive: how many targets ended which way, and where traffic to the ports
// stops most often (the device, its hop, how many targets stop there and with which verdicts). Bounded: the stop
// points are counted in a map capped in size, whatever the number of targets.
import type { Verdict } from '../analyze/diagnose.js';
import type { BatchResult } from './batch.js';
import { probesSent } from './batch-knowledge.js';

export interface StopPoint {
  /** The device where traffic stops (the rejecting router, the last that answered); null: nobody answered at all. */
  address: string | null;
  /** Its hop, as most targets stopping there saw it. */
  hop: number | null;
  targets: number;
  verdicts: Partial<Record<Verdict, number>>;
}

export interface BatchSummary {
  targets: number;
  byVerdict: Partial<Record<Verdict, number>>;
  /** Targets that could not be traced, by error code. */
  errors: Record<string, number>;
  /** Lines of the input that were not targets. */
  badLines: number;
  /** Where traffic stops, most targets first (the 10 most common). */
  stops: StopPoint[];
  /** Probes the runs put on the wire (each run's probesSent: traces, controls, follow-ups; first attempts done again included). */
  probes: number;
  /**
   * The shared hops' probes each trace reused instead of sending: what those hops would have cost it. Not net of
   * what sharing costs (the checks, the second attempts): a --no-share-hops run of the same targets tells that.
   */
  probesSaved: number;
  durationMs: number;
  interrupted: boolean;
}

/** Verdicts where the port answered: no stop to report. */
const REACHED: ReadonlySet<Verdict> = new Set(['open', 'closed', 'reachable']);
const MAX_STOP_POINTS = 10_000;

export class BatchTally {
  private readonly byVerdict: Partial<Record<Verdict, number>> = {};
  private readonly errors: Record<string, number> = {};
  private readonly stops = new Map<string, StopPoint & { hops: Map<number, number> }>();
  private targets = 0;
  private probes = 0;
  private saved = 0;
  badLines = 0;
  private readonly started = performance.now();

  add(result: BatchResult): void {
    this.targets++;
    if ('error' in result) {
      this.errors[result.error.code] = (this.errors[result.error.code] ?? 0) + 1;
      return;
    }
    const { report } = result;
    this.probes += result.discardedProbes ?? 0;
    const verdict = report.diagnosis.verdict;
    this.byVerdict[verdict] = (this.byVerdict[verdict] ?? 0) + 1;
    this.probes += probesSent(report);
    for (const trace of [report, report.control]) for (const hop of trace?.hops ?? []) if (hop.shared) this.saved += hop.probes.length;
    if (REACHED.has(verdict)) return;
    const address = report.diagnosis.by;
    const key = address ?? '*';
    let stop = this.stops.get(key);
    if (!stop) {
      if (this.stops.size >= MAX_STOP_POINTS) return;
      this.stops.set(key, (stop = { address, hop: null, targets: 0, verdicts: {}, hops: new Map() }));
    }
    stop.targets++;
    stop.verdicts[verdict] = (stop.verdicts[verdict] ?? 0) + 1;
    if (report.diagnosis.hop !== null) stop.hops.set(report.diagnosis.hop, (stop.hops.get(report.diagnosis.hop) ?? 0) + 1);
  }

  summary(interrupted: boolean): BatchSummary {
    const stops = [...this.stops.values()]
      .sort((a, b) => b.targets - a.targets)
      .slice(0, 10)
      .map(({ hops, ...stop }) => ({ ...stop, hop: [...hops].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null }));
    return { targets: this.targets, byVerdict: { ...this.byVerdict }, errors: { ...this.errors }, badLines: this.badLines, stops, probes: this.probes, probesSaved: this.saved, durationMs: Math.round(performance.now() - this.started), interrupted };
  }
}
