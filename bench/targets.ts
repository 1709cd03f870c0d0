// The benchmark's targets and how each is judged from the measurements.
import type { Chain } from '../src/lab/topology.js';
import { lastAnswering } from './parse.js';
import type { ScenarioOutcome } from './scenarios.js';

export const TARGETS = { speedupA: 1.5, speedupB: 5, rttMedianUs: 50, rssMiB: 80 };

export interface Verdict {
  pass: boolean;
  line: string;
}

/** Target (a): portpath answered 3/3 on every hop that answered, found the port open, and beat the fastest peer. */
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
    line: `(a) complete and ≥${TARGETS.speedupA}x faster than the fastest peer: ${completeness}; ${speed(outcome)}`,
  };
}

/** Target (b): portpath's last answer is router 3 (where the port is dropped) and it is far faster than peers. */
export function targetB(chain: Chain, outcome: ScenarioOutcome): Verdict {
  const expected = chain.routerAddress(3, 4);
  const last = outcome.portpath.trace ? lastAnswering(outcome.portpath.trace) : null;
  const right = last?.address === expected;
  const fast = outcome.ratio !== null && outcome.ratio >= TARGETS.speedupB;
  const where = last ? `last answering hop ${last.ttl} ${last.address}` : 'no answering hop';
  return {
    pass: right && fast,
    line: `(b) last answering hop is ${expected} and ≥${TARGETS.speedupB}x faster: ${where}; ${speed(outcome)}`,
  };
}

function speed(outcome: ScenarioOutcome): string {
  if (!outcome.fastest || outcome.ratio === null) return 'speed-up unknown (no peer or no portpath result)';
  const bound = outcome.fastest.status === 'timeout' ? '≥ ' : '';
  return `${outcome.portpath.seconds!.toFixed(2)} s vs ${outcome.fastest.tool.label} ${outcome.fastest.seconds!.toFixed(2)} s = ${bound}${outcome.ratio.toFixed(2)}x`;
}

