// Sets one trace up on the real network: target address, source address and interface, a reserved source port,
// the raw transport and the tracer. The CLI and the library API both start traces through here. A session outlives
// its first trace: a watch runs its rounds and every later diagnosis on the one flow (anotherTrace).
import { randomInt } from 'node:crypto';
import { systemClock } from '../engine/clock.js';
import { Tracer } from '../engine/tracer.js';
import type { Pacer, ProbeGate } from '../engine/pacer.js';
import type { TraceOptions, WaitOptions } from '../engine/types.js';
import { createProbeMethod } from '../probe/index.js';
import type { TcpProbe } from '../probe/index.js';
import type { Network } from '../engine/network.js';
import type { ProbeIds } from '../engine/probe-ids.js';
import { fanOut } from '../engine/reprober.js';
import type { Subscribe } from '../engine/reprober.js';
import type { Family, ProbeMethod, Protocol } from '../probe/method.js';
import type { TraceMeta } from './meta.js';
import { interfaceOf, reservePort, routeSource } from '../transport/local.js';
import type { ReservedPort } from '../transport/local.js';
import { PortpathError } from '../transport/errors.js';
import type { RawSocketPool } from '../transport/privileges.js';
import { RawTransport } from '../transport/raw.js';
import { UnprivilegedTransport } from '../transport/unprivileged.js';
import type { PacketLog } from '../transport/packet-log.js';

/** A probe method and its port: tcp:443, udp:53, icmp. */
export interface ProbeSpec {
  protocol: Protocol;
  port: number | null;
}

export interface SessionRequest {
  host: string;
  address: string;
  family: Family;
  protocol: Protocol;
  port: number | null;
  probesPerHop: number;
  firstTtl: number;
  maxTtl: number;
  wait: Partial<WaitOptions>;
  source: string | null;
  interface: string | null;
  sourcePort: number | null;
  /** An ICMP echo trace's identifier (null: random). */
  icmpId?: number | null;
  packetLog?: PacketLog;
  /** raw: raw sockets or fail; unprivileged: never raw; auto: raw when permitted. */
  mode: TransportMode;
  /** Raw sockets opened before privileges were dropped. */
  pool?: RawSocketPool;
  /** TCP probes are SYNs unless asked for ACKs (the reach check's), which need raw sockets. */
  tcpProbe?: TcpProbe;
  /** A probe rate shared with other sessions (a batch's --rate). */
  pacer?: Pacer;
  /** Each probe waits for its router's turn (a batch's shared ICMP budgets). */
  gate?: ProbeGate;
}

export type TransportMode = 'raw' | 'unprivileged' | 'auto';

/** Raw sockets when asked or permitted; else the unprivileged transport (auto falls back on a privilege error). */
function openTransport(
  request: SessionRequest,
  source: string,
  method: ProbeMethod,
  icmpId: number,
  reserved: ReservedPort | null,
): { transport: Network; mode: 'raw' | 'unprivileged' } {
  const common = {
    family: request.family,
    source,
    ...(request.interface ? { interface: request.interface } : {}),
    ...(request.packetLog ? { trace: request.packetLog } : {}),
  };
  if (request.tcpProbe === 'ack' && request.mode === 'unprivileged') throw new PortpathError('ERR_NO_PRIVILEGE', 'TCP ACK probes need raw sockets.');
  if (request.mode !== 'unprivileged') {
    try {
      const ipProtocol = request.family === 6 && request.protocol === 'icmp' ? 58 : method.ipProtocol;
      return { transport: RawTransport.open({ ...common, ipProtocol, ...(request.pool ? { pool: request.pool } : {}) }), mode: 'raw' };
    } catch (error) {
      const rawOnly = request.mode === 'raw' || request.tcpProbe === 'ack';
      if (rawOnly || !(error instanceof PortpathError) || error.code !== 'ERR_NO_PRIVILEGE') throw error;
    }
  }
  const transport = UnprivilegedTransport.open({
    ...common,
    protocol: request.protocol,
    icmpId,
    ...(request.protocol === 'udp' && reserved ? { udpSocket: reserved.detach() } : {}),
  });
  return { transport, mode: 'unprivileged' };
}

export interface Session {
  meta: TraceMeta;
  options: TraceOptions;
  tracer: Tracer;
  /** The probe method and network the tracer uses, for follow-up probing (rate-limit rechecks). */
  method: ProbeMethod;
  network: Network;
  /**
   * Options for probes on a flow no probe of ours has used (raw TCP and UDP: a newly reserved source port; raw echo: a
   * new identifier), so their answers
   * cannot be collisions with our own half-open connections; the unprivileged transport makes every probe such a
   * flow. With a source port the caller named, the trace's own options: no other port is used. Release it when done.
   */
  freshFlow(): { options: TraceOptions; release(): void };
  /**
   * A new trace on this session's flow (same source port, ICMP id, sockets and probe ids, so ids never repeat and
   * Paris-flow balancers keep it on the same path): the Tracer runs once, so a second trace needs its own. It gets
   * its own view of the network, so whoever else reads this session's packets (a watch's rounds) keeps reading;
   * closing it closes only that view.
   */
  anotherTrace(probesPerHop: number): Session;
  /** Probes this session's view of the network has put on the wire so far (its trace, distance probe, follow-ups). */
  probesSent(): number;
  close(): void;
}

export const DEFAULT_WAIT: WaitOptions = { maxMs: 3000, here: 3, near: 3, minMs: 50, trailingMs: 500 };

export function openSession(request: SessionRequest): Session {
  const { family, protocol, address } = request;
  const routeOptions = { ...(request.interface ? { interface: request.interface } : {}), ...(request.source ? { source: request.source } : {}) };
  const source = routeSource(family, address, routeOptions);
  const reserved: ReservedPort | null = protocol === 'icmp' ? null : reservePort(family, protocol, source, request.sourcePort ?? 0);
  let distance: ReservedPort | null = null;
  try {
    const method = createProbeMethod(protocol, request.tcpProbe);
    const icmpId = request.icmpId ?? randomInt(1, 0xffff);
    const { transport, mode } = openTransport(request, source, method, icmpId, reserved);
    const nonce = randomInt(1, 0xffff);
    // TCP whose probes leave from a port we choose may use a second one (the distance probe, fresh flows); connect()
    // probes each get a fresh one anyway. A source port the caller named is the only one: a firewall may let
    // nothing else through, and a replayed flow is that flow.
    const morePorts = protocol === 'tcp' && transport.abilities?.choosesSourcePort !== false && request.sourcePort === null;
    if (morePorts) distance = reservePort(family, 'tcp', source, 0);
    const options: TraceOptions = {
      family,
      protocol,
      destination: address,
      port: request.port,
      source,
      sourcePort: reserved?.port ?? 0,
      icmpId,
      nonce,
      firstTtl: request.firstTtl,
      maxTtl: request.maxTtl,
      probesPerHop: request.probesPerHop,
      wait: { ...DEFAULT_WAIT, ...request.wait },
      gapLimit: 5,
      // A UDP destination answers with rate-limited ICMP: probe fewer TTLs ahead and repeat only confirmed hops,
      // so at most window + probesPerHop - 1 probes reach it (Linux allows a burst of 6).
      // Echo requests past the destination only draw more echo replies, which routers and hosts do not rate-limit
      // and servers do not log: ICMP looks twice as far ahead, so a silent hop holds a long path back less.
      window: protocol === 'udp' ? 3 : protocol === 'icmp' ? 16 : 8,
      probeSpacingMs: 5,
      confirmRepeats: protocol === 'udp',
      ...(distance ? { distancePort: distance.port } : {}),
    };
    const meta: TraceMeta = {
      host: request.host,
      address,
      family,
      protocol,
      port: request.port,
      source,
      sourcePort: reserved?.port ?? null,
      interface: request.interface ?? (interfaceOf(source) || null),
      firstTtl: request.firstTtl,
      maxTtl: request.maxTtl,
      probesPerHop: request.probesPerHop,
      mode,
      startedAt: new Date(),
    };
    // A fresh flow is a newly reserved source port: for TCP as above; for UDP with raw sockets only (the unprivileged
    // transport sends from its one bound socket).
    const freshPorts = morePorts || (protocol === 'udp' && mode === 'raw' && request.sourcePort === null);
    const freshFlow = (base: TraceOptions) => () => {
      // An echo flow is its identifier and checksum (the checksum follows the identifier: icmp-echo.ts).
      if (protocol === 'icmp' && mode === 'raw' && request.icmpId == null) return { options: { ...base, icmpId: randomInt(1, 0xffff) }, release: () => {} };
      if (!freshPorts) return { options: base, release: () => {} };
      const port = reservePort(family, protocol === 'udp' ? 'udp' : 'tcp', source, 0);
      return { options: { ...base, sourcePort: port.port }, release: () => port.release() };
    };
    const subscribe = fanOut(transport);
    const traceOn = (options: TraceOptions, meta: TraceMeta, ids: ProbeIds | undefined, close: () => void): Session => {
      const sent = { count: 0 };
      const network = viewOf(transport, subscribe, sent);
      const tracer = new Tracer(options, method, network, systemClock, ids, request.pacer ?? null, request.gate ?? null);
      return {
        meta,
        options,
        tracer,
        method,
        network,
        freshFlow: freshFlow(options),
        probesSent: () => sent.count,
        anotherTrace: (probesPerHop) => traceOn({ ...options, probesPerHop }, { ...meta, probesPerHop, startedAt: new Date() }, tracer.ids, () => {}),
        close: () => {
          network.close();
          close();
        },
      };
    };
    return traceOn(options, meta, undefined, () => {
      transport.close();
      reserved?.release();
      distance?.release();
    });
  } catch (error) {
    reserved?.release();
    distance?.release();
    throw error;
  }
}

/**
 * One reader's view of a transport the traces of one session share: each view has its own packet handler (the
 * Network contract: one consumer), and closing it only detaches that handler.
 */
function viewOf(transport: Network, subscribe: Subscribe, sent: { count: number }): Network {
  let unsubscribe: (() => void) | null = null;
  return {
    ...(transport.abilities ? { abilities: transport.abilities } : {}),
    send: (packet) => {
      const at = transport.send(packet);
      sent.count++;
      return at;
    },
    onPacket(handler) {
      unsubscribe?.();
      unsubscribe = subscribe(handler);
    },
    listen: (flow) => transport.listen?.(flow),
    ...(transport.receiveDrops ? { receiveDrops: () => transport.receiveDrops!() } : {}),
    ...(transport.readBehind ? { readBehind: () => transport.readBehind!() } : {}),
    settle: (packet) => transport.settle?.(packet),
    close() {
      unsubscribe?.();
      unsubscribe = null;
    },
  };
}
