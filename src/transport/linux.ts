// Linux socket constants the transports use (the values are the kernel's ABI; Node does not export them).
export const SOCK_STREAM = 1;
export const SOCK_DGRAM = 2;
export const SOCK_RAW = 3;

export const SOL_SOCKET = 1;
export const SO_RCVBUF = 8;
export const SO_BINDTODEVICE = 25;
export const SO_RCVBUFFORCE = 33;
export const SO_TIMESTAMPNS = 35;
/** Each received message then carries the socket's count of packets the kernel dropped for a full buffer. */
export const SO_RXQ_OVFL = 40;
/** Once set, the socket's filter can be neither removed nor replaced. */
export const SO_LOCK_FILTER = 44;
export const SO_ERROR = 4;

export const IPPROTO_IP = 0;
export const IPPROTO_IPV6 = 41;
/** ICMP6_FILTER lives at this level (not IPPROTO_IPV6). */
export const IPPROTO_ICMPV6 = 58;
export const IPPROTO_RAW = 255;
export const SOL_RAW = 255;
export const ICMP_FILTER = 1;
export const ICMP6_FILTER = 1;

export const IPV6_RECVPKTINFO = 49;
export const IPV6_PKTINFO = 50;
export const IPV6_RECVHOPLIMIT = 51;
export const IPV6_HOPLIMIT = 52;

/** Reads a struct timespec (two native 64-bit integers) as nanoseconds. */
export function timespecNs(data: Buffer): bigint | null {
  if (data.length < 16) return null;
  return data.readBigInt64LE(0) * 1_000_000_000n + data.readBigInt64LE(8);
}

export function int32(value: number): Buffer {
  const buffer = Buffer.alloc(4);
  buffer.writeInt32LE(value, 0);
  return buffer;
}
