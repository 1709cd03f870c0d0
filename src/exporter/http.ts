// The exporter's HTTP side: listeners (plain or TLS, per the web config), the checks every request passes before
// it reaches an endpoint (method, URL size, basic auth, client certificates), and answers that say in one line what
// was wrong. Endpoints are given as a table; nothing here knows what a probe is.
import { createServer as createHttpServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { SecureContextOptions, TLSSocket } from 'node:tls';
import { PortpathError } from '../transport/errors.js';
import { BasicAuth } from './web-config.js';
import type { WebConfig } from './web-config.js';

export interface Answer {
  status: number;
  body: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export type Endpoint = (request: IncomingMessage, url: URL) => Promise<Answer> | Answer;

export interface Route {
  methods: readonly string[];
  handle: Endpoint;
}

/** Room for Prometheus's headers and a long target list in the URL; far more is an attack or a mistake. */
const MAX_HEADER_BYTES = 16 * 1024;
const MAX_URL_LENGTH = 8 * 1024;
/** A client gets this long to send its request (slow-loris clients are cut off); answers may take longer. */
const REQUEST_TIMEOUT_MS = 15_000;
const HEADERS_TIMEOUT_MS = 10_000;
const MAX_CONNECTIONS = 512;

export interface ListenAddress {
  host: string | undefined;
  port: number;
  text: string;
}

/** ":9089", "127.0.0.1:9089", "[::1]:9089", "localhost:9089". */
export function parseListenAddress(text: string): ListenAddress {
  const match = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = Number(match?.[3]);
  if (!match || port > 65535) throw new PortpathError('ERR_USAGE', `--web.listen-address takes HOST:PORT, [IPV6]:PORT or :PORT, not '${text}'.`);
  const host = match[1] ?? (match[2] === '' ? undefined : match[2]);
  return { host, port, text };
}

const plain = (status: number, body: string): Answer => ({ status, body: `${body}\n`, contentType: 'text/plain; charset=utf-8' });

export class HttpFront {
  private readonly servers: Server[] = [];
  private auth: BasicAuth;
  private web: WebConfig;

  constructor(
    web: WebConfig,
    private readonly routes: Map<string, Route>,
    private readonly onError: (message: string) => void,
  ) {
    this.web = web;
    this.auth = new BasicAuth(web.users);
  }

  /** A new web config applies to new requests (TLS settings: to new connections). */
  reconfigure(web: WebConfig): void {
    if ((web.tls === null) !== (this.web.tls === null)) throw new PortpathError('ERR_CONFIG', `Turning TLS ${web.tls ? 'on' : 'off'} needs a restart; the web config was not reloaded.`);
    this.web = web;
    this.auth = new BasicAuth(web.users);
    for (const server of this.servers) if (web.tls && 'setSecureContext' in server) (server as ReturnType<typeof createHttpsServer>).setSecureContext(tlsOptions(web));
  }

  async listen(address: ListenAddress): Promise<string> {
    // Node checks those timeouts every connectionsCheckingInterval (30 s by default): once a second instead.
    const options = { maxHeaderSize: MAX_HEADER_BYTES, requestTimeout: REQUEST_TIMEOUT_MS, headersTimeout: HEADERS_TIMEOUT_MS, connectionsCheckingInterval: 1000 };
    const handler = (req: IncomingMessage, res: ServerResponse) => void this.serve(req, res);
    const server: Server = this.web.tls ? createHttpsServer({ ...options, ...tlsOptions(this.web), requestCert: this.web.tls.clientAuth !== 'NoClientCert', rejectUnauthorized: this.web.tls.clientAuth === 'RequireAndVerifyClientCert' }, handler) : createHttpServer(options, handler);
    server.maxConnections = MAX_CONNECTIONS;
    server.on('clientError', (error: NodeJS.ErrnoException, socket) => {
      // Malformed requests, oversized headers, clients too slow to send theirs: a status line, then the socket goes.
      const status = error.code === 'HPE_HEADER_OVERFLOW' ? '431 Request Header Fields Too Large' : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
      if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`);
      else socket.destroy();
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', (error: NodeJS.ErrnoException) => {
        const why = error.code === 'EADDRINUSE' ? 'the address is in use' : error.code === 'EACCES' ? 'permission denied' : error.code === 'EADDRNOTAVAIL' ? 'no interface has that address' : error.message;
        reject(new PortpathError('ERR_USAGE', `Cannot listen on ${address.text}: ${why}.`));
      });
      server.listen({ host: address.host, port: address.port }, () => resolve());
    });
    server.on('error', (error) => this.onError(`listener: ${error.message}`));
    this.servers.push(server);
    const bound = server.address();
    return typeof bound === 'object' && bound ? `${bound.family === 'IPv6' ? `[${bound.address}]` : bound.address}:${bound.port}` : address.text;
  }

  /** Stops taking connections; answers in progress finish (or are cut after `graceMs`). */
  async close(graceMs: number): Promise<void> {
    await Promise.all(
      this.servers.map(
        (server) =>
          new Promise<void>((resolve) => {
            const cut = setTimeout(() => server.closeAllConnections(), graceMs);
            server.close(() => {
              clearTimeout(cut);
              resolve();
            });
            server.closeIdleConnections();
          }),
      ),
    );
  }

  private async serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let answer: Answer;
    try {
      answer = await this.answer(req);
    } catch (error) {
      this.onError(`request ${req.method} ${(req.url ?? '').slice(0, 200)}: ${(error as Error).message}`);
      answer = plain(500, 'Internal error; the exporter logged it.');
    }
    if (res.destroyed) return;
    res.writeHead(answer.status, { ...this.web.headers, 'Content-Type': answer.contentType ?? 'text/plain; charset=utf-8', ...answer.headers });
    res.end(req.method === 'HEAD' ? undefined : answer.body);
  }

  private async answer(req: IncomingMessage): Promise<Answer> {
    if ((req.url ?? '').length > MAX_URL_LENGTH) return plain(414, 'The URL is too long.');
    const denied = await this.authenticate(req);
    if (denied) return denied;
    let url: URL;
    try {
      url = new URL(req.url ?? '/', 'http://exporter');
    } catch {
      return plain(400, 'The URL cannot be read.');
    }
    const route = this.routes.get(url.pathname);
    if (!route) return plain(404, `Not found; the endpoints are ${[...this.routes.keys()].join(', ')}.`);
    if (!route.methods.includes(req.method ?? '')) return { ...plain(405, `${url.pathname} takes ${route.methods.join(', ')}.`), headers: { Allow: route.methods.join(', ') } };
    return route.handle(req, url);
  }

  private async authenticate(req: IncomingMessage): Promise<Answer | null> {
    const tls = this.web.tls;
    if (tls && tls.clientAuth !== 'NoClientCert' && tls.clientAuth !== 'RequestClientCert') {
      const socket = req.socket as TLSSocket;
      const cert = socket.getPeerCertificate?.();
      const given = cert !== undefined && Object.keys(cert).length > 0;
      if (tls.clientAuth === 'RequireAnyClientCert' && !given) return plain(403, 'A client certificate is required.');
      if (tls.clientAuth === 'VerifyClientCertIfGiven' && given && !socket.authorized) return plain(403, 'The client certificate is not signed by the configured CA.');
    }
    if (!(await this.auth.check(req.headers.authorization))) {
      return { ...plain(401, 'Unauthorized.'), headers: { 'WWW-Authenticate': 'Basic realm="portpath"' } };
    }
    return null;
  }
}

function tlsOptions(web: WebConfig): SecureContextOptions {
  const tls = web.tls!;
  return { cert: tls.cert, key: tls.key, ...(tls.ca ? { ca: tls.ca } : {}), minVersion: tls.minVersion, maxVersion: tls.maxVersion };
}
