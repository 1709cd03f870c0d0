// The privileged transport: raw sockets (root or CAP_NET_RAW). IPv4 probes are whole IP packets (IP_HDRINCL), so
// TTL, IP ID and DSCP are ours; IPv6 probes are upper-layer bytes with the hop limit in a per-packet cmsg.
// Replies come from raw receive sockets with kernel receive timestamps (SO_TIMESTAMPNS).
import type { PacketLog } from './packet-log.js';
import { ACCEPT, bpf, encodeBpf } from '../packet/bpf.js';
import type { BpfInstruction } from '../packet/bpf.js';
import { decodeIpv4 } from '../packet/ipv4.js';
import { bytesToIpv6 } from '../packet/address.js';
import type { Network, TransportAbilities } from '../engine/network.js';
import { flowKey, packetFlowKey } from '../probe/flow-key.js';
import type { Family, Flow, InboundPacket, OutgoingPacket } from '../probe/method.js';
import { describeSendError, describeSocketError } from './errors.js';
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
  SO_LOCK_FILTER,
  SO_RXQ_OVFL,
  SO_TIMESTAMPNS,
  SOL_RAW,
  SOL_SOCKET,
  timespecNs,
} from './linux.js';
import { loadNative } from './native.js';
import type { RawSocketPool } from './privileges.js';
import { openRawSocket, rawSocketsFor } from './raw-socket.js';
import { ICMP_FILTER_MOST, icmpForFlowsFilter, tcpAnswersFilter, UDP_FILTER_MOST, udpToPortsFilter } from './socket-filters.js';
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

/**
 * Packets the raw sockets handed to traces in this process, and — once the benchmark sets `timing` — the time spent
 * from reading each to the end of its trace's handling (finding the flow, matching the probe, the tracer's
 * bookkeeping). Off by default: two clock reads per packet are not a cost every user's hot path should pay.
 */
export const hubStats = { packets: 0, handlingNs: 0n, timing: false };

/** A flow key's kind (probe/flow-key: "tcp:PORT", "udp:PORT", "icmp:ID"). */
function keyKind(key: string): 'tcp' | 'udp' | 'icmp' {
  return key.startsWith('tcp:') ? 'tcp' : key.startsWith('udp:') ? 'udp' : 'icmp';
}

/** A flow key's port or ICMP id. */
function keyNumber(key: string): number {
  return Number(key.slice(key.indexOf(':') + 1));
}

/** Packets read from one socket per readiness event before the event loop gets a turn. */
const MAX_READS_PER_EVENT = 256;

/**
 * One set of raw sockets per (family, source address, interface) in the process, shared by every trace using it:
 * each packet is read once, keyed by the flow it belongs to (probe/flow-key), and handed only to the traces that
 * listen on that flow, so a thousand probes in flight cost one read and one map lookup per reply, not one per trace.
 * Opened with the first trace, closed with the last.
 */
class RawHub {
  private static readonly hubs = new Map<string, RawHub>();
  /** While held (holdRawSockets), a hub with no trace attached stays open: a batch after dropping privileges. */
  private static holds = 0;

  /** Whether any of the process's hubs reads behind (see behind()). */
  static anyBehind(): boolean {
    for (const hub of RawHub.hubs.values()) if (hub.behind()) return true;
    return false;
  }

  static hold(): () => void {
    RawHub.holds++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      if (--RawHub.holds === 0) for (const hub of [...RawHub.hubs.values()]) if (hub.views.size === 0) hub.close();
    };
  }
  private readonly native: NativeBinding;
  private readonly receivers: ReceiveSocket[] = [];
  /** IPv4: one IP_HDRINCL socket. IPv6: one socket per upper protocol, which also receives that protocol. */
  private readonly senders = new Map<number, number>();
  /** The protocols of the sockets open (IPPROTO_RAW for the IPv4 sender). */
  private readonly opened = new Set<number>();
  private readonly views = new Set<RawTransport>();
  private readonly byKey = new Map<string, Set<RawTransport>>();
  /** Each view's keys, so that a trace leaving touches only its own. */
  private readonly keysOf = new Map<RawTransport, string[]>();
  /** A narrower filter is due (traces left): applied once, soon, not at every trace's end. */
  private narrowing: NodeJS.Immediate | null = null;
  /**
   * The numbers (ports, ICMP ids) of the keys listened on, by kind, kept as keys come and go: a filter is rebuilt
   * from the kinds it lists without walking every key (at hundreds of traces, that walk per new flow was ~4% of a
   * batch's CPU), and past what a filter can list there is nothing to build (see refilter).
   */
  private readonly numbers = { tcp: new Set<number>(), udp: new Set<number>(), icmp: new Set<number>() };
  /** The filters last attached, as text: the same program is not attached again. */
  private readonly attached = new Map<number, string>();
  /** The UDP receive socket, whose filter follows the ports traces listen on. */
  private udpSocket: number | null = null;
  private icmpSocket: number | null = null;
  /** Per receiving socket, the kernel's running count of packets it dropped there (SO_RXQ_OVFL). */
  private readonly dropped = new Map<number, number>();
  /** Receiving sockets whose last drain stopped at its bound (packets may be left): see behind(). */
  private readonly unread = new Set<number>();

  private constructor(
    private readonly key: string,
    private readonly options: Pick<RawTransportOptions, 'family' | 'source' | 'interface'>,
  ) {
    this.native = loadNative();
  }

  static acquire(options: RawTransportOptions): RawHub {
    const key = `${options.family}|${options.source}|${options.interface ?? ''}`;
    let hub = RawHub.hubs.get(key);
    if (!hub) {
      hub = new RawHub(key, options);
      RawHub.hubs.set(key, hub);
    }
    return hub;
  }

  /** Opens what probes of `ipProtocol` need and this hub does not have yet (sockets from the pool first). */
  ensure(ipProtocol: number, pool?: RawSocketPool): void {
    const { family, source } = this.options;
    for (const protocol of rawSocketsFor(family, ipProtocol)) {
      if (this.opened.has(protocol)) continue;
      const fd = pool?.take(family, protocol) ?? openRawSocket(this.native, family, protocol, this.options.interface);
      this.opened.add(protocol);
      if (protocol === IPPROTO_RAW) {
        this.senders.set(0, fd); // IPv4: sends every protocol, receives nothing
        continue;
      }
      this.receiver(fd, protocol);
      if (protocol === 6) {
        // Only SYN-ACKs and RSTs leave the kernel (socket-filters.ts); locked, so nothing later can widen it.
        this.native.attachFilter(fd, encodeBpf(tcpAnswersFilter(family)));
        this.native.setsockopt(fd, SOL_SOCKET, SO_LOCK_FILTER, 1);
      }
      if (protocol === 17) this.udpSocket = fd;
      if (protocol === 1) this.native.setsockopt(fd, SOL_RAW, ICMP_FILTER, icmpFilter());
      if (protocol === 58) this.native.setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, icmp6Filter());
      if (protocol === 1 || protocol === 58) this.icmpSocket = fd;
      this.refilter();
      if (family === 6) {
        this.native.bind(fd, 6, source, 0);
        this.senders.set(protocol, fd);
      }
    }
  }

  private receiver(fd: number, ipProtocol: number): number {
    const poller = this.native.poll(fd, (status) => {
      this.drain(fd, ipProtocol);
      // libuv stops a watcher whose socket reports an error (POLLERR); reading took the error, so listen again. A
      // restart that fails is the process's socket gone wrong: let it surface rather than go deaf in silence.
      if (status !== 0) poller.start(1);
    });
    this.receivers.push({ fd, ipProtocol, poller });
    this.native.setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1);
    this.native.setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, 1);
    if (this.options.family === 6) {
      this.native.setsockopt(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1);
      this.native.setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1);
    }
    poller.start(1);
    return fd;
  }

  attach(view: RawTransport): void {
    this.views.add(view);
  }

  /** The kernel's drops at all of this hub's sockets so far. */
  drops(): number {
    let total = 0;
    for (const count of this.dropped.values()) total += count;
    return total;
  }

  listen(view: RawTransport, key: string): void {
    const owners = this.byKey.get(key) ?? new Set<RawTransport>();
    if (owners.has(view)) return;
    const fresh = owners.size === 0;
    owners.add(view);
    this.byKey.set(key, owners);
    if (fresh) this.numbers[keyKind(key)].add(keyNumber(key));
    const keys = this.keysOf.get(view);
    if (keys) keys.push(key);
    else this.keysOf.set(view, [key]);
    // At once: the probe about to be sent on this flow must not have its answer filtered out.
    if (fresh) this.refilter(keyKind(key));
  }

  /**
   * Lets the kernel pass to the UDP socket only datagrams to the ports traces listen on now, and to the ICMP socket
   * only what belongs to their flows (socket-filters.ts). `added`: the kind of the one key just added (a new TCP
   * flow or ICMP id leaves the UDP socket's filter as it is); undefined: keys went, rebuild both.
   */
  private refilter(added?: 'tcp' | 'udp' | 'icmp'): void {
    if (this.narrowing) {
      clearImmediate(this.narrowing);
      this.narrowing = null;
      added = undefined;
    }
    const { tcp, udp, icmp } = this.numbers;
    const all = [bpf.ret(ACCEPT)];
    if (this.udpSocket !== null && (added === undefined || added === 'udp')) {
      this.attachProgram(this.udpSocket, udp.size > UDP_FILTER_MOST ? all : udpToPortsFilter(this.options.family, [...udp]));
    }
    // Past what a filter can list, it lets everything through: no list to build.
    if (this.icmpSocket !== null) {
      const listed = tcp.size + udp.size + icmp.size > ICMP_FILTER_MOST ? null : icmpForFlowsFilter(this.options.family, [...tcp, ...udp], [...icmp]);
      this.attachProgram(this.icmpSocket, listed ?? all);
    }
  }

  /** Attaches a filter unless the socket has that very program already (thousands of flows: "accept all" each time). */
  private attachProgram(fd: number, program: BpfInstruction[]): void {
    const text = program.length === 1 ? JSON.stringify(program) : null;
    if (text !== null && this.attached.get(fd) === text) return;
    this.native.attachFilter(fd, encodeBpf(program));
    if (text !== null) this.attached.set(fd, text);
    else this.attached.delete(fd);
  }

  /** A trace is done with the sockets; the last one out closes them. */
  detach(view: RawTransport): void {
    this.views.delete(view);
    let changed = false;
    for (const key of this.keysOf.get(view) ?? []) {
      const owners = this.byKey.get(key);
      if (owners?.delete(view) && owners.size === 0) {
        this.byKey.delete(key);
        this.numbers[keyKind(key)].delete(keyNumber(key));
        changed = true;
      }
    }
    this.keysOf.delete(view);
    if (this.views.size === 0 && RawHub.holds === 0) this.close();
    // A filter wider than needed lets through answers no trace wants (they are dropped as unowned): narrowing it can
    // wait for the traces ending together to be done — at a thousand at once, one rebuild each was most of the CPU.
    else if (changed && this.narrowing === null) this.narrowing = setImmediate(() => this.refilter());
  }

  send(packet: OutgoingPacket): bigint {
    if (packet.family === 4) return this.native.sendto(this.senders.get(0)!, packet.bytes, 4, packet.destination, 0);
    const fd = this.senders.get(packet.ipProtocol);
    if (fd === undefined) throw new Error(`no IPv6 socket for protocol ${packet.ipProtocol}`);
    return this.native.sendto(fd, packet.bytes, 6, packet.destination, 0, [
      { level: IPPROTO_IPV6, type: IPV6_HOPLIMIT, data: int32(packet.ttl) },
    ]);
  }

  /** Whether some socket's last drain stopped at its bound: packets may be waiting there unread (readBehind). */
  behind(): boolean {
    return this.unread.size > 0;
  }

  private drain(fd: number, ipProtocol: number): void {
    // Bounded: on a busy host the raw TCP socket sees all of its traffic, and draining it to the end would keep
    // timers and the other sockets waiting; the poller fires again while packets are left. Until a drain empties
    // it, the socket counts as read behind: the traces' timeouts wait for it.
    this.unread.add(fd);
    for (let read = 0; read < MAX_READS_PER_EVENT; read++) {
      let message: ReceivedMessage | null;
      try {
        message = this.native.recvmsg(fd, 0);
      } catch {
        this.unread.delete(fd);
        return; // a transient receive error must not end the traces; the next readable event retries
      }
      if (!message || this.views.size === 0) {
        this.unread.delete(fd);
        return;
      }
      for (const cmsg of message.cmsgs) {
        if (cmsg.level === SOL_SOCKET && cmsg.type === SO_RXQ_OVFL && cmsg.data.length >= 4) this.dropped.set(fd, cmsg.data.readUInt32LE(0));
      }
      const packet = toInbound(this.native, this.options.family, message, ipProtocol);
      if (!packet) continue;
      const started = hubStats.timing ? process.hrtime.bigint() : 0n;
      const key = packetFlowKey(packet);
      const owners = key === null ? undefined : this.byKey.get(key);
      // No listening trace: other programs' traffic, or answers to traces already closed.
      if (!owners) continue;
      const logged = this.options.family === 4 ? message.data : packet.payload;
      // Usually one owner; several only when traces drew the same ICMP identifier (their nonces tell them apart).
      for (const view of [...owners]) view.deliver(packet, logged);
      hubStats.packets++;
      if (hubStats.timing) hubStats.handlingNs += process.hrtime.bigint() - started;
    }
  }

  private close(): void {
    RawHub.hubs.delete(this.key);
    if (this.narrowing) clearImmediate(this.narrowing);
    this.narrowing = null;
    this.attached.clear();
    this.byKey.clear();
    this.keysOf.clear();
    for (const set of Object.values(this.numbers)) set.clear();
    this.unread.clear();
    for (const receiver of this.receivers) receiver.poller.close();
    const fds = new Set([...this.receivers.map((r) => r.fd), ...this.senders.values()]);
    for (const fd of fds) this.native.close(fd);
    this.receivers.length = 0;
    this.senders.clear();
    this.opened.clear();
    this.udpSocket = null;
    this.icmpSocket = null;
  }
}

/** One trace's view of its hub: sends through it, and receives the packets of the flows it listens on. */
export class RawTransport implements Network {
  readonly abilities: TransportAbilities = { quotes: true, choosesSourcePort: true };
  private handler: ((packet: InboundPacket) => void) | null = null;
  private closed = false;
  private readonly dropsBefore: number;

  private constructor(
    private readonly options: RawTransportOptions,
    private readonly hub: RawHub,
  ) {
    this.dropsBefore = hub.drops();
  }

  receiveDrops(): number {
    return this.hub.drops() - this.dropsBefore;
  }

  readBehind(): boolean {
    return this.hub.behind();
  }

  /** Joins (or opens) the process's raw sockets for this family and source; throws a PortpathError. */
  static open(options: RawTransportOptions): RawTransport {
    const hub = RawHub.acquire(options);
    const transport = new RawTransport(options, hub);
    hub.attach(transport);
    try {
      hub.ensure(options.ipProtocol, options.pool);
    } catch (error) {
      hub.detach(transport);
      throw describeSocketError(error, { interface: options.interface });
    }
    return transport;
  }

  onPacket(handler: (packet: InboundPacket) => void): void {
    this.handler = handler;
  }

  listen(flow: Flow): void {
    if (!this.closed) this.hub.listen(this, flowKey(flow));
  }

  send(packet: OutgoingPacket): bigint {
    this.options.trace?.('send', packet.family, packet.bytes, { ipProtocol: packet.ipProtocol, peer: packet.destination, source: this.options.source, ttl: packet.ttl });
    try {
      return this.hub.send(packet);
    } catch (error) {
      throw describeSendError(error, packet.destination);
    }
  }

  /** From the hub: a packet of one of our flows. */
  deliver(packet: InboundPacket, logged: Uint8Array): void {
    if (this.closed) return;
    this.options.trace?.('recv', packet.family, logged, { ipProtocol: packet.ipProtocol, peer: packet.from, source: this.options.source, ttl: packet.ttl });
    this.handler?.(packet);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.handler = null;
    this.hub.detach(this);
  }
}

/** A received message as the engine sees it: upper-layer bytes, addresses, reply TTL, kernel timestamp. */
function toInbound(native: NativeBinding, family: Family, message: ReceivedMessage, ipProtocol: number): InboundPacket | null {
  let receivedAtNs: bigint | null = null;
  let hopLimit: number | null = null;
  let to = '';
  for (const cmsg of message.cmsgs) {
    if (cmsg.level === SOL_SOCKET && cmsg.type === SO_TIMESTAMPNS) receivedAtNs = timespecNs(cmsg.data);
    else if (cmsg.level === IPPROTO_IPV6 && cmsg.type === IPV6_HOPLIMIT && cmsg.data.length >= 4) hopLimit = cmsg.data.readInt32LE(0);
    else if (cmsg.level === IPPROTO_IPV6 && cmsg.type === IPV6_PKTINFO && cmsg.data.length >= 16) to = bytesToIpv6(cmsg.data, 0);
  }
  receivedAtNs ??= native.realtimeNs();
  if (family === 6) {
    return { family: 6, from: message.address, to, ttl: hopLimit, ipProtocol, payload: message.data, receivedAtNs };
  }
  // IPv4 raw sockets deliver the IP header too: it carries the reply TTL the diagnosis needs.
  const decoded = decodeIpv4(message.data);
  if (!decoded.ok) return null;
  const { header, payload } = decoded.value;
  return { family: 4, from: header.source, to: header.destination, ttl: header.ttl, ipProtocol: header.protocol, payload, receivedAtNs };
}

/**
 * Keeps the process's raw sockets open between traces until the returned function is called: traces come and go
 * in a batch, and once privileges are dropped, sockets closed when the last trace ended could not be opened again.
 */
export function holdRawSockets(): () => void {
  return RawHub.hold();
}

/** Whether the process's raw sockets hold answers not read yet (Network.readBehind, over every trace of the process). */
export function rawReadBehind(): boolean {
  return RawHub.anyBehind();
}
