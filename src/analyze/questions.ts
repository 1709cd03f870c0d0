// Which TTLs a verdict hinges on and are not yet established: the run owner re-probes exactly those (spaced, so a
// rate-limited router can answer) until each has an answer or has stayed silent often enough to call it silent.
import type { TraceResult } from '../engine/types.js';
import { burstsAreOneTry, pathLoss, silenceAt, silenceBoundary } from './evidence.js';
import { allProbes, expiredFrom, finalSenderDistance, hopAt, isAnswered, lastProbedTtl, routerTtls } from './path-facts.js';

export interface Question {
  trace: 'main' | 'control';
  ttl: number;
  /** Why it matters, for the evidence list and --debug. */
  why: string;
  /** Ask on a flow no probe of ours has used, so the answer cannot be a collision with our own half-open connection. */
  freshFlow?: boolean;
}

/** A final answer in the destination's name (SYN-ACK, RST, UDP, echo reply, port unreachable from it). */
function answeredAsDestination(result: TraceResult): boolean {
  const d = result.destination;
  return d.hop !== null && d.by === result.target.address && d.reason !== 'timeout';
}

/** The control's evidence about TTL `ttl`: positive when a router expired it there or beyond, or it reached the host. */
function controlSettlesDistance(control: TraceResult, ttl: number): boolean {
  if (expiredFrom(control, ttl).length > 0) return true;
  const at = hopAt(control, ttl);
  return at !== undefined && allProbes(at).some((p) => p.from !== null && p.reply?.kind !== 'time-exceeded');
}

/** The silent TTLs between where the destination's answers came and where their reply TTL says it is. */
function nearerThanAnswered(trace: Question['trace'], result: TraceResult): Question[] {
  const { hop: f, reason } = result.destination;
  const distance = finalSenderDistance(result);
  if (distance === null || f === null || distance >= f) return [];
  const questions: Question[] = [];
  for (let ttl = Math.max(1, distance); ttl < f; ttl++) {
    const hop = hopAt(result, ttl);
    if (hop && !isAnswered(hop)) {
      questions.push({ trace, ttl, why: `the ${reason}'s reply TTL puts its sender at hop ${distance}, nearer than TTL ${f}` });
    }
  }
  return questions;
}

export function openQuestions(main: TraceResult, control: TraceResult | null): Question[] {
  const oneTry = burstsAreOneTry([main, control]);
  const loss = pathLoss([main, control], oneTry);
  const questions: Question[] = [];
  const ask = (trace: 'main' | 'control', result: TraceResult, ttl: number, why: string) => {
    const hop = hopAt(result, ttl);
    if (!hop && !pastTheEnd(result, ttl)) return; // below the first TTL: not this trace's to ask
    const silence = silenceAt(hop, loss, oneTry);
    const asked = questions.some((q) => q.trace === trace && q.ttl === ttl);
    if (!asked && !silence.answered && !silence.settled) questions.push({ trace, ttl, why });
  };
  // Whichever trace reached the destination: when its answers' reply TTL says the sender is nearer than the TTL
  // they came at, the TTLs between lost their answers on the way (the last links can carry loss the routers'
  // answers never show), so they are asked again however settled their silence looks; the rounds' limit bounds it
  // when the return path is only longer than the way there.
  for (const [trace, result] of [['main', main], ['control', control]] as const) {
    if (result && answeredAsDestination(result)) questions.push(...nearerThanAnswered(trace, result));
  }
  const d = main.destination;
  if (answeredAsDestination(main)) {
    const f = d.hop!;
    // RSTs that may have reset our own half-open connections: the port's state itself is the question, and a SYN on
    // a flow of its own answers it (a SYN-ACK or an RST there is no collision).
    if (d.doubt) questions.push({ trace: 'main', ttl: f, why: `the ${d.reason}s at TTL ${f} may answer our own half-open connections`, freshFlow: true });
    // Is the destination really at f? The control must say so (an answer at f) or refute it (a router at f or past);
    // and if it was forged, the router at f is the one to name, so a silent control at f is asked again either way.
    if (control && (!controlSettlesDistance(control, f) || !hopAt(control, f)?.probes.some((p) => p.from !== null))) {
      ask('control', control, f, `the ${d.reason} came at TTL ${f}`);
    }
    // And no closer: an unanswered TTL just below may hide an earlier answer — unless the answers' reply TTL puts
    // their sender exactly at f (a sender nearer than f is asked about above): then f - 1 is a router that did not
    // answer, and asking it again changes nothing.
    const placed = finalSenderDistance(main) === f;
    if (!placed && !routerTtls(main).has(f - 1)) ask('main', main, f - 1, `TTL ${f - 1} is silent just before the ${d.reason}`);
    // Unless the reply TTL places the sender at f: the router just before it is a hop taken as known (a batch's
    // shared hops): does this port's traffic pass it? Its own answer there makes the place of the answer this
    // trace's evidence (a forged RST is placed by it); an answer in the destination's name there moves the answer
    // back a hop (analyze/shared-hops walks on).
    if (!placed && sharedUnconfirmed(main, f - 1) && !questions.some((q) => q.trace === 'main' && q.ttl === f - 1)) {
      questions.push({ trace: 'main', ttl: f - 1, why: `the router at TTL ${f - 1} is another trace's: does this port's traffic pass it?` });
    }
    return questions;
  }
  if (d.hop !== null) return questions; // an ICMP error from a router speaks for itself
  // Silence: where it begins decides the verdict, so the first silent TTL must really be silent. TTLs right after
  // the last answer that no trace got anything from are routers that answer no protocol: asking them again changes
  // nothing (the stop is then at the last answer or at one of them), so the TTL that tells is the first past them.
  const { last, hiddenTo, evidenceTtl: boundary } = silenceBoundary(main, control);
  ask('main', main, boundary, `${main.protocol.toUpperCase()} probes get no answer past TTL ${last}`);
  // The last answer is a hop taken as known (a batch's shared hops): another trace's probes met that router, not
  // this port's traffic. An answer to our own flow there makes it this trace's evidence.
  // Until one of them answers this trace's own flow, the shared hops below are asked in the same round, a few at
  // a time: where the traffic stops before the last of them, analyze/shared-hops walks back one settled silence a
  // round, and their answers are then in hand.
  if (sharedUnconfirmed(main, last)) {
    for (let ttl = last; ttl > last - SHARED_ASKED_AT_ONCE && sharedUnconfirmed(main, ttl); ttl--) {
      questions.push({ trace: 'main', ttl, why: `the answer at TTL ${ttl} is another trace's: does this port's traffic reach that router?` });
    }
  }
  // …and the control must show (or fail to show) that other traffic gets past it: a router answering it past the
  // silence (reaching the destination itself says nothing about the routers in between).
  const controlHop = control?.destination.reached ? control.destination.hop : null;
  if (control && (controlHop === null || boundary < controlHop) && !controlSettlesDistance(control, boundary)) {
    ask('control', control, boundary, `the control gets no answer at TTL ${boundary}`);
  }
  if (control) questions.push(...drainedBudgetQuestions(main, control, boundary, questions));
  if (control && oneTry) questions.push(...drainedRun(main, control, boundary, questions));
  // The target itself answers the control at the TTL where our probes fall silent. A host dropping the port looks
  // like this — and so does a forwarder there (DNAT, a load balancer) whose time-exceeded budget an earlier run
  // spent: its answers are the only sign of it, and the trace's probes at that TTL went out together, one try against
  // an empty bucket. Asked once more when a token is back.
  const atTarget = control?.destination.reached === true && control.destination.hop === boundary && control.destination.by === main.target.address;
  if (atTarget && hiddenTo === last && reprobed(main, boundary) === 0) {
    const asked = questions.some((q) => q.trace === 'main' && q.ttl === boundary);
    if (!asked && !isAnswered(hopAt(main, boundary))) questions.push({ trace: 'main', ttl: boundary, why: `the target answers the control at TTL ${boundary}: a forwarder there with a spent ICMP budget would be silent too` });
  }
  return questions;
}

/**
 * A TTL past the last one a trace probed, where nothing ended it (no final answer). A trace ends on silence (its gap
 * limit); where the follow-up then finds those silent hops were routers out of ICMP budget (a batch drains them), its
 * last answer can come at the last TTL it probed, and no probe of it has gone past: the TTL after is asked (the
 * follow-up adds the hop), for a stop is only where traffic was seen to end.
 */
function pastTheEnd(result: TraceResult, ttl: number): boolean {
  return result.destination.hop === null && ttl > lastProbedTtl(result);
}

/** A hop taken as known (a batch's shared hops) whose router has not yet answered this trace's own flow. */
function sharedUnconfirmed(main: TraceResult, ttl: number): boolean {
  const hop = hopAt(main, ttl);
  return hop?.shared === true && !(hop.reprobes ?? []).some((p) => p.from !== null);
}

/** Shared hops asked at once, from the last down, where a stop rests on them (see openQuestions). */
const SHARED_ASKED_AT_ONCE = 3;
/** TTLs past the boundary asked at once on a drained path, at most. */
const DRAINED_RUN = 8;

/**
 * Where routers' budgets are spent (runs back to back), every router past the boundary may be silent for that reason
 * alone: asking only the boundary each round walks the path one router a second. The TTLs after it, up to where the
 * control got its farthest answer, are asked in the same round instead (each is another router with its own
 * budget: one probe each), in both traces where each is silent.
 */
function drainedRun(main: TraceResult, control: TraceResult, boundary: number, asked: Question[]): Question[] {
  const farthest = control.destination.reached ? control.destination.hop! - 1 : Math.max(0, ...routerTtls(control).keys());
  const questions: Question[] = [];
  for (let ttl = boundary + 1; ttl <= Math.min(farthest, boundary + DRAINED_RUN); ttl++) {
    for (const [trace, result] of [['main', main], ['control', control]] as const) {
      const hop = hopAt(result, ttl);
      const already = [...asked, ...questions].some((q) => q.trace === trace && q.ttl === ttl);
      const askable = hop ? !isAnswered(hop) : pastTheEnd(result, ttl);
      if (askable && !already && reprobed(result, ttl) < BUDGET_RETRIES) questions.push({ trace, ttl, why: `TTL ${ttl}'s router may have spent its ICMP budget too` });
    }
  }
  return questions;
}

/** Follow-up probes a TTL has had already. */
const reprobed = (result: TraceResult, ttl: number): number => hopAt(result, ttl)?.reprobes?.length ?? 0;
/** Spaced tries given to a router whose silence looks like a spent ICMP budget. */
const BUDGET_RETRIES = 2;

/**
 * Silence that looks like spent ICMP budgets rather than a filter (previous runs, or the control's probes taking the
 * router's last token), asked again a couple of times, spaced by the budget model:
 * - routers answered the control at TTLs where they answered our probes nothing, before the boundary (or from the
 *   very first hop): then the control's router at the boundary may also have had a token our probes did not;
 * - the boundary router answers neither trace while the control goes on past it, on such a path (on a path with
 *   no sign of spent budgets it is a router that answers no protocol, and silenceBoundary moves past it);
 * - the boundary router answered the control only on a spaced follow-up, not its trace probe.
 * On a clean path with a filter neither holds (our probes got every router's answer up to the filter).
 */
function drainedBudgetQuestions(main: TraceResult, control: TraceResult, boundary: number, asked: Question[]): Question[] {
  const answeredAt = (result: TraceResult, ttl: number) => isAnswered(hopAt(result, ttl));
  const controlRouters = routerTtls(control);
  // The trace's own probes, not the follow-ups: a race lost then is what makes the later silence suspect.
  const tracedAt = (ttl: number) => hopAt(main, ttl)?.probes.some((p) => p.from !== null) ?? false;
  const lostRace = [...controlRouters.keys()].some((ttl) => ttl < boundary && !tracedAt(ttl)) || (boundary === main.hops[0]?.ttl && controlRouters.has(boundary));
  const controlGoesOn = control.destination.reached || [...controlRouters.keys()].some((ttl) => ttl > boundary);
  const controlHop = hopAt(control, boundary);
  // Silent to both traces while the control goes on, on a path whose routers show spent budgets (else silenceBoundary
  // would have taken it for a router that answers no protocol and moved past it): a router out of tokens, maybe.
  const silentToBoth = controlHop !== undefined && !isAnswered(controlHop) && controlGoesOn;
  // The boundary router ignored the control's trace probe and answered only a spaced follow-up: out of tokens then.
  const answeredLate = controlHop !== undefined && !controlHop.probes.some((p) => p.from !== null) && (controlHop.reprobes ?? []).some((p) => p.from !== null);
  const questions: Question[] = [];
  const add = (trace: Question['trace'], result: TraceResult, why: string) => {
    const already = asked.some((q) => q.trace === trace && q.ttl === boundary);
    if (!already && hopAt(result, boundary) && !answeredAt(result, boundary) && reprobed(result, boundary) < BUDGET_RETRIES) {
      questions.push({ trace, ttl: boundary, why });
    }
  };
  if ((lostRace && controlRouters.has(boundary)) || silentToBoth || answeredLate) add('main', main, `TTL ${boundary}'s router may have spent its ICMP budget`);
  if (silentToBoth) add('control', control, `TTL ${boundary}'s router answers neither trace, yet the control goes on past it`);
  return questions;
}
