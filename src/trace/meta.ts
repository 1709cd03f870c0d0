// What a run knows about a trace besides the engine's outcome: names, addresses, limits, the transport used.
import type { Family, Protocol } from '../probe/method.js';

export interface TraceMeta {
  host: string;
  address: string;
  family: Family;
  protocol: Protocol;
  port: number | null;
  source: string;
  sourcePort: number | null;
  interface: string | null;
  firstTtl: number;
  maxTtl: number;
  probesPerHop: number;
  /** Which transport ran the trace: raw sockets, or the unprivileged one (connect/datagram sockets, error queue). */
  mode: 'raw' | 'unprivileged';
  startedAt: Date;
}
