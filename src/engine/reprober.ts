// Follow-up probes at chosen TTLs and times, after a trace: the confirmation rounds (is this TTL really silent?)
// and the rate-limit test (does this router answer spaced probes but not a burst?). Same flow and id allocator as
// the trace, so answers are attributed exactly as the trace's own; on an injected clock and network like the tracer.
import type { InboundPacket, ProbeMethod } from '../probe/method.js';
import type { Clock } from './clock.js';
import type { Network } from './network.js';
import type { ProbeIds } from './probe-ids.js';
import { ProbeCore } from './probe-core.js';
import type { CoreProbe } from './probe-core.js';
import { probeResult } from './probe-result.js';
import { flowOf } from './tracer.js';
import type { ProbeResult, TraceOptions } from './types.js';

export type PacketHandler = (packet: InboundPacket) => void;
/** Adds a receiver of the network's packets; returns the function that removes it. */
export type Subscribe = (handler: PacketHandler) => () => void;

/**
 * Lets several batches of follow-up probes listen on one network at once (a Network has a single consumer): each
 * batch matches only its own probe ids, so every packet reaches at most the batch whose probe it answers.
 */
export function fanOut(network: Network): Subscribe {
  const handlers = new Set<PacketHandler>();
  network.onPacket((packet) => {
    for (const handler of handlers) handler(packet);
  });
  return (handler) => {
    handlers.add(handler);
    return () => handlers.delete(handler);
  };
}

export interface ReprobeRequest {
  ttl: number;
  /** When to send it, in ms from the start of the batch. */
  atMs: number;
}

export interface ReprobeAnswer extends ReprobeRequest {
  result: ProbeResult;
  /** When it was actually sent, ms from the start of the batch (null: not sent, the batch was aborted). */
  sentMs: number | null;
}

interface Pending extends CoreProbe {
  request: ReprobeRequest;
  sentMs: number | null;
}

/** Sent and no longer waited for (answered or timed out): see CoreProbe.open. */
const done = (p: Pending) => p.sentMs !== null && !p.open;

/**
 * Sends the requests at their times, waits up to `timeoutMs` for each answer, and resolves with one answer per
 * request in the order given. Rejects when the network fails to send; resolves early (unsent probes unanswered)
 * when the signal aborts. Probes go through a ProbeCore of their own on the trace's flow and id allocator, so
 * answers are attributed exactly as the trace's own.
 */
export function reprobe(
  options: TraceOptions,
  method: ProbeMethod,
  network: Network,
  subscribe: Subscribe,
  clock: Clock,
  ids: ProbeIds,
  requests: readonly ReprobeRequest[],
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<ReprobeAnswer[]> {
  const core = new ProbeCore<Pending>(method, network, flowOf(options), ids, clock);
  network.listen?.(core.flow);
  const start = clock.now();
  const pending: Pending[] = requests.map((request) => ({ id: 0, ttl: request.ttl, request, sentMs: null }));
  const timers: (() => void)[] = [];
  return new Promise<ReprobeAnswer[]>((resolve, reject) => {
    let finished = false;
    let unsubscribe = () => {};
    const stop = () => {
      finished = true;
      unsubscribe();
      for (const cancel of timers) cancel();
      signal?.removeEventListener('abort', finish);
    };
    const finish = () => {
      if (finished) return;
      stop();
      core.expireAll();
      resolve(pending.map((p) => ({ ...p.request, sentMs: p.sentMs, result: probeResult(options.family, p.reply, p.rttMs) })));
    };
    const checkDone = () => {
      if (pending.every(done)) finish();
    };
    unsubscribe = subscribe((packet: InboundPacket) => {
      if (finished) return;
      const matched = core.match(packet);
      if (!matched?.probe.open) return;
      core.answer(matched.probe, matched.reply);
      checkDone();
    });
    signal?.addEventListener('abort', finish, { once: true });
    if (signal?.aborted) return finish();
    for (const p of pending) {
      timers.push(
        clock.setTimer(p.request.atMs, () => {
          if (finished) return;
          try {
            core.send(p);
            p.sentMs = clock.now() - start;
          } catch (error) {
            stop();
            reject(error);
            return;
          }
          timers.push(
            clock.setTimer(timeoutMs, () => {
              if (!p.open) return;
              core.expire(p);
              checkDone();
            }),
          );
        }),
      );
    }
    if (pending.length === 0) finish();
  });
}
