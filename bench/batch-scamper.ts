// scamper beside `portpath batch` (bench/batch.ts, issue 22): the same targets, the same probe rate, on the simulated
// Internet's veth front (scamper's TCP traces need a link layer; on the bare TUN it stops at once). This file knows
// scamper's side — its commands, its JSON records — and how any tool's hops compare with the ground truth's path;
// batch.ts runs both tools and prints them side by side.
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import type { PathHop, TargetTruth } from '../src/lab/sim/ground-truth.js';

/** One answer a tool reports at a TTL: who, and whether it is a time exceeded (else a stop: the port's answer, an unreachable). */
export interface SeenAnswer {
  ttl: number;
  from: string;
  timeExceeded: boolean;
  /** Taken from earlier traces, not probed for this target (portpath's shared near hops). */
  shared?: boolean;
}

/** Hops found against the truth's paths, summed over targets (see tallyHops). */
export interface HopTally {
  /** TTLs at which the truth has someone who answers (a router that is not silent, or the destination). */
  expected: number;
  /** Of those, TTLs where the tool reported one of the truth's answerers. */
  found: number;
  /** TTLs where the tool reported an address the truth does not have there. */
  wrong: number;
  /** Of those, TTLs whose wrong answer was a shared one (see SeenAnswer). */
  wrongShared: number;
}

export const emptyTally = (): HopTally => ({ expected: 0, found: 0, wrong: 0, wrongShared: 0 });

/** The addresses that may answer time exceeded at a hop of the truth's path (any branch of a balanced hop). */
function answerers(hop: PathHop | undefined): string[] {
  if (hop === undefined || hop === null) return [];
  if (typeof hop === 'string') return [hop];
  return hop.ecmp.filter((address): address is string => address !== null);
}

/**
 * Adds one target's answers to `tally`. A time exceeded is right when its router is on the truth's path at that TTL
 * (any branch: the truth judges balanced hops on no particular flow). Any other answer ends the trace and may come
 * from past the hop it names (a reject comes one TTL after its router's time exceeded; a forged RST carries the
 * destination's address): it is right when it comes from the destination, from the router the truth says stops the
 * trace (a silent one's address is not on the path) or from a router on the path at or before that TTL. Routers past a drop are in the path but answer no probe of that port: neither tool can find them, so
 * no tool reaches 100% of `expected`; the comparison is between tools on the same targets.
 */
export function tallyHops(truth: TargetTruth, seen: SeenAnswer[], tally: HopTally): void {
  const ttls = new Map<number, { right: boolean; wrong: boolean; shared: boolean }>();
  for (const answer of seen) {
    const ok = answer.timeExceeded
      ? answerers(truth.path[answer.ttl - 1]).includes(answer.from)
      : answer.from === truth.address || answer.from === truth.by || truth.path.slice(0, answer.ttl).some((hop) => answerers(hop).includes(answer.from));
    const at = ttls.get(answer.ttl) ?? { right: false, wrong: false, shared: false };
    if (ok) at.right = true;
    else {
      at.wrong = true;
      at.shared ||= answer.shared === true;
    }
    ttls.set(answer.ttl, at);
  }
  truth.path.forEach((hop, i) => {
    if (answerers(hop).length === 0) return;
    tally.expected++;
    if (ttls.get(i + 1)?.right) tally.found++;
  });
  for (const at of ttls.values()) {
    if (at.wrong) tally.wrong++;
    if (at.shared) tally.wrongShared++;
  }
}

/**
 * scamper's command for each target, in the truth's order, its index as the trace's userid (-U) so records come back
 * to their target whatever order they finish in: the same protocol and port as portpath's probes, and each method's
 * constant-flow variant (TCP keeps its ports; UDP-Paris and ICMP-Paris are scamper's), with scamper's defaults
 * otherwise (2 attempts per hop, 5 s wait, gap limit 5) as a mass measurement would run it.
 */
export function scamperCommands(truth: TargetTruth[]): string[] {
  return truth.map((t, i) => {
    const method = t.protocol === 'tcp' ? `-P tcp -d ${t.port}` : t.protocol === 'udp' ? `-P udp-paris -d ${t.port}` : '-P icmp-paris';
    return `trace ${method} -U ${i} ${t.address}`;
  });
}

/** scamper's arguments: every command at `rate` packets a second, no window (all tasks may run at once), JSON out. */
export function scamperArgs(commands: string[], rate: number): string[] {
  return ['-O', 'json', '-p', String(rate), '-w', '0', '-I', ...commands];
}

interface ScamperHop {
  addr: string;
  probe_ttl: number;
  icmp_type?: number;
}
interface ScamperTrace {
  type: string;
  userid: number;
  stop_reason: string;
  hops?: ScamperHop[];
}

export interface ScamperResult {
  stopReason: string;
  seen: SeenAnswer[];
}

/** ICMP time exceeded: type 11 in IPv4, 3 in ICMPv6. */
const timeExceeded = (address: string, type: number | undefined): boolean => type === (address.includes(':') ? 3 : 11);

/** scamper's trace records by userid (the target's index). */
export async function readScamper(file: string): Promise<Map<number, ScamperResult>> {
  const results = new Map<number, ScamperResult>();
  for await (const text of createInterface({ input: createReadStream(file), crlfDelay: Infinity })) {
    if (!text.startsWith('{')) continue;
    const record = JSON.parse(text) as ScamperTrace;
    if (record.type !== 'trace') continue;
    const seen = (record.hops ?? []).map((hop) => ({ ttl: hop.probe_ttl, from: hop.addr, timeExceeded: timeExceeded(hop.addr, hop.icmp_type) }));
    results.set(record.userid, { stopReason: record.stop_reason, seen });
  }
  return results;
}
