// The JSON result: a contract scripts depend on (DESIGN.md). Extend it, never rename.
import type { TraceResult } from '../engine/types.js';

/** Adds reverse-DNS names to the probes (`name`: string, or null when the address has none). */
export function withNames(result: TraceResult, names: { get(address: string): string | null | undefined }): TraceResult {
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
