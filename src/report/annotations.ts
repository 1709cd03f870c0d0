// traceroute's short marks for ICMP unreachables, and readable names for replies.
import { icmpName } from '../packet/icmp.js';
import { icmpv6Name } from '../packet/icmpv6.js';
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

/** "ICMP 3/13 (communication administratively prohibited)". */
export function describeUnreachable(family: Family, type: number | undefined, code: number | undefined): string {
  const name = code !== undefined && type !== undefined ? (family === 4 ? icmpName(type, code) : icmpv6Name(type, code)) : undefined;
  return `${family === 4 ? 'ICMP' : 'ICMPv6'} ${type ?? '?'}/${code ?? '?'}${name ? ` (${name})` : ''}`;
}
