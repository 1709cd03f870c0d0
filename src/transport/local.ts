// What the local host decides before the first probe: which source address and interface the route to the target
// uses, and a source port reserved for the whole trace (so no other socket, or other portpath, can take its replies).
import { networkInterfaces } from 'node:os';
import type { Family } from '../probe/method.js';
import { describeSocketError } from './errors.js';
import { SO_BINDTODEVICE, SOCK_DGRAM, SOCK_STREAM, SOL_SOCKET } from './linux.js';
import { loadNative } from './native.js';

/**
 * The source address the kernel would use toward destination (optionally forced through an interface or from a
 * given source): a connected UDP socket sends nothing, but getsockname() then names the route's source.
 */
export function routeSource(family: Family, destination: string, options: { interface?: string; source?: string } = {}): string {
  const native = loadNative();
  const fd = native.socket(family, SOCK_DGRAM, 0);
  try {
    if (options.interface) native.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, Buffer.from(options.interface + '\0'));
    if (options.source) native.bind(fd, family, options.source, 0);
    native.connect(fd, family, destination, 9);
    return native.getsockname(fd).address;
  } catch (error) {
    throw describeSocketError(error, { destination, ...(options.interface ? { interface: options.interface } : {}) });
  } finally {
    native.close(fd);
  }
}

/**
 * The host's interfaces, read again at most once a second: a batch starts hundreds of traces a second, and reading
 * them is a walk over every address in the kernel (about 2% of a busy batch's CPU when read per trace).
 */
const INTERFACES_FOR_MS = 1000;
let interfaces: { readAtMs: number; list: ReturnType<typeof networkInterfaces> } | null = null;

/** The name of the interface that owns a local address ('' when none does, e.g. a route through lo). */
export function interfaceOf(address: string): string {
  const now = performance.now();
  if (interfaces === null || now - interfaces.readAtMs > INTERFACES_FOR_MS) interfaces = { readAtMs: now, list: networkInterfaces() };
  for (const [name, addresses] of Object.entries(interfaces.list)) {
    if (addresses?.some((a) => a.address === address)) return name;
  }
  return '';
}

export interface ReservedPort {
  port: number;
  /** Hands the socket holding the port over to its new owner (the unprivileged UDP transport sends from it). */
  detach(): number;
  /** Closes the socket, unless it was detached. */
  release(): void;
}

/**
 * Binds a TCP or UDP socket to an ephemeral port of the source address and keeps it for the trace. For TCP the
 * socket never listens, so the kernel still answers the destination's SYN-ACK with an RST: no half-open
 * connection stays on the server.
 */
export function reservePort(family: Family, protocol: 'tcp' | 'udp', source: string, port = 0): ReservedPort {
  const native = loadNative();
  const fd = native.socket(family, protocol === 'tcp' ? SOCK_STREAM : SOCK_DGRAM, 0);
  try {
    native.bind(fd, family, source, port);
    let owned = true;
    return {
      port: native.getsockname(fd).port,
      detach: () => {
        owned = false;
        return fd;
      },
      release: () => {
        if (owned) native.close(fd);
        owned = false;
      },
    };
  } catch (error) {
    native.close(fd);
    throw describeSocketError(error, {});
  }
}
