// UDP and ICMP echo probes without raw sockets: one datagram socket for the whole trace (a UDP socket on the
// reserved source port, or a ping socket bound to the trace's echo identifier), the TTL given per packet as a
// control message, and IP_RECVERR so routers' errors land on the error queue. The kernel computes the checksum;
// with the same source port or identifier it comes out as the probe method steered it, so the flow stays constant.
import type { Family, InboundPacket, OutgoingPacket } from '../probe/method.js';
import { enableErrorQueue, IP_TTL, MSG_ERRQUEUE, readControlMessages, receiveOrNull } from './errqueue.js';
import { icmpErrorPacket, probeDatagram, transportBytes, udpReplyPacket } from './synthesize.js';
import type { NativeBinding, Poller, ReceivedMessage } from './native.js';
import { int32, IPPROTO_IP, IPPROTO_IPV6, IPV6_HOPLIMIT, SO_BINDTODEVICE, SOCK_DGRAM, SOL_SOCKET } from './linux.js';

export interface DatagramContext {
  native: NativeBinding;
  family: Family;
  source: string;
  interface?: string;
  deliver(packet: InboundPacket): void;
}

type Kind = 'udp' | 'icmp';

/** Errors an ICMP message leaves pending on a datagram socket (see send). */
const PENDING_ERRORS = new Set(['EHOSTUNREACH', 'ENETUNREACH', 'ECONNREFUSED', 'EHOSTDOWN', 'ENOPROTOOPT', 'EPROTO', 'EACCES']);

export class DatagramProber {
  private readonly poller: Poller;
  /** Sent probes by the bytes the error queue gives back (UDP payload / ICMP message), to find which one failed. */
  private readonly byPayload = new Map<string, OutgoingPacket>();
  private readonly bySequence = new Map<number, OutgoingPacket>();
  private remotePort = 0;
  private localPort = 0;

  /**
   * fd: a UDP socket already bound to the trace's source port, or null to open a ping socket bound to icmpId.
   */
  constructor(
    private readonly context: DatagramContext,
    private readonly kind: Kind,
    private readonly fd: number,
  ) {
    const { native, family } = context;
    enableErrorQueue(native, fd, family);
    this.localPort = native.getsockname(fd).port;
    this.poller = native.poll(fd, () => this.drain());
    try {
      this.poller.start(1);
    } catch (error) {
      // The watcher goes; the socket stays its owner's to close (the caller that opened it).
      this.poller.close();
      throw error;
    }
  }

  /** Opens a ping socket (SOCK_DGRAM, IPPROTO_ICMP/ICMPV6) bound to the echo identifier; throws EACCES when ping_group_range forbids it. */
  static openPingSocket(native: NativeBinding, family: Family, source: string, icmpId: number, device?: string): number {
    const fd = native.socket(family, SOCK_DGRAM, family === 4 ? 1 : 58);
    try {
      if (device) native.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, Buffer.from(device + '\0'));
      native.bind(fd, family, source, icmpId);
      return fd;
    } catch (error) {
      native.close(fd);
      throw error;
    }
  }

  send(packet: OutgoingPacket): bigint {
    const { native, family } = this.context;
    // The kernel writes the UDP header (ports, length, checksum) or the ICMP identifier and checksum itself.
    const l4 = transportBytes(packet);
    const payload = this.kind === 'udp' ? l4.subarray(8) : l4;
    if (this.kind === 'udp' && l4.length >= 4) this.remotePort = l4.readUInt16BE(2);
    this.byPayload.set(this.key(payload), packet);
    if (this.kind === 'icmp' && payload.length >= 8) this.bySequence.set(payload.readUInt16BE(6), packet);
    const ttl = family === 4 ? { level: IPPROTO_IP, type: IP_TTL, data: int32(packet.ttl) } : { level: IPPROTO_IPV6, type: IPV6_HOPLIMIT, data: int32(packet.ttl) };
    try {
      return native.sendto(this.fd, payload, family, packet.destination, this.remotePort, [ttl]);
    } catch (error) {
      // With IP_RECVERR, an ICMP error not yet read from the queue also fails the next send (the socket's pending
      // error). It is about an earlier probe, not this one: read the queue, then send again.
      if (!PENDING_ERRORS.has(String((error as { code?: unknown }).code))) throw error;
      this.drain();
      return native.sendto(this.fd, payload, family, packet.destination, this.remotePort, [ttl]);
    }
  }

  /** ICMP messages are matched from the type byte on, whatever checksum and identifier the kernel wrote. */
  private key(bytes: Uint8Array): string {
    return this.kind === 'icmp' && bytes.length >= 8 ? Buffer.from(bytes.subarray(6)).toString('hex') : Buffer.from(bytes).toString('hex');
  }

  private drain(): void {
    const { native } = this.context;
    for (let message = receiveOrNull(native, this.fd, MSG_ERRQUEUE); message; message = receiveOrNull(native, this.fd, MSG_ERRQUEUE)) this.onError(message);
    for (let message = receiveOrNull(native, this.fd, 0); message; message = receiveOrNull(native, this.fd, 0)) this.onDatagram(message);
    // libuv stops a watcher on POLLERR (an error-queue entry); keep listening.
    this.poller.start(1);
  }

  private onError(message: ReceivedMessage): void {
    const { family, source, native } = this.context;
    const info = readControlMessages(family, message.cmsgs);
    if (!info.error?.fromIcmp || !info.error.offender) return;
    const probe = this.byPayload.get(this.key(message.data)) ?? (this.kind === 'icmp' && message.data.length >= 8 ? this.bySequence.get(message.data.readUInt16BE(6)) : undefined);
    if (!probe) return; // the router quoted too little to tell which probe it was (see README)
    const stamp = { from: info.error.offender, to: source, ttl: info.replyTtl, receivedAtNs: info.receivedAtNs ?? native.realtimeNs() };
    this.context.deliver(icmpErrorPacket(family, stamp, info.error.icmpType, info.error.icmpCode, probeDatagram(probe, source)));
  }

  private onDatagram(message: ReceivedMessage): void {
    const { family, source, native } = this.context;
    const info = readControlMessages(family, message.cmsgs);
    const stamp = { from: message.address, to: source, ttl: info.replyTtl, receivedAtNs: info.receivedAtNs ?? native.realtimeNs() };
    if (this.kind === 'udp') {
      this.context.deliver(udpReplyPacket(family, stamp, { local: this.localPort, remote: message.port }, message.data));
    } else {
      // A ping socket hands over the ICMP message itself, echo reply header included.
      this.context.deliver({ family, ...stamp, ipProtocol: family === 4 ? 1 : 58, payload: message.data });
    }
  }

  close(): void {
    this.poller.close();
    this.context.native.close(this.fd);
  }
}
