// The library's entry points over the run owner: a promise for the whole run, an async iterator of its events for
// live displays, several methods compared, and the raw sockets a program opens before giving up root.
import type { Family, Protocol } from '../probe/method.js';
import { RawSocketPool, rawSocketNeeds } from '../transport/privileges.js';
import { runCompare } from './compare.js';
import { eventStream } from './event-stream.js';
import type { CompareOptions, CompareReport } from './compare.js';
import type { ProbeSpec } from './session.js';
import { parseMethod } from './method-spec.js';
import { runPaths } from './paths.js';
import type { PathsOptions, PathsReport } from './paths.js';
import { runTrace } from './trace.js';
import type { RunOptions, TraceEvent, TraceReport } from './trace.js';
import { startWatch } from './watch.js';
import type { WatchEvent, WatchHandle, WatchOptions } from './watch.js';
import { startPathsWatch } from './watch-paths.js';
import type { PathsWatchEvent, PathsWatchHandle, PathsWatchOptions } from './watch-paths.js';

/** Traces the path to `target` (a host name or an address) and its port; resolves with the diagnosed report. */
export function trace(target: string, options: RunOptions = {}): Promise<TraceReport> {
  return runTrace(target, options);
}

/**
 * The same run as `trace`, as a stream of events (`for await`): 'start', then 'probe', 'reply' and 'hop' as they
 * happen, 'follow-up' when re-probing begins, and 'result' last with the report. Leaving the loop early stops
 * the run and closes its sockets; a failure of the run is thrown from the loop.
 */
export function traceEvents(target: string, options: RunOptions = {}): AsyncIterableIterator<TraceEvent> {
  return eventStream<TraceEvent>((push, stop) => {
    const signal = options.signal ? AbortSignal.any([options.signal, stop]) : stop;
    return runTrace(target, { ...options, signal }, push);
  });
}

/** Traces several methods ("tcp:443", { protocol: 'udp', port: 53 }, "icmp") to one target at once, each the others' control. */
export function compare(target: string, methods: readonly (string | ProbeSpec)[], options: CompareOptions = {}): Promise<CompareReport> {
  return runCompare(target, methods.map((m) => (typeof m === 'string' ? parseMethod(m, 'compare') : m)), options);
}

/**
 * Every path a connection to `target`'s port can take from here (flows differing in TCP source port, as ECMP
 * balancers hash them), found by the Multipath Detection Algorithm's stopping rule, with a verdict per path.
 */
export function paths(target: string, options: PathsOptions = {}): Promise<PathsReport> {
  return runPaths(target, options);
}

/**
 * Watches `target`'s port in rounds (as startWatch); with `{ paths: true }`, first finds every ECMP path (as paths())
 * and then watches one flow per path side by side, each with its own statistics, port state, verdict and changes.
 */
export function watch(target: string, options: PathsWatchOptions, onEvent?: (event: PathsWatchEvent) => void): PathsWatchHandle;
export function watch(target: string, options?: WatchOptions & { paths?: false }, onEvent?: (event: WatchEvent) => void): WatchHandle;
export function watch(target: string, options: (WatchOptions & { paths?: false }) | PathsWatchOptions = {}, onEvent?: ((event: WatchEvent) => void) | ((event: PathsWatchEvent) => void)): WatchHandle | PathsWatchHandle {
  if (options.paths === true) return startPathsWatch(target, options, onEvent as (event: PathsWatchEvent) => void);
  return startWatch(target, options, onEvent as (event: WatchEvent) => void);
}

export interface RawSocketRequest {
  /** Address families the runs will use (default both). */
  families?: Family[];
  /** Probe methods, controls included (default all three). */
  protocols?: Protocol[];
  /** Bind the sockets to this interface. */
  interface?: string;
}

/**
 * Opens the raw sockets one run may need, while the process still may (root or CAP_NET_RAW), so it can call
 * dropPrivileges() before anything else and pass the pool as `options.pool`. Null when raw sockets are not
 * permitted (the run then uses unprivileged sockets in 'auto' mode). A pool serves one run.
 */
export function openRawSockets(request: RawSocketRequest = {}): RawSocketPool | null {
  return RawSocketPool.tryOpen(rawSocketNeeds(request.families ?? [4, 6], request.protocols ?? ['tcp', 'udp', 'icmp']), request.interface);
}
