// The JSON result of one trace, built from what the run knew (meta) and what the tracer found: a contract scripts
// depend on (DESIGN.md). Extend it, never rename.
import type { TraceOutcome } from '../engine/tracer.js';
import type { TraceResult } from '../engine/types.js';
import type { TraceMeta } from './meta.js';

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
