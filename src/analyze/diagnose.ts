// The diagnosis: where traffic to the port stops, who stopped it and how. It reasons only from what the traces saw
// — the main trace to the port and a control trace (ICMP echo by default) to the same host — and says how sure it
// is; where two explanations fit the evidence equally, it says 'unknown' or lowers its confidence, never guesses.
import { doubtText } from '../engine/port-state.js';
import type { ReachCheck, ReachMethod, TraceResult } from '../engine/types.js';
import { describeUnreachable, parseReason, unreachableClass } from '../packet/icmp-meaning.js';
import { controlReach } from './finding.js';
import type { Candidate, Confidence, DiagnoseContext, Finding, Verdict } from './finding.js';
import { compactRanges, expiredFrom, finalAnswers, finalReplyTtls, finalSenderDistance, hopLabel, lastAnswer, protocolLabel, routerTtls } from './path-facts.js';
import { pathNotes } from './path-notes.js';
import type { PathNotes } from './path-notes.js';
import { silence } from './silence-verdict.js';

export type { Candidate, Confidence, DiagnoseContext, ReachedBefore, Verdict } from './finding.js';

export interface ControlSummary {
  protocol: TraceResult['protocol'];
  port: number | null;
  reached: boolean;
  hop: number | null;
  lastHop: number | null;
}

export interface ReachSummary {
  /** In order; "tcp:443", "tcp-ack:9443", "udp:33434", "icmp". */
  tried: { method: string; answer: string | null; from: string | null; skipped?: string }[];
  /** The method that found the destination, or null. */
  found: string | null;
  /** Where that method placed the destination, and who answered. */
  hop: number | null;
  by: string | null;
  /** Probes the check sent in all. */
  probes: number;
}

export interface Diagnosis extends PathNotes {
  verdict: Verdict;
  /** The destination's hop (open/closed), the last answering hop (filtered), the rejecting or forging device's hop. */
  hop: number | null;
  /**
   * Present when the stop cannot be placed at one hop: it is at `hop` or at any hop up to this one, routers that
   * answer no protocol (so which of them drops the traffic cannot be seen from here).
   */
  upTo?: number;
  by: string | null;
  /**
   * Every device where traffic to the port may stop, in path order, when the evidence cannot split them (the last
   * router that answered and the destination after it; silent routers; what lies past the last answer); one entry
   * when it can. The confidence is about the stop being among them, not about which one.
   */
  candidates: Candidate[];
  confidence: Confidence;
  evidence: string[];
  explanation: string;
  control: ControlSummary | null;
  /** The reach check, where one ran: each method tried and what it drew, and the one that found the destination. */
  reach: ReachSummary | null;
  /**
   * The target address forwards the port to a host behind it (port forwarding, DNAT, an L4 load balancer): it
   * answered time-exceeded itself at `hop`; `serviceHop` is where the service answered (null when it did not), and
   * `stops` says whether traffic to the port got past the forwarder when it did not ('behind') — null otherwise.
   */
  forwarder: { hop: number; address: string; serviceHop: number | null; stops: 'behind' | null } | null;
}


const ANSWERS: Record<string, string> = {
  'syn-ack': 'answers with SYN-ACK',
  rst: 'answers with RST',
  udp: 'answers with a UDP reply',
  'echo-reply': 'answers echo requests',
  'icmp-3/3': 'answers with ICMP port unreachable',
  'icmpv6-1/4': 'answers with ICMPv6 port unreachable',
};

function controlSummary(control: TraceResult | null): ControlSummary | null {
  if (!control) return null;
  return {
    protocol: control.protocol,
    port: control.port,
    reached: control.destination.reached,
    hop: control.destination.reached ? control.destination.hop : null,
    lastHop: lastAnswer(control)?.ttl ?? null,
  };
}

function describeTrace(result: TraceResult, role: string): string {
  const label = `${role} ${protocolLabel(result)}`;
  const routers = [...routerTtls(result).keys()];
  const routerText = routers.length > 0 ? `routers answered at TTL ${compactRanges(routers)}` : 'no router answered';
  const d = result.destination;
  if (d.hop !== null && d.by) {
    const ttls = finalReplyTtls(result);
    const ttlText = ttls.length > 0 ? ` (reply IP TTL ${[...new Set(ttls)].join('/')})` : '';
    return `${label}: ${routerText}; final answer ${d.reason} from ${d.by} at TTL ${d.hop}${ttlText}`;
  }
  const last = lastAnswer(result);
  const silent = result.hops.filter((h) => last === null || h.ttl > last.ttl).length;
  return `${label}: ${routerText}; no final answer${last ? `, silence for ${silent} TTLs after TTL ${last.ttl}` : ''}`;
}

/** A TCP answer from the destination's address: genuine, or forged by a device on the path? */
function destinationAnswer(main: TraceResult, control: TraceResult | null): Finding {
  const d = main.destination;
  const finalHop = d.hop!;
  const label = protocolLabel(main);
  const evidence: string[] = [];
  const sender = finalSenderDistance(main);
  const controlReached = control?.destination.reached === true && control.destination.by === d.by;
  const controlSender = controlReached ? finalSenderDistance(control!) : null;

  // Distance evidence is positive evidence only: a router that expired the control's probe at or past the TTL where
  // the answer appeared. A control that merely got no answer there proves nothing (a lost probe looks the same).
  const expired = expiredFrom(control, finalHop);
  const beforeDestination = expired.length > 0;
  const closerThanDestination = sender !== null && controlSender !== null && sender < controlSender;
  const sameDistance = sender !== null && controlSender !== null && sender === controlSender;
  const closerThanItsTtl = sender !== null && sender < finalHop;
  if (beforeDestination) {
    evidence.push(`the ${d.reason} came at TTL ${finalHop}, but ${protocolLabel(control!)} probes expired at a router at TTL ${compactRanges(expired)}: the destination is farther for them`);
  }
  if (closerThanDestination) {
    evidence.push(`its IP TTL says it was sent ${sender} hops away; the destination's own replies come from ${controlSender} hops away`);
  } else if (closerThanItsTtl && !sameDistance) {
    evidence.push(`its IP TTL says it was sent ${sender} hops away, closer than TTL ${finalHop} where it appeared`);
  }

  // Two lines of evidence that disagree: the reply TTL says the destination itself sent it. Say the destination's
  // verdict and why the in-path theory was not taken (a wrong forgery claim is worse than none).
  const contradicted = beforeDestination && sameDistance;
  if (contradicted) {
    evidence.push(
      `not taken as forged: its IP TTL says it was sent ${sender} hops away, exactly as far as the destination's own replies; the probes expiring farther on may have taken another path`,
    );
  }
  const forged = (beforeDestination || closerThanDestination) && !sameDistance;
  const genuine: Verdict = main.protocol === 'icmp' ? 'reachable' : d.state === 'open' ? 'open' : 'closed';
  // The control's own replies arriving just as short say the return path is short, not that someone forged.
  const explainedByControl = controlSender !== null && sender !== null && controlSender <= sender;
  if (!forged) {
    if (closerThanItsTtl && !explainedByControl) {
      // Only the reply TTL disagrees: asymmetric return paths do that too, so say it but do not cry forgery.
      const check = control ? 'the control trace could not confirm the destination' : 'run with --control to check';
      return {
        verdict: genuine,
        hop: finalHop,
        by: d.by,
        confidence: 'low',
        explanation: `${label} is ${genuine} at ${hopLabel(finalHop, d.by)}, but the reply's TTL suggests it may come from a device closer than the destination; ${check}.`,
        evidence,
      };
    }
    // An echo reply is its own proof; a port answer is confirmed when the control reaches the same host; evidence
    // that disagreed lowers it.
    const confirmed = main.protocol === 'icmp' || controlReached;
    const confidence: Confidence = contradicted ? 'medium' : confirmed ? 'high' : 'medium';
    const what = ANSWERS[d.reason] ?? `answers (${d.reason})`;
    return {
      verdict: genuine,
      hop: finalHop,
      by: d.by,
      confidence,
      explanation: `${label} is ${genuine}: the destination ${d.by} ${what} at hop ${finalHop}.`,
      evidence,
    };
  }
  // The forger sits where the reply TTL points, but not before a router that passed later probes on (it answered
  // time-exceeded for a TTL below the first forged answer) and not past the TTL where the forged answers began.
  const passedOn = Math.max(0, ...[...routerTtls(main).keys()].filter((ttl) => ttl < finalHop));
  const lowest = Math.max(1, passedOn);
  let deviceHop = sender !== null ? Math.min(Math.max(sender, lowest), finalHop) : finalHop;
  if (sender !== null && sender < lowest) {
    evidence.push(`routers up to hop ${passedOn} passed probes on, so the device is at hop ${lowest} or later (the reply TTL points closer: an asymmetric return path)`);
    deviceHop = lowest;
  }
  const device = routerTtls(main).get(deviceHop) ?? (control ? routerTtls(control).get(deviceHop) : undefined) ?? null;
  const where = hopLabel(deviceHop, device);
  const forgery = FORGERIES[d.reason] ?? FORGERIES['syn-ack']!;
  return {
    verdict: forgery.verdict,
    hop: deviceHop,
    by: device,
    // Both lines (where the control's probes expired, how far the answer travelled) agreeing: high; one: medium.
    confidence: beforeDestination && closerThanDestination ? 'high' : 'medium',
    explanation: `A device at ${where} ${forgery.how}; ${label} never reaches ${d.by}${controlReach(control)}.`,
    evidence,
  };
}

/** What a device answering in the destination's name does, by the kind of answer. */
const FORGERIES: Record<string, { verdict: Verdict; how: string }> = {
  rst: { verdict: 'reset-in-path', how: "forges an RST in the destination's name" },
  'syn-ack': {
    verdict: 'terminated-in-path',
    how: "answers the SYN itself with a SYN-ACK in the destination's name (a transparent proxy or load balancer terminating TCP)",
  },
  udp: { verdict: 'terminated-in-path', how: "answers the UDP probes itself in the destination's name (an intercepting proxy, e.g. DNS interception)" },
  'echo-reply': { verdict: 'terminated-in-path', how: "answers the echo requests itself in the destination's name" },
  'icmp-3/3': { verdict: 'rejected-in-path', how: "answers with ICMP port unreachable in the destination's name" },
  'icmpv6-1/4': { verdict: 'rejected-in-path', how: "answers with ICMPv6 port unreachable in the destination's name" },
};

/** An ICMP unreachable ended the trace. */
function unreachableAnswer(main: TraceResult, control: TraceResult | null): Finding {
  const d = main.destination;
  const label = protocolLabel(main);
  const reply = finalAnswers(main)[0]?.reply;
  const code = reply?.icmpCode ?? -1;
  const what = describeUnreachable(main.target.family, reply?.icmpType, reply?.icmpCode);
  const family = main.target.family;
  if (d.by === main.target.address) {
    return {
      verdict: 'filtered-at-destination',
      hop: d.hop,
      by: d.by,
      confidence: 'high',
      explanation: `The destination ${d.by} itself rejects ${label} with ${what}.`,
    };
  }
  const controlPassed = control !== null && (control.destination.reached || (lastAnswer(control)?.ttl ?? 0) > d.hop!);
  if (unreachableClass(family, code) === 'no-route' && !controlPassed) {
    return {
      verdict: 'no-route',
      hop: d.hop,
      by: d.by,
      // A control that got answers and still stopped there confirms the path is broken; a silent one adds nothing.
      confidence: control && lastAnswer(control) ? 'high' : 'medium',
      explanation: `${hopLabel(d.hop!, d.by)} has no route onward and says so with ${what}${controlReach(control)}: the path itself is broken.`,
    };
  }
  const admin = unreachableClass(family, code) === 'admin';
  const placed = rejectPlace(main, control);
  return {
    verdict: 'rejected-in-path',
    hop: placed.hop,
    by: d.by,
    confidence: admin || controlPassed ? 'high' : 'medium',
    explanation: `${hopLabel(placed.hop, d.by)} rejects ${label} with ${what}${controlReach(control)}.`,
    ...(placed.evidence ? { evidence: [placed.evidence] } : {}),
  };
}

/**
 * The TTL at which a router's reject stops the traffic: one past the router's own hop. Its rejects are rate-limited
 * like its other ICMP errors, so the first of them to come back may answer a later TTL than the first it drew (a
 * batch's routers are out of budget often). The router's hop is the TTL it answered time exceeded at, else the
 * distance its reject's TTL gives; never before a TTL at which this trace's own probes went past a router (shared
 * hops were probed with another flow), and never past the TTL the reject came at.
 */
function rejectPlace(main: TraceResult, control: TraceResult | null): { hop: number; evidence: string | null } {
  const d = main.destination;
  const cameAt = d.hop!;
  const metAt = (result: TraceResult | null) => [...(result ? routerTtls(result) : [])].find(([ttl, from]) => from === d.by && ttl < cameAt)?.[0] ?? null;
  const routerHop = metAt(main) ?? metAt(control) ?? finalSenderDistance(main);
  if (routerHop === null) return { hop: cameAt, evidence: null };
  const own = routerTtls({ hops: main.hops.filter((h) => !h.shared) });
  const passedOn = Math.max(0, ...[...own.keys()].filter((ttl) => ttl < cameAt));
  const hop = Math.min(cameAt, Math.max(routerHop + 1, passedOn + 1));
  if (hop === cameAt) return { hop, evidence: null };
  return { hop, evidence: `the reject came at TTL ${cameAt}, but ${d.by} is at hop ${hop - 1} (the TTLs before it drew no answer: lost, or past its ICMP budget)` };
}

/** The lowest TTL at which the target address itself sent our probe back as expired: it forwards it onward. */
function forwarderOf(main: TraceResult): Diagnosis['forwarder'] {
  const target = main.target.address;
  const d = main.destination;
  const at = [...routerTtls(main)].find(([ttl, from]) => from === target && (d.hop === null || ttl < d.hop));
  if (!at) return null;
  const serviceHop = d.hop !== null && d.by === target ? d.hop : null;
  return { hop: at[0], address: target, serviceHop, stops: serviceHop === null && d.hop === null ? 'behind' : null };
}

function forwarderText(main: TraceResult, forwarder: NonNullable<Diagnosis['forwarder']>): string {
  const label = protocolLabel(main);
  const what = `The target address ${forwarder.address} forwards ${label} at hop ${forwarder.hop} (port forwarding, DNAT or an L4 load balancer)`;
  if (forwarder.serviceHop !== null) return ` ${what}: the service answers from hop ${forwarder.serviceHop}, behind it.`;
  if (forwarder.stops === 'behind') return ` ${what}, and traffic to the port stops behind it, not at it.`;
  return ` ${what}.`;
}

/** The reach check as the diagnosis reports it. */
function reachSummary(reach: ReachCheck | null | undefined): ReachSummary | null {
  if (!reach) return null;
  const name = (m: ReachMethod) => (m.protocol === 'icmp' ? 'icmp' : `${m.protocol}${m.tcp ? `-${m.tcp}` : ''}:${m.port}`);
  const placed = reach.trace?.destination.reached ? reach.trace.destination : null;
  return {
    tried: reach.attempts
      .filter((a) => a.sent || a.skipped)
      .map((a) => ({ method: name(a.method), answer: a.answer ? (a.answer.reply.name ?? a.answer.reply.kind) : null, from: a.answer?.from ?? null, ...(a.skipped ? { skipped: a.skipped } : {}) })),
    found: reach.found ? name(reach.found) : null,
    hop: placed?.hop ?? null,
    by: placed?.by ?? null,
    probes: reach.probes,
  };
}

/** "looked for the destination with TCP/443 (no answer), TCP/80 (SYN-ACK from …)": the reach check, for the evidence. */
function reachEvidence(reach: ReachCheck): string {
  const tried = reach.attempts
    .filter((a) => a.sent)
    .map((a) => `${protocolLabel(a.method)} (${a.answer ? `${a.answer.reply.name ?? a.answer.reply.kind} from ${a.answer.from}` : 'no answer'})`);
  return `looked for the destination with one probe per method past the path's end: ${tried.join(', ') || 'nothing could be sent'}`;
}

/** One device, where the finding pins the stop to one. */
function soleCandidate(main: TraceResult, finding: Finding): Candidate[] {
  if (finding.hop === null && finding.by === null) return [];
  return [{ hop: finding.hop, by: finding.by, role: finding.by !== null && finding.by === main.target.address ? 'destination' : 'router' }];
}

export function diagnose(main: TraceResult, control: TraceResult | null, context: DiagnoseContext = {}): Diagnosis {
  const d = main.destination;
  const reason = parseReason(d.reason);
  let finding: Finding;
  if (d.doubt) {
    // The answers that set the state may be our own doing: say so rather than claim a closed port.
    finding = {
      verdict: 'unknown',
      hop: d.hop,
      by: d.by,
      confidence: 'low',
      explanation: `${protocolLabel(main)}: the destination ${d.by ?? ''} answered at hop ${d.hop ?? '?'} with ${d.reason}, but ${doubtText(d.doubt)}; run again.`,
      evidence: [doubtText(d.doubt)],
    };
  } else if (d.hop !== null && d.by !== null && reason.kind !== 'timeout' && reason.kind !== 'icmp') finding = destinationAnswer(main, control);
  else if (d.hop !== null && d.by !== null && reason.kind === 'icmp') {
    // A port unreachable from the destination is a plain 'closed' (UDP).
    finding = d.by === main.target.address && d.state === 'closed' ? destinationAnswer(main, control) : unreachableAnswer(main, control);
  } else finding = silence(main, control, context);
  const reach = context.reach ?? null;
  const evidence = [
    describeTrace(main, 'trace'),
    ...(control ? [describeTrace(control, 'control')] : []),
    ...(reach ? [reachEvidence(reach), ...(reach.trace ? [describeTrace(reach.trace, `reach (from TTL ${reach.fromTtl})`)] : [])] : []),
    ...(finding.evidence ?? []),
  ];
  const notes = pathNotes(main);
  const forwarder = forwarderOf(main);
  if (forwarder) finding.explanation += forwarderText(main, forwarder);
  return {
    verdict: finding.verdict,
    hop: finding.hop,
    ...(finding.upTo !== undefined ? { upTo: finding.upTo } : {}),
    by: finding.by,
    candidates: finding.candidates ?? soleCandidate(main, finding),
    confidence: finding.confidence,
    evidence: [...evidence, ...notes.evidence],
    explanation: finding.explanation,
    control: controlSummary(control),
    reach: reachSummary(reach),
    forwarder,
    middleboxes: notes.middleboxes,
    nat: notes.nat,
    rateLimited: notes.rateLimited,
    lossy: notes.lossy,
    mplsHops: notes.mplsHops,
    notes: notes.notes,
  };
}
