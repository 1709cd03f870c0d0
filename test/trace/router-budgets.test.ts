import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IcmpBudget } from '../../src/engine/icmp-budget.js';
import type { TraceResult } from '../../src/engine/types.js';
import { RouterBudgets } from '../../src/trace/router-budgets.js';

const probe = (from: string | null) => ({ from, rtt: from ? 1 : null, reply: from ? { kind: 'time-exceeded', ttl: 60 } : null });
/** A trace whose hop 2 (router R2) answered one probe of three, and whose hop 3 answered nothing though hop 4 did. */
const spent = {
  target: { address: '198.18.9.1' },
  hops: [
    { ttl: 1, probes: [1, 2, 3].map(() => probe('198.18.1.1')) },
    { ttl: 2, probes: [probe('198.18.1.2'), probe(null), probe(null)] },
    { ttl: 3, probes: [probe(null), probe(null), probe(null)] },
    { ttl: 4, probes: [1, 2, 3].map(() => probe('198.18.1.4')) },
  ],
} as unknown as TraceResult;
const R2 = '198.18.1.2';
const R3 = '198.18.1.3';

test('only a router seen out of budget makes probes wait, and then they take its turns one after another across traces', () => {
  const routers = new RouterBudgets();
  const { gate } = routers.forTrace([null, R2, R3]);
  assert.equal(gate(2, 0), 0, 'nothing known of it: no waiting');
  assert.equal(gate(1, 0), 0, 'no router expected at TTL 1');
  routers.forTrace([null, R2, R3]).view(new IcmpBudget(), spent, 0);
  // Spent at 0: its next token a second later (and a margin), the next one a second after that — for any trace.
  const first = gate(2, 0)!;
  const second = routers.forTrace(['198.18.7.7', R2]).gate(2, 0)!;
  assert.ok(first >= 1000 && first < 1200, `${first}`);
  assert.ok(second >= first + 1000 && second < first + 1200, `${second}`);
  // Hop 3 was silent while hop 4 answered: the router expected there (a sibling's) is out of budget too.
  assert.ok(gate(3, 0)! >= 1000);
  assert.equal(gate(4, 0), 0, 'another router');
});

test('a hop whose probes waited for turns, or with nothing answered past it, marks no router', () => {
  const routers = new RouterBudgets();
  const turns = routers.forTrace([null, R2, R3]);
  routers.forTrace([null, R2]).view(new IcmpBudget(), spent, 0);
  assert.ok(turns.gate(2, 0)! > 0, 'R2 waits now: this trace asked for a turn there');
  // That trace's own hop 2 went unanswered: its probes may never have gone out; R3 (hop 3, silent) is not marked by it either.
  const fresh = new RouterBudgets();
  const waited = fresh.forTrace([null, R2, R3]);
  waited.view(new IcmpBudget(), { ...spent, hops: spent.hops.slice(0, 3) } as TraceResult, 0);
  assert.equal(fresh.forTrace([null, null, R3]).gate(3, 0), 0, 'nothing answered past hop 3');
});

test('a follow-up probe waits for the later of its own trace\'s model and the batch\'s; a turn too far off is not waited for', () => {
  const routers = new RouterBudgets();
  const view = routers.forTrace([null, R2]).view(new IcmpBudget(), spent, 0);
  const at = view.take(2, 0);
  assert.ok(at >= 1000 && at < 1200, `${at}`);
  // Follow-ups queue up to 15 s of turns at that router; those past it go at once.
  const takes = Array.from({ length: 20 }, () => routers.forTrace([null, R2]).view(new IcmpBudget(), { ...spent, hops: [] } as unknown as TraceResult, 0).take(2, 0));
  assert.ok(takes.slice(0, 12).every((t, i) => i === 0 || t > takes[i - 1]!));
  assert.equal(takes.at(-1), 0);
  assert.equal(view.take(1, 0), 0, 'a router that answered everything');
});

test("a trace's own probe waits at most 3 s for its router's turn; past that it is not sent, and leaves the turns to the follow-ups", () => {
  const routers = new RouterBudgets();
  routers.forTrace([null, R2]).view(new IcmpBudget(), spent, 0);
  const { gate } = routers.forTrace([null, R2]);
  const turns = Array.from({ length: 5 }, () => gate(2, 0));
  assert.ok(turns[0]! >= 1000 && turns[1]! > turns[0]!, `${turns.join(' ')}`);
  assert.ok(turns.includes(null), `${turns.join(' ')}`);
  const skipped = turns.indexOf(null);
  assert.ok(turns.slice(skipped).every((t) => t === null), 'none sent past the first that was not');
  // The follow-up's next turn is the one the skipped probes did not take.
  const followUp = routers.forTrace([null, R2]).view(new IcmpBudget(), { ...spent, hops: [] } as unknown as TraceResult, 0).take(2, 0);
  assert.ok(followUp > turns[skipped - 1]! && followUp < turns[skipped - 1]! + 1200, `${followUp}`);
});

test("the family's first routers are asked in turn by a check or a full trace, which waits for their answers rather than not asking", () => {
  const routers = new RouterBudgets();
  routers.forTrace([null, R2]).view(new IcmpBudget(), spent, 0);
  const { gate } = routers.forTrace([], [null, R2]);
  const turns = Array.from({ length: 12 }, () => gate(2, 0));
  assert.ok(turns.every((t) => t !== null), `${turns.join(' ')}`);
  assert.ok(turns[10]! > 10_000, 'up to the follow-ups\' wait');
});

test('the first TTL past the last answer waits for the turn of the router before it too (its reject answers there), and a control names routers', () => {
  const routers = new RouterBudgets();
  // R2 answered one probe of three: out of budget. The next trace stops answering after R2 (hop 3 silent, nothing past).
  routers.forTrace([null, R2]).view(new IcmpBudget(), spent, 0);
  const stopped = { target: { address: '198.18.9.1' }, hops: [spent.hops[0], { ttl: 2, probes: [probe(R2)] }, { ttl: 3, probes: [probe(null)] }] } as unknown as TraceResult;
  const view = routers.forTrace([]).view(new IcmpBudget(), stopped, 0);
  assert.ok(view.take(3, 0) >= 1000, 'R2 rejects what goes past it: its turn');
  // A control that met R3 at hop 3 names it: a router with budget, so the turn is R2's alone.
  const control = { target: { address: '198.18.9.1' }, hops: [{ ttl: 3, probes: [probe(R3)] }] } as unknown as TraceResult;
  const withControl = routers.forTrace([]).view(new IcmpBudget(), stopped, 0, control).take(3, 0);
  assert.ok(withControl >= 2000, `${withControl}: after the turn taken above`);
});

test('a router counts as rate-limited for 10 s after a trace last saw it miss answers (loss misses them too)', () => {
  const routers = new RouterBudgets();
  routers.forTrace([null, R2]).view(new IcmpBudget(), spent, 0);
  const { gate } = routers.forTrace([null, R2]);
  assert.ok(gate(2, 0)! > 0);
  assert.equal(gate(2, 20_000), 20_000, 'nothing seen of it for 20 s: no waiting');
});

test('a router that answers the batch faster than any budget allows is lossy, not limited: its probes no longer wait (Linux\'s pace does not get there)', () => {
  /** A short trace whose hop 2 R2 answered `answered` probes. */
  const answering = (answered: number) => ({ target: { address: '198.18.9.1' }, hops: [{ ttl: 2, probes: Array.from({ length: answered }, () => probe(R2)) }] }) as unknown as TraceResult;
  const fastOne = new RouterBudgets();
  fastOne.forTrace([null, R2]).view(new IcmpBudget(), spent, 0);
  assert.ok(fastOne.forTrace([null, R2]).gate(2, 100)! > 100, 'marked: waits');
  // 42 answers within a few seconds: no Linux router answers one source that fast (a burst of 6, then 1 a second).
  for (let i = 0; i < 14; i++) fastOne.observe([answering(3)], 300, 100 + i * 200);
  assert.equal(fastOne.forTrace([null, R2]).gate(2, 3000), 3000, 'known fast: no waiting');
  fastOne.forTrace([null, R2]).view(new IcmpBudget(), spent, 3000);
  assert.equal(fastOne.forTrace([null, R2]).gate(2, 3100), 3100, 'its missing answers were loss: not marked again');

  // What a limited router answers over the same time — up to 6 + 1 a second — keeps it limited; so do long traces.
  const limited = new RouterBudgets();
  limited.forTrace([null, R2]).view(new IcmpBudget(), spent, 0);
  for (let i = 0; i < 7; i++) limited.observe([answering(3)], 300, 100 + i * 1000);
  limited.observe([answering(60)], 20_000, 7000);
  // Still given turns: its bucket, full again after 7 s, lets 6 go at once, then the next waits.
  const turns = Array.from({ length: 8 }, () => limited.forTrace([null, R2]).gate(2, 7100)!);
  assert.ok(turns.at(-1)! > 7100, `still waits: ${turns.join(' ')}`);
});
