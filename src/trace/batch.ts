// Many targets at once (traceMany, `portpath batch`): a pool of traces with one probe rate for all of them (an
// engine Pacer every trace's probes wait on) and results streamed as each trace ends, in the order they end. Memory
// stays bounded: targets are read as the pool frees a place, and nothing is kept after its result is handed over.
import { systemClock } from '../engine/clock.js';
import { Pacer } from '../engine/pacer.js';
import { addressFamily } from '../packet/address.js';
import { drainedNear, leansOnShared, NearHops, probesSent } from './batch-knowledge.js';
import { LoopLag } from './batch-load.js';
import { SiblingPaths } from './batch-siblings.js';
import type { LeadBlock } from './batch-siblings.js';
import { RouterBudgets } from './router-budgets.js';
import type { HopResult } from '../engine/types.js';
import type { Family, Protocol } from '../probe/method.js';
import { PortpathError } from '../transport/errors.js';
import { rawReadBehind } from '../transport/raw.js';
import type { PortpathErrorCode } from '../transport/errors.js';
import type { BatchTarget } from './batch-input.js';
import { targetPort } from './batch-input.js';
import { checkInteger } from './method-spec.js';
import { runTrace } from './trace.js';
import type { RunOptions, TraceReport } from './trace.js';

export interface BatchOptions extends Omit<RunOptions, 'pacer' | 'sourcePort' | 'icmpId' | 'owners' | 'packetLog' | 'knownHops' | 'routerTurns'> {
  /** Probes per second for the whole batch, controls included (default 200). */
  rate?: number;
  /** Traces at once (default 32). */
  concurrency?: number;
  /**
   * Probe the hops near the source once for the whole batch, not once per target (default true): learned from the
   * first traces of each family, checked again now and then (trace/batch-knowledge). Needs the target's family
   * before it is resolved: an address, or options.family for names.
   */
  shareNearHops?: boolean;
}

export type BatchResult =
  /**
   * `discardedProbes`: a trace whose verdict leaned on the shared near hops is done again in full (batch-knowledge's
   * leansOnShared); the probes of its first attempt, not in `report`.
   */
  | { target: BatchTarget; report: TraceReport; discardedProbes?: number }
  /** The target could not be traced (a name that does not resolve, no route): the sentence says why. */
  | { target: BatchTarget; error: { code: PortpathErrorCode | 'ERR_INTERNAL'; message: string } };

/** A target read and not started yet, with its family and narrowest block, worked out once. */
interface Pending {
  target: BatchTarget;
  family: Family | null;
  block: LeadBlock | null;
}

export const DEFAULT_RATE = 200;
/** Traces that always may run, however busy the process (see batch-load). */
const MIN_RUNNING = 16;
/** How often the loop looks again for held targets that may start (see nextToStart). */
const WAKE_MS = 250;
export const DEFAULT_CONCURRENCY = 32;

/**
 * Traces every target, `concurrency` at a time, all probes sharing `rate` per second. Yields each result as its trace
 * ends. Stopping (options.signal, or leaving the loop) ends the traces in flight; their interrupted results are not
 * yielded, so a resumed batch traces them again.
 */
export async function* traceMany(targets: Iterable<BatchTarget> | AsyncIterable<BatchTarget>, options: BatchOptions = {}): AsyncGenerator<BatchResult> {
  const rate = options.rate ?? DEFAULT_RATE;
  if (!(rate > 0 && rate <= 1_000_000)) throw new PortpathError('ERR_USAGE', `The rate must be from 1 to 1000000 probes a second, not ${rate}.`);
  const concurrency = checkInteger('The concurrency', 1, 4096, options.concurrency ?? DEFAULT_CONCURRENCY);
  // The pace holds while the raw sockets' answers wait unread (a process at a full core): see Pacer.
  const pacer = new Pacer(rate, systemClock, undefined, rawReadBehind);
  const nearHops = new NearHops();
  const siblings = new SiblingPaths();
  const routerBudgets = new RouterBudgets();
  const shareNearHops = options.shareNearHops !== false;
  const stop = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, stop.signal]) : stop.signal;
  /** The running traces' own abort controllers: one listener on the batch's signal ends them all. */
  const traces = new Set<AbortController>();
  signal.addEventListener('abort', () => traces.forEach((trace) => trace.abort()), { once: true });
  const source = (Symbol.asyncIterator in targets ? targets : toAsync(targets))[Symbol.asyncIterator]();
  const running = new Map<number, Promise<void>>();
  /**
   * Traces ended and not yet handed over, in the order they ended. Each trace puts itself here and wakes the loop:
   * a Promise.race over every running trace at each turn would hang one more reaction on each of a thousand
   * promises per trace ended (quadratic: at --concurrency 1024 it was a fifth of the CPU, in microtasks and GC).
   */
  const finished: { id: number; result: BatchResult | null }[] = [];
  let wakeLoop: (() => void) | null = null;
  /** Resolves when a trace ends, or after `ms` (null: only when a trace ends). */
  const nextEvent = (ms: number | null) =>
    new Promise<void>((resolve) => {
      const timer = ms === null ? undefined : setTimeout(resolve, ms);
      wakeLoop = () => {
        clearTimeout(timer);
        wakeLoop = null;
        resolve();
      };
    });
  let nextId = 0;
  let exhausted = false;
  /**
   * Targets read from the source that have not started yet, in input order (see nextToStart), with what the loop
   * asks of each every time a trace may start (thousands wait at once: parsing their addresses each time was ~3% of
   * a busy batch's CPU).
   */
  const pending: Pending[] = [];
  const familyOf = (target: BatchTarget) => addressFamily(target.host) ?? options.family ?? null;
  const toPending = (target: BatchTarget): Pending => ({ target, family: familyOf(target), block: shareNearHops ? siblings.leadBlock(target.host) : null });
  const protocol: Protocol = options.protocol ?? 'tcp';
  const start = ({ target, family: targetFamily, block }: Pending) => {
    const id = nextId++;
    const method = target.protocol ?? protocol;
    const near = shareNearHops ? nearHops.forTrace(targetFamily, addressFamily(target.host) !== null ? target.host : null, performance.now()) : { hops: [], check: false, family: null, learner: false };
    const firstTtl = options.firstTtl ?? 1;
    const nearKnown = firstTtl === 1 ? near.hops : [];
    // A sibling needs the target's address before it is resolved; the full trace that checks the near hops takes none.
    const family = addressFamily(target.host);
    const sibling = family !== null && nearKnown.length > 0 ? siblings.forTarget(target.host, family, nearKnown) : { hops: nearKnown, expect: null, path: [] };
    const ended = shareNearHops ? siblings.lead(block, performance.now()) : () => {};
    // Each trace's own signal, aborted with the batch's (see traces below): a trace adds and removes listeners as it
    // goes (its run, follow-ups, re-probes), and on one signal shared by a thousand traces each add and remove is a
    // walk over all the others' (EventTarget keeps a list).
    const own = new AbortController();
    traces.add(own);
    const full: RunOptions = {
      ...options,
      protocol: method,
      port: targetPort(target, protocol, options.port ?? null),
      pacer,
      signal: own.signal,
      // Only where the verdict needs it (analyze/control-need): the routers every trace crosses are asked half as often.
      controlWhenNeeded: options.controlWhenNeeded ?? true,
      // The routers it expects where it has not heard them itself: its sibling's, and the family's first routers,
      // which a check or a full trace asks in their turn (every other trace takes them as known).
      ...(shareNearHops ? { routerTurns: routerBudgets.forTrace(sibling.path, nearHops.routers(targetFamily)) } : {}),
    };
    // The batch's control is ICMP echo for port traces; an ICMP target is its own control.
    if (options.control === undefined && method === 'icmp') full.control = false;
    const taking = (known: HopResult[]): RunOptions => (known.length > 0 ? { ...full, knownHops: known, firstTtl: known.length + 1 } : full);
    // Each attempt's answers tell the routers that answer faster than any budget from those that ran out of it.
    const run = async (options: RunOptions): Promise<TraceReport> => {
      const started = performance.now();
      const report = await runTrace(target.host, options);
      if (shareNearHops) routerBudgets.observe(report.control ? [report, report.control] : [report], performance.now() - started, performance.now());
      return report;
    };
    const traced = async (): Promise<{ id: number; result: BatchResult | null }> => {
      let report = await run(taking(sibling.hops));
      let taken = sibling.hops.length;
      let discardedProbes = 0;
      // The sibling's hops are not this target's (it or its control met another router right after them), or its
      // verdict rests on them: traced again taking only the family's near hops. Either way the outcome tells how well
      // siblings of that block length fit (batch-siblings passes over lengths that misfit).
      if (taken > nearKnown.length && !signal.aborted) {
        const fit = siblings.fit(report, sibling);
        siblings.fitted(sibling, fit);
        if (fit === 'misfits' || leansOnShared(report, taken, sibling.expect)) {
          discardedProbes += probesSent(report);
          report = await run(taking(nearKnown));
          taken = nearKnown.length;
        }
      }
      if (shareNearHops && leansOnShared(report, taken) && !signal.aborted) {
        // Its stop is at the shared hops' edge: they may not be this target's (see batch-knowledge); trace it in full.
        // Unless the routers of the shared hops answered the full trace nothing while passing its control on (see
        // drainedNear): it tells less than the first attempt, which is kept.
        const again = await run(full);
        if (!drainedNear(again, taken)) {
          discardedProbes += probesSent(report);
          report = again;
          nearHops.correct(report);
        } else discardedProbes += probesSent(again);
      }
      if (shareNearHops) {
        nearHops.learn(report, near.check);
        siblings.remember(report);
      }
      if (report.interrupted && signal.aborted) return { id, result: null };
      return { id, result: discardedProbes > 0 ? { target, report, discardedProbes } : { target, report } };
    };
    running.set(
      id,
      traced()
        .finally(() => {
          traces.delete(own);
          nearHops.done(near);
          ended();
        })
        .catch((error: unknown) => ({ id, result: { target, error: error instanceof PortpathError ? { code: error.code, message: error.message } : { code: 'ERR_INTERNAL' as const, message: (error as Error).message } } }))
        .then((done) => {
          finished.push(done);
          wakeLoop?.();
        }),
    );
  };
  /**
   * The next target to start, or null when none may start now. In input order, except that some wait while others
   * of their kind go ahead (targets are read ahead, up to `lookahead`, to find those):
   *  - while a family's near hops are learned only its few learners run, picked as far apart as their addresses go
   *    (batch-knowledge's pickLearner);
   *  - a target whose address block has a trace in flight and no sibling yet waits for it (batch-siblings: it then
   *    starts from the sibling's hops instead of asking the routers its block shares all over again).
   */
  const lookahead = Math.max(64, concurrency * 16);
  const nextToStart = async (): Promise<Pending | null> => {
    if (!shareNearHops) return pending.length > 0 || (await readOne()) ? pending.shift()! : null;
    const now = performance.now();
    const mayGo = (p: Pending): boolean => nearHops.mayStart(p.family) && !siblings.held(p.block, now);
    while (pending.length < 64 && pending.some((p) => nearHops.learning(p.family)) && (await readOne()));
    let index = pending.findIndex(mayGo);
    while (index < 0 && pending.length < lookahead && (await readOne())) if (mayGo(pending[pending.length - 1]!)) index = pending.length - 1;
    if (index < 0) return null;
    const family = pending[index]!.family;
    if (family !== null && nearHops.learning(family)) {
      const candidates = pending.map((p, i) => ({ i, address: addressFamily(p.target.host) === family && mayGo(p) ? p.target.host : null })).filter((c) => c.address !== null);
      if (candidates.length > 0) index = candidates[nearHops.pickLearner(family, candidates.map((c) => c.address!))]!.i;
    }
    return pending.splice(index, 1)[0]!;
  };
  const readOne = async (): Promise<boolean> => {
    if (exhausted) return false;
    const next = await source.next();
    if (next.done) exhausted = true;
    else pending.push(toPending(next.value));
    return !next.done;
  };
  // A process that cannot keep up starts no new trace until it can (batch-load): fewer at once, not answers lost.
  const lag = new LoopLag().start();
  try {
    for (;;) {
      while (!signal.aborted && running.size < concurrency && !(running.size >= MIN_RUNNING && lag.busy)) {
        const next = await nextToStart();
        if (next === null) break;
        start(next);
      }
      if (running.size === 0) return;
      // Targets held for their block's first trace may go after a while even if no trace ends (batch-siblings).
      const next = finished.shift();
      if (!next) {
        await nextEvent(pending.length > 0 && running.size < concurrency ? WAKE_MS : null);
        continue;
      }
      running.delete(next.id);
      if (next.result) yield next.result;
    }
  } finally {
    lag.stop();
    stop.abort();
    await Promise.allSettled(running.values());
    await source.return?.();
  }
}

async function* toAsync<T>(items: Iterable<T>): AsyncGenerator<T> {
  yield* items;
}
