// What a run refuses, decided once for the library and the command line: each value's bounds and the sentence that
// refuses it. Each caller names the values as its users write them (the library its options, the CLI its flags),
// and the rest of the sentence is the same.
import { PortpathError } from '../transport/errors.js';
import { checkInteger, parseInteger } from './method-spec.js';
import type { RunOptions } from './run-types.js';

export const LIMITS = { port: [1, 65535], sourcePort: [1, 65535], icmpId: [0, 65535], probesPerHop: [1, 10], firstTtl: [1, 255], maxTtl: [1, 255], rounds: [1, 100_000_000], maxFlows: [6, 512] } as const;

export type Checked = keyof typeof LIMITS | 'interval' | 'compare' | 'paths';

/** What each value is, said after its name when the name alone does not say it. */
const WHAT: Partial<Record<Checked, string>> = { sourcePort: 'source port', icmpId: 'echo identifier', probesPerHop: 'probes per hop', firstTtl: 'first TTL', maxTtl: 'max TTL', rounds: 'rounds', maxFlows: 'flows at most' };

/** The library's names: its options. */
export const OPTION_NAMES: Record<Checked, string> = { port: 'The port', sourcePort: 'sourcePort', icmpId: 'icmpId', probesPerHop: 'probesPerHop', firstTtl: 'firstTtl', maxTtl: 'maxTtl', rounds: 'rounds', maxFlows: 'maxFlows', interval: 'The interval', compare: 'compare', paths: 'paths: true' };

/** The values a run or a watch is told, as the library takes them. */
export type CheckedOptions = Pick<RunOptions, 'port' | 'sourcePort' | 'icmpId' | 'probesPerHop' | 'firstTtl' | 'maxTtl' | 'protocol'> & { intervalMs?: number; rounds?: number | null; maxFlows?: number };

function usage(message: string): PortpathError {
  return new PortpathError('ERR_USAGE', message);
}

function label(key: Checked, names: Record<Checked, string>): string {
  const what = WHAT[key];
  return what && what !== names[key] ? `${names[key]} (${what})` : names[key];
}

/** One whole-number value from text (the command line), refused in the same words as checkRun refuses it. */
export function parseChecked(key: keyof typeof LIMITS, names: Record<Checked, string>, text: string): number {
  const [min, max] = LIMITS[key];
  return parseInteger(label(key, names), min, max, text);
}

/** Refuses what no run can do, with one sentence naming the value as `names` does. */
export function checkRun(options: CheckedOptions, names = OPTION_NAMES): void {
  for (const key of Object.keys(LIMITS) as (keyof typeof LIMITS)[]) {
    const value = options[key];
    const [min, max] = LIMITS[key];
    if (value !== undefined && value !== null) checkInteger(label(key, names), min, max, value);
  }
  if (options.icmpId != null && options.protocol !== undefined && options.protocol !== 'icmp') {
    throw usage(`${names.icmpId} (echo identifier) is the flow of an ICMP echo trace; a ${options.protocol.toUpperCase()} trace's flow is its source port.`);
  }
  const first = options.firstTtl ?? 1;
  const max = options.maxTtl ?? 30;
  if (first > max) throw usage(`${names.firstTtl} (first TTL ${first}) must not exceed ${names.maxTtl} (max TTL ${max}).`);
  if (options.intervalMs !== undefined) checkInterval(options.intervalMs, names);
}

/** A watch's interval, in ms; `written` is what the user wrote (seconds on the command line). */
export function checkInterval(ms: number, names = OPTION_NAMES, written = String(ms / 1000)): number {
  if (!Number.isFinite(ms) || ms < 10 || ms > 3_600_000) {
    throw usage(`${names.interval} takes seconds between 0.01 and 3600, e.g. 1 or 0.5, not '${written}'.`);
  }
  return ms;
}

/** --compare traces from two to six methods at once. */
export function checkMethodCount(count: number, names = OPTION_NAMES): void {
  if (count < 2) throw usage(`${names.compare} wants at least two methods, e.g. tcp:443,udp:53,icmp; got ${count}.`);
  if (count > 6) throw usage(`${names.compare} takes at most 6 methods; got ${count}.`);
}

/**
 * A watch of every path (`paths`) watches the source ports its paths run finds, each a flow of its own: TCP or UDP,
 * with raw sockets, and no source port of the caller's.
 */
export function checkWatchPaths(options: Pick<RunOptions, 'protocol' | 'sourcePort' | 'mode'>, names = OPTION_NAMES): void {
  if (options.sourcePort !== undefined && options.sourcePort !== null) {
    throw usage(`${names.paths} watches the source ports its paths run finds, so ${names.sourcePort} cannot name one (to watch one path, leave ${names.paths} out).`);
  }
  if (options.protocol === 'icmp') throw usage(`${names.paths} follows TCP or UDP flows, which differ by source port; ICMP echo flows are not supported.`);
  if (options.mode === 'unprivileged') throw usage(`${names.paths} needs raw sockets (root or CAP_NET_RAW): each path is a source port of its own, which unprivileged sockets cannot choose.`);
}
