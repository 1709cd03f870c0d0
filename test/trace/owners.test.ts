// Team Cymru's answers as they come (and as they should not), the query names, and the prefix cache.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { originQuery, parseAsName, parseOrigin } from '../../src/trace/owners.js';

test("origin answers: one AS, several (a prefix with more than one origin), a quoted string; garbage is null", () => {
  // Real answers, as `dig +short TXT 31.108.90.216.origin.asn.cymru.com` prints them (Team Cymru's documentation).
  assert.deepEqual(parseOrigin('23028 | 216.90.108.0/24 | US | arin | 1998-09-25'), { asns: [23028], prefix: '216.90.108.0/24', country: 'US', registry: 'arin' });
  assert.deepEqual(parseOrigin('"4826 38803 | 2001:DB8::/32 | AU | apnic | 2008-07-24"')?.asns, [4826, 38803]);
  assert.equal(parseOrigin('"4826 38803 | 2001:DB8::/32 | AU | apnic | 2008-07-24"')?.prefix, '2001:db8::/32');
  for (const bad of ['', 'not a | cymru answer', 'AS123 | 1.2.3.0/24 | US', '123 | 1.2.3.0/33 | US', '123 | 1.2.3.0 | US', '99999999999 | 1.2.3.0/24 | US', '12 | ::g/32 | US']) {
    assert.equal(parseOrigin(bad), null, bad);
  }
  assert.equal(parseOrigin('123 | 1.2.3.0/24 | ?? | arin')?.country, null);
});

test('AS name answers: the last field, for the AS asked about only', () => {
  assert.equal(parseAsName('23028 | US | arin | 2002-01-04 | TEAM-CYMRU - Team Cymru Inc., US', 23028), 'TEAM-CYMRU - Team Cymru Inc., US');
  assert.equal(parseAsName('23028 | US | arin | 2002-01-04 | TEAM-CYMRU', 64500), null);
  assert.equal(parseAsName('23028 | US | arin', 23028), null);
});

test('query names: reversed octets for IPv4, reversed nibbles for IPv6', () => {
  assert.equal(originQuery('216.90.108.31'), '31.108.90.216.origin.asn.cymru.com');
  assert.equal(originQuery('2001:db8::1'), '1.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1.0.0.2.origin6.asn.cymru.com');
});
