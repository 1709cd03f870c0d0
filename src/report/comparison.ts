// The --compare table: one column per method, hop by hop, then each method's port state and verdict.
import type { Diagnosis } from '../analyze/diagnose.js';
import { protocolLabel } from '../analyze/path-facts.js';
import type { TraceResult } from '../engine/types.js';


const COLUMN = 30;

/** One cell: the responder (once per hop) and the RTTs of its probes, '*' for silence. */
function cell(result: TraceResult, ttl: number): string {
  const hop = result.hops.find((h) => h.ttl === ttl);
  if (!hop) return '';
  const from = hop.probes.find((p) => p.from !== null)?.from;
  const rtts = hop.probes.map((p) => (p.rtt === null ? '*' : p.rtt.toFixed(2))).join(' ');
  return from ? `${from} ${rtts}` : rtts;
}

export function formatComparison(results: TraceResult[], diagnoses: Diagnosis[]): string {
  const ttls = [...new Set(results.flatMap((r) => r.hops.map((h) => h.ttl)))].sort((a, b) => a - b);
  const pad = (text: string) => (text.length >= COLUMN ? `${text} ` : text.padEnd(COLUMN));
  const lines = [`TTL  ${results.map((r) => pad(protocolLabel(r))).join('').trimEnd()}`];
  for (const ttl of ttls) lines.push(`${String(ttl).padStart(3)}  ${results.map((r) => pad(cell(r, ttl))).join('').trimEnd()}`);
  lines.push('RTTs in ms.');
  results.forEach((result, i) => {
    const d = result.destination;
    const state = d.state ?? (d.reached ? 'reached' : 'not reached');
    lines.push(`${protocolLabel(result)}: [${state}] ${diagnoses[i]!.verdict} — ${diagnoses[i]!.explanation}`);
  });
  return lines.join('\n') + '\n';
}
