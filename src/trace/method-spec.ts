// Probe methods as people write them — "tcp:443", "udp" (its usual port), "icmp" — for the CLI's --control and
// --compare and the library's compare().
import type { Protocol } from '../probe/method.js';
import { PortpathError } from '../transport/errors.js';
import type { ProbeSpec } from './session.js';

/** The usual port of each method when none is given (TCP 80, UDP 53; ICMP has none). */
export const DEFAULT_PORTS: Record<Protocol, number | null> = { tcp: 80, udp: 53, icmp: null };

function usage(message: string): PortpathError {
  return new PortpathError('ERR_USAGE', message);
}

/** A whole number from min to max, or a usage error naming it (`name`: "The port", "probesPerHop"). */
export function checkInteger(name: string, min: number, max: number, n: number): number {
  if (!Number.isInteger(n)) throw usage(`${name} must be a whole number from ${min} to ${max}, not '${n}'.`);
  if (n < min || n > max) throw usage(`${name} must be from ${min} to ${max}, not ${n}.`);
  return n;
}

/** The same for text from the command line (digits only). */
export function parseInteger(name: string, min: number, max: number, value: string): number {
  if (!/^\d+$/.test(value)) throw usage(`${name} must be a whole number from ${min} to ${max}, not '${value}'.`);
  return checkInteger(name, min, max, Number(value));
}

/** "tcp:443", "udp:53", "udp" (default port), "icmp"; `option` names where it was written, for the error. */
export function parseMethod(text: string, option = 'A probe method'): ProbeSpec {
  const [name, port, extra] = text.trim().toLowerCase().split(':');
  if (extra !== undefined || (name !== 'tcp' && name !== 'udp' && name !== 'icmp')) {
    throw usage(`${option} takes tcp:PORT, udp:PORT or icmp, not '${text}'.`);
  }
  if (name === 'icmp') {
    if (port !== undefined) throw usage(`${option}: ICMP echo has no port ('${text}').`);
    return { protocol: 'icmp', port: null };
  }
  return { protocol: name, port: port === undefined || port === '' ? DEFAULT_PORTS[name] : parseInteger('The port', 1, 65535, port) };
}
