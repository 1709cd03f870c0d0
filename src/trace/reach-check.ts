// The reach check: when neither the trace nor its control heard from the destination, look for it with other methods
// before concluding anything about the path, as nmap's host discovery does — a SYN to ports servers commonly answer
// (and the user's extra controls), a TCP ACK to the target port, UDP to a high port nothing listens on. One probe
// each, sent past the path's end (TTL = max TTL) and spaced REACH_SPACING_MS apart, stopping at the first the
// destination answers; that method then places the destination on the path with one probe per TTL from the TTL after
// the traces' last answers to a little past where the answer's reply TTL puts it, each on a flow of its own (SYNs of
// one flow reordered on the way would meet the first one's half-open connection and be answered for it). A destination that drops ICMP echo (most cloud servers) is found this way, and
// the diagnosis no longer calls a filtered port there a broken path.
import { attemptReached } from '../analyze/reach.js';
import { protocolLabel } from '../analyze/path-facts.js';
import type { Clock } from '../engine/clock.js';
import { fanOut, reprobe } from '../engine/reprober.js';
import type { ProbeResult, ReachAttempt, ReachCheck, ReachMethod, TraceResult } from '../engine/types.js';
import { decideDestination } from '../engine/port-state.js';
import { hopsAway } from '../packet/reply-ttl.js';
import { buildTraceResult } from './result.js';
import type { ProbeSpec, Session } from './session.js';

/** Between two methods' probes: a few probes, spaced, not a scan. */
export const REACH_SPACING_MS = 150;
/** Rounds over the methods at most: a second where the first found nothing (a lost probe is not a dark host). */
const REACH_ROUNDS = 2;
/** Ports servers commonly answer on: HTTPS, HTTP, SSH (nmap's host discovery sends to 443 and 80 too). */
const COMMON_TCP_PORTS = [443, 80, 22];
/** Classic traceroute's first UDP port: nothing listens there, so a host that gets it answers port unreachable. */
const CLOSED_UDP_PORT = 33434;

const key = (m: ReachMethod) => `${m.protocol}:${m.port ?? ''}:${m.tcp ?? ''}`;

/**
 * The methods to look for the destination with, in order: the user's extra controls, ICMP echo, a SYN to each common
 * port, a TCP ACK to the target port (TCP traces, raw sockets only), UDP to a closed port — each once, and none the
 * trace or its control has just tried.
 */
export function reachMethods(main: ProbeSpec, control: ProbeSpec | null, extra: readonly ProbeSpec[], raw: boolean): ReachMethod[] {
  const candidates: ReachMethod[] = [
    ...extra.map((s) => ({ protocol: s.protocol, port: s.port })),
    { protocol: 'icmp', port: null },
    ...COMMON_TCP_PORTS.map((port) => ({ protocol: 'tcp' as const, port })),
    ...(main.protocol === 'tcp' && raw ? [{ protocol: 'tcp' as const, port: main.port, tcp: 'ack' as const }] : []),
    { protocol: 'udp', port: CLOSED_UDP_PORT },
  ];
  const seen = new Set([main, ...(control ? [control] : [])].map((s) => key({ protocol: s.protocol, port: s.port })));
  return candidates.filter((m) => !seen.has(key(m)) && (seen.add(key(m)), true));
}

/** Opens a session for one reach method on the run's target, first TTL `firstTtl`, one probe per hop. */
export type OpenReach = (method: ReachMethod, firstTtl: number) => Session;

export interface ReachPlan {
  methods: readonly ReachMethod[];
  fromTtl: number;
  /** The TTL the attempts are sent with: past the path's end. */
  maxTtl: number;
  /** How long to wait for each attempt's answer. */
  timeoutMs: number;
}

const wait = (clock: Clock, ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve();
    const cancel = clock.setTimer(ms, resolve);
    signal.addEventListener('abort', () => (cancel(), resolve()), { once: true });
  });

const failure = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** TTLs past where the answer's reply TTL puts the destination that placing also probes (return paths differ). */
const PLACE_MARGIN = 2;
/** TTLs placing probes at most. */
const PLACE_MAX = 12;
/** Probes at most at a silent TTL just before the lowest answer (a lost probe there would misplace the destination). */
const PLACE_TRIES = 3;

/**
 * Places the destination with the method that found it: one probe per TTL, all at once, each on a flow of its own;
 * the lowest TTL the destination answered is its hop. The result reads like a trace of that method from fromTtl.
 */
async function place(session: Session, found: ReachAttempt, plan: ReachPlan, clock: Clock, signal?: AbortSignal): Promise<{ trace: TraceResult; sent: number }> {
  const started = clock.now();
  const replyTtl = found.answer?.reply.ttl ?? null;
  const estimate = replyTtl !== null ? hopsAway(replyTtl) : plan.fromTtl;
  const last = Math.min(plan.maxTtl, plan.fromTtl + PLACE_MAX - 1, Math.max(plan.fromTtl, estimate) + PLACE_MARGIN);
  const ttls = Array.from({ length: Math.max(0, last - plan.fromTtl + 1) }, (_, i) => plan.fromTtl + i);
  const subscribe = fanOut(session.network);
  const destination = session.meta.address;
  const probes = new Map<number, ProbeResult[]>(ttls.map((ttl) => [ttl, []]));
  let sent = 0;
  const ask = (ttl: number) => async () => {
    const flow = session.freshFlow();
    try {
      sent++;
      const [answer] = await reprobe(flow.options, session.method, session.network, subscribe, clock, session.tracer.ids, [{ ttl, atMs: 0 }], plan.timeoutMs, signal);
      probes.get(ttl)!.push(answer!.result);
    } finally {
      flow.release();
    }
  };
  const reached = (ttl: number) => probes.get(ttl)!.some((p) => p.from === destination && p.reply?.kind !== 'time-exceeded');
  const silent = (ttl: number) => probes.get(ttl)!.every((p) => p.from === null);
  const lowest = () => ttls.find(reached) ?? null;
  await Promise.all(ttls.map((ttl) => ask(ttl)()));
  // Every answer lost (the method did reach the destination a moment ago): once more.
  if (lowest() === null && !signal?.aborted) await Promise.all(ttls.map((ttl) => ask(ttl)()));
  // A lost probe just before the lowest answer would put the destination a hop too far: a TTL there that got nothing
  // is asked again (twice more at most) until it answers — the destination (then the one before it is asked), or a
  // router (then the destination is after it).
  // Where the answer's reply TTL says the destination is nearer than the lowest answer, a silent TTL there is more
  // likely a loss than a router that answers nothing: it gets twice the tries.
  const triesAt = (ttl: number) => (ttl >= estimate ? PLACE_TRIES * 2 : PLACE_TRIES);
  for (let at = lowest(); at !== null && at > plan.fromTtl && silent(at - 1) && probes.get(at - 1)!.length < triesAt(at - 1) && !signal?.aborted; at = lowest()) {
    await Promise.all([ask(at - 1)(), ask(at - 1)()]);
  }
  const at = lowest();
  const hops = ttls.filter((ttl) => at === null || ttl <= at).map((ttl) => ({ ttl, probes: probes.get(ttl)! }));
  const reply = at === null ? null : probes.get(at)!.find((p) => p.from === destination && p.reply?.kind !== 'time-exceeded')!.reply!;
  const target = { protocol: session.meta.protocol, family: session.meta.family, destination };
  const outcome = {
    hops,
    destination: decideDestination(target, at, reply ? [{ ...reply, from: destination }] : []),
    unmatchedPackets: 0,
    interrupted: signal?.aborted === true,
    stoppedBy: signal?.aborted ? ('interrupted' as const) : reply ? ('final-reply' as const) : ('max-ttl' as const),
  };
  return { trace: buildTraceResult(session.meta, outcome, clock.now() - started), sent };
}

/** Runs the reach check; the sessions it opens are closed before it returns. */
export async function reachCheck(open: OpenReach, plan: ReachPlan, clock: Clock, signal?: AbortSignal): Promise<ReachCheck> {
  const started = clock.now();
  const attempts: ReachAttempt[] = plan.methods.map((method) => ({ method, sent: false, answer: null }));
  const sessions: (Session | null)[] = plan.methods.map(() => null);
  // Aborted once one method reached the destination (or the caller aborted): no further attempts, no more waiting.
  const done = new AbortController();
  const abort = () => done.abort();
  signal?.addEventListener('abort', abort, { once: true });
  let found: number | null = null;
  let trace: TraceResult | null = null;
  let placing = 0;
  let sent = 0;
  const tryMethod = async (i: number, delayMs: number) => {
    await wait(clock, delayMs, done.signal);
    if (done.signal.aborted || attempts[i]!.skipped) return;
    const method = plan.methods[i]!;
    let session: Session;
    try {
      session = sessions[i] ??= open(method, plan.fromTtl);
      const [answer] = await reprobe(session.options, session.method, session.network, fanOut(session.network), clock, session.tracer.ids, [{ ttl: plan.maxTtl, atMs: 0 }], plan.timeoutMs, done.signal);
      if (answer!.sentMs !== null) {
        attempts[i]!.sent = true;
        sent++;
      }
      const { from, reply } = answer!.result;
      if (from !== null && reply !== null) attempts[i]!.answer = { ...answer!.result, from, reply };
    } catch (error) {
      attempts[i]!.skipped = `${protocolLabel(method)} could not be sent: ${failure(error)}`;
      return;
    }
    if (found === null && attemptReached(attempts[i]!, session.meta.address)) {
      found = i;
      done.abort();
    }
  };
  try {
    // A second round where the first found nothing: one lost probe per method must not make a dark destination.
    for (let round = 0; round < REACH_ROUNDS && found === null && !done.signal.aborted; round++) {
      await Promise.all(plan.methods.map((_, i) => (attempts[i]!.answer ? undefined : tryMethod(i, i * REACH_SPACING_MS))));
    }
    if (found !== null && !signal?.aborted) {
      const placed = await place(sessions[found]!, attempts[found]!, plan, clock, signal);
      trace = placed.trace;
      placing = placed.sent;
    }
  } finally {
    signal?.removeEventListener('abort', abort);
    for (const session of sessions) session?.close();
  }
  return {
    fromTtl: plan.fromTtl,
    attempts,
    found: found === null ? null : plan.methods[found]!,
    trace,
    probes: sent + placing,
    durationMs: Math.round(clock.now() - started),
  };
}
