// Offline owner databases: GeoLite2- and IPinfo-shaped .mmdb files (built by the tests, following the format's
// specification) read through mmdb-lib; a wrong or truncated file is one clear error.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Reader } from 'mmdb-lib';
import { openMmdb } from '../../src/trace/mmdb.js';
import { OwnerLookups } from '../../src/trace/owners.js';
import { assembleMmdb, encodePointer, encodeValue, GEOLITE_ASN, writeMmdb } from './mmdb-writer.js';

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

test("the same answers as mmdb-lib (the reader MaxMind's own Node package is built on): every record size, shared values behind pointers, every data type", (t) => {
  const write = files(t);
  const shared = encodeValue('LAB-SHARED');
  // A map whose name points at the shared string (as real databases store repeated values once), and one of every
  // other type: double, bytes, uint16, int32, uint64, uint128, boolean, float, an array.
  const pointing = Buffer.concat([Buffer.from([0xe2]), encodeValue('autonomous_system_number'), encodeValue(64500), encodeValue('autonomous_system_organization'), encodePointer(0)]);
  const typed = Buffer.concat([
    Buffer.from([0xe9]),
    encodeValue('double'), Buffer.from([0x68]), Buffer.from(new Float64Array([-33.75]).buffer).reverse(),
    encodeValue('bytes'), Buffer.from([0x83, 1, 2, 3]),
    encodeValue('uint16'), Buffer.from([0xa2, 0x12, 0x34]),
    encodeValue('int32'), Buffer.from([0x04, 0x01, 0xff, 0xff, 0xff, 0xfe]),
    encodeValue('uint64'), Buffer.from([0x08, 0x02, 0x80, 0, 0, 0, 0, 0, 0, 1]),
    encodeValue('uint128'), Buffer.from([0x10, 0x03, ...Array<number>(15).fill(0), 7]),
    encodeValue('boolean'), Buffer.from([0x01, 0x07]),
    encodeValue('float'), Buffer.from([0x04, 0x08]), Buffer.from(new Float32Array([1.5]).buffer).reverse(),
    encodeValue('array'), encodeValue(['en', 'de', 3]),
  ]);
  const data = Buffer.concat([shared, pointing, typed]);
  const networks: [string, number][] = [['198.18.1.0/24', shared.length], ['2001:db8:1::/48', shared.length + pointing.length], ['198.18.2.0/23', shared.length + pointing.length]];
  const addresses = ['198.18.1.2', '198.18.2.9', '198.18.3.255', '198.18.4.1', '2001:db8:1::5', '2001:db8:2::1', '10.0.0.1', '::1'];
  for (const recordSize of [24, 28, 32] as const) {
    const databases = [assembleMmdb('portpath-typed', networks, data, recordSize), writeMmdb('GeoLite2-ASN', GEOLITE_ASN, recordSize)];
    for (const [i, bytes] of databases.entries()) {
      const ours = openMmdb(write(`db-${recordSize}-${i}.mmdb`, bytes), 'the ASN database');
      const reference = new Reader<Record<string, unknown>>(bytes);
      let found = 0;
      for (const address of addresses) {
        const [expected, prefixLength] = reference.getWithPrefixLength(address);
        const { prefix, ...got } = ours.get(address) ?? {};
        assert.deepEqual(prefix === undefined ? null : got, expected, `${recordSize}-bit records, database ${i}, ${address}`);
        if (prefix !== undefined) assert.match(prefix, new RegExp(`/${prefixLength}$`));
        if (expected) found++;
      }
      assert.ok(found >= 3, `${recordSize}-bit records, database ${i}: ${found} records found`);
    }
  }
});
