// What owner lookups keep stays bounded however many addresses answer: the caches (addresses, prefixes, AS names)
// are LRU-capped, notes are said once and capped, and a watch looks up only the responders its statistics keep
// (16 per hop), so a router that answers from a fresh address every round grows neither memory nor queries.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { HopStats, MAX_RESPONDERS } from '../../src/analyze/hop-stats.js';
import { BoundedNotes } from '../../src/trace/bounded-notes.js';
import { OwnerLookups } from '../../src/trace/owners.js';
import { FakeTxtResolver } from './fake-txt-resolver.js';

// --expose-gc, without a flag on the test runner's command line: a full collection before each heap reading.
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;
const heapMb = () => {
  gc();
  return process.memoryUsage().heapUsed / 2 ** 20;
};

/** The i-th address of a stream where every address is in a /24 of its own (so none is answered from the cache). */
const spread = (i: number) => `${11 + (i >> 16)}.${(i >> 8) & 255}.${i & 255}.1`;

/** Team Cymru answers for any address: its own /24, one of 5000 ASes (so the AS-name cache fills as well). */
function answeringResolver(): FakeTxtResolver {
  return new FakeTxtResolver((name) => {
    const origin = /^(\d+)\.(\d+)\.(\d+)\.(\d+)\.origin\.asn\.cymru\.com$/.exec(name);
    if (origin) {
      const [, , c, b, a] = origin;
      return [`${(Number(b) * 256 + Number(c)) % 5000} | ${a}.${b}.${c}.0/24 | ZZ | lab | 2026-11-29`];
    }
    const as = /^AS(\d+)\.asn\.cymru\.com$/.exec(name);
    return as ? [`${as[1]} | ZZ | lab | 2026-11-29 | NAME-${as[1]}`] : undefined;
  }, false);
}

test('a stream of fresh addresses: the caches stop at their caps and the heap stays flat', async () => {
  const lookups = new OwnerLookups({ dns: true, timeoutMs: 1000 }, answeringResolver());
  const feed = async (from: number, to: number) => {
    for (let i = from; i < to; i += 500) await Promise.all(Array.from({ length: 500 }, (_, k) => lookups.lookup(spread(i + k))));
  };
  await feed(0, 8_000);
  const sizes = lookups.cacheSizes();
  assert.deepEqual(sizes, { addresses: 4096, prefixes: 4096, asNames: 1024 });
  const heapBefore = heapMb();
  await feed(8_000, 32_000);
  const grown = heapMb() - heapBefore;
  assert.deepEqual(lookups.cacheSizes(), sizes, 'full caches stay exactly full');
  assert.equal(Object.keys(lookups.all()).length, 4096);
  // Unbounded, 24 000 more addresses measured 17 MB more heap; a bounded cache only churns (the rest is noise).
  assert.ok(grown < 5, `heap grew ${grown.toFixed(2)} MB over 24 000 more addresses`);
  // The most recent addresses are still known.
  assert.equal(lookups.infoOf(spread(31_999))?.owner?.asName, `NAME-${(((31_999 >> 8) & 255) * 256 + (31_999 & 255)) % 5000}`);
});

test('notes: each said once, at most the cap, and one more saying how many were left out', async () => {
  const garbage = new FakeTxtResolver((name) => (name.endsWith('.origin.asn.cymru.com') ? ['not a | cymru answer'] : undefined));
  const lookups = new OwnerLookups({ dns: true, timeoutMs: 1000 }, garbage);
  for (let i = 0; i < 1000; i++) await lookups.lookup(spread(i));
  const notes = lookups.notes;
  assert.equal(notes.length, 21);
  assert.equal(new Set(notes).size, notes.length);
  assert.equal(notes.at(-1), 'ASN lookups: 980 more notes like these were left out');

  const bounded = new BoundedNotes(2, (n) => `${n} more`);
  for (const note of ['a', 'a', 'b', 'a', 'b']) bounded.add(note);
  assert.deepEqual(bounded.list(), ['a', 'b'], 'repeats are not notes');
  bounded.add('c');
  bounded.add('d');
  assert.deepEqual(bounded.list(), ['a', 'b', '2 more']);
});

test('a watch looks up at most the responders its statistics keep: 10 000 rounds of a fresh address cost 16 lookups', async () => {
  const resolver = answeringResolver();
  const lookups = new OwnerLookups({ dns: true, timeoutMs: 1000 }, resolver);
  const hops = [new HopStats(1), new HopStats(2)];
  // What Watch.onRound does per probe: record it, then look the responder up only if the statistics keep it.
  const round = async (i: number) => {
    const answers = [{ stats: hops[0]!, from: '12.0.0.1' }, { stats: hops[1]!, from: spread(i) }];
    const pending: Promise<unknown>[] = [];
    for (const { stats, from } of answers) {
      stats.record({ from, rttMs: 1 });
      if (stats.keeps(from)) pending.push(lookups.lookup(from));
    }
    await Promise.all(pending);
  };
  for (let i = 0; i < 1000; i++) await round(i);
  const heapAt1k = heapMb();
  const asked = resolver.queries;
  for (let i = 1000; i < 10_000; i++) await round(i);
  assert.equal(resolver.queries, asked, 'no query after the first rounds');
  assert.equal(lookups.cacheSizes().addresses, 1 + MAX_RESPONDERS);
  assert.equal(hops[1]!.snapshot().responders.length, MAX_RESPONDERS + 1, "16 by address and one 'other'");
  assert.ok(heapMb() - heapAt1k < 1, 'flat');
});
