// TCP probes without raw sockets: one non-blocking connect() per probe, with the probe's TTL set on the socket and
// IP_RECVERR on, so the router's time-exceeded lands on that socket's error queue (with who sent it, the reply TTL
// and the kernel's timestamp). A completed connect is the SYN-ACK (open; closed at once with an RST), a refused
// one the RST (closed). The kernel picks each probe's source port, so the flow is constant only in its addresses
// and destination port (see README).
import { decodeTcp } from '../packet/tcp.js';
import type { Family, InboundPacket, OutgoingPacket } from '../probe/method.js';
import { enableErrorQueue, IP_TTL, IPV6_UNICAST_HOPS, MSG_ERRQUEUE, readControlMessages, receiveOrNull } from './errqueue.js';
import type { ReplyStamp } from './synthesize.js';
import { icmpErrorPacket, probeDatagram, tcpReplyPacket, transportBytes } from './synthesize.js';
import type { NativeBinding, Poller } from './native.js';
import { int32, IPPROTO_IP, IPPROTO_IPV6, SO_BINDTODEVICE, SO_ERROR, SOCK_STREAM, SOL_SOCKET } from './linux.js';

const IPPROTO_TCP = 6;
const TCP_INFO = 11;
/** Offset of tcpi_rtt (µs) in struct tcp_info: 8 single-byte fields, then 15 u32 before it. */
const TCPI_RTT_OFFSET = 68;
const SO_LINGER = 13;
const ECONNREFUSED = 111;

interface ProbeSocket {
  fd: number;
  poller: Poller;
  packet: OutgoingPacket;
  seq: number;
  ports: { local: number; remote: number };
  sentAtNs: bigint;
}

export interface TcpProbeContext {
  native: NativeBinding;
  family: Family;
  source: string;
  interface?: string;
  deliver(packet: InboundPacket): void;
}

export class TcpConnectProber {
  private readonly sockets = new Map<OutgoingPacket, ProbeSocket>();

  constructor(private readonly context: TcpProbeContext) {}

  send(packet: OutgoingPacket): bigint {
    const { native, family, source } = this.context;
    const probe = decodeProbe(packet);
    if (!probe) throw new Error('not a TCP probe');
    const fd = native.socket(family, SOCK_STREAM, IPPROTO_TCP);
    try {
      if (family === 4) native.setsockopt(fd, IPPROTO_IP, IP_TTL, packet.ttl);
      else native.setsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, packet.ttl);
      enableErrorQueue(native, fd, family);
      if (this.context.interface) native.setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, Buffer.from(this.context.interface + '\0'));
      native.bind(fd, family, source, 0);
      const sentAtNs = native.realtimeNs();
      native.connect(fd, family, packet.destination, probe.destinationPort);
      const poller = native.poll(fd, (_status, events) => this.onEvent(socket, events));
      const socket: ProbeSocket = { fd, poller, packet, seq: probe.seq, ports: { local: probe.sourcePort, remote: probe.destinationPort }, sentAtNs };
      this.sockets.set(packet, socket);
      poller.start(3);
      return sentAtNs;
    } catch (error) {
      if (!this.sockets.has(packet)) native.close(fd);
      throw error;
    }
  }

  private onEvent(socket: ProbeSocket, events: number): void {
    const { native, family, source } = this.context;
    if (!this.sockets.has(socket.packet)) return;
    const message = receiveOrNull(native, socket.fd, MSG_ERRQUEUE);
    if (message) {
      const info = readControlMessages(family, message.cmsgs);
      if (info.error?.fromIcmp && info.error.offender) {
        const stamp = { from: info.error.offender, to: source, ttl: info.replyTtl, receivedAtNs: info.receivedAtNs ?? native.realtimeNs() };
        this.finish(socket);
        this.context.deliver(icmpErrorPacket(family, stamp, info.error.icmpType, info.error.icmpCode, probeDatagram(socket.packet, source)));
        return;
      }
    }
    let error: number;
    try {
      error = native.getsockoptInt(socket.fd, SOL_SOCKET, SO_ERROR);
    } catch {
      return;
    }
    const stamp = (receivedAtNs: bigint): ReplyStamp => ({ from: socket.packet.destination, to: source, ttl: null, receivedAtNs });
    if (error === 0 && (events & 2) !== 0) {
      // Connected: the kernel measured the SYN to SYN-ACK time itself (tcpi_rtt, µs), better than our event loop.
      const rttUs = tcpRttUs(native, socket.fd);
      const receivedAtNs = rttUs !== null ? socket.sentAtNs + BigInt(rttUs) * 1000n : native.realtimeNs();
      this.finish(socket, true);
      this.context.deliver(tcpReplyPacket(family, stamp(receivedAtNs), socket.ports, socket.seq, 'syn-ack'));
    } else if (error === ECONNREFUSED) {
      const receivedAtNs = native.realtimeNs();
      this.finish(socket);
      this.context.deliver(tcpReplyPacket(family, stamp(receivedAtNs), socket.ports, socket.seq, 'rst'));
    } else if (error !== 0) {
      this.finish(socket); // a local error (no route...) without an ICMP reason: nothing to report for this probe
    }
  }

  /** Closes the probe's socket; a connected one with an RST (SO_LINGER 0), so no connection lingers on the server. */
  private finish(socket: ProbeSocket, reset = false): void {
    const { native } = this.context;
    this.sockets.delete(socket.packet);
    socket.poller.close();
    if (reset) {
      try {
        native.setsockopt(socket.fd, SOL_SOCKET, SO_LINGER, Buffer.concat([int32(1), int32(0)]));
      } catch {
        // closing without the RST still ends the connection, with a FIN
      }
    }
    native.close(socket.fd);
  }

  /** The tracer is done with this probe (answered or timed out): stop the kernel retransmitting its SYN. */
  settle(packet: OutgoingPacket): void {
    const socket = this.sockets.get(packet);
    if (socket) this.finish(socket);
  }

  close(): void {
    for (const socket of [...this.sockets.values()]) this.finish(socket);
  }
}

function decodeProbe(packet: OutgoingPacket): { sourcePort: number; destinationPort: number; seq: number } | null {
  const tcp = decodeTcp(transportBytes(packet));
  return tcp.ok ? { sourcePort: tcp.value.header.sourcePort, destinationPort: tcp.value.header.destinationPort, seq: tcp.value.header.seq } : null;
}

function tcpRttUs(native: NativeBinding, fd: number): number | null {
  try {
    const info = native.getsockoptBuffer(fd, IPPROTO_TCP, TCP_INFO, 232);
    return info.length >= TCPI_RTT_OFFSET + 4 ? info.readUInt32LE(TCPI_RTT_OFFSET) : null;
  } catch {
    return null;
  }
}
