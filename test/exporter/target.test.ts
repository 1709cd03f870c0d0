import assert from 'node:assert/strict';
import { test } from 'node:test';
import { allowsAddress, allowsName, allowsPort, watchTargetsOnly } from '../../src/exporter/allowlist.js';
import { parseTarget, targetLabel } from '../../src/exporter/target.js';

const tcp = { protocol: 'tcp' as const, port: 443 };
const icmp = { protocol: 'icmp' as const, port: null };

test('targets as Prometheus target lists write them', () => {
  assert.deepEqual(parseTarget('db.example.com:5432', tcp), { host: 'db.example.com', port: 5432 });
  assert.deepEqual(parseTarget('db.example.com', tcp), { host: 'db.example.com', port: 443 });
  assert.deepEqual(parseTarget('[2001:db8::1]:80', tcp), { host: '2001:db8::1', port: 80 });
  assert.deepEqual(parseTarget('2001:db8::1', tcp), { host: '2001:db8::1', port: 443 });
  assert.deepEqual(parseTarget('198.18.0.1', icmp), { host: '198.18.0.1', port: null });
  assert.equal(targetLabel({ host: '2001:db8::1', port: 80 }), '[2001:db8::1]:80');
  assert.equal(targetLabel({ host: 'h', port: null }), 'h');
});

test('bad targets get a sentence, not a probe', () => {
  for (const [text, pattern] of [
    ['h:0', /no port from 1 to 65535/],
    ['h:99999', /no port from 1 to 65535/],
    ['h:80x', /no port/],
    ['[h]:80', /not an IPv6 address/],
    ['a b', /not a host name/],
    ['-rf', /not a host name/],
    ['h\n:80', /not a host name/],
    ['', /not a host name/],
    ['x'.repeat(300), /not a host name/],
  ] as const) {
    const r = parseTarget(text, tcp);
    assert.equal(typeof r, 'string', text);
    assert.match(r as string, pattern);
  }
  assert.match(parseTarget('h:80', icmp) as string, /ICMP echo has none/);
});

test('the allowlist: names, wildcards, CIDRs of both families, port ranges', () => {
  const rules = { names: ['db.example.com', '*.corp.example'], prefixes: ['198.18.0.0/15', '2001:db8::/32'], ports: [[443, 443], [8000, 8100]] as [number, number][] };
  assert.ok(allowsName(rules, 'DB.example.com.'));
  assert.ok(allowsName(rules, 'a.b.corp.example'));
  assert.ok(!allowsName(rules, 'corp.example'));
  assert.ok(!allowsName(rules, 'evilcorp.example'));
  assert.ok(allowsAddress(rules, '198.19.255.1'));
  assert.ok(!allowsAddress(rules, '198.20.0.1'));
  assert.ok(allowsAddress(rules, '2001:DB8:0::1'));
  assert.ok(!allowsAddress(rules, '2001:db9::1'));
  assert.ok(allowsPort(rules, 8050) && allowsPort(rules, 443) && !allowsPort(rules, 22));
  assert.ok(allowsPort({ ...rules, ports: [] }, 22));
  const only = watchTargetsOnly([{ host: '198.18.1.2', port: 443 }]);
  assert.ok(only({ host: '198.18.1.2', port: 443 }));
  assert.ok(!only({ host: '198.18.1.2', port: 22 }));
});
