// Special-purpose addresses named without a lookup, and which of them may be looked up at all.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { specialRange } from '../../src/packet/special-ranges.js';

test('each special range is named; ordinary addresses are not; private ones are never looked up', () => {
  const cases: [string, string | null, boolean][] = [
    ['10.1.2.3', 'private', false],
    ['172.31.255.255', 'private', false],
    ['172.32.0.1', null, true],
    ['192.168.1.1', 'private', false],
    ['100.64.0.1', 'CGNAT', false],
    ['100.127.255.254', 'CGNAT', false],
    ['100.128.0.1', null, true],
    ['169.254.10.10', 'link-local', false],
    ['127.0.0.1', 'loopback', false],
    ['198.18.1.2', 'benchmarking', true],
    ['198.19.255.1', 'benchmarking', true],
    ['198.20.0.1', null, true],
    ['192.0.2.7', 'documentation', true],
    ['8.8.8.8', null, true],
    ['2001:db8:4::2', 'documentation', true],
    ['fd00::1', 'ULA', false],
    ['fe80::1', 'link-local', false],
    ['::1', 'loopback', false],
    ['::ffff:10.0.0.1', 'private', false],
    ['2606:4700::1111', null, true],
  ];
  for (const [address, kind, lookup] of cases) {
    const range = specialRange(address);
    assert.equal(range?.kind ?? null, kind, address);
    assert.equal(range?.lookup ?? true, lookup, address);
  }
  assert.match(specialRange('100.64.0.1')!.meaning, /carrier-grade NAT/);
});
