// The paths a multipath run found, read as verdicts: flows grouped by the routers they met hop by hop, each path with
// its share of the flows, where its traffic to the port ends (the destination's answer by the one port-state rule, a
// router's ICMP error, or silence after a hop), a source port that reproduces it, and one summary line that says
// whether every path agrees and, where one does not, which router its flows go through.
import type { MultipathOutcome, Outcome } from '../engine/multipath.js';
import { decideDestination } from '../engine/port-state.js';
import type { PortState, ProbeResult } from '../engine/types.js';
import { hopsAway } from '../packet/reply-ttl.js';
import type { Family, Protocol } from '../probe/method.js';

export interface PathHop {
  ttl: number;
  /** Who answered there; null: nobody (a router that answers no protocol, or the flows went silent), or see spread. */
  address: string | null;
  /**
   * Where packets are balanced per packet (or below such a balancer, before the branches join): the routers each
   * packet of a flow may meet here; `address` is null, as no one of them is this path's.
   */
  spread?: string[];
}

/** Where a path's traffic to the port ends. */
export type PathEnd =
  /**
   * The destination answered: its port state by the one port-state rule (open, closed; 'filtered' for its own ICMP
   * error). `sentFrom`: how far away the answer was sent, by its reply TTL (null: not known).
   */
  | { kind: 'destination'; ttl: number; address: string; state: PortState | 'reachable'; reply: string; sentFrom: number | null }
  /**
   * An answer in the destination's name sent by a device on this path (its reply TTL puts the sender at `hop`, a
   * router of this path, nearer than where other paths' answers come from): a forged RST, a terminating proxy.
   */
  | { kind: 'forged'; ttl: number; hop: number; by: string | null; reply: string }
  /** A router answered with an ICMP error (rejected). */
  | { kind: 'rejected'; ttl: number; address: string; reply: string }
  /** Nothing answered past the path's last hop: the traffic is dropped after it. */
  | { kind: 'silent'; after: PathHop | null };

export interface FoundPath {
  /** 1, 2, …: in order of the most flows first. */
  id: number;
  hops: PathHop[];
  /** How many flows took it, and their share of all flows put on a path. */
  flows: number;
  share: number;
  /** The flows that took it: their source ports (TCP, UDP; empty for ICMP echo)… */
  sourcePorts: number[];
  /** …or their echo identifiers (ICMP echo; empty otherwise). */
  icmpIds: number[];
  end: PathEnd;
  /** A flow that reproduces it: `portpath <reproduceWith> HOST PORT` traces exactly this path. */
  reproduce: number;
  /** The option that does: "--sport N", or "--icmp-id N" for echo. Null under per-packet balancing: none does. */
  reproduceWith: string | null;
}

export interface PathsVerdict {
  paths: FoundPath[];
  /**
   * Flows whose path is not known, so none is drawn: silent at a hop where flows met different routers, or silent
   * right after a router that rejected other flows (its ICMP budget ran out).
   */
  unresolved: number;
  /** Every path ends the same way. */
  agree: boolean;
  /** Hops where packets are balanced per packet (their routers, as PathHop.spread). */
  perPacket: { ttl: number; routers: string[] }[];
  summary: string;
}

export interface PathsTarget {
  protocol: Protocol;
  port: number | null;
  family: Family;
  destination: string;
}

const label = (t: PathsTarget) => (t.protocol === 'icmp' || t.port === null ? 'ICMP echo' : `${t.protocol.toUpperCase()}/${t.port}`);

/** "SYN-ACK", "RST", "udp", or the ICMP error's name. */
function replyName(result: ProbeResult): string {
  const kind = result.reply?.kind;
  if (kind === 'syn-ack' || kind === 'rst') return kind.toUpperCase();
  return result.reply?.name ?? kind ?? 'no answer';
}

/** "ttl|router before it": where flows that came from the same router met the next one. */
const after = (ttl: number, from: string | null) => `${ttl}|${from ?? ''}`;

/**
 * One flow's hops (up to its end or its last answer) and its end. A TTL where the flow got nothing but answered
 * farther on, and where every flow from the same router that got an answer there met one router (`sole`), is that
 * router: the flow passed it, which did not answer this once (a rate limit, a lost answer).
 */
function flowPath(outcomes: Map<number, Outcome>, target: PathsTarget, sole: Map<string, string>, mayFill: (ttl: number, router: string) => boolean): { hops: PathHop[]; end: PathEnd } {
  const ttls = [...outcomes.keys()].sort((a, b) => a - b);
  // A silent TTL before a later answer is filled in (see above) — but not before a router's rejection: that router,
  // out of ICMP budget, may be the one that was silent there.
  const rejects = [...outcomes.values()].some((o) => o.kind === 'end' && o.address !== target.destination);
  const fillsBefore = (o: Outcome) => (rejects ? o.kind === 'router' : o.kind !== 'silent');
  const lastAnswer = Math.max(0, ...ttls.filter((t) => fillsBefore(outcomes.get(t)!)));
  const hops: PathHop[] = [];
  for (const ttl of ttls) {
    const o = outcomes.get(ttl)!;
    if (o.kind === 'end') {
      const at = { ttl, address: o.address };
      // (Where the rejecting router is, and from which TTL it rejects, is placeRejections's: it takes all flows.)
      if (o.address !== target.destination) return { hops, end: { kind: 'rejected', ...at, reply: replyName(o.result) } };
      const reply = o.result.reply!;
      const decided = decideDestination(target, ttl, [{ kind: reply.kind, from: o.address, ...(reply.icmpType !== undefined ? { icmpType: reply.icmpType, icmpCode: reply.icmpCode! } : {}) }]);
      const sentFrom = reply.ttl !== null ? hopsAway(reply.ttl) : null;
      return { hops, end: { kind: 'destination', ...at, state: decided.state ?? 'reachable', reply: replyName(o.result), sentFrom } };
    }
    const from = [...hops].reverse().find((h) => h.address !== null)?.address ?? null;
    // (Not where the silence is a router that never answers, nor with a router none of whose flows ended this way.)
    const fill = o.kind !== 'router' && ttl < lastAnswer ? sole.get(after(ttl, from)) : undefined;
    hops.push({ ttl, address: o.kind === 'router' ? o.address : fill !== undefined && mayFill(ttl, fill) ? fill : null });
  }
  // Silence to the end: the path is its hops up to the last that answered; the traffic stops after it.
  while (hops.length > 0 && hops.at(-1)!.address === null) hops.pop();
  return { hops, end: { kind: 'silent', after: hops.at(-1) ?? null } };
}

/**
 * Flows a router rejected, put on one path whatever TTL their rejection came at: time-exceeded and rejections spend
 * one ICMP budget, so a router that ran out answers some flows at one TTL and others farther on, with silent TTLs
 * before (and may never be seen as a router at all). Its place is the TTL where some flow met it as a router, if any;
 * its rejections start one hop past that place, or at the lowest TTL any flow drew one if that is nearer.
 */
function placeRejections(read: { hops: PathHop[]; end: PathEnd }[]): void {
  const seenAt = new Map<string, number>();
  const first = new Map<string, number>();
  for (const { hops } of read) for (const h of hops) if (h.address !== null) seenAt.set(h.address, Math.min(seenAt.get(h.address) ?? Infinity, h.ttl));
  for (const { end } of read) {
    if (end.kind === 'rejected') first.set(end.address, Math.min(first.get(end.address) ?? Infinity, end.ttl, (seenAt.get(end.address) ?? Infinity) + 1));
  }
  for (const r of read) {
    const end = r.end;
    if (end.kind !== 'rejected') continue;
    while (r.hops.length > 0 && (r.hops.at(-1)!.address === null || r.hops.at(-1)!.address === end.address)) r.hops.pop();
    const place = seenAt.get(end.address);
    if (place !== undefined && (r.hops.at(-1)?.ttl ?? 0) < place) r.hops.push({ ttl: place, address: end.address });
    r.end = { ...end, ttl: first.get(end.address)! };
  }
}

/**
 * A flow whose probes went unanswered after its last router and that the destination answered farther on lost its
 * probes at the nearer TTLs (loss, or the server's own rate limit): it reached the destination where the other flows
 * from that router did. Its silent TTLs are dropped and its end put at the nearest TTL the destination answered any
 * flow from that router at, so it joins their path instead of making one of its own.
 */
function placeDestination(read: { hops: PathHop[]; end: PathEnd }[]): void {
  const lastRouter = (hops: PathHop[]) => [...hops].reverse().find((h) => h.address !== null) ?? null;
  const from = (hops: PathHop[]) => {
    const last = lastRouter(hops);
    return last ? `${last.ttl}|${last.address}` : '';
  };
  const nearest = new Map<string, number>();
  for (const { hops, end } of read) if (end.kind === 'destination') nearest.set(from(hops), Math.min(nearest.get(from(hops)) ?? Infinity, end.ttl));
  for (const r of read) {
    if (r.end.kind !== 'destination') continue;
    const at = nearest.get(from(r.hops))!;
    // Only the TTLs at and past that one: a silence nearer is a hop this flow passed unseen (and where flows met
    // different routers, one that keeps it off every path).
    while (r.hops.length > 0 && r.hops.at(-1)!.address === null && r.hops.at(-1)!.ttl >= at) r.hops.pop();
    r.end = { ...r.end, ttl: at };
  }
}

/** The last answer before `ttl` of a flow ('' from the start). */
function predecessorOf(outcomes: Map<number, Outcome>, ttl: number): string {
  for (let t = ttl - 1; t >= 0; t--) {
    const o = outcomes.get(t);
    if (o && o.kind !== 'silent') return o.address;
  }
  return '';
}

/**
 * "ttl|router before it" where the silence of flows that answered farther on is a next hop of that router that
 * never answers, not lost answers: at least SILENT_NEXT_HOP_SHARE of the router's flows there, and two or more,
 * stayed silent even when asked again with the token of the router their siblings met
 * (MultipathOutcome.silentWithToken). Other silences do not count: a joiner that every branch's flows spend leaves
 * many flows silent, which are its rate limit, not a router of theirs. (One such flow is not enough: in the lab a
 * splitter or a joiner now and then leaves one flow unanswered through four tries, two with a token, and that one
 * flow would split its path.) Those flows are not filled in with the router their siblings met: they take a path of
 * their own, with * there.
 */
function silentNextHops(outcome: MultipathOutcome): Set<string> {
  const counts = new Map<string, { flows: number; silent: number; met: Set<string> }>();
  /** The TTLs each router was met at. */
  const metAt = new Map<string, Set<number>>();
  for (const [flow, outcomes] of outcome.flows) {
    const last = Math.max(0, ...[...outcomes].filter(([, o]) => o.kind !== 'silent').map(([t]) => t));
    for (const [ttl, o] of outcomes) {
      if (ttl >= last || (o.kind === 'silent' && !outcome.silentWithToken.has(`${flow}|${ttl}`))) continue;
      const group = `${ttl}|${predecessorOf(outcomes, ttl)}`;
      const c = counts.get(group) ?? { flows: 0, silent: 0, met: new Set<string>() };
      c.flows++;
      if (o.kind === 'silent') c.silent++;
      else c.met.add(o.address);
      counts.set(group, c);
    }
    for (const [ttl, o] of outcomes) if (o.kind === 'router') metAt.set(o.address, (metAt.get(o.address) ?? new Set()).add(ttl));
  }
  // A router met at two TTLs (by branches of unequal length) spends one ICMP budget on both: the silence of its
  // flows is explained by that, not by a router of their own.
  const sharedBudget = (met: Set<string>) => [...met].some((r) => (metAt.get(r)?.size ?? 0) > 1);
  return new Set(
    [...counts].filter(([, c]) => c.silent >= 2 && c.silent < c.flows && c.silent / c.flows >= SILENT_NEXT_HOP_SHARE && !sharedBudget(c.met)).map(([group]) => group),
  );
}

/** The share of a router's flows silent at the next hop above which the silence is a router there (see silentNextHops). */
const SILENT_NEXT_HOP_SHARE = 0.2;

const endKey = (end: PathEnd) =>
  end.kind === 'destination' ? `d:${end.state}` : end.kind === 'rejected' ? `r:${end.address}:${end.reply}` : end.kind === 'forged' ? `f:${end.hop}:${end.reply}` : `s:${end.after?.ttl ?? 0}`;

function endText(end: PathEnd, target: PathsTarget): string {
  if (end.kind === 'destination') return end.state === 'reachable' ? 'reaches the destination' : `is ${end.state} at hop ${end.ttl}`;
  if (end.kind === 'rejected') return `is rejected at hop ${end.ttl} (${end.address}: ${end.reply})`;
  if (end.kind === 'forged') return `is answered with ${end.reply === 'RST' ? 'an' : 'a'} ${end.reply} forged in the destination's name at hop ${end.hop}${end.by ? ` (${end.by})` : ''}`;
  return end.after ? `is dropped after hop ${end.after.ttl} (${end.after.address})` : `gets no answer from any hop (${label(target)})`;
}

/**
 * Destination answers that a device on the path sent: their reply TTL says they came from a hop of this path with a
 * router (nearer than the TTL they were drawn at), while another path's answers come from farther — two lines of
 * evidence that agree. One line alone (an asymmetric return path does it too) leaves the answer as it is.
 */
function unmaskForgeries(groups: { hops: PathHop[]; end: PathEnd }[]): void {
  const distances = groups.flatMap((g) => (g.end.kind === 'destination' && g.end.sentFrom !== null ? [g.end.sentFrom] : []));
  const farthest = Math.max(0, ...distances);
  for (const g of groups) {
    const end = g.end;
    if (end.kind !== 'destination' || end.sentFrom === null || end.sentFrom >= end.ttl || end.sentFrom >= farthest) continue;
    const device = g.hops.find((h) => h.ttl === end.sentFrom);
    if (!device?.address) continue;
    g.end = { kind: 'forged', ttl: end.ttl, hop: device.ttl, by: device.address, reply: end.reply };
  }
}

/** The first hop where `path` differs from every path in `others`: the router its flows go through and theirs do not. */
function divergence(path: FoundPath, others: FoundPath[]): PathHop | null {
  for (const hop of path.hops) {
    if (hop.address === null) continue;
    if (!others.some((o) => o.hops.some((h) => h.ttl === hop.ttl && h.address === hop.address))) return hop;
  }
  return null;
}

function oneIn(share: number): string {
  const n = Math.round(1 / share);
  return n <= 1 ? 'most' : `about 1 in ${n}`;
}

/**
 * Groups a multipath run's flows into paths and says what each does with the port. `handles`: each flow's source port
 * (TCP, UDP) or echo identifier (ICMP), by flow index.
 */
export function pathsVerdict(outcome: MultipathOutcome, handles: readonly number[], target: PathsTarget, confidence: number): PathsVerdict {
  const groups = new Map<string, { hops: PathHop[]; end: PathEnd; ports: number[] }>();
  const routers = new Map<number, Set<string>>();
  const next = new Map<string, Set<string>>();
  /** Routers that rejected some flow that came through them: a flow going silent right after one is rate-limited. */
  const rejecting = new Set<string>();
  for (const outcomes of outcome.flows.values()) {
    let from: string | null = null;
    for (const ttl of [...outcomes.keys()].sort((a, b) => a - b)) {
      const o = outcomes.get(ttl)!;
      if (o.kind === 'router') {
        routers.set(ttl, (routers.get(ttl) ?? new Set()).add(o.address));
        next.set(after(ttl, from), (next.get(after(ttl, from)) ?? new Set()).add(o.address));
      }
      if (o.kind === 'end' && o.address === from) rejecting.add(o.address);
      if (o.kind !== 'silent') from = o.address;
    }
  }
  const sole = new Map([...next].flatMap(([k, set]) => (set.size === 1 ? [[k, [...set][0]!] as const] : [])));
  const perPacket = [...outcome.perPacket].sort((a, b) => a - b).map((ttl) => ({ ttl, routers: [...(routers.get(ttl) ?? [])].sort() }));
  const spreadAt = new Map(perPacket.map((p) => [p.ttl, p.routers]));
  /** A TTL where flows met different routers by their flow (not per packet): a silent flow's branch is unknown there. */
  const branching = (ttl: number) => (routers.get(ttl)?.size ?? 0) > 1 && !spreadAt.has(ttl);
  // A flow that stayed silent where flows met different routers, though it answered farther on, cannot be put on a
  // path: it is counted apart, not drawn as a path of its own.
  let unresolved = 0;
  const unanswering = silentNextHops(outcome);
  // How the flows that met each router ended: a silent flow is filled in with a router only if some flow through it
  // ended the same way (else it likely passed another, unseen, router there).
  const fateOf = (outcomes: Map<number, Outcome>) => {
    const end = [...outcomes.values()].find((o) => o.kind === 'end');
    return end?.kind === 'end' ? `${end.address}:${end.result.reply?.kind ?? ''}` : '*';
  };
  const fatesVia = new Map<string, Set<string>>();
  for (const outcomes of outcome.flows.values()) {
    for (const [ttl, o] of outcomes) if (o.kind === 'router') fatesVia.set(`${ttl}|${o.address}`, (fatesVia.get(`${ttl}|${o.address}`) ?? new Set()).add(fateOf(outcomes)));
  }
  const read = [...outcome.flows].map(([flow, outcomes]) => {
    const mayFill = (ttl: number, router: string) => !unanswering.has(`${ttl}|${predecessorOf(outcomes, ttl)}`) && (fatesVia.get(`${ttl}|${router}`)?.has(fateOf(outcomes)) ?? false);
    return { flow, ...flowPath(outcomes, target, sole, mayFill) };
  });
  placeRejections(read);
  placeDestination(read);
  for (const { flow, hops: met, end } of read) {
    // Where packets are balanced per packet, which router a flow met there is chance: the hop is all of them.
    const hops = met.map((h): PathHop => (spreadAt.has(h.ttl) ? { ttl: h.ttl, address: null, spread: spreadAt.get(h.ttl)! } : h));
    // …and so is one that went silent for good at such a hop: which branch it took is not known either.
    const silentFrom = end.kind === 'silent' ? (end.after?.ttl ?? 0) + 1 : null;
    // …and one that went silent right after a router that rejected other flows: its rejections were rate-limited.
    const rejectedUnseen = end.kind === 'silent' && end.after?.address != null && rejecting.has(end.after.address);
    const branchingGap = hops.some((h) => h.address === null && !h.spread && branching(h.ttl)) || (silentFrom !== null && branching(silentFrom)) || rejectedUnseen;
    if (branchingGap) {
      unresolved++;
      continue;
    }
    const signature = `${hops.map((h) => `${h.ttl}=${h.spread ? '~' : (h.address ?? '*')}`).join(',')}|${endKey(end)}|${'address' in end ? end.address : ''}`;
    const group = groups.get(signature) ?? { hops, end, ports: [] };
    group.ports.push(handles[flow]!);
    groups.set(signature, group);
  }
  unmaskForgeries([...groups.values()]);
  const total = outcome.flows.size - unresolved;
  const echo = target.protocol === 'icmp';
  const paths: FoundPath[] = [...groups.values()]
    .sort((a, b) => b.ports.length - a.ports.length)
    .map((g, i) => ({
      id: i + 1,
      hops: g.hops,
      flows: g.ports.length,
      share: g.ports.length / total,
      sourcePorts: echo ? [] : g.ports,
      icmpIds: echo ? g.ports : [],
      end: g.end,
      reproduce: g.ports[0]!,
      reproduceWith: perPacket.length > 0 ? null : `${echo ? '--icmp-id' : '--sport'} ${g.ports[0]!}`,
    }));
  const ends = new Set(paths.map((p) => endKey(p.end)));
  const agree = ends.size <= 1;
  const what = label(target);
  const sure = `${Math.round(confidence * 100)}%`;
  let summary: string;
  if (paths.length === 1 && perPacket.length > 0) {
    summary = `${what} ${endText(paths[0]!.end, target)} for all ${total} flows (${sure} confidence per hop that no other next hop exists).`;
  } else if (paths.length === 1) {
    summary =
      `${what} ${endText(paths[0]!.end, target)} on the one path found: no port-dependent balancing was seen over ${total} flows ` +
      `(${sure} confidence per hop that no other next hop exists; balancing by address alone cannot be seen from one source).`;
  } else if (agree) {
    summary = `${what} ${endText(paths[0]!.end, target)} on all ${paths.length} paths (${total} flows; ${sure} confidence per hop that no other next hop exists).`;
  } else {
    // The end most flows meet is the norm; the others are named by the router their flows go through.
    const flowsEnding = new Map<string, number>();
    for (const p of paths) flowsEnding.set(endKey(p.end), (flowsEnding.get(endKey(p.end)) ?? 0) + p.flows);
    // Paths that reach the destination are the norm where there are any (the others are what a user looks for).
    const reaching = (k: string) => (k.startsWith('d:') ? 1 : 0);
    const normalKey = [...flowsEnding].sort((a, b) => reaching(b[0]) - reaching(a[0]) || b[1] - a[1])[0]![0];
    const normal = paths.find((p) => endKey(p.end) === normalKey)!.end;
    const odd = paths.filter((p) => endKey(p.end) !== endKey(normal));
    const fine = paths.filter((p) => endKey(p.end) === endKey(normal));
    const parts = odd.map((p) => {
      const via = divergence(p, fine);
      const through = via ? `flows through ${via.address} (hop ${via.ttl})` : `flows of path ${p.id}`;
      const reproduce = p.reproduceWith ? ` — reproduce with ${p.reproduceWith}` : '';
      return `${through} (${oneIn(p.share)}: ${p.flows} of ${total} flows) ${endText(p.end, target).replace(/^is /, 'are ')}${reproduce}`;
    });
    summary = `${what} ${endText(normal, target)} on ${fine.length} of ${paths.length} paths; ${parts.join('; ')}.`;
  }
  if (perPacket.length > 0) {
    const where = perPacket.map((p) => `hop ${p.ttl} (${p.routers.join(', ')})`).join(', ');
    summary +=
      ` Packets are balanced per packet at ${where}: each packet of one connection may take any of those routers, so no ` +
      `source port picks a path there, and a fault behind one of them hits a share of every connection's packets.`;
  }
  if (unresolved > 0) summary += ` ${unresolved} more ${unresolved === 1 ? 'flow' : 'flows'} could not be put on a path (unanswered at a branching hop, or where a router's rejections ran out of ICMP budget) and ${unresolved === 1 ? 'is' : 'are'} not counted.`;
  return { paths, agree, unresolved, perPacket, summary };
}
