// A batch's targets as people list them, one per line: "HOST", "HOST:PORT", "[2001:db8::1]:443", "HOST PORT",
// optionally a method ("HOST PORT udp", "HOST icmp", "HOST tcp:443"); '#' starts a comment. A bad line is named by
// its number and skipped: one typo in 3,000 lines must not cost the other 2,999.
import { addressFamily } from '../packet/address.js';
import type { Protocol } from '../probe/method.js';
import { DEFAULT_PORTS, parseMethod } from './method-spec.js';
import { splitHostPort } from './target-text.js';

export interface BatchTarget {
  host: string;
  /** Null: the method's usual port (ICMP: none). */
  port: number | null;
  /** Null: the batch's method. */
  protocol: Protocol | null;
  /** 1-based line number in the input, and the line as written (trimmed, comment removed). */
  line: number;
  input: string;
}

export type ParsedLine = { target: BatchTarget } | { error: string; line: number; input: string } | null;

const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/;
const METHOD = /^(tcp|udp|icmp)(:\d+)?$/i;

function portOf(text: string): number | null {
  return /^\d{1,5}$/.test(text) && Number(text) >= 1 && Number(text) <= 65535 ? Number(text) : null;
}

/** One line: a target, an error naming what is wrong, or null for a blank or comment line. */
export function parseBatchLine(text: string, line: number): ParsedLine {
  const input = text.replace(/#.*$/, '').trim();
  if (input === '') return null;
  const bad = (why: string) => ({ error: `line ${line}: ${why}`, line, input: input.slice(0, 200) });
  const words = input.split(/\s+/);
  if (words.length > 3) return bad(`too many words in '${input.slice(0, 80)}' (HOST [PORT] [METHOD])`);
  const { host, port: embedded } = splitHostPort(words[0]!);
  if (addressFamily(host) === null && !HOST_NAME.test(host)) return bad(`'${host.slice(0, 80)}' is not a host name or an address`);
  let port: number | null = null;
  let protocol: Protocol | null = null;
  const ports = embedded === null ? [] : [embedded];
  for (const word of words.slice(1)) {
    if (METHOD.test(word)) {
      if (protocol !== null) return bad('two methods');
      const spec = parseMethod(word.includes(':') ? word : word.toLowerCase() === 'icmp' ? 'icmp' : `${word}:1`);
      protocol = spec.protocol;
      if (word.includes(':')) ports.push(word.split(':')[1]!);
    } else ports.push(word);
  }
  if (ports.length > 1) return bad('the port is given twice');
  if (ports.length === 1) {
    port = portOf(ports[0]!);
    if (port === null) return bad(`'${ports[0]!.slice(0, 20)}' is not a port from 1 to 65535`);
    if (protocol === 'icmp') return bad('ICMP echo has no port');
  }
  return { target: { host, port, protocol, line, input } };
}

/** The port a target is traced on, given the batch's method and port. */
export function targetPort(target: BatchTarget, protocol: Protocol, port: number | null): number | null {
  const method = target.protocol ?? protocol;
  if (method === 'icmp') return null;
  return target.port ?? (target.protocol === null ? port : null) ?? DEFAULT_PORTS[method];
}
