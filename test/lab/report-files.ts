// For the lab tests of report files: a scratch directory the CLI may write into, the folder screenshots are kept in,
// and a report file opened in real headless Chromium through the DevTools protocol: what a reader's browser renders
// (its text), what it complains about (console messages, exceptions, log entries) and what it fetches beyond the
// file itself (a self-contained report fetches nothing).
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import WebSocket from 'ws';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const ARTIFACTS = join(ROOT, 'test-artifacts');

export function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'portpath-reports-'));
  // Under sudo the CLI writes the file as the invoking user: the directory must let it.
  chmodSync(dir, 0o777);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

export interface PageCheck {
  text: string;
  problems: string[];
  requests: string[];
}

/** Opens a file in headless Chromium; returns the rendered text, console problems, and requests beyond the file. */
export async function openInChromium(file: string, screenshot: string): Promise<PageCheck> {
  const profile = mkdtempSync(join(tmpdir(), 'portpath-chromium-'));
  // Its own process group: Chromium's helpers (renderer, zygote, crash handler) go with it when the group is killed.
  const browser = spawn('chromium', ['--headless', '--no-sandbox', '--disable-gpu', '--remote-debugging-port=0', `--user-data-dir=${profile}`, '--window-size=412,1400', 'about:blank'], { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  const exited = new Promise((resolve) => browser.once('exit', resolve));
  try {
    const endpoint = await new Promise<string>((resolve, reject) => {
      let stderr = '';
      const timer = setTimeout(() => reject(new Error(`chromium did not start: ${stderr}`)), 30_000);
      browser.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        const match = /DevTools listening on (ws:\/\/\S+)/.exec(stderr);
        if (match) {
          clearTimeout(timer);
          resolve(match[1]!);
        }
      });
    });
    const socket = new WebSocket(endpoint);
    await new Promise((resolve, reject) => socket.once('open', resolve).once('error', reject));
    let nextId = 1;
    const pending = new Map<number, (result: Record<string, unknown>) => void>();
    const listeners: ((message: { method?: string; params?: Record<string, unknown>; sessionId?: string }) => void)[] = [];
    socket.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString()) as { id?: number; result?: Record<string, unknown>; method?: string; params?: Record<string, unknown> };
      if (message.id !== undefined) pending.get(message.id)?.(message.result ?? {});
      else for (const listener of listeners) listener(message);
    });
    const send = (method: string, params: object = {}, sessionId?: string) =>
      new Promise<Record<string, unknown>>((resolve) => {
        const id = nextId++;
        pending.set(id, resolve);
        socket.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
      });
    const { targetId } = (await send('Target.createTarget', { url: 'about:blank' })) as { targetId: string };
    const { sessionId } = (await send('Target.attachToTarget', { targetId, flatten: true })) as { sessionId: string };
    const problems: string[] = [];
    const requests: string[] = [];
    let loaded: () => void = () => {};
    const load = new Promise<void>((resolve) => (loaded = resolve));
    listeners.push((m) => {
      if (m.method === 'Runtime.consoleAPICalled') problems.push(`console.${String(m.params?.type)}`);
      if (m.method === 'Runtime.exceptionThrown') problems.push('exception');
      if (m.method === 'Log.entryAdded') problems.push(`log: ${JSON.stringify((m.params?.entry as { text?: string })?.text)}`);
      if (m.method === 'Network.requestWillBeSent') {
        const url = String((m.params?.request as { url?: string })?.url);
        if (url !== `file://${file}`) requests.push(url);
      }
      if (m.method === 'Page.loadEventFired') loaded();
    });
    for (const domain of ['Runtime', 'Log', 'Network', 'Page']) await send(`${domain}.enable`, {}, sessionId);
    await send('Page.navigate', { url: `file://${file}` }, sessionId);
    await load;
    await new Promise((resolve) => setTimeout(resolve, 300));
    const evaluated = (await send('Runtime.evaluate', { expression: 'document.body.innerText', returnByValue: true }, sessionId)) as { result: { value: string } };
    const shot = (await send('Page.captureScreenshot', { format: 'png', captureBeyondViewport: true }, sessionId)) as { data: string };
    writeFileSync(screenshot, Buffer.from(shot.data, 'base64'));
    // Closed properly, the browser and its helpers stop writing to the profile before it is removed.
    socket.send(JSON.stringify({ id: nextId++, method: 'Browser.close' }));
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
    socket.close();
    return { text: evaluated.result.value, problems, requests };
  } finally {
    try {
      process.kill(-browser.pid!, 'SIGKILL');
    } catch {
      /* already gone */
    }
    await exited;
    // A scratch profile that a straggling helper still writes to is not the test's failure: removed at exit then.
    try {
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    } catch {
      process.once('exit', () => rmSync(profile, { recursive: true, force: true }));
    }
  }
}
