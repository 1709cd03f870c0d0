import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { test } from 'node:test';
import bcrypt from 'bcryptjs';
import { HttpFront, parseListenAddress } from '../../src/exporter/http.js';
import type { Route } from '../../src/exporter/http.js';
import { BasicAuth, NO_WEB_CONFIG, parseWebConfig } from '../../src/exporter/web-config.js';
import { PortpathError } from '../../src/transport/errors.js';

const HASH = bcrypt.hashSync('s3cret', 4);

async function front(users = new Map<string, string>()) {
  const routes = new Map<string, Route>([['/hello', { methods: ['GET', 'HEAD'], handle: (_req, url) => ({ status: 200, body: `hi ${url.searchParams.get('n') ?? ''}\n` }) }]]);
  const errors: string[] = [];
  const http = new HttpFront({ ...NO_WEB_CONFIG, users, headers: { 'X-Frame-Options': 'deny' } }, routes, (m) => errors.push(m));
  const address = await http.listen(parseListenAddress('127.0.0.1:0'));
  return { http, base: `http://${address}`, errors };
}

/** Sends raw bytes and returns what came back (the status line first). */
function raw(base: string, bytes: string): Promise<string> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve) => {
    const socket = connect(Number(port), hostname, () => socket.end(bytes));
    let got = '';
    socket.on('data', (d) => (got += d));
    socket.on('close', () => resolve(got));
    socket.on('error', () => resolve(got));
  });
}

test('listen addresses as Prometheus exporters take them', () => {
  assert.deepEqual(parseListenAddress(':9089'), { host: undefined, port: 9089, text: ':9089' });
  assert.deepEqual(parseListenAddress('[::1]:9'), { host: '::1', port: 9, text: '[::1]:9' });
  assert.equal(parseListenAddress('localhost:80').host, 'localhost');
  for (const bad of ['9089', 'host:', ':99999', '[::1]', 'a:b:c']) assert.throws(() => parseListenAddress(bad), PortpathError, bad);
});

test('routes, methods, sizes: each refusal is its own status and one line', async () => {
  const { http, base, errors } = await front();
  try {
    const ok = await fetch(`${base}/hello?n=x`);
    assert.equal(ok.status, 200);
    assert.equal(await ok.text(), 'hi x\n');
    assert.equal(ok.headers.get('x-frame-options'), 'deny');
    const missing = await fetch(`${base}/nope`);
    assert.equal(missing.status, 404);
    assert.match(await missing.text(), /^Not found; the endpoints are \/hello\.\n$/);
    const post = await fetch(`${base}/hello`, { method: 'POST' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get('allow'), 'GET, HEAD');
    assert.equal((await fetch(`${base}/hello?n=${'a'.repeat(9000)}`)).status, 414);
    assert.match(await raw(base, `GET /hello HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`), /^HTTP\/1\.1 431 /);
    assert.match(await raw(base, 'GARBAGE\r\n\r\n'), /^HTTP\/1\.1 400 /);
    assert.match(await raw(base, 'GET /%%% HTTP/1.1\r\nHost: x\r\n\r\n'), /^HTTP\/1\.1 (400|404) /);
    assert.deepEqual(errors, []);
  } finally {
    await http.close(100);
  }
});

test('basic auth: right credentials pass, wrong or malformed ones get 401 with a challenge', async () => {
  const { http, base } = await front(new Map([['prom', HASH]]));
  const basic = (user: string, pass: string) => ({ Authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` });
  try {
    const none = await fetch(`${base}/hello`);
    assert.equal(none.status, 401);
    assert.equal(none.headers.get('www-authenticate'), 'Basic realm="portpath"');
    assert.equal((await fetch(`${base}/hello`, { headers: basic('prom', 'wrong') })).status, 401);
    assert.equal((await fetch(`${base}/hello`, { headers: basic('nobody', 's3cret') })).status, 401);
    assert.equal((await fetch(`${base}/hello`, { headers: { Authorization: 'Basic !!!' } })).status, 401);
    assert.equal((await fetch(`${base}/hello`, { headers: { Authorization: 'Bearer x' } })).status, 401);
    assert.equal((await fetch(`${base}/hello`, { headers: basic('prom', 's3cret') })).status, 200);
    // Twice: the second is answered from the remembered outcome.
    assert.equal((await fetch(`${base}/hello`, { headers: basic('prom', 's3cret') })).status, 200);
  } finally {
    await http.close(100);
  }
});

test('BasicAuth without users lets everything through', async () => {
  assert.ok(await new BasicAuth(new Map()).check(undefined));
});

test('web config: the exporter-toolkit format, and what it refuses by name', () => {
  const web = parseWebConfig('web.yml', `basic_auth_users:\n  prom: ${HASH}\nhttp_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n`);
  assert.equal(web.users.get('prom'), HASH);
  assert.deepEqual(web.headers, { 'X-Content-Type-Options': 'nosniff' });
  const refused = (text: string, pattern: RegExp) =>
    assert.throws(() => parseWebConfig('web.yml', text), (e: unknown) => e instanceof PortpathError && e.code === 'ERR_CONFIG' && pattern.test(e.message));
  refused('basic_auth_users:\n  prom: plaintext\n', /^web\.yml:2: basic_auth_users\.prom: must be a bcrypt hash/);
  refused('tls_server_config:\n  cert_file: /nonexistent.crt\n  key_file: /nonexistent.key\n', /^web\.yml:2: tls_server_config\.cert_file: cannot read \/nonexistent\.crt: no such file/);
  refused('tls_server_config:\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n', /tls_server_config\.cipher_suites: is not supported by portpath/);
  refused('tls_server_config:\n  key_file: k\n', /tls_server_config\.cert_file: is required/);
  refused('http_server_config:\n  headers:\n    Content-Type: x\n', /is set by the exporter itself/);
  refused('basic_auth: {}\n', /^web\.yml:1: basic_auth: unknown key/);
  assert.deepEqual(parseWebConfig('web.yml', ''), NO_WEB_CONFIG);
});
