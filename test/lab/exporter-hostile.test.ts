// The exporter facing strangers and operators' mistakes, in a real namespace: every hostile request (no or wrong
// credentials, unknown modules, targets and ports outside the allowlist, malformed query strings, huge headers, long
// URLs, a client too slow to send its headers) gets its status, and not one probe leaves the host (an iptables
// counter on the client's uplink stays at 0 until a legitimate probe moves it). A name that does not resolve fails
// its own probe only; past the concurrency cap a request gets 503 at once; within the minimum interval the last
// result is served again without probing. SIGHUP with a broken config keeps the old one; SIGTERM ends cleanly. It
// runs as nobody with CAP_NET_RAW only (raw probes) or with nothing (unprivileged probes).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import bcrypt from 'bcryptjs';
import type { Chain } from '../../src/lab/topology.js';
import { CLI, cliForAnyUser, withChain } from './harness.js';
import { eventually, nsFetch, nsRaw, output, writeFile } from './exporter-lab.js';

const LISTEN = '127.0.0.1:9089';
const BASE = `http://${LISTEN}`;
const AUTH = { Authorization: `Basic ${Buffer.from('prom:pw').toString('base64')}` };

function config(server: string, extra = ''): string {
  return `modules:
  tcp:
    method: tcp
    port: 443
    max_ttl: 6
    wait: 300ms
    control: none
  slow:
    method: tcp
    max_ttl: 6
    wait: 5s
    control: none
allow:
  targets: [${server}, nosuch.invalid]
  ports: [443, 444]
limits:
  concurrent_probes: 1
  min_interval: 30s
${extra}`;
}

/** Packets the client sent toward the routers (its uplink), by an iptables counting rule. */
function uplinkPackets(chain: Chain): number {
  const out = chain.exec(chain.client, 'iptables', ['-L', 'OUTPUT', '-v', '-x', '-n']);
  const line = out.split('\n').find((l) => l.includes('portpath-uplink'));
  return Number(line?.trim().split(/\s+/)[0] ?? NaN);
}

function countUplink(chain: Chain, server: string): void {
  const device = /dev (\S+)/.exec(chain.exec(chain.client, 'ip', ['-o', 'route', 'get', server]))![1]!;
  chain.exec(chain.client, 'iptables', ['-I', 'OUTPUT', '-o', device, '-m', 'comment', '--comment', 'portpath-uplink']);
}

const metric = (text: string, name: string): number => Number(new RegExp(`^${name.replace(/[{}|"=]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

test('hostile requests get their status and send no probe; a legitimate one does; caps, cache and a name that does not resolve', { timeout: 120_000 }, async (t) => {
  await withChain(t, { routers: 1, ipv6: false }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    const server = chain.serverAddress(4);
    chain.exec(chain.server, 'iptables', ['-I', 'INPUT', '-p', 'tcp', '--dport', '444', '-j', 'DROP']);
    const dir = mkdtempSync(join(tmpdir(), 'portpath-exporter-hostile-'));
    try {
      const file = writeFile(dir, 'portpath.yml', config(server));
      const web = writeFile(dir, 'web.yml', `basic_auth_users:\n  prom: ${bcrypt.hashSync('pw', 6)}\n`);
      const log = output(chain.spawn(chain.client, process.execPath, [CLI, 'exporter', '--config', file, '--web.config.file', web, '--web.listen-address', LISTEN]));
      const ns = chain.client.namespace;
      await eventually(`the exporter up\n${log()}`, 20_000, async () => ((await nsFetch(ns, `${BASE}/-/healthy`, { headers: AUTH })).status === 200 ? true : undefined));
      countUplink(chain, server);

      const get = (path: string, headers: Record<string, string> = AUTH) => nsFetch(ns, `${BASE}${path}`, { headers });
      const cases: [string, Promise<{ status: number; body: string }>, number, RegExp][] = [
        ['no credentials', get(`/probe?module=tcp&target=${server}:443`, {}), 401, /Unauthorized/],
        ['wrong password', get(`/probe?module=tcp&target=${server}:443`, { Authorization: `Basic ${Buffer.from('prom:nope').toString('base64')}` }), 401, /Unauthorized/],
        ['unknown user', get('/metrics', { Authorization: `Basic ${Buffer.from('root:pw').toString('base64')}` }), 401, /Unauthorized/],
        ['unknown module', get(`/probe?module=nope&target=${server}:443`), 400, /Unknown module 'nope'/],
        ['module with control characters', get(`/probe?module=%1b%5b31m&target=${server}:443`), 400, /^Unknown module '\?\[31m'/],
        ['no target', get('/probe?module=tcp'), 400, /target parameter is missing/],
        ['outside the allowlist', get('/probe?module=tcp&target=198.19.200.1:443'), 403, /Not allowed: 198\.19\.200\.1 is in none of allow\.targets/],
        ['port not allowed', get(`/probe?module=tcp&target=${server}:22`), 403, /Not allowed: port 22 is not in allow\.ports/],
        ['malformed percent-encoding', get('/probe?module=tcp&target=%zz%00'), 400, /Bad target/],
        ['a newline in the target', get(`/probe?module=tcp&target=${server}%0a:443`), 400, /Bad target/],
        ['an option as the target', get('/probe?module=tcp&target=--help'), 400, /Bad target/],
        ['a garbage timeout header', get(`/probe?module=tcp&target=${server}:443`, { ...AUTH, 'X-Prometheus-Scrape-Timeout-Seconds': 'soon' }), 400, /not a number of seconds/],
        ['debug on a refused target', get('/probe?module=tcp&target=198.19.200.1:443&debug=true'), 403, /Not allowed/],
        ['a long URL', get(`/probe?module=tcp&target=${'a'.repeat(9000)}`), 414, /too long/],
        ['a wrong method', nsFetch(ns, `${BASE}/probe?module=tcp&target=${server}:443`, { method: 'DELETE', headers: AUTH }), 405, /takes GET, HEAD/],
        ['huge headers', nsRaw(ns, '127.0.0.1', 9089, [`GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(40_000)}\r\n\r\n`]), 431, /Too Large/],
        ['garbage instead of HTTP', nsRaw(ns, '127.0.0.1', 9089, ['\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n']), 400, /Bad Request/],
        // One header byte a second: cut off by the headers timeout (10 s), not held open for ever.
        ['a slow client', nsRaw(ns, '127.0.0.1', 9089, [...'GET /metrics HTTP/1.1\r\nHost: slow\r\nX-Slow: ' + 'a'.repeat(30)], 1000, 40_000), 408, /Request Timeout/],
      ];
      for (const [what, answer, status, pattern] of cases) {
        const r = await answer;
        assert.equal(r.status, status, `${what}: ${r.body}`);
        assert.match(r.body, pattern, what);
      }
      assert.equal(uplinkPackets(chain), 0, `no probe may leave for a refused request\n${log()}`);

      // A name the config allows that does not resolve: its probe fails with the reason; the exporter goes on.
      const unresolved = await get('/probe?module=tcp&target=nosuch.invalid:443&debug=true');
      assert.equal(unresolved.status, 200);
      assert.match(unresolved.body, /probe_success 0/);
      assert.match(unresolved.body, /error: Cannot resolve 'nosuch\.invalid'/);

      // A legitimate probe: probes leave, the port is open.
      const ok = await get(`/probe?module=tcp&target=${server}:443`);
      assert.equal(ok.status, 200, ok.body);
      assert.equal(metric(ok.body, 'probe_success'), 1, ok.body);
      const sent = uplinkPackets(chain);
      assert.ok(sent > 0);
      // Within min_interval the same result comes back, and nothing is sent.
      const again = await get(`/probe?module=tcp&target=${server}:443`);
      assert.equal(again.body, ok.body);
      assert.equal(uplinkPackets(chain), sent);

      // Past the concurrency cap (1): a dropped port behind a silent router keeps one probe busy (nothing answers,
      // so each probe waits its full 5 s); another target gets 503 at once.
      chain.exec(chain.routers[0]!, 'iptables', ['-I', 'OUTPUT', '-p', 'icmp', '-j', 'DROP']);
      const slow = get(`/probe?module=slow&target=${server}:444`);
      await new Promise((r) => setTimeout(r, 300));
      const busy = await get('/probe?module=tcp&target=nosuch.invalid:444');
      assert.equal(busy.status, 503, busy.body);
      assert.match(busy.body, /Busy: 1 probes are running/);
      const dropped = await slow;
      assert.equal(metric(dropped.body, 'probe_success'), 0, dropped.body);
      assert.equal(metric(dropped.body, 'portpath_port_state{state="filtered"}'), 1, dropped.body);

      const self = (await get('/metrics')).body;
      assert.equal(metric(self, 'portpath_exporter_probe_requests_total{module="tcp",outcome="refused"}'), 3, self);
      assert.equal(metric(self, 'portpath_exporter_probe_requests_total{module="tcp",outcome="cached"}'), 1, self);
      assert.equal(metric(self, 'portpath_exporter_probe_requests_total{module="tcp",outcome="busy"}'), 1, self);
      assert.equal((await get('/-/healthy')).status, 200, log());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('SIGHUP with a broken config keeps the old one and says so; a good one is taken; SIGTERM ends a probe in flight and exits 0', { timeout: 60_000 }, async (t) => {
  await withChain(t, { routers: 1, ipv6: false }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    const server = chain.serverAddress(4);
    chain.exec(chain.server, 'iptables', ['-I', 'INPUT', '-p', 'tcp', '--dport', '444', '-j', 'DROP']);
    const dir = mkdtempSync(join(tmpdir(), 'portpath-exporter-reload-'));
    try {
      const file = writeFile(dir, 'portpath.yml', config(server));
      const child = chain.spawn(chain.client, process.execPath, [CLI, 'exporter', '--config', file, '--web.listen-address', LISTEN]);
      const log = output(child);
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const ns = chain.client.namespace;
      const self = async () => (await nsFetch(ns, `${BASE}/metrics`)).body;
      await eventually(`the exporter up\n${log()}`, 20_000, async () => ((await nsFetch(ns, `${BASE}/-/ready`)).status === 200 ? true : undefined));

      writeFileSync(file, `${config(server)}\nmodules_typo: {}\n`);
      child.kill('SIGHUP');
      await eventually('the refused reload in the log', 10_000, async () => (/config reload refused.*portpath\.yml:\d+: modules_typo: unknown key/.test(log()) ? true : undefined));
      assert.equal(metric(await self(), 'portpath_exporter_config_last_reload_successful'), 0);
      assert.equal((await nsFetch(ns, `${BASE}/probe?module=tcp&target=${server}:443`)).status, 200, 'the old config still serves');

      writeFileSync(file, config(server).replace('  tcp:\n', '  tcp2:\n    method: udp\n  tcp:\n'));
      child.kill('SIGHUP');
      await eventually('the reload taken', 10_000, async () => (metric(await self(), 'portpath_exporter_config_last_reload_successful') === 1 ? true : undefined));
      assert.match(await self(), /portpath_exporter_probe_requests_total\{module="tcp2",outcome="done"\} 0/);

      // Prometheus allows 2 s: the trace of a dropped port behind a silent router (each probe waits its full 5 s)
      // ends in time, and says so.
      chain.exec(chain.routers[0]!, 'iptables', ['-I', 'OUTPUT', '-p', 'icmp', '-j', 'DROP']);
      const askedAt = performance.now();
      const timed = await nsFetch(ns, `${BASE}/probe?module=slow&target=${server}:444`, { headers: { 'X-Prometheus-Scrape-Timeout-Seconds': '2' } });
      const tookMs = performance.now() - askedAt;
      assert.equal(timed.status, 200, timed.body);
      assert.equal(metric(timed.body, 'portpath_trace_interrupted'), 1, timed.body);
      assert.ok(tookMs < 2000, `answered in ${tookMs.toFixed(0)} ms, past the 2 s scrape timeout`);
      writeFileSync(file, config(server).replace('min_interval: 30s', 'min_interval: 0s'));
      child.kill('SIGHUP');
      await eventually('min_interval 0 taken', 10_000, async () => ((log().match(/config reloaded/g) ?? []).length >= 2 ? true : undefined));

      // A probe of a dropped port is in flight (it would take seconds); SIGTERM: it answers with what it had.
      const inFlight = nsFetch(ns, `${BASE}/probe?module=slow&target=${server}:444`);
      await new Promise((r) => setTimeout(r, 400));
      const stopAt = performance.now();
      child.kill('SIGTERM');
      const answer = await inFlight;
      assert.equal(answer.status, 200, answer.body);
      assert.equal(metric(answer.body, 'portpath_trace_interrupted'), 1, answer.body);
      assert.equal(await exited, 0, log());
      assert.ok(performance.now() - stopAt < 6000, 'stopped within its grace time');
      assert.match(log(), /portpath exporter stopped/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('without root: as nobody with CAP_NET_RAW only the probes are raw; as nobody with no capability, unprivileged; both find the port open', { timeout: 60_000 }, async (t) => {
  await withChain(t, { routers: 1, ipv6: false }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    const server = chain.serverAddress(4);
    const dir = mkdtempSync(join(tmpdir(), 'portpath-exporter-nobody-'));
    try {
      const file = writeFile(dir, 'portpath.yml', config(server));
      execFileSync('chmod', ['-R', 'a+rX', dir]);
      const users = [
        { what: 'CAP_NET_RAW only', caps: ['--inh-caps=+net_raw', '--ambient-caps=+net_raw'], mode: 'raw', port: 9089 },
        { what: 'no capability', caps: [], mode: 'unprivileged', port: 9090 },
      ];
      for (const user of users) {
        const listen = `127.0.0.1:${user.port}`;
        const child = chain.spawn(chain.client, 'setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', ...user.caps, process.execPath, cliForAnyUser(), 'exporter', '--config', file, '--web.listen-address', listen]);
        const log = output(child);
        const ns = chain.client.namespace;
        await eventually(`the exporter (${user.what}) up\n${log()}`, 20_000, async () => ((await nsFetch(ns, `http://${listen}/-/ready`)).status === 200 ? true : undefined));
        const r = await nsFetch(ns, `http://${listen}/probe?module=tcp&target=${server}:443&debug=true`);
        assert.equal(r.status, 200, r.body);
        assert.match(r.body, /^probe_success 1$/m, `${user.what}: ${r.body}\n${log()}`);
        assert.match(r.body, new RegExp(`"mode": "${user.mode}"`), user.what);
        assert.doesNotMatch(log(), /running as root/);
        child.kill('SIGTERM');
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
