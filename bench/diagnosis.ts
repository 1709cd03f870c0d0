// portpath's diagnosis as the report shows it: what it said, whether that is what the scenario should produce, and
// the parts of the result that explain its cost (the control trace, hops re-probed slowly after partial answers).
import type { PortpathDiagnosis, PortpathResult } from './parse.js';
import type { ToolRun } from './run-tool.js';
import type { ExpectedDiagnosis } from './scenarios.js';

/** "filtered-in-path at hop 3 by 198.18.3.2". */
export function describeDiagnosis(d: PortpathDiagnosis | ExpectedDiagnosis | null | undefined): string {
  if (!d) return 'no diagnosis';
  return `${d.verdict}${d.hop !== null ? ` at hop ${d.hop}` : ''}${d.by ? ` by ${d.by}` : ''}`;
}

export function diagnosisRight(d: PortpathDiagnosis | null | undefined, expected: ExpectedDiagnosis): boolean {
  return !!d && d.verdict === expected.verdict && d.hop === expected.hop && d.by === expected.by;
}

/** What a run's diagnosis was, or why there is none ("timeout", "no diagnosis in the JSON"). */
export function runDiagnosis(run: ToolRun): string {
  if (run.status !== 'ok') return `no result (${run.status})`;
  return run.result?.diagnosis ? describeDiagnosis(run.result.diagnosis) : 'no diagnosis in the JSON';
}

/** Identical strings counted, in order of first appearance: "a ×3, b". */
export function tally(items: string[]): string {
  const counts = new Map<string, number>();
  for (const item of items) counts.set(item, (counts.get(item) ?? 0) + 1);
  return [...counts].map(([item, n]) => (n > 1 ? `${item} ×${n}` : item)).join(', ');
}

/** Hops portpath re-probed slowly because only some of their probes were answered: "hop 5 (rate-limit, 3/3)". */
export function reprobedHops(result: PortpathResult | undefined): string[] {
  return (result?.hops ?? []).flatMap((h) => (h.loss ? [`hop ${h.ttl} (${h.loss.cause}, re-probes ${h.loss.recheck.answered}/${h.loss.recheck.sent} answered)`] : []));
}

/** One line about the control trace in a result: its method, how far it got, its own duration. */
export function describeControl(result: PortpathResult | undefined): string {
  const control = result?.control;
  if (!control) return 'none in the JSON';
  const method = control.port !== null ? `${control.protocol}:${control.port}` : control.protocol;
  const d = control.destination;
  const answering = control.hops.filter((h) => h.probes.some((p) => p.rtt !== null)).map((h) => h.ttl);
  const reach = d.reached ? `reached the destination at hop ${d.hop}` : `did not reach the destination (last answer at TTL ${answering.length ? Math.max(...answering) : '-'})`;
  return `${method}, ${control.hops.length} hops, ${reach}, stopped by ${control.stoppedBy}, durationMs ${control.durationMs}`;
}
