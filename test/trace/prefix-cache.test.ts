// The prefix cache the owner lookups keep their answers in: longest match, both families, bounded.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PrefixCache } from '../../src/trace/prefix-cache.js';

test('an address gets the most specific cached prefix that contains it, whatever the order they were cached in', () => {
  const cache = new PrefixCache<string>(16);
  cache.set('10.0.0.0/8', 'broad');
  cache.set('10.1.2.0/24', 'narrow');
  cache.set('10.1.0.0/16', 'middle');
  assert.deepEqual(cache.get('10.1.2.3'), { prefix: '10.1.2.0/24', value: 'narrow' });
  assert.deepEqual(cache.get('10.1.3.3'), { prefix: '10.1.0.0/16', value: 'middle' });
  assert.deepEqual(cache.get('10.9.9.9'), { prefix: '10.0.0.0/8', value: 'broad' });
  assert.equal(cache.get('11.0.0.1'), undefined);
});

test('containment: host bits are cleared, families never mix, /0 and /32 behave', () => {
  const cache = new PrefixCache<string>(16);
  cache.set('198.18.1.77/24', 'lab');
  assert.equal(cache.get('198.18.1.2')?.prefix, '198.18.1.0/24');
  assert.equal(cache.get('198.18.2.2'), undefined);
  cache.set('2001:db8::/32', 'v6');
  assert.equal(cache.get('2001:db8:1::1')?.value, 'v6');
  assert.equal(cache.get('2001:db9::1'), undefined);
  cache.set('198.18.9.9/32', 'host');
  assert.equal(cache.get('198.18.9.9')?.value, 'host');
  assert.equal(cache.get('198.18.9.8'), undefined);
  cache.set('0.0.0.0/0', 'everything');
  assert.equal(cache.get('203.0.113.1')?.value, 'everything');
  assert.equal(cache.get('198.18.1.2')?.value, 'lab', 'the default does not hide a more specific prefix');
  assert.equal(cache.get('2001:db9::1'), undefined, 'an IPv4 /0 says nothing about IPv6');
});

test('not a prefix: ignored', () => {
  const cache = new PrefixCache<string>(16);
  for (const bad of ['198.18.1.0', '198.18.1.0/33', '198.18.1.0/x', 'host/24', '2001:db8::/129', '']) cache.set(bad, 'bad');
  assert.equal(cache.size, 0);
});

test('bounded: the least recently used prefix leaves first; a lookup keeps a prefix in', () => {
  const cache = new PrefixCache<number>(3);
  cache.set('10.0.1.0/24', 1);
  cache.set('10.0.2.0/24', 2);
  cache.set('10.0.3.0/24', 3);
  assert.equal(cache.get('10.0.1.1')?.value, 1);
  cache.set('10.0.4.0/24', 4);
  assert.equal(cache.size, 3);
  assert.equal(cache.get('10.0.2.1'), undefined, 'the oldest unused one went');
  assert.equal(cache.get('10.0.1.1')?.value, 1);
  for (let i = 0; i < 10_000; i++) cache.set(`10.${i >> 8}.${i & 255}.0/24`, i);
  assert.equal(cache.size, 3);
});
