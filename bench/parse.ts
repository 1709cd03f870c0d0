// Turns each tool's output into one shape: per TTL, who answered and how many of the probes got an answer.
// Peers' outputs are parsed defensively: a line we do not understand is skipped (and counted), never fatal.
import { isIP } from 'node:net';
import type { TraceResult } from '../src/engine/types.js';

export interface ProbeOutcome {
  from: string | null;
  /** Round-trip time as the tool printed it (ms); null for a probe that got no answer. */
  rttMs: number | null;
}

export interface ParsedHop {
  ttl: number;
  /** Distinct responders, in the order they appeared. */
  addresses: string[];
  answered: number;
  sent: number;
  /** Per-probe outcomes in probe order, when the tool prints them (mtr's report only gives counts). */
  probes?: ProbeOutcome[];
}

export interface ParsedTrace {
  hops: ParsedHop[];
  /** What the tool says about the port, when it says anything ('open', 'closed', 'filtered'...). */
  portState: string | null;
  /** Lines or tokens that were skipped: worth a look in --verbose when the numbers look odd. */
  skipped: string[];
}

/**
 * The diagnosis portpath's JSON carries: only the fields the benchmark reads are typed (the rest, such as
 * evidence or path notes, stays in the object untouched). Declared here rather than imported from src/analyze so
 * the benchmark keeps working while that shape grows.
 */
export interface PortpathDiagnosis {
  verdict: string;
  hop: number | null;
  by: string | null;
  confidence?: string;
  explanation?: string;
  /** Every device where traffic to the port may stop (a newer portpath; absent from older ones' JSON). */
  candidates?: PortpathCandidate[];
}

/**
 * One device where traffic to the port may stop: a router that answered (`by` its address), a silent hop (`by`
 * null), the destination, or a device past the last hop seen ('unseen', `hop` null when its distance is unknown).
 */
export interface PortpathCandidate {
  hop: number | null;
  by: string | null;
  role: 'router' | 'silent' | 'destination' | 'unseen';
}

/**
 * portpath --json: the version 1 TraceResult, plus (since the control trace) `control`, the control trace's own
 * TraceResult (absent with --control none), and `diagnosis`. Both extras are optional: an older portpath, or one
 * whose extras do not have the expected shape, still parses; the extra is then left out.
 */
export type PortpathResult = TraceResult & { control?: TraceResult; diagnosis?: PortpathDiagnosis };

export type ParseResult =
  /** `result`: portpath's own JSON result, for the checks that need more than hops. */
  | { ok: true; trace: ParsedTrace; result?: PortpathResult }
  | { ok: false; why: string };

function hopFromProbes(ttl: number, probes: ProbeOutcome[]): ParsedHop {
  const addresses = [...new Set(probes.flatMap((p) => (p.from ? [p.from] : [])))];
  return { ttl, addresses, answered: probes.filter((p) => p.rttMs !== null).length, sent: probes.length, probes };
}

/** An address token as the tools print it: bare with -n, or "(addr)" after a name. */
function addressToken(token: string): string | null {
  const bare = token.replace(/^\((.*)\)$/, '$1');
  return isIP(bare) ? bare : null;
}

/**
 * The classic traceroute line format, shared by traceroute, tcptraceroute and scamper's text output:
 * ` 5  198.18.5.2  55.906 ms  55.806 ms [open]  *`. A star is a probe without an answer; an address sets the
 * responder for the RTTs that follow it (it changes mid-line when a hop has several responders).
 */
export function parseTracerouteText(text: string): ParseResult {
  const hops: ParsedHop[] = [];
  const skipped: string[] = [];
  let portState: string | null = null;
  for (const line of text.split('\n')) {
    const match = /^\s*(\d{1,3})\s+(\S.*)$/.exec(line);
    if (!match) {
      if (line.trim() && !/^(traceroute|tracing|selected device)/i.test(line.trim())) skipped.push(line);
      continue;
    }
    const ttl = Number(match[1]);
    if (hops.length > 0 && ttl <= hops[hops.length - 1]!.ttl) {
      skipped.push(line); // not a hop line after all (hop numbers only go up)
      continue;
    }
    const tokens = match[2]!.trim().split(/\s+/);
    const probes: ProbeOutcome[] = [];
    let from: string | null = null;
    for (let i = 0; i < tokens.length; i++) {
      const token = tokens[i]!;
      const glued = /^(\d+(?:\.\d+)?)ms$/.exec(token);
      if (token === '*') probes.push({ from: null, rttMs: null });
      else if (addressToken(token)) from = addressToken(token);
      else if (/^\d+(\.\d+)?$/.test(token) && tokens[i + 1] === 'ms') {
        probes.push({ from, rttMs: Number(token) });
        i++;
      } else if (glued) probes.push({ from, rttMs: Number(glued[1]) });
      else if (/^\[(open|closed|filtered)\]$/.test(token)) portState = token.slice(1, -1);
      else if (/^!/.test(token) || /^<[a-z,]+>$/.test(token)) continue; // ICMP annotations (!H, !X) and TCP flags
      else skipped.push(`${ttl}: ${token}`);
    }
    hops.push(hopFromProbes(ttl, probes));
  }
  if (hops.length === 0) return { ok: false, why: 'no hop lines' };
  return { ok: true, trace: { hops, portState, skipped } };
}

/**
 * mtr's report (-r): `  3.|-- 198.18.3.2   0.0%   3   33.4 ...`; `???` for a hop nobody answered; extra
 * responders of a hop on continuation lines `    |  \`-- 198.18.9.2`. Only counts are printed, not each probe.
 */
export function parseMtrReport(text: string): ParseResult {
  const hops: ParsedHop[] = [];
  const skipped: string[] = [];
  for (const line of text.split('\n')) {
    const hop = /^\s*(\d+)\.\|--\s+(\S+)\s+(\d+(?:\.\d+)?)%?\s+(\d+)\b/.exec(line);
    if (hop) {
      const [, ttl, host, loss, sent] = hop;
      const snt = Number(sent);
      const address = addressToken(host!);
      const answered = Math.round(snt * (1 - Number(loss) / 100));
      hops.push({ ttl: Number(ttl), addresses: address ? [address] : [], answered, sent: snt });
      continue;
    }
    const more = /^\s+\|\s+`--\s+(\S+)/.exec(line);
    const last = hops[hops.length - 1];
    const address = more ? addressToken(more[1]!) : null;
    if (address && last) last.addresses.push(address);
    else if (line.trim() && !/^(start:|host:)/i.test(line.trim())) skipped.push(line);
  }
  if (hops.length === 0) return { ok: false, why: 'no report lines' };
  return { ok: true, trace: { hops, portState: null, skipped } };
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function isTraceResult(value: unknown): value is TraceResult {
  return isObject(value) && value.version === 1 && Array.isArray(value.hops) && value.hops.every((h) => isObject(h) && typeof h.ttl === 'number' && Array.isArray(h.probes));
}

function isDiagnosis(value: unknown): value is PortpathDiagnosis {
  const nullable = (v: unknown, type: 'number' | 'string'): boolean => v === null || typeof v === type;
  return isObject(value) && typeof value.verdict === 'string' && nullable(value.hop ?? null, 'number') && nullable(value.by ?? null, 'string');
}

const CANDIDATE_ROLES: readonly unknown[] = ['router', 'silent', 'destination', 'unseen'] satisfies PortpathCandidate['role'][];

function isCandidates(value: unknown): value is PortpathCandidate[] {
  const nullable = (v: unknown, type: 'number' | 'string'): boolean => v === null || typeof v === type;
  return Array.isArray(value) && value.every((c) => isObject(c) && nullable(c.hop ?? null, 'number') && nullable(c.by ?? null, 'string') && CANDIDATE_ROLES.includes(c.role));
}

/**
 * portpath --json: the documented TraceResult, with `control` and `diagnosis` when present. Unknown top-level
 * fields are kept as they are; a `control` or `diagnosis` of an unexpected shape is dropped (and listed in
 * `skipped`) rather than failing the run, since the hops are still good. The diagnosis's `candidates` are optional;
 * a list of an unexpected shape is dropped the same way, leaving the rest of the diagnosis.
 */
export function parsePortpathJson(text: string): ParseResult {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    return { ok: false, why: `not JSON (${(error as Error).message})` };
  }
  if (!isTraceResult(parsed)) return { ok: false, why: 'JSON is not a version 1 TraceResult' };
  const result: PortpathResult = parsed;
  const skipped: string[] = [];
  if (result.control !== undefined && !isTraceResult(result.control)) {
    skipped.push('"control" is not a version 1 TraceResult');
    delete result.control;
  }
  if (result.diagnosis !== undefined && !isDiagnosis(result.diagnosis)) {
    skipped.push('"diagnosis" has no verdict/hop/by of the expected types');
    delete result.diagnosis;
  }
  if (result.diagnosis?.candidates !== undefined && !isCandidates(result.diagnosis.candidates)) {
    skipped.push('"diagnosis.candidates" is not a list of {hop, by, role}');
    delete result.diagnosis.candidates;
  }
  const hops = result.hops.map((hop) => hopFromProbes(hop.ttl, hop.probes.map((p) => ({ from: p.from ?? null, rttMs: p.rtt ?? null }))));
  return { ok: true, trace: { hops, portState: result.destination?.state ?? null, skipped }, result };
}

/** The farthest hop that answered at all (TTL and first responder), or null when nothing answered. */
export function lastAnswering(trace: ParsedTrace): { ttl: number; address: string } | null {
  for (let i = trace.hops.length - 1; i >= 0; i--) {
    const hop = trace.hops[i]!;
    if (hop.answered > 0) return { ttl: hop.ttl, address: hop.addresses[0] ?? '?' };
  }
  return null;
}
