// The privileged transport: raw sockets (root or CAP_NET_RAW). IPv4 probes are whole IP packets (IP_HDRINCL), so
// TTL, IP ID and DSCP are ours; IPv6 probes are upper-layer bytes with the hop limit in a per-packet cmsg.
// Replies come from raw receive sockets with kernel receive timestamps (SO_TIMESTAMPNS).
import type { PacketLog } from './packet-log.js';
import { decodeIpv4 } from '../packet/ipv4.js';
import { bytesToIpv6 } from '../packet/address.js';
import type { Network } from '../engine/network.js';
import type { Family, InboundPacket, OutgoingPacket } from '../probe/method.js';
import { describeSocketError } from './errors.js';
import {
  ICMP6_FILTER,
  ICMP_FILTER,
  int32,
  IPPROTO_IPV6,
  IPPROTO_ICMPV6,
  IPPROTO_RAW,
  IPV6_HOPLIMIT,
  IPV6_PKTINFO,
  IPV6_RECVHOPLIMIT,
  IPV6_RECVPKTINFO,
  SO_TIMESTAMPNS,
  SOL_RAW,
  SOL_SOCKET,
  timespecNs,
} from './linux.js';
import { loadNative } from './native.js';
import type { RawSocketPool } from './privileges.js';
import { openRawSocket } from './raw-socket.js';
import type { NativeBinding, Poller, ReceivedMessage } from './native.js';

export interface RawTransportOptions {
  family: Family;
  /** IP protocol of the probes (6, 17, 1 or 58). */
  ipProtocol: number;
  /** Source address the probes carry (IPv6 sockets are bound to it). */
  source: string;
  interface?: string;
  /** Raw sockets opened before privileges were dropped; without it (or when it runs out) sockets are opened here. */
  pool?: RawSocketPool;
  /** Called with every packet sent and received (the --debug log). */
  trace?: PacketLog;
}

interface ReceiveSocket {
  fd: number;
  ipProtocol: number;
  poller: Poller;
}

/** ICMP types worth receiving (bit set = blocked): replies and errors only, not other hosts' requests. */
const ICMP_PASS = [0, 3, 4, 5, 11, 12];
const ICMPV6_PASS = [1, 2, 3, 4, 129];

function icmpFilter(): Buffer {
  let blocked = 0xffffffff;
  for (const type of ICMP_PASS) blocked &= ~(1 << type);
  return int32(blocked | 0);
}

function icmp6Filter(): Buffer {
  const filter = Buffer.alloc(32, 0xff);
  for (const type of ICMPV6_PASS) filter[type >> 3]! &= ~(1 << (type & 7));
  return filter;
}

export class RawTransport implements Network {
  private readonly native: NativeBinding;
  private readonly receivers: ReceiveSocket[] = [];
  /** IPv4: one IP_HDRINCL socket. IPv6: one socket per upper protocol, which also receives that protocol. */
  private readonly senders = new Map<number, number>();
  private handler: ((packet: InboundPacket) => void) | null = null;
  private closed = false;

  private constructor(private readonly options: RawTransportOptions) {
    this.native = loadNative();
  }

  /** Opens every socket the trace needs; throws a PortpathError (no privilege, no such interface...). */
  static open(options: RawTransportOptions): RawTransport {
    const transport = new RawTransport(options);
    try {
      transport.openSockets();
    } catch (error) {
      transport.close();
      throw describeSocketError(error, { interface: options.interface });
    }
    return transport;
  }

  private openSockets(): void {
    const { family, ipProtocol } = this.options;
    if (family === 4) {
      const sender = this.socket(IPPROTO_RAW);
      this.senders.set(0, sender);
      const icmp = this.receiver(1);
      this.native.setsockopt(icmp, SOL_RAW, ICMP_FILTER, icmpFilter());
      if (ipProtocol !== 1) this.receiver(ipProtocol);
      return;
    }
    const icmp = this.receiver(58);
    this.native.setsockopt(icmp, IPPROTO_ICMPV6, ICMP6_FILTER, icmp6Filter());
    this.senders.set(58, icmp);
    if (ipProtocol !== 58) this.senders.set(ipProtocol, this.receiver(ipProtocol));
    for (const fd of this.senders.values()) this.native.bind(fd, 6, this.options.source, 0);
  }

  /** A pooled socket opened while still privileged, else one opened now (set up the same way: raw-socket.ts). */
  private socket(protocol: number): number {
    const { family, interface: device, pool } = this.options;
    return pool?.take(family, protocol) ?? openRawSocket(this.native, family, protocol, device);
  }

  private receiver(ipProtocol: number): number {
    const fd = this.socket(ipProtocol);
    const poller = this.native.poll(fd, (status) => {
      if (status === 0) this.drain(fd, ipProtocol);
    });
    this.receivers.push({ fd, ipProtocol, poller });
    this.native.setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1);
    if (this.options.family === 6) {
      this.native.setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
      this.native.setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
    }
    poller.start(1);
    return fd;
  }

  onPacket(handler: (packet: InboundPacket) => void): void {
    this.handler = handler;
  }

  send(packet: OutgoingPacket): bigint {
    this.options.trace?.('send', packet.family, packet.bytes, { ipProtocol: packet.ipProtocol, peer: packet.destination, source: this.options.source, ttl: packet.ttl });
    if (packet.family === 4) return this.native.sendto(this.senders.get(0)!, packet.bytes, 4, packet.destination, 0);
    const fd = this.senders.get(packet.ipProtocol);
    if (fd === undefined) throw new Error(`no IPv6 socket for protocol ${packet.ipProtocol}`);
    return this.native.sendto(fd, packet.bytes, 6, packet.destination, 0, [
      { level: IPPROTO_IPV6, type: IPV6_HOPLIMIT, data: int32(packet.ttl) },
    ]);
  }

  private drain(fd: number, ipProtocol: number): void {
    for (;;) {
      let message: ReceivedMessage | null;
      try {
        message = this.native.recvmsg(fd, 0);
      } catch {
        return; // a transient receive error must not end the trace; the next readable event retries
      }
      if (!message || this.closed) return;
      const packet = this.toInbound(message, ipProtocol);
      if (!packet) continue;
      this.options.trace?.('recv', packet.family, this.options.family === 4 ? message.data : packet.payload, {
        ipProtocol: packet.ipProtocol,
        peer: packet.from,
        source: this.options.source,
        ttl: packet.ttl,
      });
      this.handler?.(packet);
    }
  }

  private toInbound(message: ReceivedMessage, ipProtocol: number): InboundPacket | null {
    let receivedAtNs: bigint | null = null;
    let hopLimit: number | null = null;
    let to = '';
    for (const cmsg of message.cmsgs) {
      if (cmsg.level === SOL_SOCKET && cmsg.type === SO_TIMESTAMPNS) receivedAtNs = timespecNs(cmsg.data);
      else if (cmsg.level === IPPROTO_IPV6 && cmsg.type === IPV6_HOPLIMIT && cmsg.data.length >= 4) hopLimit = cmsg.data.readInt32LE(0);
      else if (cmsg.level === IPPROTO_IPV6 && cmsg.type === IPV6_PKTINFO && cmsg.data.length >= 16) to = bytesToIpv6(cmsg.data, 0);
    }
    receivedAtNs ??= this.native.realtimeNs();
    if (this.options.family === 6) {
      return { family: 6, from: message.address, to, ttl: hopLimit, ipProtocol, payload: message.data, receivedAtNs };
    }
    // IPv4 raw sockets deliver the IP header too: it carries the reply TTL the diagnosis needs.
    const decoded = decodeIpv4(message.data);
    if (!decoded.ok) return null;
    const { header, payload } = decoded.value;
    return { family: 4, from: header.source, to: header.destination, ttl: header.ttl, ipProtocol: header.protocol, payload, receivedAtNs };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handler = null;
    for (const receiver of this.receivers) receiver.poller.close();
    const fds = new Set([...this.receivers.map((r) => r.fd), ...this.senders.values()]);
    for (const fd of fds) this.native.close(fd);
  }
}
