// Targets as people write them ("host:port", "[2001:db8::1]:443", a bare IPv6 address), and the version a run
// reports: what the command line, the exporter and the report files all read the same way.
import { readFileSync } from 'node:fs';

/** Splits "host:port", "[v6]:port", a bare IPv6 literal, or a plain host. */
export function splitHostPort(target: string): { host: string; port: string | null } {
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(target);
  if (bracketed) return { host: bracketed[1]!, port: bracketed[2] ?? null };
  const colons = target.split(':').length - 1;
  if (colons === 1) {
    const [host, port] = target.split(':');
    return { host: host!, port: port! };
  }
  return { host: target, port: null };
}

/** The version in package.json (dist/src/<layer>/ is three levels below the package root). */
export function packageVersion(): string {
  try {
    const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
    return manifest.version ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
