// Shared by the exporter's lab tests: HTTP from inside a namespace (the exporters listen on lab addresses only a
// namespace can reach), raw bytes for the hostile cases, the real tools (prometheus, promtool, openssl) required
// in CI, and a counter of the packets a client sends toward the lab.
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { TestContext } from 'node:test';

export interface NsResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The program each request runs as, inside the namespace: fetch, or raw bytes over TCP (and how slowly). */
const CLIENT = `
const [mode, target, payload] = process.argv.slice(1);
if (mode === 'fetch') {
  const { url, ...init } = JSON.parse(payload);
  fetch(url, init).then(async (r) => console.log(JSON.stringify({ status: r.status, headers: Object.fromEntries(r.headers), body: await r.text() })),
    (e) => { console.log(JSON.stringify({ status: 0, headers: {}, body: String(e.cause ?? e) })); });
} else {
  const { host, port, chunks, gapMs } = JSON.parse(payload);
  const net = require('node:net');
  const socket = net.connect(port, host);
  let got = '';
  socket.on('data', (d) => (got += d));
  socket.on('close', () => console.log(JSON.stringify({ status: Number(/^HTTP\\/1\\.1 (\\d+)/.exec(got)?.[1] ?? 0), headers: {}, body: got })));
  socket.on('error', () => {});
  let i = 0;
  const next = () => { if (i < chunks.length && !socket.destroyed) { socket.write(chunks[i++]); setTimeout(next, gapMs); } };
  socket.on('connect', next);
}`;

function runIn(namespace: string, args: string[], timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', namespace, process.execPath, '-e', CLIENT, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', () => {
      clearTimeout(timer);
      if (out.trim() === '') reject(new Error(`no answer from the client in ${namespace}: ${err}`));
      else resolve(out);
    });
  });
}

/** fetch() run inside `namespace`. */
export async function nsFetch(namespace: string, url: string, init: { method?: string; headers?: Record<string, string> } = {}, timeoutMs = 60_000): Promise<NsResponse> {
  return JSON.parse(await runIn(namespace, ['fetch', '', JSON.stringify({ url, ...init })], timeoutMs)) as NsResponse;
}

/** Writes `chunks` to host:port from inside `namespace`, `gapMs` apart, and returns what came back. */
export async function nsRaw(namespace: string, host: string, port: number, chunks: string[], gapMs = 0, timeoutMs = 60_000): Promise<NsResponse> {
  return JSON.parse(await runIn(namespace, ['raw', '', JSON.stringify({ host, port, chunks, gapMs })], timeoutMs)) as NsResponse;
}

/** The real tools these tests use. Outside CI a missing one skips the test; in CI it fails it. */
export function requireTools(t: TestContext, tools: string[]): boolean {
  const missing = tools.filter((tool) => {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length === 0) return true;
  if (process.env.CI === 'true') throw new Error(`missing tools in CI: ${missing.join(', ')}`);
  t.skip(`needs ${missing.join(', ')}`);
  return false;
}

/** A self-signed certificate for `ip`, written as cert.pem and key.pem in `dir`. */
export function selfSignedCertificate(dir: string, ip: string): { cert: string; key: string } {
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=portpath-lab', '-addext', `subjectAltName=IP:${ip}`, '-keyout', key, '-out', cert], { stdio: 'ignore' });
  return { cert, key };
}

export function writeFile(dir: string, name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

/** Polls `check` until it returns a value (not undefined) or `timeoutMs` passes; then throws with `what`. */
export async function eventually<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, everyMs = 500): Promise<T> {
  const end = performance.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (performance.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

/** Collects a spawned process's output, for the failure message. */
export function output(child: ChildProcess): () => string {
  let text = '';
  child.stdout?.on('data', (d) => (text += d));
  child.stderr?.on('data', (d) => (text += d));
  return () => text.slice(-4000);
}
