// After the trace: what makes its conclusions hold on a messy path. First, where a hop missed some answers, late
// answers get a moment to arrive (a jittery path is not a lossy one). Then the follow-up probes: confirmation rounds
// re-probe the TTLs a verdict hinges on (analyze/questions) until each has an answer or stayed silent often enough
// for the loss measured on this path; the rate-limit test tells a router's ICMP budget from loss on hops that
// answered only some probes (analyze/loss-cause). Both are timed by a model of the routers' ICMP budgets, run
// together, and add seconds only where the path gave a reason.
import { BURST, burstSpacing, classifyLoss, lossWhere, partiallyAnswered, RECHECK_SPACING_MS, SPACED } from '../analyze/loss-cause.js';
import { lastProbedTtl } from '../analyze/path-facts.js';
import { openQuestions } from '../analyze/questions.js';
import { unreachedSharedHops } from '../analyze/shared-hops.js';
import type { Question } from '../analyze/questions.js';
import type { Clock } from '../engine/clock.js';
import { IcmpBudget, LINUX_ICMP_BURST } from '../engine/icmp-budget.js';
import { refreshDestination, settleDoubt } from '../engine/port-state.js';
import { fanOut, reprobe } from '../engine/reprober.js';
import type { ReprobeAnswer, ReprobeRequest, Subscribe } from '../engine/reprober.js';
import { probeResult } from '../engine/probe-result.js';
import type { HopResult, ProbeResult, TraceResult, WaitOptions } from '../engine/types.js';
import type { RouterTurns, TtlBudget } from './router-budgets.js';
import type { Session } from './session.js';

/** Confirmation rounds at most (each TTL is asked again only while its silence is not established). */
export const MAX_ROUNDS = 5;

export interface FollowUpTrace {
  session: Session;
  result: TraceResult;
}

interface Channel extends FollowUpTrace {
  subscribe: Subscribe;
}

/** How long to wait for an answer: NEAR times the slowest of `rtts`, within the wait options' bounds (their longest without any). */
export function timeoutAfter(rtts: readonly number[], wait: WaitOptions): number {
  const largest = rtts.length > 0 ? Math.max(...rtts) : wait.maxMs / wait.near;
  return Math.min(wait.maxMs, Math.max(wait.trailingMs / 2, wait.near * largest));
}

/** How long to wait for a follow-up answer: 3x the slowest answer of the traces, within their own bounds. */
export function replyTimeout(results: readonly TraceResult[], wait: WaitOptions): number {
  return timeoutAfter(results.flatMap((r) => r.hops.flatMap((h) => h.probes.flatMap((p) => (p.rtt === null ? [] : [p.rtt])))), wait);
}

/** What each router has left after the trace, as far as the trace shows: a router that missed answers is spent. */
function budgetAfter(traces: Channel[], now: number): IcmpBudget {
  const budget = new IcmpBudget();
  const ttls = new Set(traces.flatMap((t) => t.result.hops.map((h) => h.ttl)));
  for (const ttl of ttls) {
    const probes = traces.flatMap((t) => t.result.hops.find((h) => h.ttl === ttl)?.probes ?? []);
    // The destination's own answers (SYN-ACK, echo reply) are not ICMP errors and spend no budget; a miss says the
    // TTL's sender may be out of tokens, whatever else answered there (a forwarder answers echo requests to itself
    // freely while its time-exceeded budget is spent).
    const errors = probes.filter((p) => p.reply?.kind === 'time-exceeded' || p.reply?.kind === 'unreachable').length;
    const missed = probes.some((p) => p.from === null);
    if (!missed && errors === 0) continue;
    budget.set(ttl, missed ? 0 : LINUX_ICMP_BURST - errors, now);
  }
  return budget;
}

function addReprobes(hop: HopResult | undefined, results: ProbeResult[]): void {
  if (!hop || results.length === 0) return;
  hop.reprobes = [...(hop.reprobes ?? []), ...results];
}

/** The hop at `ttl`; a TTL past the trace's end (analyze/questions asks it) is added, with no trace probes of its own. */
function hopFor(result: TraceResult, ttl: number): HopResult | undefined {
  const found = result.hops.find((h) => h.ttl === ttl);
  if (found || ttl <= lastProbedTtl(result)) return found;
  const hop: HopResult = { ttl, probes: [] };
  result.hops.push(hop);
  result.hops.sort((a, b) => a.ttl - b.ttl);
  return hop;
}

/**
 * Shared hops this trace's own flow does not reach (analyze/shared-hops) become its own silent hops: the earlier
 * trace's answers give way to the re-probes that went unanswered.
 */
function unshare(main: TraceResult, control: TraceResult | null): void {
  for (const ttl of unreachedSharedHops(main, control)) {
    const hop = main.hops.find((h) => h.ttl === ttl)!;
    hop.probes = hop.reprobes ?? [];
    delete hop.reprobes;
    delete hop.shared;
  }
}

async function send(channel: Channel, clock: Clock, requests: ReprobeRequest[], timeoutMs: number, signal?: AbortSignal, options = channel.session.options) {
  const { session } = channel;
  return reprobe(options, session.method, session.network, channel.subscribe, clock, session.tracer.ids, requests, timeoutMs, signal);
}

/** Follow-up probes on a flow of their own (see Session.freshFlow). */
async function sendFresh(channel: Channel, clock: Clock, requests: ReprobeRequest[], timeoutMs: number, signal?: AbortSignal) {
  if (requests.length === 0) return [];
  const flow = channel.session.freshFlow();
  try {
    return await send(channel, clock, requests, timeoutMs, signal, flow.options);
  } finally {
    flow.release();
  }
}

async function reprobeRounds(main: Channel, control: Channel | null, budget: TtlBudget, clock: Clock, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  for (let round = 0; round < MAX_ROUNDS && !signal?.aborted; round++) {
    // (Never past the trace's --max-ttl: a TTL past a trace's end is asked only up to it.)
    const questions = openQuestions(main.result, control?.result ?? null).filter((q) => q.ttl <= (q.trace === 'main' ? main : control!).session.options.maxTtl);
    if (questions.length === 0) return;
    const now = clock.now();
    const plan = (trace: Question['trace'], fresh: boolean) =>
      questions.filter((q) => q.trace === trace && Boolean(q.freshFlow) === fresh).map((q) => ({ ttl: q.ttl, atMs: budget.take(q.ttl, now) - now }));
    const batches = [
      { channel: main, requests: plan('main', false) },
      ...(control ? [{ channel: control, requests: plan('control', false) }] : []),
    ].filter((b) => b.requests.length > 0);
    const [answers, fresh] = await Promise.all([
      Promise.all(batches.map((b) => send(b.channel, clock, b.requests, timeoutMs, signal))),
      sendFresh(main, clock, plan('main', true), timeoutMs, signal),
    ]);
    const record = (channel: Channel, batch: ReprobeAnswer[]) => {
      for (const answer of batch) {
        if (answer.sentMs !== null) addReprobes(hopFor(channel.result, answer.ttl), [answer.result]);
      }
      refreshDestination(channel.result);
    };
    batches.forEach((batch, i) => record(batch.channel, answers[i]!));
    record(main, fresh);
    unshare(main.result, control?.result ?? null);
    for (const channel of [main, control]) if (channel) settleDoubt(channel.result, channel === main ? fresh.map((a) => a.result) : []);
  }
}

/**
 * The rate-limit test. A router's hop gets a burst then spaced probes; the destination's hop (its own ICMP errors
 * are rate-limited like a router's) gets only the spaced probes, read against the trace's own quick probes there:
 * a burst of SYNs at a server is what an IDS logs as a scan, and the verdict does not need it.
 */
async function rateLimitTest(main: Channel, budget: TtlBudget, clock: Clock, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const ttls = partiallyAnswered(main.result.hops);
  if (ttls.length === 0) return;
  const target = main.result.target.address;
  // A router's hop gets the test's burst; the destination's none: the trace's own quick probes there stand in for it.
  const atDestination = new Set(ttls.filter((ttl) => main.result.hops.find((h) => h.ttl === ttl)!.probes.some((p) => p.from === target)));
  const burstOf = (ttl: number) => (atDestination.has(ttl) ? 0 : BURST);
  const requests: ReprobeRequest[] = [];
  const now = clock.now();
  const spacing = burstSpacing(main.result.hops);
  // The spaced probes count from the burst's last: a token the limiter earned during the burst is spent there.
  const lastOfBurst = (BURST - 1) * spacing;
  for (const ttl of ttls) {
    for (let i = 0; i < burstOf(ttl); i++) requests.push({ ttl, atMs: i * spacing });
    for (let i = 1; i <= SPACED; i++) requests.push({ ttl, atMs: lastOfBurst + i * RECHECK_SPACING_MS });
    budget.set(ttl, 0, now + lastOfBurst + SPACED * RECHECK_SPACING_MS);
  }
  const answers = await send(main, clock, requests, timeoutMs, signal);
  if (signal?.aborted) return;
  for (const ttl of ttls) {
    const mine = answers.filter((a) => a.ttl === ttl).map((a) => a.result.from !== null);
    const hop = main.result.hops.find((h) => h.ttl === ttl)!;
    const own = hop.probes.map((p) => p.from !== null);
    const n = burstOf(ttl);
    // The trace's own probes count once: as the burst where they stand in for it, else beside the test's probes.
    const [burst, beside] = n === 0 ? [own, []] : [mine.slice(0, n), own];
    const verdict = classifyLoss(burst, mine.slice(n));
    const sent = beside.length + verdict.recheck.sent;
    const got = beside.filter(Boolean).length + verdict.recheck.answered;
    hop.loss = {
      ...verdict,
      ...(verdict.cause === 'loss' ? { where: lossWhere(main.result.hops, ttl, verdict.recheck) } : {}),
      sent,
      answered: got,
      lossPct: Math.round(((sent - got) / sent) * 1000) / 10,
    };
  }
}

/**
 * A hop that missed answers may only have been slow: on a jittery path an answer can come after its probe's wait.
 * Before anything is re-probed, late answers get one more reply timeout to arrive; each fills its probe's place.
 */
async function lateAnswers(channels: Channel[], clock: Clock, timeoutMs: number, signal?: AbortSignal): Promise<void> {
  const unsubscribes = channels.map(({ session, subscribe }) => subscribe((packet) => void session.tracer.acceptLate(packet)));
  await new Promise<void>((resolve) => {
    const cancel = clock.setTimer(timeoutMs, resolve);
    signal?.addEventListener('abort', () => (cancel(), resolve()), { once: true });
  });
  for (const unsubscribe of unsubscribes) unsubscribe();
  // Answers that came after the trace ended, while waiting here or before (the tracer kept them), fill their places.
  for (const { session, result } of channels) {
    for (const hop of result.hops) {
      session.tracer.probesAt(hop.ttl).forEach((probe, index) => {
        if (hop.probes[index]?.from === null && probe.reply) hop.probes[index] = probeResult(result.target.family, probe.reply, probe.rttMs);
      });
    }
    refreshDestination(result);
    settleDoubt(result);
  }
}

export interface FollowUpOptions {
  /**
   * Tell a router's ICMP rate limit from loss where a hop answered only some probes (about 3.5 s more). Off by
   * default: it changes no verdict, and the verdict must not wait for it.
   */
  lossTest?: boolean;
  /** This trace's turns at the routers' budgets as a batch spends them. */
  routers?: RouterTurns;
}

/** Runs the follow-up probes of a finished main trace (and its control); updates the results in place. */
export async function followUp(main: FollowUpTrace, control: FollowUpTrace | null, clock: Clock, signal?: AbortSignal, options: FollowUpOptions = {}): Promise<void> {
  if (main.result.interrupted || signal?.aborted) return;
  const channels: Channel[] = [main, ...(control ? [control] : [])].map((t) => ({ ...t, subscribe: fanOut(t.session.network) }));
  const timeoutMs = replyTimeout(channels.map((c) => c.result), main.session.options.wait);
  // Only where a hop answered some probes and missed others: a hop silent throughout is a silent router, not a slow one.
  const partial = (h: HopResult) => h.probes.some((p) => p.from === null) && h.probes.some((p) => p.from !== null);
  if (channels.some((c) => c.result.hops.some(partial))) await lateAnswers(channels, clock, timeoutMs, signal);
  if (signal?.aborted) return;
  const local = budgetAfter(channels, clock.now());
  const budget: TtlBudget = options.routers ? options.routers.view(local, main.result, clock.now(), control?.result ?? null) : local;
  await Promise.all([
    options.lossTest ? rateLimitTest(channels[0]!, budget, clock, timeoutMs, signal) : undefined,
    reprobeRounds(channels[0]!, channels[1] ?? null, budget, clock, timeoutMs, signal),
  ]);
}
