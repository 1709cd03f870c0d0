// Sets one trace up on the real network: target address, source address and interface, a reserved source port,
// the raw transport and the tracer. The CLI and the library API both start traces through here.
import { randomInt } from 'node:crypto';
import { systemClock } from './engine/clock.js';
import { Tracer } from './engine/tracer.js';
import type { TraceOptions, WaitOptions } from './engine/types.js';
import { createProbeMethod } from './probe/index.js';
import type { Network } from './engine/network.js';
import type { Family, ProbeMethod, Protocol } from './probe/method.js';
import type { TraceMeta } from './report/trace-meta.js';
import { interfaceOf, reservePort, routeSource } from './transport/local.js';
import type { ReservedPort } from './transport/local.js';
import { RawTransport } from './transport/raw.js';
import type { RawTransportOptions } from './transport/raw.js';

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
  packetLog?: RawTransportOptions['trace'];
}

export interface Session {
  meta: TraceMeta;
  options: TraceOptions;
  tracer: Tracer;
  /** The probe method and network the tracer uses, for follow-up probing (rate-limit rechecks). */
  method: ProbeMethod;
  network: Network;
  close(): void;
}

export const DEFAULT_WAIT: WaitOptions = { maxMs: 3000, here: 3, near: 3, minMs: 50, trailingMs: 500 };

export function openSession(request: SessionRequest): Session {
  const { family, protocol, address } = request;
  const routeOptions = { ...(request.interface ? { interface: request.interface } : {}), ...(request.source ? { source: request.source } : {}) };
  const source = routeSource(family, address, routeOptions);
  const reserved: ReservedPort | null = protocol === 'icmp' ? null : reservePort(family, protocol, source, request.sourcePort ?? 0);
  try {
    const method = createProbeMethod(protocol);
    const transport = RawTransport.open({
      family,
      ipProtocol: family === 6 && protocol === 'icmp' ? 58 : method.ipProtocol,
      source,
      ...(request.interface ? { interface: request.interface } : {}),
      ...(request.packetLog ? { trace: request.packetLog } : {}),
    });
    const nonce = randomInt(1, 0xffff);
    const options: TraceOptions = {
      family,
      protocol,
      destination: address,
      port: request.port,
      source,
      sourcePort: reserved?.port ?? 0,
      icmpId: randomInt(1, 0xffff),
      nonce,
      firstTtl: request.firstTtl,
      maxTtl: request.maxTtl,
      probesPerHop: request.probesPerHop,
      wait: { ...DEFAULT_WAIT, ...request.wait },
      gapLimit: 5,
      // A UDP destination answers with rate-limited ICMP: probe fewer TTLs ahead and repeat only confirmed hops,
      // so at most window + probesPerHop - 1 probes reach it (Linux allows a burst of 6).
      window: protocol === 'udp' ? 3 : 8,
      probeSpacingMs: 5,
      confirmRepeats: protocol === 'udp',
    };
    const tracer = new Tracer(options, method, transport, systemClock);
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
      startedAt: new Date(),
    };
    return {
      meta,
      options,
      tracer,
      method,
      network: transport,
      close() {
        transport.close();
        reserved?.release();
      },
    };
  } catch (error) {
    reserved?.release();
    throw error;
  }
}
