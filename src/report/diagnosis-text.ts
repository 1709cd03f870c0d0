// The diagnosis as people read it: one verdict line, the explanation, what the hops' quotes showed, and (with
// --verbose) the evidence behind it.
import type { Diagnosis } from '../analyze/diagnose.js';
import type { HopResult } from '../engine/types.js';
import type { MplsLabel } from '../packet/icmp.js';
import { interfaceInfoText } from '../packet/interface-info.js';

function value(v: number | string | boolean): string {
  return typeof v === 'number' && v > 0xffff ? `0x${v.toString(16)}` : String(v);
}

function mplsText(label: MplsLabel): string {
  return `${label.label} (TC ${label.trafficClass}, S ${label.bottomOfStack ? 1 : 0}, TTL ${label.ttl})`;
}

/** "time exceeded, IP TTL 64 (x3)": what the hop's answers were and the TTL they arrived with — the evidence of forgeries. */
function repliesText(hop: Pick<HopResult, 'probes'>): string {
  const counts = new Map<string, number>();
  for (const probe of hop.probes) {
    if (!probe.reply) continue;
    const what = probe.reply.name ?? probe.reply.kind;
    const key = `${what}${probe.reply.ttl !== null ? `, IP TTL ${probe.reply.ttl}` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([key, n]) => (n > 1 ? `${key} (x${n})` : key)).join('; ');
}

/**
 * Indented lines under a hop: rewritten fields, MPLS labels and the interfaces the router named (nothing when there
 * is nothing to say); with verbose, also what the answers were and their reply TTLs.
 */
export function formatHopDetails(hop: Pick<HopResult, 'changes' | 'mpls' | 'interfaces' | 'quote' | 'probes'>, verbose = false): string {
  const lines: string[] = [];
  if (verbose) {
    const replies = repliesText(hop);
    if (replies) lines.push(`     replies: ${replies}${hop.quote ? `; quote ${hop.quote}` : ''}`);
  }
  if (hop.changes && hop.changes.length > 0) {
    lines.push(`     quote shows changes: ${hop.changes.map((c) => `${c.field} ${value(c.sent)} -> ${value(c.quoted)}`).join(', ')}`);
  }
  if (hop.mpls && hop.mpls.length > 0) lines.push(`     MPLS labels: ${hop.mpls.map(mplsText).join(' | ')}`);
  if (hop.interfaces && hop.interfaces.length > 0) lines.push(`     interface: ${hop.interfaces.map(interfaceInfoText).join('; ')}`);
  return lines.map((line) => `${line}\n`).join('');
}

export function formatDiagnosis(diagnosis: Diagnosis, verbose: boolean): string {
  const lines = [`Diagnosis: ${diagnosis.verdict} (${diagnosis.confidence} confidence)`, `  ${diagnosis.explanation}`];
  for (const m of diagnosis.middleboxes) {
    lines.push(`  A middlebox before hop ${m.hop}${m.by ? ` (${m.by})` : ''} rewrites ${m.field}: ${value(m.sent)} sent, ${value(m.quoted)} seen there.`);
  }
  if (diagnosis.nat) lines.push(`  Address translation shows in the quotes from hop ${diagnosis.nat.hop} on (${diagnosis.nat.fields.join(', ')}).`);
  for (const note of diagnosis.notes) lines.push(`  ${note}`);
  if (verbose) {
    lines.push('  Evidence:');
    for (const item of diagnosis.evidence) lines.push(`    - ${item}`);
  }
  return lines.join('\n') + '\n';
}
