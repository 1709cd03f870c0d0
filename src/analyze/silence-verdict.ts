// The verdict when nothing final came back to the trace: where its traffic is last seen, what other traffic (the
// control, or the method the reach check found the destination with) shows about the path past it, and every device
// the stop may be at. A claim about the path ("unreachable") needs positive evidence for it: a router saying there is
// no route, or an earlier run that reached the destination; a destination that answers nothing gets 'no-answer'.
import type { ReachCheck, TraceResult } from '../engine/types.js';
import { describeUnreachable, unreachableClass } from '../packet/icmp-meaning.js';
import { burstsAreOneTry, pathLoss, silenceAt, silenceBoundary, triesNeeded } from './evidence.js';
import type { PathLoss } from './evidence.js';
import { controlReach } from './finding.js';
import type { Candidate, DiagnoseContext, Finding } from './finding.js';
import { hopAt, hopLabel, isAnswered, lastAnswer, protocolLabel, routerTtls, silentToEveryTrace } from './path-facts.js';
import type { HopAnswer } from './path-facts.js';
import { joinedControl } from './reach.js';

/**
 * Nothing final came back. The verdict rests on where the silence starts, so it is only as sure as that silence:
 * when the first silent TTL was not tried often enough for the loss measured on this path, confidence drops a step.
 */
export function silence(main: TraceResult, control: TraceResult | null, context: DiagnoseContext): Finding {
  // The control the verdict reasons from: the traced one, joined with the method the reach check found the destination with.
  const seen = joinedControl(control, context.reach);
  const finding = silenceFinding(main, seen, control, context);
  // The TTL whose silence shows the stop (past any that answer no trace at all: asking those tells nothing).
  const boundary = silenceBoundary(main, seen).evidenceTtl;
  const hop = hopAt(main, boundary);
  if (!hop) return finding;
  const oneTry = burstsAreOneTry([main, seen]);
  const loss = pathLoss([main, seen], oneTry);
  const quiet = silenceAt(hop, loss, oneTry);
  const tried = `TTL ${boundary} stayed silent for ${quiet.tries} independent ${quiet.tries === 1 ? 'try' : 'tries'}`;
  // Silent to the control too (the verdict then names it among the candidates): no sign of a filter's edge there.
  if (seen && finding.upTo !== undefined && finding.upTo >= boundary && !isAnswered(hopAt(seen, boundary))) {
    return { ...finding, evidence: [...(finding.evidence ?? []), `${tried}, and the control got no answer there either`] };
  }
  if (quiet.settled) {
    return { ...finding, evidence: [...(finding.evidence ?? []), `${tried}; at the loss measured on this path (${percent(loss)}) a hop that answers would have missed them all with under 1% chance`] };
  }
  return {
    ...finding,
    confidence: finding.confidence === 'high' ? 'medium' : 'low',
    evidence: [...(finding.evidence ?? []), `${tried}, too few to rule out loss at the ${percent(loss)} measured on this path (${triesNeeded(loss.rate)} needed)`],
  };
}

function percent(loss: PathLoss): string {
  return `${loss.missed} of ${loss.probes} ${loss.unit} at answering hops unanswered`;
}

function silentHops(first: number, last: number): string {
  return first === last ? `hop ${first}` : `hops ${first}-${last}`;
}

/** Re-probes each trace gave a TTL silent to both before it counts as asked often enough (see askedSilentTo). */
const ASKED_TIMES = 2;

/**
 * The last of the TTLs from `from` on that answered neither trace though each asked it again ASKED_TIMES or more,
 * before the control's next answer; `from - 1` when there are none.
 */
function askedSilentTo(main: TraceResult, control: TraceResult, from: number): number {
  const silentTo = silentToEveryTrace([main, control], from);
  let ttl = from;
  while (ttl <= silentTo && [main, control].every((trace) => (hopAt(trace, ttl)?.reprobes?.length ?? 0) >= ASKED_TIMES)) ttl++;
  return ttl - 1;
}

/** The last answering hop (when there is one), the silent routers after it, then `after` (the far end of the boundary). */
function candidatesFrom(last: HopAnswer | null, silentTo: number, after: Candidate | null): Candidate[] {
  const from = last?.ttl ?? 0;
  const silent = Array.from({ length: Math.max(0, silentTo - from) }, (_, i): Candidate => ({ hop: from + 1 + i, by: null, role: 'silent' }));
  return [...(last ? [{ hop: last.ttl, by: last.from, role: 'router' as const }] : []), ...silent, ...(after ? [after] : [])];
}

/** The hop after `ttl` as the control saw it: a router that answered it, or (unseen) whatever is there. */
function nextHop(control: TraceResult, ttl: number): Candidate {
  const router = routerTtls(control).get(ttl);
  if (router) return { hop: ttl, by: router, role: 'router' };
  if (control.destination.reached && control.destination.hop === ttl) return { hop: ttl, by: control.destination.by, role: 'destination' };
  return { hop: ttl, by: null, role: 'unseen' };
}

/** The methods that got nothing from the destination: the trace's, the control's and the reach check's. */
function triedText(main: TraceResult, control: TraceResult, reach: ReachCheck | null | undefined): string {
  const labels = [protocolLabel(main), protocolLabel(control), ...(reach?.attempts.filter((a) => a.sent).map((a) => protocolLabel(a.method)) ?? [])];
  const unique = [...new Set(labels)];
  return unique.length <= 2 ? `neither ${unique.join(' nor ')}` : `none of ${unique.slice(0, -1).join(', ')} or ${unique.at(-1)}`;
}

/** A router's ICMP net/host unreachable drawn by a reach attempt: positive evidence that the path is broken there. */
function noRouteFromReach(main: TraceResult, reach: ReachCheck | null | undefined): { by: string; what: string; method: string } | null {
  const family = main.target.family;
  for (const attempt of reach?.attempts ?? []) {
    const reply = attempt.answer?.reply;
    if (!reply || reply.kind !== 'unreachable' || attempt.answer!.from === main.target.address) continue;
    if (unreachableClass(family, reply.icmpCode ?? -1) === 'no-route') {
      return { by: attempt.answer!.from, what: describeUnreachable(family, reply.icmpType, reply.icmpCode), method: protocolLabel(attempt.method) };
    }
  }
  return null;
}

function silenceFinding(main: TraceResult, control: TraceResult | null, traced: TraceResult | null, context: DiagnoseContext): Finding {
  const label = protocolLabel(main);
  const last = lastAnswer(main);
  const stops = last ? `${label} gets no answer past ${hopLabel(last.ttl, last.from)}` : `${label} gets no answer from any hop`;
  const hop = last?.ttl ?? null;
  const by = last?.from ?? null;
  const unseen = (ttl: number): Candidate => ({ hop: ttl, by: null, role: 'unseen' });
  if (!control || !traced) {
    return {
      verdict: last ? 'filtered-in-path' : 'unknown',
      hop,
      by,
      confidence: 'low',
      explanation: `${stops}. Without a control trace it cannot tell a filter from a broken path or a silent destination.`,
      candidates: candidatesFrom(last, last?.ttl ?? 0, unseen((last?.ttl ?? 0) + 1)),
    };
  }
  const reach = controlReach(traced, context.reach);
  if (control.destination.reached) return silenceWithReachableDestination(main, control, last, stops, reach);
  const controlLast = lastAnswer(control);
  if (controlLast && (!last || controlLast.ttl > last.ttl)) {
    // Other traffic gets past where the port's stops: the drop is on the path, at the boundary (or a silent router after it).
    const { hiddenTo } = silenceBoundary(main, control);
    return {
      verdict: 'filtered-in-path',
      hop,
      by,
      confidence: 'medium',
      explanation: `${stops}, while ${protocolLabel(traced)} gets as far as ${hopLabel(controlLast.ttl, controlLast.from)} (but not to the destination either).`,
      candidates: candidatesFrom(last, hiddenTo, nextHop(control, hiddenTo + 1)),
    };
  }
  const end = controlLast && (!last || controlLast.ttl >= last.ttl) ? controlLast : last;
  const endHop = end?.ttl ?? null;
  const beyond = candidatesFrom(end, end?.ttl ?? 0, unseen((end?.ttl ?? 0) + 1));
  const noRoute = noRouteFromReach(main, context.reach);
  if (noRoute) {
    const at = [...routerTtls(main), ...routerTtls(control)].find(([, from]) => from === noRoute.by)?.[0] ?? null;
    return {
      verdict: 'no-route',
      hop: at,
      by: noRoute.by,
      confidence: 'high',
      explanation: `${stops}${reach}; ${noRoute.by} answers ${noRoute.method} with ${noRoute.what}: the path itself is broken there.`,
      candidates: [{ hop: at, by: noRoute.by, role: 'router' }],
    };
  }
  const found = context.reach?.found;
  if (found) {
    // The destination answered another method but could not be placed (its answers missing at every TTL tried):
    // the path delivers, so this is a filter, but where past `end` cannot be said.
    return {
      verdict: 'unknown',
      hop: endHop,
      by: end?.from ?? null,
      confidence: 'low',
      explanation: `${stops}${reach}; ${protocolLabel(found)} reaches the destination, but its hop could not be placed: ${label} is dropped somewhere past ${end ? hopLabel(end.ttl, end.from) : 'this host'}, at a router or at the destination.`,
      candidates: [...beyond, { hop: null, by: main.target.address, role: 'destination' }],
    };
  }
  const before = context.reachedBefore;
  if (before && end) {
    // Positive evidence that the path works: this watch reached the destination earlier, and now nothing passes `end`.
    return {
      verdict: 'unreachable',
      hop: endHop,
      by: end.from,
      confidence: 'medium',
      explanation: `${stops}${reach}, and nothing answers past ${hopLabel(end.ttl, end.from)}; ${before.method} reached the destination at hop ${before.hop} at ${before.at}: the path broke after ${hopLabel(end.ttl, end.from)}, or the destination went dark.`,
      candidates: beyond,
    };
  }
  // Nothing answers past the same place, for any method: the destination dropping everything (a security group), a
  // host that is down and a broken path look the same from here. Say what was seen, not which.
  const target = main.target.address;
  // `end` is where the trace's own answers stop too (had the control gone further, the drop would be in the path).
  const where = end ? `past ${hopLabel(end.ttl, end.from)}` : 'at any hop';
  return {
    verdict: 'no-answer',
    hop: endHop,
    by: end?.from ?? null,
    // Sure of what it claims (nothing answers past `end`) when the control got answers up to there and, better, when
    // the reach check's methods found nothing either.
    confidence: end && controlLast ? (context.reach ? 'high' : 'medium') : 'low',
    explanation:
      `Nothing answers ${where}: the destination ${target} answers ${triedText(main, traced, context.reach)}. ` +
      `A host firewall or security group dropping everything, a host that is down and a path broken ${end ? `after hop ${end.ttl}` : 'before the first hop'} all look like this from here. ` +
      `Try --control tcp:PORT with a port the host is known to serve, or trace from a host in its network.`,
    candidates: [...beyond, { hop: null, by: target, role: 'destination' }],
  };
}

function silenceWithReachableDestination(main: TraceResult, control: TraceResult, last: HopAnswer | null, stops: string, reach: string): Finding {
  const label = protocolLabel(main);
  const destinationHop = control.destination.hop!;
  const destination: Candidate = { hop: destinationHop, by: control.destination.by, role: 'destination' };
  const hop = last?.ttl ?? null;
  const by = last?.from ?? null;
  const mainStop = last?.ttl ?? 0;
  const controlRouters = routerTtls(control);
  const controlGotFurther = [...controlRouters.keys()].some((ttl) => ttl > mainStop && ttl < destinationHop);
  const udpCaveat = main.protocol === 'udp' ? ' (or the port is open and the service ignores the probe: UDP cannot tell)' : '';
  if (mainStop >= destinationHop - 1) {
    // The last router answered and the next device is the destination: a probe the router drops on forwarding and
    // one the destination drops look the same from here (the router answers time-exceeded before its forward rules).
    const which = last
      ? `dropped by ${hopLabel(last.ttl, last.from)} or by the destination ${control.destination.by} — they cannot be told apart from here (a firewall on that router, or a host firewall or security group on the server)`
      : 'filtered at the destination';
    return {
      verdict: 'filtered-at-destination',
      hop,
      by: control.destination.by,
      confidence: main.protocol === 'udp' ? 'low' : 'high',
      explanation: `Every router up to the destination answers, but the destination does not answer ${label}${reach}: the port is ${which}${udpCaveat}.`,
      candidates: candidatesFrom(last, mainStop, destination),
    };
  }
  if (controlGotFurther) {
    // Routers right after the last answer that answer no protocol hide which side drops it: name every candidate.
    const { hiddenTo } = silenceBoundary(main, control);
    const from = last ? hopLabel(last.ttl, last.from) : 'this host';
    // Where routers show spent ICMP budgets those hops are asked again rather than passed over; the ones that stayed
    // silent to both traces however often asked may be routers out of budget, not a filter's edge: candidates too.
    const drainedTo = hiddenTo > mainStop ? mainStop : askedSilentTo(main, control, mainStop + 1);
    const upTo = Math.max(hiddenTo, drainedTo);
    const where =
      hiddenTo > mainStop
        ? `dropped at ${from} or at ${silentHops(mainStop + 1, hiddenTo)}, which answer${mainStop + 1 === hiddenTo ? 's' : ''} no protocol: which of them drops it cannot be seen from here`
        : drainedTo > mainStop
          ? `dropped at ${from} or at ${silentHops(mainStop + 1, drainedTo)}, which answered neither it nor the control however often asked; routers on this path show spent ICMP budgets, so ${mainStop + 1 === drainedTo ? 'that router' : 'those routers'} may only be out of it: which of them drops it cannot be seen from here`
          : `dropped between ${from} and hop ${mainStop + 1}`;
    return {
      verdict: 'filtered-in-path',
      hop,
      by,
      confidence: drainedTo > mainStop ? 'medium' : 'high',
      explanation: `${label} is ${where}${reach}.`,
      ...(upTo > mainStop ? { upTo } : {}),
      candidates: candidatesFrom(last, upTo, nextHop(control, upTo + 1)),
    };
  }
  // The hops between the last answer and the destination are silent for every protocol: a router that never sends
  // time-exceeded looks exactly like a filter there. Two stories fit; say so.
  return {
    verdict: 'unknown',
    hop,
    by,
    confidence: 'low',
    explanation:
      `${stops}${reach}, but ${silentHops(mainStop + 1, destinationHop - 1)} answer${mainStop + 1 === destinationHop - 1 ? 's' : ''} no protocol: ` +
      `a silent router there or the destination itself may be dropping ${label}.`,
    candidates: candidatesFrom(last, destinationHop - 1, destination),
  };
}
