// Reading what the kernel puts on a socket's error queue (IP_RECVERR / IPV6_RECVERR): the ICMP error a router or
// the destination sent about one of our packets, with who sent it (the "offender"), its type and code, the reply's
// TTL (IP_RECVTTL / IPV6_RECVHOPLIMIT) and the kernel's receive timestamp.
import { bytesToIpv4, bytesToIpv6 } from '../packet/address.js';
import type { Family } from '../probe/method.js';
import type { ControlMessage, NativeBinding, ReceivedMessage } from './native.js';
import { IPPROTO_IP, IPPROTO_IPV6, IPV6_HOPLIMIT, IPV6_RECVHOPLIMIT, SO_TIMESTAMPNS, SOL_SOCKET, timespecNs } from './linux.js';

export const MSG_ERRQUEUE = 0x2000;
export const IP_TTL = 2;
export const IP_RECVERR = 11;
export const IP_RECVTTL = 12;
export const IPV6_UNICAST_HOPS = 16;
export const IPV6_RECVERR = 25;

const SO_EE_ORIGIN_ICMP = 2;
const SO_EE_ORIGIN_ICMP6 = 3;
const AF_INET = 2;
const AF_INET6 = 10;

export interface ExtendedError {
  errno: number;
  /** true when an ICMP(v6) message caused it; false for local errors. */
  fromIcmp: boolean;
  icmpType: number;
  icmpCode: number;
  /** Who sent the ICMP error; null for local errors. */
  offender: string | null;
}

/** Parses struct sock_extended_err (16 bytes) and the offender's sockaddr that follows it. */
export function parseExtendedError(data: Buffer): ExtendedError | null {
  if (data.length < 16) return null;
  const origin = data[4]!;
  const fromIcmp = origin === SO_EE_ORIGIN_ICMP || origin === SO_EE_ORIGIN_ICMP6;
  let offender: string | null = null;
  if (data.length >= 16 + 8 && data.readUInt16LE(16) === AF_INET) offender = bytesToIpv4(data, 20);
  else if (data.length >= 16 + 24 && data.readUInt16LE(16) === AF_INET6) offender = bytesToIpv6(data, 24);
  return { errno: data.readUInt32LE(0), fromIcmp, icmpType: data[5]!, icmpCode: data[6]!, offender };
}

export interface ErrorQueueInfo {
  error: ExtendedError | null;
  replyTtl: number | null;
  receivedAtNs: bigint | null;
}

export function readControlMessages(family: Family, cmsgs: ControlMessage[]): ErrorQueueInfo {
  const info: ErrorQueueInfo = { error: null, replyTtl: null, receivedAtNs: null };
  for (const cmsg of cmsgs) {
    if (cmsg.level === SOL_SOCKET && cmsg.type === SO_TIMESTAMPNS) info.receivedAtNs = timespecNs(cmsg.data);
    else if (family === 4 && cmsg.level === IPPROTO_IP && cmsg.type === IP_RECVERR) info.error = parseExtendedError(cmsg.data);
    else if (family === 6 && cmsg.level === IPPROTO_IPV6 && cmsg.type === IPV6_RECVERR) info.error = parseExtendedError(cmsg.data);
    else if (family === 4 && cmsg.level === IPPROTO_IP && cmsg.type === IP_TTL && cmsg.data.length >= 4) info.replyTtl = cmsg.data.readInt32LE(0);
    else if (family === 6 && cmsg.level === IPPROTO_IPV6 && cmsg.type === IPV6_HOPLIMIT && cmsg.data.length >= 4) info.replyTtl = cmsg.data.readInt32LE(0);
  }
  return info;
}

/**
 * Asks the kernel to queue ICMP errors about this socket's packets (with the reply TTL and a receive timestamp)
 * on its error queue, instead of only failing the next call.
 */
export function enableErrorQueue(native: NativeBinding, fd: number, family: Family): void {
  if (family === 4) {
    native.setsockopt(fd, IPPROTO_IP, IP_RECVERR, 1);
    native.setsockopt(fd, IPPROTO_IP, IP_RECVTTL, 1);
  } else {
    native.setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, 1);
    native.setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
  }
  native.setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1);
}

/** recvmsg() that treats a failed receive like an empty queue: the next readiness event tries again. */
export function receiveOrNull(native: NativeBinding, fd: number, flags: number): ReceivedMessage | null {
  try {
    return native.recvmsg(fd, flags);
  } catch {
    return null;
  }
}
