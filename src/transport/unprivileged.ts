// The transport for a normal user: no raw sockets, only what Linux lets anyone open — TCP connect() per probe,
// a UDP socket, a ping socket — each with IP_RECVERR so routers' ICMP errors come back on the error queue.
// Replies are handed to the engine as the packets the raw transport would have seen (see synthesize.ts).
import type { PacketLog } from './packet-log.js';
import type { Network, TransportAbilities } from '../engine/network.js';
import type { Family, InboundPacket, OutgoingPacket, Protocol } from '../probe/method.js';
import { describeSendError, describeSocketError, errnoOf, PortpathError } from './errors.js';
import { loadNative } from './native.js';
import type { NativeBinding } from './native.js';
import { DatagramProber } from './unprivileged-datagram.js';
import { TcpConnectProber } from './unprivileged-tcp.js';

export interface UnprivilegedOptions {
  family: Family;
  protocol: Protocol;
  source: string;
  interface?: string;
  /** UDP: the socket holding the trace's reserved source port (the transport takes it over, see open). */
  udpSocket?: number;
  /** ICMP: the echo identifier (the ping socket is bound to it). */
  icmpId: number;
  trace?: PacketLog;
}

const PING_HINT =
  'ICMP without root needs ping sockets, and net.ipv4.ping_group_range does not include your group: ' +
  "run sudo sysctl -w net.ipv4.ping_group_range='0 2147483647' (IPv6 uses the same setting), use -T or -U, or run with sudo.";

export class UnprivilegedTransport implements Network {
  readonly abilities: TransportAbilities;
  private handler: ((packet: InboundPacket) => void) | null = null;
  private readonly prober: TcpConnectProber | DatagramProber;
  private closed = false;

  private constructor(
    private readonly options: UnprivilegedOptions,
    native: NativeBinding,
  ) {
    // Datagram probes leave from the reserved socket's port; each TCP connect() gets its own from the kernel.
    this.abilities = { quotes: false, choosesSourcePort: options.protocol !== 'tcp' };
    const context = {
      native,
      family: options.family,
      source: options.source,
      ...(options.interface ? { interface: options.interface } : {}),
      deliver: (packet: InboundPacket) => this.deliver(packet),
    };
    if (options.protocol === 'tcp') this.prober = new TcpConnectProber(context);
    else if (options.protocol === 'udp') {
      if (options.udpSocket === undefined) throw new Error('unprivileged UDP needs the reserved socket');
      this.prober = new DatagramProber(context, 'udp', options.udpSocket);
    } else {
      let fd: number;
      try {
        fd = DatagramProber.openPingSocket(native, options.family, options.source, options.icmpId, options.interface);
      } catch (error) {
        const code = errnoOf(error);
        if (code === 'EACCES' || code === 'EPERM') throw new PortpathError('ERR_NO_PRIVILEGE', PING_HINT);
        throw error;
      }
      try {
        this.prober = new DatagramProber(context, 'icmp', fd);
      } catch (error) {
        native.close(fd);
        throw error;
      }
    }
  }

  /** Owns options.udpSocket from the call on: closes it too when opening fails. */
  static open(options: UnprivilegedOptions): UnprivilegedTransport {
    const native = loadNative();
    try {
      return new UnprivilegedTransport(options, native);
    } catch (error) {
      if (options.udpSocket !== undefined) native.close(options.udpSocket);
      if (error instanceof PortpathError) throw error;
      throw describeSocketError(error, { ...(options.interface ? { interface: options.interface } : {}) });
    }
  }

  onPacket(handler: (packet: InboundPacket) => void): void {
    this.handler = handler;
  }

  send(packet: OutgoingPacket): bigint {
    this.options.trace?.('send', packet.family, packet.bytes, { ipProtocol: packet.ipProtocol, peer: packet.destination, source: this.options.source, ttl: packet.ttl });
    try {
      return this.prober.send(packet);
    } catch (error) {
      throw describeSendError(error, packet.destination);
    }
  }

  settle(packet: OutgoingPacket): void {
    if (this.prober instanceof TcpConnectProber) this.prober.settle(packet);
  }

  private deliver(packet: InboundPacket): void {
    if (this.closed) return;
    this.options.trace?.('recv', packet.family, packet.payload, { ipProtocol: packet.ipProtocol, peer: packet.from, source: this.options.source, ttl: packet.ttl });
    this.handler?.(packet);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handler = null;
    this.prober.close();
  }
}
