// Typed loader for the N-API shim in native/. The shim only does syscalls; all parsing happens in TypeScript.
import { createRequire } from 'node:module';

/** One control message as the kernel delivered it (level/type are the raw Linux numbers). */
export interface ControlMessage {
  level: number;
  type: number;
  data: Buffer;
}

/** What one recvmsg() returned. `address` is the peer (msg_name) in text form, '' when the kernel gave none. */
export interface ReceivedMessage {
  data: Buffer;
  address: string;
  port: number;
  /** msg_flags (MSG_TRUNC = 0x20, MSG_CTRUNC = 0x8, MSG_ERRQUEUE = 0x2000). */
  flags: number;
  cmsgs: ControlMessage[];
}

export interface Poller {
  /** (Re)start watching; events: 1 = readable, 2 = writable (bit-or). */
  start(events: number): void;
  stop(): void;
  /** Stops and releases the watcher; the callback is never called again. */
  close(): void;
}

/**
 * Every function throws an Error with `code` (e.g. 'EPERM') and `syscall` (e.g. 'socket') on failure.
 * Sockets are created non-blocking and close-on-exec.
 */
export interface NativeBinding {
  socket(family: 4 | 6, type: number, protocol: number): number;
  setsockopt(fd: number, level: number, name: number, value: number | Buffer): void;
  getsockoptInt(fd: number, level: number, name: number): number;
  /** getsockopt() for a structure (e.g. TCP_INFO): the bytes the kernel filled in (at most maxLength). */
  getsockoptBuffer(fd: number, level: number, name: number, maxLength: number): Buffer;
  /** Drops all capabilities of the process (effective, permitted, inheritable, ambient). */
  clearCapabilities(): void;
  bind(fd: number, family: 4 | 6, address: string, port: number): void;
  /** Non-blocking connect: returns 0 when connected at once, or the errno name of a pending connect ('EINPROGRESS'). */
  connect(fd: number, family: 4 | 6, address: string, port: number): string | 0;
  getsockname(fd: number): { address: string; port: number };
  /**
   * sendmsg() to address/port with optional ancillary data. Returns CLOCK_REALTIME in nanoseconds read
   * immediately before the sendmsg call (the same clock as SO_TIMESTAMPNS on receive).
   */
  sendto(fd: number, data: Buffer, family: 4 | 6, address: string, port: number, cmsgs?: ControlMessage[]): bigint;
  /** recvmsg(); null when nothing is queued (EAGAIN). flags: e.g. MSG_ERRQUEUE = 0x2000. */
  recvmsg(fd: number, flags: number): ReceivedMessage | null;
  /** read() on a non-socket fd (TUN); null on EAGAIN. */
  read(fd: number, maxLength: number): Buffer | null;
  /** write() on a non-socket fd (TUN); returns bytes written. */
  write(fd: number, data: Buffer): number;
  /** Opens /dev/net/tun as IFF_TUN | IFF_NO_PI with the given interface name; non-blocking fd. */
  tunOpen(name: string): number;
  /** uv_poll watcher on fd; cb(status, events): status 0 or a negative libuv error. Starts stopped. */
  poll(fd: number, cb: (status: number, events: number) => void): Poller;
  close(fd: number): void;
  /** SO_ATTACH_FILTER with a classic BPF program (8-byte struct sock_filter entries, host byte order). */
  attachFilter(fd: number, program: Buffer): void;
  /** prctl(PR_SET_NO_NEW_PRIVS, 1): no later exec can gain privileges. */
  setNoNewPrivs(): void;
  /** clock_gettime(CLOCK_REALTIME) in nanoseconds. */
  realtimeNs(): bigint;
}

let cached: NativeBinding | undefined;

/** Loads build/Release/portpath.node relative to the package root (works from src/ and build/src/). */
export function loadNative(): NativeBinding {
  if (cached) return cached;
  const require = createRequire(import.meta.url);
  // dist/src/transport/ -> package root is three levels up.
  const candidates = ['../../../build/Release/portpath.node'];
  let lastError: unknown;
  for (const candidate of candidates) {
    try {
      cached = require(candidate) as NativeBinding;
      return cached;
    } catch (error) {
      lastError = error;
    }
  }
  throw new Error(`portpath's native module is not built (run npm install): ${String(lastError)}`);
}
