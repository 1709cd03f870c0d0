// The one rule for an answer that names no probe (a UDP service whose reply carries nothing of ours: every probe of
// the flow looks alike to it). The tracer and the follow-up probes both give it by this rule, so a trace and a
// watch attribute the same answer the same way.

export interface OpenProbe {
  ttl: number;
  sentAtMs: number;
}

/**
 * The probe such an answer most likely answers: the oldest still open one that went farther than every TTL a
 * router answered with time exceeded (those probes expired on the way; they cannot have reached the destination).
 * `routersUpTo` is the highest such TTL seen so far.
 */
export function ownerOfUnattributed<P extends OpenProbe>(open: Iterable<P>, routersUpTo: number): P | undefined {
  let best: P | undefined;
  for (const probe of open) {
    if (probe.ttl <= routersUpTo) continue;
    if (!best || probe.sentAtMs < best.sentAtMs) best = probe;
  }
  return best;
}
