// A batch's shared hops are an earlier trace's answers (trace/batch-siblings): its routers are this trace's only if
// this trace's own traffic reaches them. Where it stops among them (a firewall before the last of them), the follow-up
// asks the last shared hops on the trace's own flow (analyze/questions); this says when their silence is established,
// so that the hop stops speaking for this trace and the question moves back — Doubletree's backward probing, the
// last three shared hops asked at once, until a shared router answers the trace's own flow: its stop, on its own
// evidence. The same walk places a forged RST (or a destination nearer than the shared hops reach): the router
// before the answer is asked.
import { ownHop } from '../engine/probe-result.js';
import type { TraceResult } from '../engine/types.js';
import { burstsAreOneTry, pathLoss, silenceAt } from './evidence.js';
import { isAnswered } from './path-facts.js';

/**
 * The TTLs, from the last shared hop down, whose router (it answered the earlier trace) this trace's own flow does not
 * reach: its re-probes there drew an answer in the destination's name, or went unanswered often enough for this
 * path's loss while a shared router below answered the same flow. The walk stops at the first shared hop not so.
 * Shared hops silent to the earlier trace too are passed over: they say nothing either way.
 */
export function unreachedSharedHops(main: TraceResult, control: TraceResult | null): number[] {
  const oneTry = burstsAreOneTry([main, control]);
  // The loss this trace's own probes met: the shared hops' answers are the earlier trace's, and the re-probes that
  // went unanswered at the hops in question would count as loss at hops that answer.
  const loss = pathLoss([ownTrace(main), control && ownTrace(control)], oneTry);
  const shared = main.hops.filter((h) => h.shared).sort((a, b) => b.ttl - a.ttl);
  // The highest shared hop whose router answered this trace's own flow: silence above it is where the traffic stops.
  // With none below, a silence may be a router whose ICMP budget the batch's other traces spent (routers near the
  // source answer one probe a second to hundreds of traces): not enough to give the hop up.
  const floor = Math.max(-Infinity, ...shared.filter((h) => (h.reprobes ?? []).some((p) => p.from !== null && p.reply?.kind === 'time-exceeded')).map((h) => h.ttl));
  const unreached: number[] = [];
  for (const hop of shared) {
    if (!isAnswered(hop)) continue;
    // An answer in the destination's name to the trace's own probe there (a forged RST, a destination nearer than
    // the earlier trace's): this flow's packets end at or before that TTL, not at the router the other trace met.
    const ended = (hop.reprobes ?? []).some((p) => p.from === main.target.address && p.reply !== null && p.reply.kind !== 'time-exceeded');
    if (ended) {
      unreached.push(hop.ttl);
      continue;
    }
    if (hop.ttl <= floor) break;
    const own = silenceAt(ownHop(hop), loss, oneTry);
    if (own.answered || !own.settled || floor === -Infinity) break;
    unreached.push(hop.ttl);
  }
  return unreached;
}

/** A trace as its own probes saw it (ownHop). */
const ownTrace = (trace: TraceResult): TraceResult => ({ ...trace, hops: trace.hops.map(ownHop) });
