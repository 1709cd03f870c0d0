// Rate limiting or loss? A hop that answered some probes but not others is probed again, slowly: Linux routers
// refill their ICMP budget at one message a second (per destination, after a burst of 6), so probes a second
// apart get answers from a rate-limited hop, while real loss keeps eating them.
import type { Clock } from './clock.js';
import type { Network } from './network.js';
import { Tracer } from './tracer.js';
import type { HopResult, LossCause, TraceOptions } from './types.js';
import type { ProbeMethod } from '../probe/method.js';

export interface RecheckOptions {
  /** Slow probes per hop. */
  probes: number;
  /** Between them, and before the first (to let the budget refill): a bit over Linux's 1 s refill. */
  intervalMs: number;
}

export const DEFAULT_RECHECK: RecheckOptions = { probes: 2, intervalMs: 1100 };

/** Hops worth rechecking: some probes answered, some not. */
export function partiallyAnswered(hops: readonly HopResult[]): number[] {
  return hops
    .filter((hop) => hop.probes.some((p) => p.from !== null) && hop.probes.some((p) => p.from === null))
    .map((hop) => hop.ttl);
}

/**
 * Re-probes the given TTLs with the same flow (a new nonce keeps late answers to the first pass apart) and
 * classifies each hop. Resolves with the cause per TTL.
 */
export async function recheck(
  base: TraceOptions,
  ttls: number[],
  method: ProbeMethod,
  network: Network,
  clock: Clock,
  options: RecheckOptions = DEFAULT_RECHECK,
  signal?: AbortSignal,
): Promise<Map<number, LossCause>> {
  const causes = new Map<number, LossCause>();
  if (ttls.length === 0 || signal?.aborted) return causes;
  const waited = await new Promise<boolean>((resolve) => {
    const cancel = clock.setTimer(options.intervalMs, () => resolve(true));
    signal?.addEventListener('abort', () => (cancel(), resolve(false)), { once: true });
  });
  if (!waited) return causes;
  const first = Math.min(...ttls);
  const last = Math.max(...ttls);
  const tracer = new Tracer(
    {
      ...base,
      nonce: (base.nonce + 1) & 0xffff || 1,
      firstTtl: first,
      maxTtl: last,
      probesPerHop: options.probes,
      probeSpacingMs: options.intervalMs,
      window: last - first + 1,
      gapLimit: last - first + 1,
      confirmRepeats: false,
    },
    method,
    network,
    clock,
  );
  const onAbort = () => tracer.interrupt();
  signal?.addEventListener('abort', onAbort, { once: true });
  const outcome = await tracer.run().finally(() => signal?.removeEventListener('abort', onAbort));
  if (outcome.interrupted) return causes;
  for (const ttl of ttls) {
    const hop = outcome.hops.find((h) => h.ttl === ttl);
    if (!hop) continue;
    const answered = hop.probes.filter((p) => p.from !== null).length;
    causes.set(ttl, { cause: answered === hop.probes.length ? 'rate-limit' : 'loss', recheck: { sent: hop.probes.length, answered } });
  }
  return causes;
}
