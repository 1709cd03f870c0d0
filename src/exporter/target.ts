// A target as Prometheus users write it in a target list: "HOST:PORT", "[2001:db8::1]:443", or a bare host (or
// bare IPv6 address) that takes the module's port. Text from a query string: checked, never trusted.
import { addressFamily } from '../packet/address.js';
import type { Protocol } from '../probe/method.js';
import { splitHostPort } from '../trace/target-text.js';

export interface ProbeTarget {
  host: string;
  /** Null for ICMP echo. */
  port: number | null;
}

/** Names as DNS allows them (letters, digits, '-', '_', dots), or an address literal. */
const HOST_NAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/;

/** The target, or a sentence saying what is wrong with it. */
export function parseTarget(text: string, module: { protocol: Protocol; port: number | null }): ProbeTarget | string {
  const { host, port: portText } = splitHostPort(text);
  const family = addressFamily(host);
  if (text.startsWith('[') && family !== 6) return `'${text}' has brackets around something that is not an IPv6 address`;
  if (family === null && !HOST_NAME.test(host)) return `'${text}' is not a host name or an address`;
  if (portText === null) {
    if (module.protocol !== 'icmp' && module.port === null) return `'${text}' names no port and the module has none`;
    return { host, port: module.protocol === 'icmp' ? null : module.port };
  }
  if (module.protocol === 'icmp') return `'${text}' names a port, but ICMP echo has none`;
  if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) return `'${text}' has no port from 1 to 65535 after the colon`;
  return { host, port: Number(portText) };
}

export function targetLabel(target: ProbeTarget): string {
  const host = addressFamily(target.host) === 6 ? `[${target.host}]` : target.host;
  return target.port === null ? target.host : `${host}:${target.port}`;
}
