// The --debug hook every transport calls with each packet it sends and receives, as bytes.
import type { Family } from '../probe/method.js';

export interface PacketLogInfo {
  ipProtocol: number;
  /** The other end: the destination of a sent packet, the sender of a received one. */
  peer: string;
  /** Our own address (raw IPv6 sockets give no IP header, so a reader needs it to show one). */
  source: string;
  /** IP TTL / hop limit: the one sent with, or the one received with (null when the socket cannot tell). */
  ttl: number | null;
}

export type PacketLog = (direction: 'send' | 'recv', family: Family, bytes: Uint8Array, info: PacketLogInfo) => void;
