// traceroute's short marks for ICMP unreachables, and readable names for replies.
import type { ReplyInfo } from '../engine/types.js';
import type { Family } from '../probe/method.js';

const V4_MARKS: Record<number, string> = { 0: '!N', 1: '!H', 2: '!P', 4: '!F', 5: '!S', 9: '!X', 10: '!X', 13: '!X', 14: '!V', 15: '!C' };
const V6_MARKS: Record<number, string> = { 0: '!N', 1: '!X', 2: '!S', 3: '!H', 5: '!X', 6: '!X' };

/** The mark shown after an RTT ('' for none): !X admin-prohibited, !H host, !N net, !P protocol, ... */
export function unreachableMark(family: Family, reply: ReplyInfo | null, isDestination: boolean): string {
  if (!reply || reply.kind !== 'unreachable') return '';
  const code = reply.icmpCode ?? -1;
  const portUnreachable = family === 4 ? code === 3 : code === 4;
  if (portUnreachable) return isDestination ? '' : '!P';
  return (family === 4 ? V4_MARKS : V6_MARKS)[code] ?? `!<${code}>`;
}

const V4_UNREACHABLE: Record<number, string> = {
  0: 'net unreachable', 1: 'host unreachable', 2: 'protocol unreachable', 3: 'port unreachable', 4: 'fragmentation needed',
  5: 'source route failed', 6: 'destination network unknown', 7: 'destination host unknown', 9: 'network administratively prohibited',
  10: 'host administratively prohibited', 11: 'network unreachable for TOS', 12: 'host unreachable for TOS',
  13: 'communication administratively prohibited', 14: 'host precedence violation', 15: 'precedence cutoff in effect',
};
const V6_UNREACHABLE: Record<number, string> = {
  0: 'no route to destination', 1: 'communication administratively prohibited', 2: 'beyond scope of source address',
  3: 'address unreachable', 4: 'port unreachable', 5: 'source address failed ingress/egress policy', 6: 'reject route to destination',
};

/** "ICMP 3/13 (communication administratively prohibited)". */
export function describeUnreachable(family: Family, type: number | undefined, code: number | undefined): string {
  const names = family === 4 ? V4_UNREACHABLE : V6_UNREACHABLE;
  const name = code !== undefined ? names[code] : undefined;
  return `${family === 4 ? 'ICMP' : 'ICMPv6'} ${type ?? '?'}/${code ?? '?'}${name ? ` (${name})` : ''}`;
}
