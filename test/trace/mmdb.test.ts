// Offline owner databases: GeoLite2- and IPinfo-shaped .mmdb files (built by the tests, following the format's
// specification) read through mmdb-lib; a wrong or truncated file is one clear error.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openMmdb } from '../../src/trace/mmdb.js';
import { OwnerLookups } from '../../src/trace/owners.js';
import { GEOLITE_ASN, writeMmdb } from './mmdb-writer.js';

function files(t: { after: (fn: () => void) => void }) {
  const dir = mkdtempSync(join(tmpdir(), 'portpath-mmdb-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return (name: string, bytes: Buffer | string) => {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    return path;
  };
}

test('a GeoLite2-ASN database and a GeoLite2-City one: AS, prefix, country and city per address', async (t) => {
  const write = files(t);
  const asn = write('asn.mmdb', writeMmdb('GeoLite2-ASN', GEOLITE_ASN));
  const city = write('city.mmdb', writeMmdb('GeoLite2-City', [['198.18.0.0/15', { country: { iso_code: 'ZZ' }, city: { names: { en: 'Labville' } } }]]));
  const reader = openMmdb(asn, 'the ASN database');
  assert.equal(reader.databaseType, 'GeoLite2-ASN');
  assert.deepEqual(reader.get('198.18.1.2'), { autonomous_system_number: 64500, autonomous_system_organization: 'LAB-EDGE', prefix: '198.18.1.0/24' });
  assert.equal(reader.get('198.18.3.2'), null);
  assert.equal(reader.get('2001:db8:2::2')?.autonomous_system_number, 64501);
  const lookups = new OwnerLookups({ dns: false, timeoutMs: 500, asnDb: reader, geoDb: openMmdb(city, 'the GeoIP database') });
  const info = await lookups.lookup('198.18.2.2');
  assert.deepEqual(info.owner, { asn: 64501, asName: 'LAB-CORE', prefix: '198.18.2.0/24', country: 'ZZ', city: 'Labville', registry: null, source: ['asn-db', 'geoip'] });
  const unknown = await lookups.lookup('198.18.3.2');
  assert.deepEqual(unknown.owner?.asn ?? null, null);
  assert.equal(unknown.owner?.city, 'Labville');
  // Private addresses are never looked up, not even in a local file.
  assert.equal((await lookups.lookup('10.1.2.3')).lookup, 'skipped');
});

test('an IPinfo-shaped ASN database (asn "AS64500", name) reads the same', async (t) => {
  const write = files(t);
  const path = write('ipinfo.mmdb', writeMmdb('ipinfo asn.mmdb', [['198.18.1.0/24', { asn: 'AS64500', name: 'Lab Edge Networks', domain: 'lab.example' }]]));
  const lookups = new OwnerLookups({ dns: false, timeoutMs: 500, asnDb: openMmdb(path, 'the ASN database') });
  const info = await lookups.lookup('198.18.1.2');
  assert.equal(info.owner?.asn, 64500);
  assert.equal(info.owner?.asName, 'Lab Edge Networks');
});

test('a file that is not a database, a truncated one and a missing one: one sentence each', (t) => {
  const write = files(t);
  const good = writeMmdb('GeoLite2-ASN', GEOLITE_ASN);
  const cases: [string, RegExp][] = [
    [write('text.mmdb', 'just some text, not a database\n'), /is not a readable MaxMind \(\.mmdb\) database/],
    [write('cut.mmdb', good.subarray(0, Math.floor(good.length / 2))), /is not a readable MaxMind \(\.mmdb\) database/],
    [join(tmpdir(), 'no-such-portpath-file.mmdb'), /Cannot read the ASN database .*: no such file\./],
  ];
  for (const [path, message] of cases) {
    assert.throws(() => openMmdb(path, 'the ASN database'), (error: Error & { code?: string }) => error.code === 'ERR_USAGE' && message.test(error.message) && !error.message.includes('\n'), path);
  }
});
