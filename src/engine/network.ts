// The engine's only view of the wire: send a probe, get packets back. Raw sockets, the unprivileged transport,
// the TUN simulator and the unit tests' fake all implement this.
import type { Flow, InboundPacket, OutgoingPacket } from '../probe/method.js';

/** What a transport can see and do, so callers ask it instead of checking which transport runs. */
export interface TransportAbilities {
  /** ICMP errors arrive with the router's quote of our probe (the unprivileged error queue gives only the error). */
  quotes: boolean;
  /** Probes leave from the source port we choose (connect() probes get one from the kernel each). */
  choosesSourcePort: boolean;
}

export interface Network {
  /** Absent: everything (a raw transport, the lab's simulators, the tests' fakes). */
  readonly abilities?: TransportAbilities;
  /** Sends one probe; returns its send time (CLOCK_REALTIME ns, the clock replies are stamped with). Throws SendError. */
  send(packet: OutgoingPacket): bigint;
  /** Registers the single consumer of received packets. */
  onPacket(handler: (packet: InboundPacket) => void): void;
  /**
   * Optional: packets of this flow are wanted here. A transport shared by many traces (one set of raw sockets per
   * process) hands each packet only to the traces whose flows it belongs to; the others deliver everything.
   */
  listen?(flow: Flow): void;
  /** Optional: packets the kernel dropped at our sockets (full receive buffers) since this network opened. */
  receiveDrops?(): number;
  /**
   * Optional: answers may be waiting unread in the kernel's receive queues (a read stopped at its bound before a
   * socket was empty). A busy process reads late, not the network answering late: a probe whose answer may be in
   * there has not timed out yet.
   */
  readBehind?(): boolean;
  /** Optional: the tracer is done with this probe (answered or timed out); per-probe resources can go. */
  settle?(packet: OutgoingPacket): void;
  close(): void;
}
