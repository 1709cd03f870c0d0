// What the diagnosis costs: portpath as it runs by default (a concurrent ICMP control trace, slow re-probes of
// partially answered hops, the diagnosis) against `--control none`, in the same lab scenario, the same number of
// runs each. The runs alternate (ABBAAB...) so a drift in the lab over the minute this takes hits both alike; the
// median wall time of each side is compared.
import { describeControl, reprobedHops, runDiagnosis, tally } from './diagnosis.js';
import { portpath, portpathNoControl } from './peers.js';
import type { ToolSpec } from './peers.js';
import { median } from './report.js';
import type { ToolRun } from './run-tool.js';
import type { Scenario } from './scenarios.js';

export interface OverheadOutcome {
  scenario: Scenario;
  /** Runs as portpath runs by default (with its control trace), in the order they ran. */
  withControl: ToolRun[];
  /** Runs with --control none. */
  withoutControl: ToolRun[];
  /** Median wall time of the successful runs of each side (s); null when a side has none. */
  withSeconds: number | null;
  withoutSeconds: number | null;
  /** (with − without) / without, in percent; null when either median is missing. */
  overheadPct: number | null;
}

const okSeconds = (runs: ToolRun[]): number[] => runs.flatMap((r) => (r.status === 'ok' && r.seconds !== null ? [r.seconds] : []));

function medianOrNull(values: number[]): number | null {
  return values.length ? median(values) : null;
}

/** `runs` runs of each side; `run` runs one tool in the lab, which must already be in `scenario`. */
export async function measureOverhead(scenario: Scenario, runs: number, run: (tool: ToolSpec) => Promise<ToolRun>): Promise<OverheadOutcome> {
  const withControl: ToolRun[] = [];
  const withoutControl: ToolRun[] = [];
  for (let i = 0; i < runs; i++) {
    const order: [ToolSpec, ToolRun[]][] = [
      [portpath, withControl],
      [portpathNoControl, withoutControl],
    ];
    if (i % 2 === 1) order.reverse();
    for (const [tool, into] of order) into.push(await run(tool));
  }
  const withSeconds = medianOrNull(okSeconds(withControl));
  const withoutSeconds = medianOrNull(okSeconds(withoutControl));
  const overheadPct = withSeconds !== null && withoutSeconds ? ((withSeconds - withoutSeconds) / withoutSeconds) * 100 : null;
  return { scenario, withControl, withoutControl, withSeconds, withoutSeconds, overheadPct };
}

/** "diagnosis overhead: 12.3% (default 1.25 s vs --control none 1.11 s)". */
export function overheadLine(outcome: OverheadOutcome): string {
  const s = (v: number | null): string => (v === null ? 'no successful run' : `${v.toFixed(2)} s`);
  const pct = outcome.overheadPct === null ? 'unknown' : `${outcome.overheadPct.toFixed(1)}%`;
  return `diagnosis overhead: ${pct} (default ${s(outcome.withSeconds)} vs --control none ${s(outcome.withoutSeconds)})`;
}

function side(label: string, runs: ToolRun[], withControl: boolean): string[] {
  const walls = runs.map((r) => (r.status === 'ok' && r.seconds !== null ? r.seconds.toFixed(2) : r.status)).join(', ');
  const main = medianOrNull(runs.flatMap((r) => (r.result ? [r.result.durationMs] : [])));
  const control = medianOrNull(runs.flatMap((r) => (r.result?.control ? [r.result.control.durationMs] : [])));
  const durations = [`main trace ${main === null ? '-' : `${main.toFixed(0)} ms`}`, ...(withControl ? [`control trace ${control === null ? '-' : `${control.toFixed(0)} ms`}`] : [])];
  const lines = [`${label.padEnd(15)} wall ${walls} s; median durationMs: ${durations.join(', ')}`];
  const indent = ''.padEnd(15);
  lines.push(`${indent} diagnosis: ${tally(runs.map(runDiagnosis))}`);
  if (withControl) lines.push(`${indent} control: ${tally(runs.map((r) => describeControl(r.result).replace(/, durationMs \d+$/, '')))}`);
  const reprobed = runs.map((r) => reprobedHops(r.result).join('; ') || 'none');
  lines.push(`${indent} hops re-probed after partial answers: ${tally(reprobed)}`);
  for (const r of runs) if (r.note && !r.note.startsWith('wall times')) lines.push(`${indent} note: ${r.note}`);
  return lines;
}

export function describeOverhead(outcome: OverheadOutcome): string[] {
  return [
    ...side('default', outcome.withControl, true),
    ...side('--control none', outcome.withoutControl, false),
    overheadLine(outcome),
  ];
}
