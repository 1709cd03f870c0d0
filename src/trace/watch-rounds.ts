// The rounds of a watch: every interval, one probe per TTL up to the end of the path, on the trace's one flow (Paris:
// every round takes the same path through balancers), within each router's learned ICMP budget. On an injected
// clock and network like the tracer, so the scheduling is tested on a fake clock.
import type { Clock } from '../engine/clock.js';
import { HopBudgets } from '../engine/hop-budget.js';
import { decideDestination, isFinalReply, stateReply } from '../engine/port-state.js';
import type { Target } from '../engine/port-state.js';
import type { Network } from '../engine/network.js';
import type { ProbeIds } from '../engine/probe-ids.js';
import { fanOut, reprobe } from '../engine/reprober.js';
import type { ReprobeRequest, Subscribe } from '../engine/reprober.js';
import type { PortState, ProbeResult, TraceOptions } from '../engine/types.js';
import type { ProbeMethod, Protocol } from '../probe/method.js';
import type { RoundPortState } from '../analyze/watch-events.js';
import { wilson } from '../analyze/watch-loss.js';

export interface RoundProbe {
  ttl: number;
  result: ProbeResult;
}

export interface RoundResult {
  round: number;
  /** When the round started, ms since the watch started. */
  atMs: number;
  probes: RoundProbe[];
  /** TTLs left out of this round to stay within their router's ICMP budget. */
  skipped: number[];
  /**
   * The end of the path this round: the destination's (or a rejecting router's) answer, if any. `state` is null when
   * the round left the end's TTL out (its ICMP budget) and nothing else answered for it: not asked is not silent.
   * `icmp`: the answer was an ICMP error, rate-limited like a router's.
   */
  destination: { ttl: number | null; state: RoundPortState | null; icmp?: boolean };
}

export interface RoundsOptions {
  intervalMs: number;
  /** Stop after this many rounds (null: until stopped). */
  rounds: number | null;
  /** The last TTL to probe at first: the destination's distance, or one past the last hop that answered. */
  horizon: number;
  /** How long each probe's answer is waited for. */
  timeoutMs: number;
  /**
   * The end of the path answered the first trace with an ICMP error (a rejected port): it is paced at Linux's
   * refill from the first round (the rounds' own answers would teach it only once a round is delivered, which a
   * silent hop delays by a whole timeout).
   */
  icmpEnd?: boolean;
}

/** Probes of a round leave this far apart, as the trace's do. */
const PROBE_SPACING_MS = 5;

/**
 * What one round says about the end of the path, by the one port-state rule: the destination's answer (open,
 * closed), an ICMP error that stands in the way (rejected: by a router, or by the destination itself for TCP, which
 * a trace calls filtered), or silence.
 */
export function roundDestination(probes: readonly RoundProbe[], target: Target): RoundResult['destination'] {
  for (const { ttl, result } of [...probes].sort((a, b) => a.ttl - b.ttl)) {
    const reply = stateReply(result);
    if (!reply || !isFinalReply(reply)) continue;
    const d = decideDestination(target, ttl, [reply]);
    // ICMP echo: the destination answered (no port to have a state).
    const state: RoundPortState = d.state === 'open' || d.reason === 'echo-reply' ? 'open' : d.state === 'closed' ? 'closed' : 'rejected';
    return { ttl, state, ...(reply.kind === 'unreachable' ? { icmp: true } : {}) };
  }
  return { ttl: null, state: 'silent' };
}

/**
 * The port state a watch's settled round state stands for, in the trace's words (engine/port-state): an ICMP error
 * in the way is what a trace calls filtered; silence is filtered for TCP and open|filtered for UDP (a UDP service
 * may simply not answer). ICMP echo has no port: the destination's answer is 'open' as a round says it.
 */
export function settledPortState(state: RoundPortState, protocol: Protocol): PortState {
  if (state === 'open' || state === 'closed') return state;
  return state === 'silent' && protocol === 'udp' ? 'open|filtered' : 'filtered';
}

export class WatchRounds {
  private readonly budgets = new HopBudgets();
  private readonly subscribe: Subscribe;
  private readonly started: number;
  private horizon: number;
  /** Rounds delivered, and those where the end of the path answered: the path's own loss rate. */
  private ends = { rounds: 0, answered: 0 };
  /** Rounds whose horizon probe was answered by a router (time exceeded): the path may have grown. */
  private longerRun = 0;
  private round = 0;
  private nextToDeliver = 1;
  private readonly finished = new Map<number, RoundResult>();
  /** Bumped by pause, reset and stop: rounds begun before it are not counted. */
  private generation = 0;
  private readonly inFlight = new Map<number, AbortController>();
  private cancelNext: (() => void) | null = null;
  private running = false;
  private stopped = false;
  private resolveDone!: () => void;
  private rejectDone!: (error: unknown) => void;
  readonly done: Promise<void>;

  constructor(
    private readonly trace: TraceOptions,
    private readonly method: ProbeMethod,
    private readonly network: Network,
    private readonly clock: Clock,
    private readonly ids: ProbeIds,
    private readonly options: RoundsOptions,
    private readonly onRound: (round: RoundResult) => void,
  ) {
    this.subscribe = fanOut(network);
    this.started = clock.now();
    this.horizon = Math.max(1, Math.min(options.horizon, trace.maxTtl));
    if (options.icmpEnd) this.budgets.icmpErrors(this.horizon, this.started);
    this.done = new Promise((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
  }

  get rounds(): number {
    return this.round;
  }

  get lastTtl(): number {
    return this.horizon;
  }

  start(): void {
    if (this.running || this.stopped) return;
    this.running = true;
    this.begin();
  }

  /** No new rounds; the rounds in flight are dropped uncounted, so the counters stop at once. */
  pause(): void {
    if (!this.running) return;
    this.running = false;
    this.cancelNext?.();
    this.cancelNext = null;
    this.abandonInFlight();
  }

  /** Forget the budgets learned so far (with the statistics, on the user's reset). */
  resetBudgets(): void {
    this.budgets.reset();
    this.ends = { rounds: 0, answered: 0 };
  }

  stop(): void {
    if (this.stopped) return;
    this.pause();
    this.stopped = true;
    this.resolveDone();
  }

  private abandonInFlight(): void {
    this.generation++;
    for (const controller of this.inFlight.values()) controller.abort();
    this.inFlight.clear();
    this.finished.clear();
    this.nextToDeliver = this.round + 1;
  }

  private begin(): void {
    if (!this.running) return;
    if (this.options.rounds !== null && this.round >= this.options.rounds) {
      // The last round's answers are still on their way and done comes when it is delivered — unless a pause dropped
      // it (its number is spent): then the rounds are counted out here.
      if (this.inFlight.size === 0 && this.nextToDeliver > this.round) this.stop();
      return;
    }
    const round = ++this.round;
    const generation = this.generation;
    const now = this.clock.now();
    const requests: ReprobeRequest[] = [];
    const skipped: number[] = [];
    const horizon = this.horizon;
    for (let ttl = this.trace.firstTtl; ttl <= horizon; ttl++) {
      if (!this.budgets.allows(ttl, now)) {
        skipped.push(ttl);
        continue;
      }
      this.budgets.sent(ttl, now);
      requests.push({ ttl, atMs: requests.length * PROBE_SPACING_MS });
    }
    const controller = new AbortController();
    this.inFlight.set(round, controller);
    const atMs = now - this.started;
    reprobe(this.trace, this.method, this.network, this.subscribe, this.clock, this.ids, requests, this.options.timeoutMs, controller.signal).then(
      (answers) => {
        this.inFlight.delete(round);
        if (generation !== this.generation) return;
        const probes = answers.filter((a) => a.sentMs !== null).map((a) => ({ ttl: a.ttl, result: a.result }));
        const end = roundDestination(probes, this.trace);
        const unasked = end.ttl === null && skipped.includes(horizon);
        this.finished.set(round, { round, atMs, probes, skipped, destination: unasked ? { ttl: null, state: null } : end });
        this.deliver();
      },
      (error: unknown) => {
        this.stop();
        this.rejectDone(error);
      },
    );
    this.cancelNext = this.clock.setTimer(this.options.intervalMs, () => this.begin());
  }

  /** Hands finished rounds on in round order (a round can finish before an earlier one still waiting for answers). */
  private deliver(): void {
    for (let next = this.finished.get(this.nextToDeliver); next; next = this.finished.get(this.nextToDeliver)) {
      this.finished.delete(this.nextToDeliver);
      this.nextToDeliver++;
      this.learn(next);
      this.onRound(next);
      if (this.options.rounds !== null && next.round >= this.options.rounds) this.stop();
    }
  }

  /** Budgets from who answered; the horizon follows the end of the path when it moves. */
  private learn(result: RoundResult): void {
    const now = this.clock.now();
    const answered = new Map(result.probes.map((p) => [p.ttl, p.result.from !== null]));
    const highestAnswered = Math.max(0, ...[...answered].filter(([, a]) => a).map(([ttl]) => ttl));
    const end = result.destination.ttl;
    // A round that did not ask the end of the path says nothing about the path's loss.
    if (result.destination.state !== null) this.ends.rounds++;
    if (end !== null) this.ends.answered++;
    const pathLoss = wilson(this.ends.rounds - this.ends.answered, this.ends.rounds).high;
    for (const [ttl, got] of answered) this.budgets.outcome(ttl, got, highestAnswered > ttl, now, pathLoss);
    // An end that answers with ICMP errors (a port unreachable, a rejecting router) spends an ICMP budget like any
    // router's, and no later hop shows what it lets through: it is paced at Linux's refill from the start.
    if (end !== null && result.destination.icmp) this.budgets.icmpErrors(end, now);
    if (end !== null) {
      this.horizon = end;
      this.longerRun = 0;
      return;
    }
    // The last probe was answered by a router: the destination moved farther (a longer path). Two rounds agree first.
    const last = result.probes.find((p) => p.ttl === this.horizon);
    if (last?.result.reply?.kind === 'time-exceeded') {
      if (++this.longerRun >= 2 && this.horizon < this.trace.maxTtl) {
        this.horizon++;
        this.longerRun = 0;
      }
    } else {
      this.longerRun = 0;
    }
  }
}
