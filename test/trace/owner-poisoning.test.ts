// Owner data an answer cannot poison: an answer counts only for a network that contains the address asked about,
// and is reused only where it is known to hold (answerScope): a 0.0.0.0/0 or a /8 answer for one hop relabels no
// other hop, and a more specific prefix is never hidden by a broader one cached before it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answerScope, OwnerLookups } from '../../src/trace/owners.js';
import { FakeTxtResolver, originName } from './fake-txt-resolver.js';

const NAMES = {
  'AS64496.asn.cymru.com': '64496 | ZZ | lab | 2026-11-29 | POISON - claims everything',
  'AS64500.asn.cymru.com': '64500 | ZZ | lab | 2026-11-29 | LAB-EDGE',
  'AS64501.asn.cymru.com': '64501 | ZZ | lab | 2026-11-29 | LAB-CORE',
};
const owners = (resolver: FakeTxtResolver) => new OwnerLookups({ dns: true, timeoutMs: 1000 }, resolver);

test('a 0.0.0.0/0 answer for one hop relabels no other hop', async () => {
  const resolver = FakeTxtResolver.of({
    ...NAMES,
    [originName('198.18.1.2')]: '64496 | 0.0.0.0/0 | ZZ | lab | 2026-11-29',
    [originName('198.18.2.2')]: '64501 | 198.18.2.0/24 | ZZ | lab | 2026-11-29',
  });
  const lookups = owners(resolver);
  assert.equal((await lookups.lookup('198.18.1.2')).owner?.asn, 64496, 'what the resolver said about the address asked');
  const other = await lookups.lookup('198.18.2.2');
  assert.deepEqual([other.owner?.asn, other.owner?.prefix], [64501, '198.18.2.0/24']);
  assert.ok(resolver.asked.includes(originName('198.18.2.2')), 'the other hop was asked about, not taken from the /0');
  // An address with no record of its own is not labelled by the /0 either.
  assert.equal((await lookups.lookup('198.18.3.2')).owner, null);
});

test('an answer for a network that does not contain the address is ignored, with a note', async () => {
  const resolver = FakeTxtResolver.of({
    ...NAMES,
    [originName('198.18.1.2')]: '64496 | 203.0.113.0/24 | ZZ | lab | 2026-11-29',
    [originName('198.18.2.2')]: ['64496 | 203.0.113.0/24 | ZZ | lab | 2026-11-29', '64501 | 198.18.2.0/24 | ZZ | lab | 2026-11-29'],
  });
  const lookups = owners(resolver);
  const lone = await lookups.lookup('198.18.1.2');
  assert.deepEqual([lone.owner, lone.lookup], [null, 'failed']);
  assert.equal((await lookups.lookup('198.18.2.2')).owner?.asn, 64501, 'the record that does contain it is used');
  assert.deepEqual(lookups.notes, [
    'ASN lookup for 198.18.1.2: an answer for another network (203.0.113.0/24) was ignored',
    'ASN lookup for 198.18.2.2: an answer for another network (203.0.113.0/24) was ignored',
  ]);
  // Nothing of the ignored answer was cached: an address of that network is asked about itself.
  await lookups.lookup('203.0.113.9');
  assert.ok(resolver.asked.includes('9.113.0.203.origin.asn.cymru.com'));
});

test('a cached /8 does not hide a more specific /24 announced inside it; cached answers are reused where they hold', async () => {
  const resolver = FakeTxtResolver.of({
    ...NAMES,
    [originName('198.18.1.2')]: '64500 | 198.0.0.0/8 | ZZ | lab | 2026-11-29',
    [originName('198.18.2.2')]: '64501 | 198.18.2.0/24 | ZZ | lab | 2026-11-29',
    [originName('198.18.3.2')]: '64500 | 198.0.0.0/8 | ZZ | lab | 2026-11-29',
  });
  const lookups = owners(resolver);
  assert.equal((await lookups.lookup('198.18.1.2')).owner?.prefix, '198.0.0.0/8');
  const inside = await lookups.lookup('198.18.2.2');
  assert.deepEqual([inside.owner?.asn, inside.owner?.prefix], [64501, '198.18.2.0/24'], 'the /24 inside the cached /8');
  const origins = () => resolver.asked.filter((n) => n.endsWith('.origin.asn.cymru.com')).length;
  const before = origins();
  // Longest match among what is cached, without asking: the /24's other addresses, and the /8 answer's own /24.
  assert.equal((await lookups.lookup('198.18.2.200')).owner?.prefix, '198.18.2.0/24');
  assert.equal((await lookups.lookup('198.18.1.50')).owner?.prefix, '198.0.0.0/8');
  assert.equal(origins(), before, 'both came from the cache');
  // Elsewhere in the /8 the /8 answer is not assumed: that address is asked about.
  assert.equal((await lookups.lookup('198.18.3.2')).owner?.prefix, '198.0.0.0/8');
  assert.equal(origins(), before + 1);
});

test('where an answer holds: the announced prefix when it is a /24 (/48) or longer, else the /24 (/48) around the address', () => {
  assert.equal(answerScope('198.18.1.2', '198.18.1.0/24'), '198.18.1.0/24');
  assert.equal(answerScope('198.18.1.2', '198.18.1.0/25'), '198.18.1.0/25');
  assert.equal(answerScope('198.18.1.2', '198.18.0.0/15'), '198.18.1.0/24');
  assert.equal(answerScope('198.18.1.2', '0.0.0.0/0'), '198.18.1.0/24');
  assert.equal(answerScope('2001:db8:1:2::1', '2001:db8::/32'), '2001:db8:1::/48');
  assert.equal(answerScope('2001:db8:1:2::1', '2001:db8:1:2::/64'), '2001:db8:1:2::/64');
});
