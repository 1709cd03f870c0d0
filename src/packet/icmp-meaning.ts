// What an ICMP error means for a trace, in one place: its name, traceroute's mark, its class (port, administrative,
// no route) and the reason string the JSON result carries ("icmp-3/13"), with that string's typed reading.
import { icmpName } from './icmp.js';
import { icmpv6Name } from './icmpv6.js';

type Family = 4 | 6;

/** Unreachable codes that say a filter refused the packet (3/9, 3/10, 3/13; ICMPv6 1/1, 1/5, 1/6). */
export const ADMIN_CODES = { 4: [9, 10, 13], 6: [1, 5, 6] } as const;
/** Unreachable codes that say the path itself is broken (no route, net or host unknown/unreachable). */
export const NO_ROUTE_CODES = { 4: [0, 1, 6, 7, 11, 12], 6: [0, 3] } as const;

export type UnreachableClass = 'port' | 'admin' | 'no-route' | 'other';

/** The class of a destination-unreachable code (type 3 for IPv4, type 1 for ICMPv6). */
export function unreachableClass(family: Family, code: number): UnreachableClass {
  if (family === 4 ? code === 3 : code === 4) return 'port';
  if ((ADMIN_CODES[family] as readonly number[]).includes(code)) return 'admin';
  if ((NO_ROUTE_CODES[family] as readonly number[]).includes(code)) return 'no-route';
  return 'other';
}

export function isPortUnreachable(family: Family, type: number | undefined, code: number | undefined): boolean {
  return family === 4 ? type === 3 && code === 3 : type === 1 && code === 4;
}

const V4_MARKS: Record<number, string> = { 0: '!N', 1: '!H', 2: '!P', 4: '!F', 5: '!S', 9: '!X', 10: '!X', 13: '!X', 14: '!V', 15: '!C' };
const V6_MARKS: Record<number, string> = { 0: '!N', 1: '!X', 2: '!S', 3: '!H', 5: '!X', 6: '!X' };

/**
 * traceroute's mark after an unreachable's RTT: !X admin-prohibited, !H host, !N net, !P protocol, ... A port
 * unreachable from the destination itself is the expected answer and has none ('').
 */
export function unreachableMark(family: Family, code: number | undefined, fromDestination: boolean): string {
  const c = code ?? -1;
  if (unreachableClass(family, c) === 'port') return fromDestination ? '' : '!P';
  return (family === 4 ? V4_MARKS : V6_MARKS)[c] ?? `!<${c}>`;
}

/** "ICMP 3/13 (communication administratively prohibited)". */
export function describeUnreachable(family: Family, type: number | undefined, code: number | undefined): string {
  const name = code !== undefined && type !== undefined ? (family === 4 ? icmpName(type, code) : icmpv6Name(type, code)) : undefined;
  return `${family === 4 ? 'ICMP' : 'ICMPv6'} ${type ?? '?'}/${code ?? '?'}${name ? ` (${name})` : ''}`;
}

/** "icmp-3/13", "icmpv6-1/1" ('?' for a type or code the transport could not see). */
export type IcmpReason = `${'icmp' | 'icmpv6'}-${number | '?'}/${number | '?'}`;

/** The JSON result's reason for an ICMP answer: "icmp-3/13" for IPv4, "icmpv6-1/1" for IPv6. */
export function icmpReason(family: Family, type: number | undefined, code: number | undefined): IcmpReason {
  return `${family === 4 ? 'icmp' : 'icmpv6'}-${type ?? '?'}/${code ?? '?'}`;
}

/** A result's `destination.reason`, read: what answered, or the ICMP error with its family, type and code. */
export type Reason =
  | { kind: 'syn-ack' | 'rst' | 'udp' | 'echo-reply' | 'timeout' }
  | { kind: 'icmp'; family: Family; type: number; code: number }
  | { kind: 'other'; text: string };

export function parseReason(reason: string): Reason {
  if (reason === 'syn-ack' || reason === 'rst' || reason === 'udp' || reason === 'echo-reply' || reason === 'timeout') return { kind: reason };
  const icmp = /^(icmp|icmpv6)-(\d+)\/(\d+)$/.exec(reason);
  if (icmp) return { kind: 'icmp', family: icmp[1] === 'icmp' ? 4 : 6, type: Number(icmp[2]), code: Number(icmp[3]) };
  return { kind: 'other', text: reason };
}
