// TLS and basic auth from a web config file in the format every Prometheus exporter reads (the exporter-toolkit's:
// tls_server_config, http_server_config, basic_auth_users with bcrypt hashes), so operators write nothing new. The
// keys Node cannot honour as Go does (Go's cipher suite and curve names) are refused by name rather than ignored.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import type { SecureVersion } from 'node:tls';
import bcrypt from 'bcryptjs';
import { errnoOf, PortpathError } from '../transport/errors.js';
import { LruMap } from '../trace/lru-map.js';
import { ConfigReader } from './config-reader.js';

export type ClientAuth = 'NoClientCert' | 'RequestClientCert' | 'RequireAnyClientCert' | 'VerifyClientCertIfGiven' | 'RequireAndVerifyClientCert';
const CLIENT_AUTH: readonly ClientAuth[] = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'];
const VERSIONS: Record<string, SecureVersion> = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' };

export interface TlsSettings {
  cert: Buffer;
  key: Buffer;
  ca: Buffer | null;
  clientAuth: ClientAuth;
  minVersion: SecureVersion;
  maxVersion: SecureVersion;
}

export interface WebConfig {
  tls: TlsSettings | null;
  /** User name → bcrypt hash; empty: no authentication. */
  users: Map<string, string>;
  headers: Record<string, string>;
}

export const NO_WEB_CONFIG: WebConfig = { tls: null, users: new Map(), headers: {} };

/** Headers the exporter sets itself, which the config may not override (as the exporter-toolkit refuses them). */
const RESERVED_HEADERS = ['content-type', 'content-length', 'www-authenticate', 'authorization', 'transfer-encoding', 'connection'];

function readPem(reader: ConfigReader, node: Parameters<ConfigReader['string']>[0], key: string, base: string): Buffer {
  const path = reader.string(node, key);
  const full = path.startsWith('/') ? path : `${base}/${path}`;
  try {
    return readFileSync(full);
  } catch (error) {
    return reader.fail(node, key, `cannot read ${full}: ${errnoOf(error) === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}

export function parseWebConfig(file: string, text: string): WebConfig {
  const reader = new ConfigReader(file, text);
  if (reader.root === null) return NO_WEB_CONFIG;
  const top = reader.map(reader.root, '', ['tls_server_config', 'http_server_config', 'basic_auth_users']);
  const base = file.includes('/') ? file.slice(0, file.lastIndexOf('/')) : '.';
  let tls: TlsSettings | null = null;
  const tlsNode = top.get('tls_server_config')?.value;
  if (tlsNode) {
    const t = reader.map(tlsNode, 'tls_server_config', ['cert_file', 'key_file', 'client_auth_type', 'client_ca_file', 'min_version', 'max_version', 'cipher_suites', 'curve_preferences', 'prefer_server_cipher_suites', 'client_allowed_sans']);
    for (const goOnly of ['cipher_suites', 'curve_preferences', 'prefer_server_cipher_suites', 'client_allowed_sans']) {
      if (t.has(goOnly)) reader.fail(t.get(goOnly)!.key, `tls_server_config.${goOnly}`, 'is not supported by portpath (Node.js picks its own secure defaults)');
    }
    const need = (k: string) => t.get(k)?.value ?? reader.fail(tlsNode, `tls_server_config.${k}`, 'is required');
    const clientAuth = t.has('client_auth_type') ? reader.oneOf(t.get('client_auth_type')!.value, 'tls_server_config.client_auth_type', CLIENT_AUTH) : 'NoClientCert';
    const ca = t.has('client_ca_file') ? readPem(reader, t.get('client_ca_file')!.value, 'tls_server_config.client_ca_file', base) : null;
    if ((clientAuth === 'VerifyClientCertIfGiven' || clientAuth === 'RequireAndVerifyClientCert') && ca === null) reader.fail(tlsNode, 'tls_server_config.client_ca_file', `is required with client_auth_type ${clientAuth}`);
    const version = (k: string, fallback: SecureVersion) => (t.has(k) ? VERSIONS[reader.oneOf(t.get(k)!.value, `tls_server_config.${k}`, Object.keys(VERSIONS))]! : fallback);
    tls = { cert: readPem(reader, need('cert_file'), 'tls_server_config.cert_file', base), key: readPem(reader, need('key_file'), 'tls_server_config.key_file', base), ca, clientAuth, minVersion: version('min_version', 'TLSv1.2'), maxVersion: version('max_version', 'TLSv1.3') };
  }
  const users = new Map<string, string>();
  const usersNode = top.get('basic_auth_users')?.value;
  if (usersNode) {
    for (const { name, value } of reader.namedMap(usersNode, 'basic_auth_users')) {
      const hash = reader.string(value, `basic_auth_users.${name}`);
      if (!/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(hash)) reader.fail(value, `basic_auth_users.${name}`, 'must be a bcrypt hash ($2y$10$…), not a password');
      if (name.includes(':')) reader.fail(value, `basic_auth_users.${name}`, 'a user name cannot hold a colon');
      users.set(name, hash);
    }
  }
  const headers: Record<string, string> = {};
  const httpNode = top.get('http_server_config')?.value;
  if (httpNode) {
    const h = reader.map(httpNode, 'http_server_config', ['http2', 'headers']);
    if (h.has('http2')) reader.boolean(h.get('http2')!.value, 'http_server_config.http2');
    if (h.has('headers')) {
      for (const { name, value } of reader.namedMap(h.get('headers')!.value, 'http_server_config.headers')) {
        if (RESERVED_HEADERS.includes(name.toLowerCase())) reader.fail(value, `http_server_config.headers.${name}`, 'is set by the exporter itself');
        const v = reader.string(value, `http_server_config.headers.${name}`);
        if (!/^[A-Za-z0-9-]+$/.test(name) || /[\r\n]/.test(v)) reader.fail(value, `http_server_config.headers.${name}`, 'is not a valid header');
        headers[name] = v;
      }
    }
  }
  return { tls, users, headers };
}

export async function loadWebConfig(file: string): Promise<WebConfig> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new PortpathError('ERR_CONFIG', `Cannot read the web config ${file}: ${errnoOf(error) === 'ENOENT' ? 'no such file' : (error as Error).message}.`);
  }
  return parseWebConfig(file, text);
}


/**
 * Checks basic-auth credentials. bcrypt is slow on purpose (about 80 ms a check here): outcomes are remembered by a
 * hash of the credentials (bounded), so a Prometheus scraping every few seconds pays once.
 */
export class BasicAuth {
  private readonly seen = new LruMap<string, boolean>(1024);
  /** Compared against for unknown users, so that their answers take as long as known users' do. */
  private readonly dummy: string;

  constructor(private readonly users: Map<string, string>) {
    this.dummy = users.size > 0 ? bcrypt.hashSync(String(Math.random()), 10) : '';
  }

  get enabled(): boolean {
    return this.users.size > 0;
  }

  async check(header: string | undefined): Promise<boolean> {
    if (!this.enabled) return true;
    const match = /^Basic ([A-Za-z0-9+/=]{1,1024})$/.exec(header ?? '');
    if (!match) return false;
    const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0) return false;
    const user = decoded.slice(0, colon);
    const password = decoded.slice(colon + 1);
    const key = createHash('sha256').update(user).update('\0').update(password).digest('hex');
    const known = this.seen.get(key);
    if (known !== undefined) return known;
    const hash = this.users.get(user);
    const ok = (await bcrypt.compare(password, hash ?? this.dummy)) && hash !== undefined;
    this.seen.set(key, ok);
    return ok;
  }
}
