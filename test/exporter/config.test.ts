import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseConfig } from '../../src/exporter/config.js';
import { parseDuration } from '../../src/exporter/duration.js';
import { PortpathError } from '../../src/transport/errors.js';

const GOOD = `
modules:
  tcp_443:
    method: tcp
    port: 443
    max_ttl: 20
    wait: 500ms
    control: none
    expect: [open, closed]
  udp_dns:
    method: udp
  echo:
    method: icmp
  fan:
    paths: true
    confidence: 99
allow:
  targets: [db.example.com, "*.corp.example", 198.18.0.0/15, "2001:db8::/32", 203.0.113.7]
  ports: [443, 8000-8100]
limits:
  concurrent_probes: 4
  min_interval: 1m30s
watches:
  - target: "[2001:db8::5]:443"
    module: tcp_443
    interval: 15s
  - target: 198.18.1.2
    module: echo
    name: echo-a
responder_info: true
`;

test('a full config reads as written, with the defaults filled in', () => {
  const c = parseConfig('pp.yml', GOOD);
  const m = c.modules.get('tcp_443')!;
  assert.deepEqual([m.protocol, m.port, m.maxTtl, m.firstTtl, m.waitMs, m.control, m.expect], ['tcp', 443, 20, 1, 500, false, ['open', 'closed']]);
  assert.deepEqual([c.modules.get('udp_dns')!.port, c.modules.get('echo')!.port, c.modules.get('fan')!.confidence], [53, null, 99]);
  assert.deepEqual(c.modules.get('echo')!.control, { protocol: 'icmp', port: null });
  assert.deepEqual(c.allow, { names: ['db.example.com', '*.corp.example'], prefixes: ['198.18.0.0/15', '2001:db8::/32', '203.0.113.7/32'], ports: [[443, 443], [8000, 8100]] });
  assert.deepEqual([c.concurrentProbes, c.minIntervalMs, c.responderInfo], [4, 90_000, true]);
  assert.deepEqual(c.watches.map((w) => [w.name, w.target, w.intervalMs]), [
    ['[2001:db8::5]:443/tcp_443', { host: '2001:db8::5', port: 443 }, 15_000],
    ['echo-a', { host: '198.18.1.2', port: null }, 10_000],
  ]);
});

function refused(text: string, pattern: RegExp): void {
  assert.throws(() => parseConfig('pp.yml', text), (error: unknown) => {
    assert.ok(error instanceof PortpathError);
    assert.equal(error.code, 'ERR_CONFIG');
    assert.match(error.message, pattern);
    assert.doesNotMatch(error.message, /\n/);
    return true;
  });
}

test('each mistake is named by file, line and key', () => {
  refused('modules:\n  a:\n    methd: tcp\n', /^pp\.yml:3: modules\.a\.methd: unknown key/);
  refused('modules:\n  a:\n    port: 70000\n', /^pp\.yml:3: modules\.a\.port: must be a whole number from 1 to 65535, not '70000'/);
  refused('modules:\n  a:\n    method: sctp\n', /^pp\.yml:3: modules\.a\.method: must be one of tcp, udp, icmp/);
  refused('modules:\n  a:\n    method: icmp\n    port: 1\n', /^pp\.yml:4: modules\.a\.port: ICMP echo has no port/);
  refused('modules:\n  a:\n    wait: 5 seconds\n', /^pp\.yml:3: modules\.a\.wait: must be a duration/);
  refused('modules:\n  a:\n    confidence: 99\n', /modules\.a\.confidence: applies only with paths: true/);
  refused('modules:\n  a: {}\nwatches:\n  - target: h:1\n    module: b\n', /^pp\.yml:5: watches\[0\]\.module: no module is named 'b'/);
  refused('modules:\n  a: {}\nwatches:\n  - module: a\n', /^pp\.yml:4: watches\[0\]\.target: is required/);
  refused('modules:\n  a: {}\nwatches:\n  - {target: "h:1", module: a, interval: 100ms}\n', /watches\[0\]\.interval: must be from 1s/);
  refused('modules:\n  a: {}\nwatches:\n  - {target: "h:1", module: a, name: x}\n  - {target: "h:2", module: a, name: x}\n', /^pp\.yml:5: watches\[1\]\.name: 'x' is used by an earlier watch/);
  refused('modules:\n  a: {paths: true}\nwatches:\n  - {target: "h:1", module: a}\n', /multipath module/);
  refused('modules:\n  a: {}\nwatches:\n  - {target: "bad host!:1", module: a}\n', /watches\[0\]\.target: 'bad host!:1' is not a host name/);
  refused('modules:\n  a: {}\nallow:\n  targets: [10.0.0.0/33]\n', /^pp\.yml:4: allow\.targets: '10\.0\.0\.0\/33' is not a CIDR/);
  refused('modules:\n  a: {}\nallow:\n  ports: [1]\n', /allow\.targets: is required/);
  refused('modules:\n  a: {}\nallow:\n  targets: [h]\n  ports: [9-3]\n', /allow\.ports: '9-3' is not a port or a range/);
  refused('modules:\n  a: {}\n  a: {}\n', /^pp\.yml:3: not valid YAML: Map keys must be unique/);
  refused('modules: [\n', /^pp\.yml(:\d+)?: not valid YAML/);
  refused('limits: {}\n', /^pp\.yml:1: modules: is required/);
  refused('modules: {}\n', /modules: must name at least one module/);
  refused('', /modules: must be a map|modules: is required|must be a map/);
});

test('Prometheus durations', () => {
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('2h'), 7_200_000);
  assert.equal(parseDuration('0'), 0);
  for (const bad of ['', '1.5s', '10', 's', '1s1m', '-1s']) assert.equal(parseDuration(bad), null, bad);
});
