// The benchmark's targets and how each is judged from the measurements.
import type { Chain } from '../src/lab/topology.js';
import { describeDiagnosis, diagnosisRight, runDiagnosis, tally } from './diagnosis.js';
import type { OverheadOutcome } from './overhead.js';
import { overheadLine } from './overhead.js';
import { lastAnswering } from './parse.js';
import type { ToolRun } from './run-tool.js';
import type { Scenario, ScenarioOutcome } from './scenarios.js';

export const TARGETS = { speedupA: 1.5, speedupB: 5, rttMedianUs: 50, rssMiB: 80, overheadPct: 20, unprivilegedRatio: 1.5 };

export interface Verdict {
  pass: boolean;
  line: string;
}

/** Target (a), and the long path's: portpath answered 3/3 on every hop that answered, found the port open, and beat the fastest peer. */
export function targetA(outcome: ScenarioOutcome): Verdict {
  const pp = outcome.portpath;
  const answering = pp.trace?.hops.filter((h) => h.answered > 0) ?? [];
  const partial = answering.filter((h) => h.answered !== 3 || h.sent !== 3);
  const state = pp.result?.destination.state ?? 'none';
  const complete = pp.status === 'ok' && answering.length > 0 && partial.length === 0 && state === 'open';
  const fast = outcome.ratio !== null && outcome.ratio >= TARGETS.speedupA;
  const completeness = complete
    ? `complete (3/3 on all ${answering.length} answering hops, port open)`
    : `incomplete (${pp.status}; ${partial.map((h) => `hop ${h.ttl} ${h.answered}/${h.sent}`).join(', ') || 'no partial hops'}; port ${state})`;
  return {
    pass: complete && fast,
    line: `(${outcome.scenario.key}) complete and ≥${TARGETS.speedupA}x faster than the fastest peer: ${completeness}; ${speed(outcome)}`,
  };
}

/** Target (b): portpath's last answer is router 3 (where the port is dropped) and it is far faster than peers. */
/** (b) and (c): traffic stops at router 3, found at least TARGETS.speedupB times faster than the fastest peer. */
export function targetB(chain: Chain, outcome: ScenarioOutcome): Verdict {
  const expected = chain.routerAddress(3, 4);
  const last = outcome.portpath.trace ? lastAnswering(outcome.portpath.trace) : null;
  const right = last?.address === expected;
  const fast = outcome.ratio !== null && outcome.ratio >= TARGETS.speedupB;
  const where = last ? `last answering hop ${last.ttl} ${last.address}` : 'no answering hop';
  return {
    pass: right && fast,
    line: `(${outcome.scenario.key}) last answering hop is ${expected} and ≥${TARGETS.speedupB}x faster: ${where}; ${speed(outcome)}`,
  };
}

function speed(outcome: ScenarioOutcome): string {
  if (!outcome.fastest || outcome.ratio === null) return 'speed-up unknown (no peer or no portpath result)';
  const bound = outcome.fastest.status === 'timeout' ? '≥ ' : '';
  return `${outcome.portpath.seconds!.toFixed(2)} s vs ${outcome.fastest.tool.label} ${outcome.fastest.seconds!.toFixed(2)} s = ${bound}${outcome.ratio.toFixed(2)}x`;
}


/**
 * Target: portpath's diagnosis (default control) is the scenario's expected one in every run that was made with
 * the default control: the scenario's runs and the overhead phase's. A run without a result counts as wrong.
 */
export function targetDiagnosis(chain: Chain, scenario: Scenario, runs: ToolRun[]): Verdict {
  const expected = scenario.expectedDiagnosis(chain);
  const right = runs.filter((r) => r.status === 'ok' && diagnosisRight(r.result?.diagnosis, expected));
  const wrong = runs.filter((r) => !right.includes(r));
  const got = wrong.length ? `; got ${tally(wrong.map(runDiagnosis))}` : '';
  return {
    pass: runs.length > 0 && wrong.length === 0,
    line: `(${scenario.key}) diagnosis is ${describeDiagnosis(expected)}: right in ${right.length}/${runs.length} runs with the default control${got}`,
  };
}

/** Target: the default run (control trace, re-probes, diagnosis) costs at most TARGETS.overheadPct more wall time. */
export function targetOverhead(outcome: OverheadOutcome): Verdict {
  const pass = outcome.overheadPct !== null && outcome.overheadPct <= TARGETS.overheadPct;
  const n = Math.max(outcome.withControl.length, outcome.withoutControl.length);
  return { pass, line: `(${outcome.scenario.key}) diagnosis overhead ≤ ${TARGETS.overheadPct}% (median of ${n} runs each): ${overheadLine(outcome).replace(/^diagnosis overhead: /, '')}` };
}

/** Issue 4: the unprivileged transport's wall time within 1.5x of raw mode's, on the same scenario. */
export function targetUnprivileged(outcome: ScenarioOutcome): Verdict {
  const raw = outcome.portpath;
  const unprivileged = outcome.runs.find((r) => r.tool.label === 'portpath --mode unprivileged');
  const label = `(${outcome.scenario.key}) unprivileged within ${TARGETS.unprivilegedRatio}x of raw`;
  if (!unprivileged || unprivileged.status !== 'ok' || raw.status !== 'ok' || !raw.seconds || !unprivileged.seconds) {
    return { pass: false, line: `${label}: not measured (${unprivileged?.status ?? 'not run'})` };
  }
  const ratio = unprivileged.seconds / raw.seconds;
  const same = unprivileged.result?.destination.state === raw.result?.destination.state;
  return {
    pass: ratio <= TARGETS.unprivilegedRatio && same,
    line: `${label}: ${unprivileged.seconds.toFixed(2)} s vs raw ${raw.seconds.toFixed(2)} s = ${ratio.toFixed(2)}x; port state ${same ? 'the same' : 'DIFFERS'} (${unprivileged.result?.destination.state ?? '?'})`,
  };
}

/** (c) costs what (b) costs: a silent router beside the drop is named, not re-asked (within 10% of (b)'s time). */
export function targetSilentNeighbour(b: ScenarioOutcome, c: ScenarioOutcome): Verdict {
  const [cs, bs] = [c.portpath.seconds, b.portpath.seconds];
  if (cs === null || bs === null) return { pass: false, line: "(c) within 10% of (b)'s time: not measured" };
  const ratio = cs / bs;
  return { pass: ratio <= 1.1, line: `(c) within 10% of (b)'s time: ${cs.toFixed(2)} s vs ${bs.toFixed(2)} s = ${ratio.toFixed(2)}x` };
}
