// Opening one raw socket the way the raw transport uses it, whether it is opened while privileged (the pool, see
// privileges.ts) or by the transport itself: bound to the interface asked for, and receiving ones with a deep buffer.
import type { Family } from '../probe/method.js';
import { IPPROTO_RAW, SO_BINDTODEVICE, SO_RCVBUF, SO_RCVBUFFORCE, SOCK_RAW, SOL_SOCKET } from './linux.js';
import type { NativeBinding } from './native.js';

/** Receive buffer for raw sockets: a busy host copies all its TCP/UDP to them; a deep buffer keeps replies. */
const RAW_RECEIVE_BUFFER = 4 << 20;

export function openRawSocket(native: NativeBinding, family: Family, protocol: number, device?: string): number {
  const fd = native.socket(family, SOCK_RAW, protocol);
  try {
    if (device) native.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, Buffer.from(device + '\0'));
    // IPPROTO_RAW sockets only send. Only CAP_NET_ADMIN may go past rmem_max (root may, a cap_net_raw binary may
    // not, nor anyone after privileges are dropped): force it while we may, else take what rmem_max allows.
    if (protocol !== IPPROTO_RAW) {
      try {
        native.setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, RAW_RECEIVE_BUFFER);
      } catch {
        native.setsockopt(fd, SOL_SOCKET, SO_RCVBUF, RAW_RECEIVE_BUFFER);
      }
    }
    return fd;
  } catch (error) {
    native.close(fd);
    throw error;
  }
}

/**
 * The raw sockets probes of one IP protocol need — the one plan both the privileged pool (opened before dropping
 * root) and the transport follow. IPv4: the IP_HDRINCL sender, the ICMP receiver and the protocol's receiver. IPv6:
 * the ICMPv6 socket and the protocol's socket, each sending and receiving.
 */
export function rawSocketsFor(family: Family, ipProtocol: number): number[] {
  return family === 4 ? [IPPROTO_RAW, 1, ...(ipProtocol !== 1 ? [ipProtocol] : [])] : [58, ...(ipProtocol !== 58 ? [ipProtocol] : [])];
}
