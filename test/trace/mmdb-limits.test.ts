// Hostile database files: not regular files (/dev/zero, a FIFO), too large, and crafted contents (nested pointers,
// a pointer loop, a map claiming millions of entries, a pointer bomb in the metadata). Each is one sentence at open,
// at once; a crafted record behind a single address makes that lookup return nothing, at once, and the rest works.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MAX_DATABASE_BYTES, openMmdb } from '../../src/trace/mmdb.js';
import { nestedPointers } from './mmdb-bombs.js';
import { assembleMmdb, encodeValue, GEOLITE_ASN, MMDB_METADATA_MARKER, writeMmdb } from './mmdb-writer.js';

function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'portpath-mmdb-limits-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** openMmdb must fail with one sentence matching `message`, within a second. */
function refusedQuickly(path: string, message: RegExp): void {
  const started = performance.now();
  assert.throws(
    () => openMmdb(path, 'the ASN database'),
    (error: Error & { code?: string }) => error.code === 'ERR_USAGE' && message.test(error.message) && !error.message.includes('\n'),
    path,
  );
  const ms = performance.now() - started;
  assert.ok(ms < 1000, `${path}: ${ms.toFixed(0)} ms`);
}

test('not regular files: /dev/zero, a FIFO, a directory; a file larger than the cap is refused before it is read', (t) => {
  const dir = scratch(t);
  refusedQuickly('/dev/zero', /^Cannot read the ASN database \/dev\/zero: it is a device, not a regular file\.$/);
  const fifo = join(dir, 'fifo.mmdb');
  execFileSync('mkfifo', [fifo]);
  refusedQuickly(fifo, /: it is a FIFO, not a regular file\.$/);
  refusedQuickly(dir, /: it is a directory, not a regular file\.$/);
  const huge = join(dir, 'huge.mmdb');
  const fd = openSync(huge, 'w');
  execFileSync('truncate', ['-s', String(MAX_DATABASE_BYTES + 1), huge]); // sparse: nothing is written
  closeSync(fd);
  refusedQuickly(huge, /: it is 512 MiB, more than the 512 MiB portpath reads\.$/);
});

test('crafted records for every address: nested pointers, a pointer loop, a map of millions of entries, too deep', (t) => {
  const dir = scratch(t);
  const everywhere = (data: Buffer) => assembleMmdb('GeoLite2-ASN', [['0.0.0.0/1', 0], ['128.0.0.0/1', 0], ['::/1', 0]], data);
  const cases: [string, Buffer, RegExp][] = [
    ['nested.mmdb', everywhere(nestedPointers(30, 8)), /\(a record nests deeper than 32 levels\)\.$/],
    // Shallow enough for the depth limit, 8^12 values wide.
    ['wide.mmdb', everywhere(nestedPointers(12, 8)), /\(a record holds more than 10000 values\)\.$/],
    // A map whose value points back at the map itself.
    ['loop.mmdb', everywhere(Buffer.concat([Buffer.from([0xe1]), encodeValue('a'), Buffer.from([0x20, 0x00])])), /\(a record nests deeper than 32 levels\)\.$/],
    // A map that says it has 16,843,036 entries (size 31 + three bytes), with one there.
    ['huge-map.mmdb', everywhere(Buffer.concat([Buffer.from([0xff, 0xff, 0xff, 0xff]), ...Array.from({ length: 20_000 }, () => encodeValue(''))])), /\(a record holds more than 10000 values\)\.$/],
    ['deep.mmdb', everywhere(Buffer.concat([...Array.from({ length: 40 }, () => Buffer.from([0xe1, 0x41, 0x61])), Buffer.from([0xe0])])), /\(a record nests deeper than 32 levels\)\.$/],
    ['pointer-to-pointer.mmdb', everywhere(Buffer.concat([Buffer.from([0xe1]), encodeValue('a'), Buffer.from([0x20, 0x05, 0x20, 0x05])])), /\(a pointer points to a pointer\)\.$/],
  ];
  for (const [name, bytes, message] of cases) {
    const path = join(dir, name);
    writeFileSync(path, bytes);
    refusedQuickly(path, new RegExp(`^The ASN database .*${name.replace('.', '\\.')} is not a readable MaxMind \\(\\.mmdb\\) database ${message.source}`));
  }
});

test('a pointer bomb in the metadata is refused at open', (t) => {
  const good = writeMmdb('GeoLite2-ASN', GEOLITE_ASN);
  const metadataStart = good.lastIndexOf(MMDB_METADATA_MARKER) + MMDB_METADATA_MARKER.length;
  const path = join(scratch(t), 'metadata.mmdb');
  writeFileSync(path, Buffer.concat([good.subarray(0, metadataStart), nestedPointers(30, 8)]));
  refusedQuickly(path, /is not a readable MaxMind \(\.mmdb\) database \(a record nests deeper than 32 levels\)\.$/);
});

test('a crafted record behind one network: that lookup finds nothing at once, every other one works', (t) => {
  const records = Buffer.concat(GEOLITE_ASN.map(([, record]) => encodeValue(record)));
  const offsets = GEOLITE_ASN.map(([, record]) => encodeValue(record).length).map((_, i, lengths) => lengths.slice(0, i).reduce((a, b) => a + b, 0));
  const bomb = nestedPointers(30, 8, records.length);
  const networks: [string, number][] = [...GEOLITE_ASN.map(([network], i): [string, number] => [network, offsets[i]!]), ['198.18.9.0/24', records.length]];
  const path = join(scratch(t), 'one-bad.mmdb');
  writeFileSync(path, assembleMmdb('GeoLite2-ASN', networks, Buffer.concat([records, bomb])));
  const reader = openMmdb(path, 'the ASN database');
  const started = performance.now();
  assert.equal(reader.get('198.18.9.1'), null);
  const ms = performance.now() - started;
  assert.ok(ms < 100, `the crafted lookup took ${ms.toFixed(0)} ms`);
  assert.equal(reader.get('198.18.1.2')?.autonomous_system_organization, 'LAB-EDGE');
  assert.equal(reader.get('2001:db8:2::2')?.autonomous_system_number, 64501);
});

test('strings are cut at 1 KiB; a key named __proto__ stays data', (t) => {
  const path = join(scratch(t), 'long.mmdb');
  writeFileSync(path, writeMmdb('GeoLite2-ASN', [['198.18.1.0/24', { autonomous_system_organization: 'x'.repeat(5000), ['__proto__']: { polluted: 'yes' } }]]));
  const record = openMmdb(path, 'the ASN database').get('198.18.1.2') as Record<string, unknown>;
  assert.equal((record.autonomous_system_organization as string).length, 1024);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(Object.getPrototypeOf(record), Object.prototype);
});
