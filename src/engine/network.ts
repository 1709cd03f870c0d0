// The engine's only view of the wire: send a probe, get packets back. Raw sockets, the unprivileged transport,
// the TUN simulator and the unit tests' fake all implement this.
import type { InboundPacket, OutgoingPacket } from '../probe/method.js';

export interface Network {
  /** Sends one probe; returns its send time (CLOCK_REALTIME ns, the clock replies are stamped with). Throws SendError. */
  send(packet: OutgoingPacket): bigint;
  /** Registers the single consumer of received packets. */
  onPacket(handler: (packet: InboundPacket) => void): void;
  /** Optional: the tracer is done with this probe (answered or timed out); per-probe resources can go. */
  settle?(packet: OutgoingPacket): void;
  close(): void;
}
