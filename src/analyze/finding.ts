// What a diagnosis finding is made of, shared by the rules that reach one (diagnose, silence-verdict): the verdict,
// how sure, and every device where traffic to the port may stop.
import type { ReachCheck, TraceResult } from '../engine/types.js';
import { hopLabel, lastAnswer, protocolLabel } from './path-facts.js';

export type Verdict =
  | 'open'
  | 'closed'
  | 'reachable'
  | 'filtered-at-destination'
  | 'filtered-in-path'
  | 'rejected-in-path'
  | 'reset-in-path'
  | 'terminated-in-path'
  | 'no-route'
  | 'unreachable'
  | 'no-answer'
  | 'unknown';

/** Every verdict, in the order above: for those who list them all (the exporter's one series per verdict, its config). */
export const VERDICTS: readonly Verdict[] = ['open', 'closed', 'reachable', 'filtered-at-destination', 'filtered-in-path', 'rejected-in-path', 'reset-in-path', 'terminated-in-path', 'no-route', 'unreachable', 'no-answer', 'unknown'];

export type Confidence = 'high' | 'medium' | 'low';

/**
 * A device where traffic to the port may stop. `router`: a router that answered; `silent`: a router that answers no
 * protocol; `destination`: the target; `unseen`: whatever lies past the last answer, which nothing has seen.
 */
export interface Candidate {
  hop: number | null;
  by: string | null;
  role: 'router' | 'silent' | 'destination' | 'unseen';
}

export interface Finding {
  verdict: Verdict;
  hop: number | null;
  by: string | null;
  confidence: Confidence;
  explanation: string;
  evidence?: string[];
  upTo?: number;
  /** Where the stop cannot be pinned to one device: every one it may be (the first is `hop`'s). */
  candidates?: Candidate[];
}

/** Where an earlier run of the same watch got an answer from the destination: the path worked then. */
export interface ReachedBefore {
  hop: number;
  /** The method that reached it ("TCP/443", "ICMP echo"). */
  method: string;
  /** When (ISO 8601). */
  at: string;
}

/** What the diagnosis is told besides the two traces. */
export interface DiagnoseContext {
  /** The reach check, where one ran (neither trace heard from the destination). */
  reach?: ReachCheck | null;
  reachedBefore?: ReachedBefore | null;
}

/** "; ICMP echo reaches the destination at hop 4": how far the control got, and the reach check where it found the destination. */
export function controlReach(control: TraceResult | null, reach?: ReachCheck | null): string {
  if (!control) return '';
  const label = protocolLabel(control);
  if (control.destination.reached) return `; ${label} reaches the destination at hop ${control.destination.hop}`;
  const last = lastAnswer(control);
  const own = last ? `${label} gets no further than ${hopLabel(last.ttl, last.from)}` : `${label} gets no answer either`;
  const found = reach?.trace?.destination.reached ? reach : null;
  return found ? `; ${own}, but ${protocolLabel(found.found!)} reaches the destination at hop ${found.trace!.destination.hop}` : `; ${own}`;
}
