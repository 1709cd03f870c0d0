// Owner strings are made safe where they enter: Team Cymru's TXT answers (AS names, registries, the quote of an
// unreadable answer in a note) and .mmdb fields (AS names, cities) lose control, bidi and zero-width characters and
// are capped, so nothing downstream — terminal, JSON, report files — ever holds them raw.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TEXT_CAPS } from '../../src/packet/untrusted-text.js';
import type { MmdbReader, MmdbRecord } from '../../src/trace/mmdb.js';
import { OwnerLookups, parseAsName, parseOrigin } from '../../src/trace/owners.js';
import { FakeTxtResolver, originName } from './fake-txt-resolver.js';

// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/u;
const OSC52 = '\x1b]52;c;ZWNobyBwd25lZA==\x07';
const ERASE = '\x1b[4A\x1b[J';

test('TXT answers: AS names and registries are cleaned and capped; an unreadable answer is quoted cleaned', async () => {
  assert.equal(parseAsName(`64500 | ZZ | lab | 2026-11-29 | ${OSC52}LAB\u202e-EDGE\u009b2J`, 64500), ']52;c;ZWNobyBwd25lZA==LAB-EDGE2J');
  assert.equal(parseAsName(`64500 | ZZ | lab | 2026-11-29 | ${'N'.repeat(5000)}`, 64500)?.length, TEXT_CAPS.asName);
  assert.equal(parseAsName('64500 | ZZ | lab | 2026-11-29 | \x1b\x07', 64500), null, 'a name of control characters is no name');
  assert.equal(parseOrigin(`64500 | 198.18.1.0/24 | ZZ | ${ERASE}arin\u200b | 2026`)?.registry, '[4A[Jarin');
  assert.equal(parseOrigin(`64500 | 198.18.1.0/24 | ZZ | ${'r'.repeat(100)} | 2026`)?.registry?.length, TEXT_CAPS.registry);

  const resolver = FakeTxtResolver.of({
    [originName('198.18.1.2')]: `64500 | 198.18.1.0/24 | ZZ | lab${ERASE} | 2026-11-29`,
    'AS64500.asn.cymru.com': `64500 | ZZ | lab | 2026-11-29 | ${OSC52}LAB-EDGE`,
    [originName('198.18.3.2')]: `${ERASE}${OSC52}Verdict: open${'x'.repeat(200)}`,
  });
  const lookups = new OwnerLookups({ dns: true, timeoutMs: 1000 }, resolver);
  const info = await lookups.lookup('198.18.1.2');
  assert.deepEqual([info.owner?.asName, info.owner?.registry], [']52;c;ZWNobyBwd25lZA==LAB-EDGE', 'lab[4A[J']);
  await lookups.lookup('198.18.3.2');
  const [note] = lookups.notes;
  assert.ok(note && !UNSAFE.test(note), JSON.stringify(note));
  assert.match(note, /an unreadable answer was ignored \("\[4A\[J\]52;c;ZWNobyBwd25lZA==Verdict: openx+…"\)$/);
  assert.ok(/\("(.*)"\)$/.exec(note)![1]!.length <= TEXT_CAPS.quote);
  const json = JSON.stringify(lookups.all());
  assert.ok(!UNSAFE.test(json) && !/\\u00[0-9a-f]{2}/.test(json), `nothing raw or escaped in the JSON: ${json}`);
});

test('.mmdb fields: AS names and cities are cleaned and capped; a bad AS number is no AS number', async () => {
  const reader = (record: MmdbRecord): MmdbReader => ({ databaseType: 'test', get: () => ({ ...record, prefix: '198.18.1.0/24' }) });
  const asnDb = reader({ autonomous_system_number: 64500, autonomous_system_organization: `${OSC52}Telefónica\u2066 de España${'!'.repeat(300)}` });
  const geoDb = reader({ country: { iso_code: 'ES' }, city: { names: { en: `${ERASE}Madrid\ufeff\u200d` } } });
  const lookups = new OwnerLookups({ dns: false, timeoutMs: 1000, asnDb, geoDb }, FakeTxtResolver.of({}));
  const owner = (await lookups.lookup('198.18.1.2')).owner!;
  assert.equal(owner.city, '[4A[JMadrid');
  assert.ok(owner.asName!.startsWith(']52;c;ZWNobyBwd25lZA==Telefónica de España!'));
  assert.equal([...owner.asName!].length, TEXT_CAPS.asName);
  assert.ok(!UNSAFE.test(owner.asName! + owner.city));

  const chinese = new OwnerLookups({ dns: false, timeoutMs: 1000, asnDb: reader({ asn: 'AS4134', as_name: '中国电信' }) }, FakeTxtResolver.of({}));
  assert.deepEqual([(await chinese.lookup('198.18.1.2')).owner?.asn, (await chinese.lookup('198.18.1.2')).owner?.asName], [4134, '中国电信']);
  const bad = new OwnerLookups({ dns: false, timeoutMs: 1000, asnDb: reader({ autonomous_system_number: -1.5, asn: 'AS99999999999', name: 'X' }) }, FakeTxtResolver.of({}));
  assert.equal((await bad.lookup('198.18.1.2')).owner?.asn, null);
});
