// Follow-up probes at chosen TTLs and times, after a trace: the confirmation rounds (is this TTL really silent?)
// and the rate-limit test (does this router answer spaced probes but not a burst?). Same flow and id allocator as
// the trace, so answers are attributed exactly as the trace's own; on an injected clock and network like the tracer.
import type { InboundPacket, OutgoingPacket, ProbeMethod, ProbeReply } from '../probe/method.js';
import { UNATTRIBUTED_PROBE } from '../probe/method.js';
import type { Clock } from './clock.js';
import type { Network } from './network.js';
import type { ProbeIds } from './probe-ids.js';
import { probeResult, rttOf } from './probe-result.js';
import { flowOf } from './tracer.js';
import { ownerOfUnattributed } from './unattributed.js';
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

interface Pending {
  request: ReprobeRequest;
  id: number;
  sentMs: number | null;
  sentAtNs?: bigint;
  packet?: OutgoingPacket;
  reply?: ProbeReply;
  done: boolean;
}

/**
 * Sends the requests at their times, waits up to `timeoutMs` for each answer, and resolves with one answer per
 * request in the order given. Rejects when the network fails to send; resolves early (unsent probes unanswered)
 * when the signal aborts.
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
  const flow = flowOf(options);
  network.listen?.(flow);
  const start = clock.now();
  const pending: Pending[] = requests.map((request) => ({ request, id: 0, sentMs: null, done: false }));
  const byId = new Map<number, Pending>();
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
      signal?.removeEventListener('abort', finish);
      for (const p of pending) if (p.packet && !p.done) network.settle?.(p.packet);
      resolve(
        pending.map((p) => ({
          ...p.request,
          sentMs: p.sentMs,
          result: probeResult(options.family, p.reply, p.reply ? rttOf(p.sentAtNs, p.reply) : undefined),
        })),
      );
    };
    const check = () => {
      if (pending.every((p) => p.done)) finish();
    };
    const resolveProbe = (p: Pending) => {
      p.done = true;
      if (p.packet) network.settle?.(p.packet);
      check();
    };
    // The highest TTL a router answered with time exceeded in this batch (for the rule on unattributed answers).
    let routersUpTo = 0;
    const open = () => pending.flatMap((q) => (q.sentMs !== null && !q.done ? [{ ttl: q.request.ttl, sentAtMs: q.sentMs, q }] : []));
    unsubscribe = subscribe((packet: InboundPacket) => {
      if (finished) return;
      const reply = method.match(packet, flow);
      // An unattributed destination answer (a UDP service echoing nothing): the one rule (engine/unattributed).
      const p = reply ? (reply.probeId === UNATTRIBUTED_PROBE ? ownerOfUnattributed(open(), routersUpTo)?.q : byId.get(reply.probeId)) : undefined;
      if (!reply || !p || p.done) return;
      p.reply = reply;
      if (reply.kind === 'time-exceeded') routersUpTo = Math.max(routersUpTo, p.request.ttl);
      resolveProbe(p);
    });
    signal?.addEventListener('abort', finish, { once: true });
    if (signal?.aborted) return finish();
    for (const p of pending) {
      timers.push(
        clock.setTimer(p.request.atMs, () => {
          if (finished) return;
          try {
            p.id = ids.take();
            byId.set(p.id, p);
            p.packet = method.build(flow, p.request.ttl, p.id);
            p.sentMs = clock.now() - start;
            p.sentAtNs = network.send(p.packet);
          } catch (error) {
            stop();
            reject(error);
            return;
          }
          timers.push(clock.setTimer(timeoutMs, () => !p.done && resolveProbe(p)));
        }),
      );
    }
    if (pending.length === 0) finish();
  });
}
