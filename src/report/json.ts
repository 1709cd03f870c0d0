// The JSON result: a contract scripts depend on (DESIGN.md). Extend it, never rename.
import type { TraceOutcome } from '../engine/tracer.js';
import type { TraceResult } from '../engine/types.js';
import type { TraceMeta } from './trace-meta.js';

export function buildTraceResult(meta: TraceMeta, outcome: TraceOutcome, durationMs: number): TraceResult {
  return {
    version: 1,
    target: { host: meta.host, address: meta.address, family: meta.family },
    protocol: meta.protocol,
    port: meta.port,
    source: { address: meta.source, port: meta.sourcePort, interface: meta.interface },
    mode: meta.mode,
    destination: outcome.destination,
    hops: outcome.hops,
    startedAt: meta.startedAt.toISOString(),
    durationMs: Math.round(durationMs),
    unmatchedPackets: outcome.unmatchedPackets,
    interrupted: outcome.interrupted,
    stoppedBy: outcome.stoppedBy,
  };
}

/** Adds reverse-DNS names to the probes (`name`: string, or null when the address has none). */
export function withNames(result: TraceResult, names: ReadonlyMap<string, string | null>): TraceResult {
  return {
    ...result,
    hops: result.hops.map((hop) => ({
      ...hop,
      probes: hop.probes.map((probe) => (probe.from === null ? probe : { ...probe, name: names.get(probe.from) ?? null })),
    })),
  };
}

/** Pretty JSON: a trace result, or a result extended with control and diagnosis, or several (--compare). */
export function renderJson(result: unknown): string {
  return JSON.stringify(result, null, 2) + '\n';
}
