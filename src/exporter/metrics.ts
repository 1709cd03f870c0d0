// The series the exporter writes (docs/exporter.md is their contract): a path's port state, verdict, stop and
// hops, from /probe (no target labels: Prometheus's relabelling names the instance) and from the watches (one set per
// watch, labelled with it). Cardinality stays bounded: hops by number, states and verdicts from fixed lists,
// addresses only in the opt-in portpath_hop_info.
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import { VERDICTS } from '../analyze/finding.js';
import type { PortState } from '../engine/types.js';
import type { PathsReport } from '../trace/paths.js';
import type { PathEnd } from '../analyze/paths.js';
import { pathId } from './views.js';
import type { PathView } from './views.js';

export const PORT_STATES: readonly PortState[] = ['open', 'closed', 'filtered', 'open|filtered'];
export const PATH_ENDS = ['open', 'closed', 'filtered', 'open|filtered', 'reachable', 'forged', 'rejected', 'silent'] as const;
export type PathEndName = (typeof PATH_ENDS)[number];

type Labels = Record<string, string>;

/** One metric family per name in one registry; the label names every series of the family carries. */
class Families {
  private readonly gauges = new Map<string, Gauge>();
  private readonly counters = new Map<string, Counter>();

  constructor(
    private readonly registry: Registry,
    private readonly common: readonly string[],
  ) {}

  gauge(name: string, help: string, labels: readonly string[] = []): Gauge {
    let g = this.gauges.get(name);
    if (!g) this.gauges.set(name, (g = new Gauge({ name, help, labelNames: [...this.common, ...labels], registers: [this.registry] })));
    return g;
  }

  counter(name: string, help: string, labels: readonly string[] = []): Counter {
    let c = this.counters.get(name);
    if (!c) this.counters.set(name, (c = new Counter({ name, help, labelNames: [...this.common, ...labels], registers: [this.registry] })));
    return c;
  }
}

/** Writes path views into a registry; `common` are the label names each series gets (the watches' labels, or none). */
export class PathMetrics {
  private readonly f: Families;

  constructor(
    registry: Registry,
    common: readonly string[],
    private readonly responderInfo: boolean,
  ) {
    this.f = new Families(registry, common);
  }

  /** The families a path's view fills, made even when nothing is known, so a scrape always describes them. */
  add(view: PathView, labels: Labels = {}): void {
    const f = this.f;
    const state = f.gauge('portpath_port_state', "1 for the port's state, 0 for the others; all 0 while it is not known.", ['state']);
    for (const s of PORT_STATES) state.set({ ...labels, state: s }, view.portState === s ? 1 : 0);
    const verdict = f.gauge('portpath_verdict', 'The diagnosis: 1 for its verdict, 0 for the others; all 0 before the first.', ['verdict']);
    for (const v of VERDICTS) verdict.set({ ...labels, verdict: v }, view.verdict === v ? 1 : 0);
    // Made only when known: a gauge without labels that is never set would still be served, as 0.
    if (view.destinationHop !== null) f.gauge('portpath_destination_hop', 'The TTL the destination answered at; absent when it did not.').set(labels, view.destinationHop);
    if (view.stopHop !== null) f.gauge('portpath_stop_hop', 'Where traffic to the port stops: the destination, the last hop that answered, or the rejecting or forging device.').set(labels, view.stopHop);
    f.gauge('portpath_hops', 'Hops traced.').set(labels, view.hops.length);
    f.gauge('portpath_path_id', "A number naming the path (its responders in order, hashed); it changes when the path does.").set(labels, pathId(view.hops));
    const rtt = f.gauge('portpath_hop_rtt_seconds', "The hop's round-trip time: the median of a probe's answers, a watch's mean.", ['hop']);
    const loss = f.gauge('portpath_hop_loss_ratio', "Share of the hop's probes that went unanswered.", ['hop']);
    const limited = f.gauge('portpath_hop_icmp_limited', "1 when the hop's loss is its own ICMP rate limit, not lost traffic.", ['hop']);
    const info = this.responderInfo ? f.gauge('portpath_hop_info', 'The address most of the hop\'s answers came from.', ['hop', 'address']) : null;
    for (const hop of view.hops) {
      const at = { ...labels, hop: String(hop.ttl) };
      if (hop.rttSeconds !== null) rtt.set(at, hop.rttSeconds);
      loss.set(at, hop.lossRatio);
      limited.set(at, hop.icmpLimited ? 1 : 0);
      if (info && hop.address !== null) info.set({ ...at, address: hop.address }, 1);
    }
  }

  gauge(name: string, help: string, labels: readonly string[] = []): Gauge {
    return this.f.gauge(name, help, labels);
  }

  counter(name: string, help: string, labels: readonly string[] = []): Counter {
    return this.f.counter(name, help, labels);
  }
}

export function endName(end: PathEnd): PathEndName {
  return end.kind === 'destination' ? end.state : end.kind;
}

/** A multipath run's series: how many paths, how many broken, and each path's end, share and stop. */
export function addPaths(metrics: PathMetrics, report: PathsReport, expected: (end: PathEndName) => boolean): void {
  metrics.gauge('portpath_paths', 'Multipath: distinct paths found.').set(report.paths.length);
  metrics.gauge('portpath_paths_broken', 'Multipath: paths whose traffic does not end as the module expects.').set(report.paths.filter((p) => !expected(endName(p.end))).length);
  const end = metrics.gauge('portpath_path_end', "Multipath: 1 for how each path's traffic ends, 0 for the others.", ['path', 'end']);
  const share = metrics.gauge('portpath_path_share_ratio', 'Multipath: share of the flows that took the path.', ['path']);
  const stop = metrics.gauge('portpath_path_stop_hop', "Multipath: the hop where the path's traffic ends (its last answering hop when dropped).", ['path']);
  for (const path of report.paths) {
    const id = String(path.id);
    for (const name of PATH_ENDS) end.set({ path: id, end: name }, endName(path.end) === name ? 1 : 0);
    share.set({ path: id }, path.share);
    const hop = path.end.kind === 'silent' ? (path.end.after?.ttl ?? null) : path.end.ttl;
    if (hop !== null) stop.set({ path: id }, hop);
  }
}
