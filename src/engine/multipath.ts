// Every path the port's traffic can take: the Multipath Detection Algorithm's stopping rule applied hop by hop, with
// flows that differ only in what routers hash for ECMP (the TCP source port) and keep the destination port. At each
// TTL, flows are probed until, having seen k different outcomes there (a router's address, the destination's answer,
// or silence), enough flows were tried that a (k+1)th would have shown with the stated confidence. A TTL where one
// router answered every flow needs no more flows: later flows are taken to pass it. Every flow that exists is probed
// at each TTL with more than one outcome, so each flow's path is known hop by hop; grouping flows by that path gives
// the paths, each with its end (the destination's answer, a router's ICMP error, or where its traffic goes silent).
// On an injected clock and probe function (the run owner sends the real probes), so it runs on a simulated diamond.
import type { Clock } from './clock.js';
import { IcmpBudget, LINUX_ICMP_BURST, LINUX_ICMP_REFILL_MS } from './icmp-budget.js';
import type { ProbeResult } from './types.js';

/**
 * The chance that `flows` flows, each taking one of `branches` equally likely next hops, miss at least one of them
 * (inclusion–exclusion): what a fixed number of flows leaves to chance.
 */
export function chanceToMissOne(branches: number, flows: number): number {
  let p = 0;
  let choose = 1;
  for (let i = 1; i < branches; i++) {
    choose = (choose * (branches - i + 1)) / i;
    p += (i % 2 === 1 ? 1 : -1) * choose * ((branches - i) / branches) ** flows;
  }
  return p;
}

/**
 * Flows to try at a TTL where `seen` outcomes showed, so that one more would have shown with probability
 * `confidence` (all next hops equally likely): the least n for which n flows over k+1 next hops miss at least one of
 * them with chance at most 1 − confidence. It gives the published MDA table (95%: 6, 11, 16, 21, 27, 33, 38, 44, 51
 * for k = 1…9; 99%: 8, 15, 21, 28, 36, 43, 51, 58, 66).
 */
export function flowsNeeded(seen: number, confidence: number): number {
  const next = Math.max(1, seen) + 1;
  let n = 1;
  while (chanceToMissOne(next, n) > 1 - confidence) n++;
  return n;
}

/** Sends one probe of flow `flow` with TTL `ttl` and resolves with its answer (or its absence). */
export type FlowProbe = (flow: number, ttl: number) => Promise<ProbeResult>;

export interface MultipathOptions {
  /** 0.95 or 0.99. */
  confidence: number;
  firstTtl: number;
  maxTtl: number;
  /** Flows at most (the probe budget): where more would be needed, the result says the rule was not met there. */
  maxFlows: number;
  /** TTLs in a row where no flow got any answer, after which nothing farther is probed. */
  gapLimit: number;
  /** The destination's address: its answers end a flow. */
  destination: string;
}

/** What one flow met at one TTL. */
export type Outcome = { kind: 'router'; address: string } | { kind: 'end'; address: string; result: ProbeResult } | { kind: 'silent' };

export interface TtlFigures {
  ttl: number;
  /** Flows probed at this TTL. */
  flows: number;
  /** Distinct outcomes seen (addresses, and silence as one). */
  outcomes: number;
  /** Flows the stopping rule asked for. */
  needed: number;
  /** One router answered every flow probed here: later flows are taken to pass it. */
  single: boolean;
  /**
   * Packets of one flow met different routers here (per-packet balancing, or below such a balancer before the
   * branches join): which router a flow meets is chance, not its path.
   */
  perPacket: boolean;
}

export interface MultipathOutcome {
  /** Per flow (by index), its outcome at each TTL it was probed or passed (inherited single-router TTLs included). */
  flows: Map<number, Map<number, Outcome>>;
  figures: TtlFigures[];
  /** Probes sent in all (retries of silent ones included). */
  probes: number;
  /** False where the probe budget stopped a TTL short of the flows its rule asked for. */
  ruleMet: boolean;
  /** TTLs where one flow's packets met different routers (see TtlFigures.perPacket). */
  perPacket: Set<number>;
  /**
   * "flow|ttl" where the flow stayed silent when asked again once the router expected there (the one its siblings
   * met, or the one any flow met at that TTL) had a token: a silence that router's ICMP budget does not explain. Only
   * these can make a next hop that never answers; other silences beside answering siblings are the budget or loss.
   */
  silentWithToken: Set<string>;
}

const key = (o: Outcome): string => (o.kind === 'silent' ? '*' : `${o.kind}:${o.address}`);
/**
 * An outcome with its answer: one next hop (key) may answer differently — the destination's SYN-ACK to some flows
 * and an RST to another — and a flow passed as its siblings did takes their answer, so they must agree on it.
 */
const answerKey = (o: Outcome): string => (o.kind === 'end' ? `${key(o)}:${o.result.reply?.kind ?? ''}:${o.result.reply?.name ?? ''}` : key(o));

/** An answer as an outcome: a router's time-exceeded, or anything else (the destination's answer, an ICMP error) ends the flow. */
function outcomeOf(result: ProbeResult): Outcome {
  if (result.from === null || result.reply === null) return { kind: 'silent' };
  if (result.reply.kind === 'time-exceeded') return { kind: 'router', address: result.from };
  return { kind: 'end', address: result.from, result };
}

/**
 * Routers' ICMP budgets per TTL, for as many routers as answered there: Linux allows each a burst of 6, then one a
 * second, so k routers at a TTL take 6·k probes at once and k a second (probes spread over them by the hash).
 */
class TtlBudgets {
  private readonly budgets = new Map<number, { routers: number; budget: IcmpBudget }>();
  /** When a probe at `ttl` can expect an answer, with `routers` seen there. */
  take(ttl: number, routers: number, now: number): number {
    const k = Math.max(1, routers);
    let entry = this.budgets.get(ttl);
    if (!entry || entry.routers < k) {
      entry = { routers: k, budget: new IcmpBudget(LINUX_ICMP_BURST * k, LINUX_ICMP_REFILL_MS / k) };
      this.budgets.set(ttl, entry);
    }
    return entry.budget.take(ttl, now);
  }
}

export async function exploreMultipath(probe: FlowProbe, options: MultipathOptions, clock: Clock, signal?: AbortSignal): Promise<MultipathOutcome> {
  const flows = new Map<number, Map<number, Outcome>>();
  const figures: TtlFigures[] = [];
  const budgets = new TtlBudgets();
  let probes = 0;
  let ruleMet = true;
  const silentWithToken = new Set<string>();

  /** The flows actually asked at each TTL (the others' outcomes there are inherited). */
  const asked = new Map<number, Set<number>>();

  const sleepUntil = (at: number) =>
    new Promise<void>((resolve) => {
      const wait = at - clock.now();
      if (wait <= 0 || signal?.aborted) return resolve();
      const done = () => {
        cancel();
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const cancel = clock.setTimer(wait, done);
      signal?.addEventListener('abort', done, { once: true });
    });

  const destinationAnswersAt = (ttl: number) =>
    [...flows.values()].some((f) => {
      const o = f.get(ttl);
      return o?.kind === 'end' && o.address === options.destination && o.result.reply?.kind !== 'unreachable';
    });
  /** The routers met at each TTL (kept as answers are recorded). */
  const routersMet = new Map<number, Set<string>>();
  const routersAt = (ttl: number) => routersMet.get(ttl)?.size ?? 0;
  /**
   * The one router met at `ttl`, where exactly one was. A probe there whose siblings met nothing (its branch's router
   * is silent, or none of them was asked yet) most likely meets it too, and spends its budget if it does: the TTL's
   * budget beside that router's would be a second ledger of one router, and promise its tokens twice.
   */
  const soleRouterAt = (ttl: number): string | undefined => (routersAt(ttl) === 1 ? [...routersMet.get(ttl)!][0] : undefined);
  /** The router a probe of `flow` at `ttl` is expected at, whose token it waits for (see ask). */
  const expectedAt = (flow: number, ttl: number): string | undefined => siblingsRouter(flow, ttl) ?? soleRouterAt(ttl);
  /** The TTLs where some flow got an answer. */
  const answeredAt = new Set<number>();

  /**
   * Each router's own budget, charged for every answer it sent, so a probe expected at a router waits until that
   * router has a token: the TTL's shared budget assumes probes spread evenly over a TTL's routers, which repeats and
   * siblings' probes do not, and it cannot see a router met at two TTLs.
   */
  const routerBudgets = new IcmpBudget();
  const routerIds = new Map<string, number>();
  /** Routers that answered since a token was last given back to them (see ask). */
  const refundable = new Set<number>();
  const routerId = (address: string) => routerIds.get(address) ?? routerIds.set(address, routerIds.size).size - 1;

  /**
   * One probe, paced by the budget of the router it is expected at (`expect`, or the one router its siblings met
   * there: a router met at two TTLs, by branches of unequal length, spends one budget on both; or the one router any
   * flow met at that TTL, a joiner whose budget flows from every branch spend), else by the TTL's.
   */
  const ask = async (flow: number, ttl: number, expect = expectedAt(flow, ttl)): Promise<Outcome> => {
    if (expect !== undefined) {
      // The token is that router's, spent now (so probes expecting it at once queue up), whatever answers.
      await sleepUntil(routerBudgets.take(routerId(expect), clock.now()));
      budgets.take(ttl, routersAt(ttl), clock.now());
    } else if (routersAt(ttl) > 0 || !destinationAnswersAt(ttl)) {
      // (Where only the destination has answered — SYN-ACKs, RSTs: no ICMP budget spent — nothing to pace.)
      await sleepUntil(budgets.take(ttl, routersAt(ttl), clock.now()));
    }
    probes++;
    const outcome: Outcome = signal?.aborted ? { kind: 'silent' } : outcomeOf(await probe(flow, ttl));
    if (outcome.kind === 'router' && outcome.address !== expect) routerBudgets.take(routerId(outcome.address), clock.now());
    // A probe sent with the expected router's token that got no answer, at a TTL where no other router answered, most
    // likely met another router that never answers (a branch of its own), not that one: its token is given back — one
    // per answer heard from that router since, so where the ledger is wrong (a router with a smaller budget) silences
    // do not keep refilling it. (Where several routers answer, per-packet repeats among them, a silence is their
    // budget: given back, the repeats went out before the tokens and showed per-packet balancing less often.)
    if (outcome.kind === 'router') refundable.add(routerId(outcome.address));
    if (outcome.kind === 'silent' && expect !== undefined && routersAt(ttl) <= 1 && refundable.delete(routerId(expect))) routerBudgets.refund(routerId(expect));
    return outcome;
  };

  /**
   * A batch of flows at one TTL; where some answered and others did not, the silent ones are asked once more when a
   * token is back (a router's rate limit or a lost probe is not a path). Where none answered there is nothing there
   * to be rate-limited: no second try.
   */
  const askAll = async (batch: number[], ttl: number): Promise<Outcome[]> => {
    const outcomes = await Promise.all(batch.map((flow) => ask(flow, ttl)));
    const answered = outcomes.some((o) => o.kind !== 'silent') || [...flows.values()].some((f) => (f.get(ttl)?.kind ?? 'silent') !== 'silent');
    if (!answered) return outcomes;
    const again = await Promise.all(batch.map((flow, i) => (outcomes[i]!.kind === 'silent' ? ask(flow, ttl) : Promise.resolve(outcomes[i]!))));
    // An RST that answered the second SYN of a flow whose first went unanswered may reset our own half-open
    // connection (the first SYN's SYN-ACK lost on the way back), not refuse the port: asked again later.
    batch.forEach((flow, i) => {
      if (outcomes[i]!.kind === 'silent' && isReset(again[i]!)) doubtful.add(`${flow}|${ttl}`);
    });
    return again;
  };

  const perPacket = new Set<number>();

  const repeats: Promise<void>[] = [];
  /**
   * Asks again flows that met a router at `ttl`, one at a time, each from the router soonest to have a token (so the
   * repeats go where answers can come, and spread over the routers), until repeatsNeeded() have answered (at most
   * twice as many tries: loss, a rate limit): true when one meets another router this time. Per-flow balancing never
   * does; per-packet balancing over k routers hides from n answered repeats with chance (1/k)^n.
   */
  const repeatsDiffer = async (ttl: number, probed: number[]): Promise<boolean> => {
    const byRouter = new Map<string, number[]>();
    for (const f of probed) {
      const o = flows.get(f)!.get(ttl)!;
      if (o.kind === 'router') byRouter.set(o.address, [...(byRouter.get(o.address) ?? []), f]);
    }
    const asked = new Map<string, number>();
    const wanted = repeatsNeeded(byRouter.size, options.confidence);
    let answered = 0;
    for (let i = 0; i < 2 * wanted && answered < wanted && byRouter.size > 0 && !signal?.aborted; i++) {
      const now = clock.now();
      const ready = (r: string) => routerBudgets.readyAt(routerId(r), now);
      const [router, list] = [...byRouter].sort(([a], [b]) => ready(a) - ready(b) || (asked.get(a) ?? 0) - (asked.get(b) ?? 0))[0]!;
      const n = asked.get(router) ?? 0;
      asked.set(router, n + 1);
      const flow = list[n % list.length]!;
      const again = await ask(flow, ttl, router);
      if (again.kind === 'silent') continue;
      answered++;
      if (key(again) !== key(flows.get(flow)!.get(ttl)!)) return true;
    }
    return false;
  };

  /** Flow|TTL pairs whose RST may be our own half-open connection's (see askAll). */
  const doubtful = new Set<string>();
  const isReset = (o: Outcome) => o.kind === 'end' && o.address === options.destination && o.result.reply?.kind === 'rst';
  /** The destination took the connection (a SYN-ACK). */
  const isAccepted = (o: Outcome) => o.kind === 'end' && o.address === options.destination && o.result.reply?.kind === 'syn-ack';

  const record = (flow: number, ttl: number, outcome: Outcome) => {
    if (!flows.has(flow)) flows.set(flow, new Map());
    // Likewise an RST after this flow's probes went unanswered past its last router, at this TTL too (a late round
    // asking again a flow silent here): one of them may have reached the server and left it half-open.
    if (isReset(outcome)) {
      const known = [...flows.get(flow)!].filter(([t]) => t <= ttl);
      const lastRouter = Math.max(0, ...known.filter(([, o]) => o.kind === 'router').map(([t]) => t));
      if (known.some(([t, o]) => t > lastRouter && o.kind === 'silent')) doubtful.add(`${flow}|${ttl}`);
    }
    flows.get(flow)!.set(ttl, outcome);
    if (outcome.kind === 'router') routersMet.set(ttl, (routersMet.get(ttl) ?? new Set()).add(outcome.address));
    if (outcome.kind !== 'silent') answeredAt.add(ttl);
    if (!asked.has(ttl)) asked.set(ttl, new Set());
    asked.get(ttl)!.add(flow);
  };

  /**
   * The flow's last answer before `ttl` (the router it comes from), or '' from the start. A flow silent, since its
   * last answer, at a TTL where other flows got answers comes from a router not known (it may have taken another
   * branch there, or gone on where the others ended): it has no siblings. Where every flow was silent (a router that
   * never answers) the answer before stands.
   */
  const predecessor = (flow: number, ttl: number): string => {
    const known = flows.get(flow)!;
    for (let t = ttl - 1; t >= options.firstTtl; t--) {
      const o = known.get(t);
      if (o && o.kind !== 'silent') return key(o);
      if (o && answeredAt.has(t)) return `?${flow}`;
    }
    return '';
  };

  /**
   * What a flow not asked at `ttl` met there, when the flows asked there that came from the same router all met the
   * same answer (a router, or the end with one answer): it passes the same way. Null when they disagree, were silent,
   * or there are none: the flow must be asked. (Per predecessor, so a longer branch's flows are not taken to end where
   * a shorter branch's did.)
   */
  const inherited = (flow: number, ttl: number): Outcome | null => {
    const from = predecessor(flow, ttl);
    const siblings = [...(asked.get(ttl) ?? [])].filter((f) => f !== flow && predecessor(f, ttl) === from).map((f) => flows.get(f)!.get(ttl)!);
    if (siblings.length === 0 || siblings.some((o) => o.kind === 'silent')) return null;
    return new Set(siblings.map(answerKey)).size === 1 ? siblings[0]! : null;
  };

  /** Whether the flow ended (its destination answered, or an ICMP error) before `ttl`. */
  const endedBefore = (flow: number, ttl: number) => [...(flows.get(flow) ?? new Map<number, Outcome>())].some(([t, o]) => t < ttl && o.kind === 'end');

  /** Some flow from the same router as `flow` got an answer at `ttl`. */
  const siblingsAnswered = (flow: number, ttl: number) => {
    const from = predecessor(flow, ttl);
    return [...flows].some(([f, known]) => f !== flow && (known.get(ttl)?.kind ?? 'silent') !== 'silent' && predecessor(f, ttl) === from);
  };

  /** The one router the flows from `flow`'s router met at `ttl`, if they met exactly one. */
  const siblingsRouter = (flow: number, ttl: number): string | undefined => {
    const from = predecessor(flow, ttl);
    const met = new Set([...flows].flatMap(([f, known]) => {
      const o = known.get(ttl);
      return f !== flow && o?.kind === 'router' && predecessor(f, ttl) === from ? [o.address] : [];
    }));
    return met.size === 1 ? [...met][0] : undefined;
  };

  /** "flow|ttl" where the flow's outcome was inherited from its siblings, not asked. */
  const inheritedAt = new Set<string>();
  const pass = (flow: number, ttl: number, outcome: Outcome) => {
    flows.get(flow)!.set(ttl, outcome);
    inheritedAt.add(`${flow}|${ttl}`);
  };

  /** How a flow ended: its end's answer, or silence after its last answer. */
  const fate = (flow: number): string => {
    const known = [...flows.get(flow)!].sort(([a], [b]) => a - b);
    const end = known.find(([, o]) => o.kind === 'end');
    if (end) return key(end[1]);
    return `*${Math.max(0, ...known.filter(([, o]) => o.kind !== 'silent').map(([t]) => t))}`;
  };

  /** A new flow, walked through every TTL so far: inherited where its siblings agree, asked elsewhere. */
  const newFlow = async (upTo: number): Promise<number> => {
    const flow = flows.size;
    flows.set(flow, new Map());
    for (let ttl = options.firstTtl; ttl < upTo && !endedBefore(flow, ttl); ttl++) {
      const passes = inherited(flow, ttl);
      if (passes) pass(flow, ttl, passes);
      else record(flow, ttl, (await askAll([flow], ttl))[0]!);
    }
    return flow;
  };

  let silentRun = 0;
  for (let ttl = options.firstTtl; ttl <= options.maxTtl && !signal?.aborted; ttl++) {
    const probed = new Set<number>();
    let needed: number;
    let endedShort = 0;
    for (;;) {
      // Silence is not a next hop (a router's rate limit, a lost probe, or a drop): it counts for the rule as
      // nothing; but where some flows are silent and others not, every flow is asked, to learn each one's fate.
      const sofar = [...probed].map((f) => flows.get(f)!.get(ttl)!);
      const answers = new Set(sofar.filter((o) => o.kind !== 'silent').map(key));
      const mixed = answers.size > 1 || (answers.size === 1 && sofar.some((o) => o.kind === 'silent'));
      needed = flowsNeeded(answers.size, options.confidence);
      // The rule counts flows whose next hop was seen: a silent flow whose router's other flows got answers here
      // showed nothing (a lost probe, a spent ICMP budget) and does not count; one whose router's flows are all
      // silent here does (its branch goes silent there).
      const counted = [...probed].filter((f) => flows.get(f)!.get(ttl)!.kind !== 'silent' || !siblingsAnswered(f, ttl)).length;
      const alive = spreadOver([...flows.keys()].filter((f) => !probed.has(f) && !endedBefore(f, ttl)), (f) => predecessor(f, ttl));
      const want = mixed ? Math.max(needed - counted, alive.length) : needed - counted;
      if (want <= 0 || signal?.aborted) break;
      const batch = alive.slice(0, want);
      // Nothing has answered here and every flow that reaches here was asked: new flows would only be silent too.
      if (batch.length === 0 && answers.size === 0 && probed.size > 0) break;
      if (batch.length < want) {
        const room = options.maxFlows - flows.size;
        if (room <= 0 && batch.length === 0) {
          ruleMet = false;
          break;
        }
        for (let i = 0; i < Math.min(room, want - batch.length); i++) batch.push(await newFlow(ttl));
        // A new flow may have ended before this TTL (its own path is shorter): it does not count here. As many new
        // flows ending short as the rule asks for say that paths reaching this TTL are that rare: enough.
        for (let i = batch.length - 1; i >= 0; i--) {
          if (!endedBefore(batch[i]!, ttl)) continue;
          batch.splice(i, 1);
          endedShort++;
        }
        if (endedShort >= needed) break;
        if (batch.length === 0) continue;
      }
      const answered = await askAll(batch, ttl);
      batch.forEach((flow, i) => {
        record(flow, ttl, answered[i]!);
        probed.add(flow);
      });
    }
    if (probed.size === 0) break; // every flow ended
    // The flows not asked here: each passes as the flows from its router did, or is asked (its router's flows
    // disagreed, or none was asked) — so every flow's path is known hop by hop.
    const passOrAsk = (candidates: number[]) =>
      candidates.filter((f) => {
        const passes = inherited(f, ttl);
        if (passes) pass(f, ttl, passes);
        return passes === null;
      });
    let unsure = passOrAsk([...flows.keys()].filter((f) => !probed.has(f) && !endedBefore(f, ttl)));
    while (unsure.length > 0 && !signal?.aborted) {
      // Of the flows from a router none of whose flows was asked here, one is asked first and the others pass as it
      // does: each flow asked at a one-router hop spends a token of a router that answers one a second.
      const groups = new Set<string>();
      const batch = unsure.filter((f) => {
        const from = predecessor(f, ttl);
        if ([...(asked.get(ttl) ?? [])].some((g) => g !== f && predecessor(g, ttl) === from)) return true;
        if (groups.has(from)) return false;
        groups.add(from);
        return true;
      });
      const answered = await askAll(batch, ttl);
      batch.forEach((flow, i) => {
        record(flow, ttl, answered[i]!);
        probed.add(flow);
      });
      unsure = passOrAsk(unsure.filter((f) => !probed.has(f)));
    }
    const outcomes = [...probed].map((f) => flows.get(f)!.get(ttl)!);
    const seen = new Set(outcomes.map(key));
    const only = seen.size === 1 && outcomes[0]!.kind === 'router' ? outcomes[0]! : null;
    // A few flows asked again, each repeat a chance for a per-packet balancer to show a second router: alongside the
    // TTLs that follow, as the repeats wait for their routers' tokens.
    if (routersAt(ttl) > 1 && !signal?.aborted) repeats.push(repeatsDiffer(ttl, [...probed]).then((differ) => void (differ && perPacket.add(ttl))));
    figures.push({ ttl, flows: probed.size, outcomes: seen.size, needed, single: only !== null, perPacket: false });
    const anyAnswer = [...probed].some((f) => flows.get(f)!.get(ttl)!.kind !== 'silent');
    silentRun = anyAnswer ? 0 : silentRun + 1;
    if (silentRun >= options.gapLimit) break;
    // Every flow that is still going is silent here and has been for a while: nothing farther will answer.
    const going = [...flows.keys()].filter((f) => !endedBefore(f, ttl + 1));
    if (going.length === 0) break;
  }
  // A flow that ended unlike every flow it was taken to pass a hop with (it inherited their router there) may have
  // passed another: the flows asked there may all have taken one branch by chance (the rule allows it). Its
  // inherited hops are asked, in order, so a fault is not put behind a router its flows never crossed.
  const suspects = [...inheritedAt].map((pair) => pair.split('|').map(Number) as [number, number]).filter(([flow, ttl]) => {
    const from = predecessor(flow, ttl);
    const siblings = [...(asked.get(ttl) ?? [])].filter((f) => f !== flow && predecessor(f, ttl) === from);
    return siblings.length > 0 && !siblings.some((f) => fate(f) === fate(flow));
  });
  const recheck = new Set(suspects.map(([flow]) => flow));
  if (recheck.size > 0 && !signal?.aborted) {
    const pairs = [...inheritedAt].map((pair) => pair.split('|').map(Number) as [number, number]).filter(([flow]) => recheck.has(flow)).map(([flow, ttl]) => ({ flow, ttl }));
    await Promise.all(
      [...byFlow(pairs)].map(async ([flow, ttls]) => {
        // Once a hop turns out other than inherited, the hops after it were inherited on a wrong premise: whatever
        // they answer now (silence too) is kept.
        // A hop that stays silent (twice) where flows met different routers cannot be checked: it is left silent,
        // which keeps the flow off every path rather than on one it may not take.
        let wrongPremise = false;
        for (const ttl of ttls) {
          let outcome = await ask(flow, ttl);
          if (outcome.kind === 'silent') outcome = await ask(flow, ttl);
          if (outcome.kind === 'silent' && !wrongPremise && routersAt(ttl) <= 1) continue;
          wrongPremise ||= key(outcome) !== key(flows.get(flow)!.get(ttl)!);
          record(flow, ttl, outcome);
        }
      }),
    );
  }
  // A flow silent at a TTL where flows met different routers, yet answered farther on, passed one of them unseen
  // (a spent ICMP budget): asked again when tokens are back, so it joins its path instead of making one of its own.
  for (let round = 0; round < LATE_ROUNDS && !signal?.aborted; round++) {
    /** Hops no flow from a router answered at, though its flows answered farther on: one flow each is asked. */
    const unheard = new Set<string>();
    const gaps = [...flows].flatMap(([flow, known]) => {
      const last = Math.max(...[...known].filter(([, o]) => o.kind !== 'silent').map(([t]) => t), 0);
      // Silent at a branching TTL before a later answer, or silent for good from one (which branch is not known); or
      // silent for good where flows from the same router got an answer (a lost or rate-limited one, most likely).
      // Or silent before a later answer where no flow from its router got one: a router that never answers, or one
      // whose budget ran out (a router met at two TTLs, by branches of unequal length, spends one budget on both);
      // one flow of the group asked again tells which, and where it answers its router fills in the others.
      // Or, in the first round, silent before a later answer where the flows from its router met one router: asked
      // once more when that router has a token, so its silence is not taken for a next hop that never answers
      // (a rate-limited joiner, which every branch's flows spend, leaves many flows silent).
      const unsure = (t: number) => {
        if (routersAt(t) > 1 || (t === last + 1 && siblingsAnswered(flow, t))) return true;
        if (round === 0 && t < last && siblingsRouter(flow, t) !== undefined) return true;
        const group = `${t}|${predecessor(flow, t)}`;
        if (t >= last || siblingsAnswered(flow, t) || unheard.has(group)) return false;
        unheard.add(group);
        return true;
      };
      return [...known].filter(([t, o]) => o.kind === 'silent' && (t < last || t === last + 1) && unsure(t)).map(([t]) => ({ flow, ttl: t }));
    });
    if (gaps.length === 0) break;
    // Flows at once, each flow's TTLs one after the other: two SYNs of one flow reaching the server together draw an
    // RST for the second (the first left it half-open).
    await Promise.all(
      [...byFlow(gaps)].map(async ([flow, ttls]) => {
        for (const ttl of ttls) {
          const expect = expectedAt(flow, ttl);
          const outcome = await ask(flow, ttl, expect);
          if (outcome.kind === 'silent' && expect !== undefined) silentWithToken.add(`${flow}|${ttl}`);
          record(flow, ttl, outcome);
        }
      }),
    );
  }
  // A lone RST — the destination reset one flow where the flows from the same router got its SYN-ACK — is more
  // likely our own half-open connection's than a port closed to that one flow: a SYN-ACK or our kernel's RST to it
  // lost on the way leaves the server holding the connection until it retransmits a second later, and any SYN of that
  // flow then draws an RST. Asked again too (a port really closed to it answers RST again).
  for (const [flow, known] of flows) {
    const end = [...known].find(([, o]) => isReset(o));
    if (!end || inheritedAt.has(`${flow}|${end[0]}`)) continue;
    const [ttl] = end;
    const from = predecessor(flow, ttl);
    const siblings = [...flows].flatMap(([f, k]) => (f !== flow && predecessor(f, ttl) === from && k.get(ttl)?.kind === 'end' ? [k.get(ttl)!] : []));
    if (siblings.some(isAccepted) && !siblings.some(isReset)) doubtful.add(`${flow}|${ttl}`);
  }
  // The doubtful RSTs, asked again once the server has let go of the half-open connection (it retransmits its
  // SYN-ACK within a second or so, and our kernel resets it then): an RST now is the port's answer.
  // A silent re-ask may itself have left the server half-open (its SYN-ACK lost), so an RST right after one is
  // doubtful too: asked again, up to DOUBTFUL_TRIES times.
  const askAgain = async (flow: number, ttl: number) => {
    let afterSilence = false;
    for (let tries = 0; tries < DOUBTFUL_TRIES && !signal?.aborted; tries++) {
      await sleepUntil(clock.now() + HALF_OPEN_MS);
      const outcome = await ask(flow, ttl);
      if (outcome.kind === 'silent' || (afterSilence && isReset(outcome))) {
        afterSilence ||= outcome.kind === 'silent';
        continue;
      }
      flows.get(flow)!.set(ttl, outcome);
      return;
    }
  };
  const pairs = [...doubtful].map((pair) => pair.split('|').map(Number) as [number, number]).map(([flow, ttl]) => ({ flow, ttl }));
  await Promise.all(
    [...byFlow(pairs)].map(async ([flow, ttls]) => {
      for (const ttl of ttls) await askAgain(flow, ttl);
    }),
  );
  await Promise.all(repeats);
  // Below a per-packet balancer the branches stay scrambled until they join.
  for (const figure of figures) {
    if (perPacket.has(figure.ttl - 1) && routersAt(figure.ttl) > 1) perPacket.add(figure.ttl);
    figure.perPacket = perPacket.has(figure.ttl);
  }
  return { flows, figures, probes, ruleMet, perPacket, silentWithToken };
}

/**
 * The flows in turns over the routers they come from (`from`: a router's key, or '?…' for a flow whose router is not
 * known), then those from no known router: the first few asked at a TTL then cover every branch. At a joiner the rule
 * asks for 6 flows, and the flows from a branch none of them came from must be asked there too — one token more each
 * of a router whose burst of 6 the first six spent, a second's wait each.
 */
function spreadOver(flows: number[], from: (flow: number) => string): number[] {
  const groups = new Map<string, number[]>();
  for (const flow of flows) {
    const key = from(flow);
    groups.set(key, [...(groups.get(key) ?? []), flow]);
  }
  const known = [...groups].filter(([key]) => !key.startsWith('?')).map(([, list]) => list);
  const spread: number[] = [];
  for (let i = 0; i < Math.max(0, ...known.map((list) => list.length)); i++) for (const list of known) if (i < list.length) spread.push(list[i]!);
  // The flows from an unknown router, in their order (a Map keeps it), without working out their predecessor again.
  return [...spread, ...[...groups].filter(([key]) => key.startsWith('?')).flatMap(([, list]) => list)];
}

/** Flow → its TTLs, in order. */
function byFlow(pairs: { flow: number; ttl: number }[]): Map<number, number[]> {
  const grouped = new Map<number, number[]>();
  for (const { flow, ttl } of pairs) grouped.set(flow, [...(grouped.get(flow) ?? []), ttl]);
  for (const ttls of grouped.values()) ttls.sort((a, b) => a - b);
  return grouped;
}

/** How long a server may hold our half-open connection before an RST of its can be trusted to answer the port. */
const HALF_OPEN_MS = 1500;

/**
 * Times a doubtful RST's flow is asked again at most. A try goes unanswered about one time in five at 5% loss each
 * way on two links, and leaves the server half-open about half of those times, so the next try's RST is doubtful too:
 * three tries left about one doubtful RST in 70 standing (most likely the sweep's phantom `closed` flows: a run has
 * several doubtful RSTs); six, about one in 3,000.
 */
const DOUBTFUL_TRIES = 6;

/**
 * Flows asked a second time at a TTL where `routers` routers answered, to tell per-packet balancing from per-flow:
 * the fewest answered repeats that per-packet balancing over them escapes (each repeat meeting its flow's first
 * router, chance (1/k)^n) at most half of 1 − confidence of the time — half, as a run has that chance and the chance
 * of a next hop unseen: 95%: 6 over two routers, 3 over four, 2 over eight; 99%: 8, 4, 3. Each repeat spends a token
 * of a router the rule's flows have just spent: on a 4-wide diamond 21 flows and 3 repeats fit the four routers'
 * bursts (6 each), where the six repeats asked before waited a second for tokens.
 */
export function repeatsNeeded(routers: number, confidence: number): number {
  const k = Math.max(2, routers);
  let n = 1;
  while ((1 / k) ** n > (1 - confidence) / 2) n++;
  return n;
}

/** Rounds of asking again flows that passed a branching TTL unseen. */
const LATE_ROUNDS = 2;

