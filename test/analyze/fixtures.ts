// Synthetic traces for the analysis tests: a lab path of routers, silent hops and one final reply, hop by hop.
import { decideDestination, isFinalReply } from '../../src/engine/port-state.js';
import { icmpName } from '../../src/packet/icmp.js';
import { icmpv6Name } from '../../src/packet/icmpv6.js';
import type { HopResult, ProbeResult, TraceResult } from '../../src/engine/types.js';
import type { Family, ProbeReply, Protocol, ReplyKind } from '../../src/probe/method.js';

export const CLIENT = '198.18.1.1';
/** The server sits at hop 5 of the lab path: routers 198.18.1.2 .. 198.18.4.2 lie before it. */
export const SERVER = '198.18.5.2';
export const CLIENT6 = '2001:db8:1::1';
export const SERVER6 = '2001:db8:5::2';

/** The router that answers at TTL n: 198.18.n.2 (2001:db8:n::2 for IPv6). */
export const routerAt = (ttl: number, family: Family = 4): string => (family === 4 ? `198.18.${ttl}.2` : `2001:db8:${ttl}::2`);

/** The IP TTL a reply arrives with from a Linux box n hops away: 64, less one per router on the way back. */
export const ttlFrom = (hops: number): number => 65 - hops;

export interface Reply {
  kind: ReplyKind;
  from: string;
  /** null: not known (the unprivileged transport cannot see the TTL of TCP answers). */
  ttl: number | null;
  icmpType?: number;
  icmpCode?: number;
}

const isV6 = (address: string) => address.includes(':');

export const synAck = (from = SERVER, ttl: number | null = ttlFrom(5)): Reply => ({ kind: 'syn-ack', from, ttl });
export const rst = (from = SERVER, ttl: number | null = ttlFrom(5)): Reply => ({ kind: 'rst', from, ttl });
export const udpReply = (from = SERVER, ttl = ttlFrom(5)): Reply => ({ kind: 'udp', from, ttl });
export const echoReply = (from = SERVER, ttl = ttlFrom(5)): Reply => ({ kind: 'echo-reply', from, ttl });
/** Destination unreachable with `code` (ICMP type 3, or ICMPv6 type 1 for an IPv6 sender). */
export const unreachable = (from: string, code: number, ttl: number): Reply => ({ kind: 'unreachable', from, ttl, icmpType: isV6(from) ? 1 : 3, icmpCode: code });
export const timeExceeded = (from: string, ttl: number): Reply => ({ kind: 'time-exceeded', from, ttl, icmpType: isV6(from) ? 3 : 11, icmpCode: 0 });

/** As the engine reports it: ICMP errors carry their type, code and name. */
function probe(reply: Reply, rtt: number): ProbeResult {
  const { from, ttl, kind, icmpType, icmpCode } = reply;
  if (icmpType === undefined || icmpCode === undefined) return { from, rtt, reply: { kind, ttl } };
  const name = isV6(from) ? icmpv6Name(icmpType, icmpCode) : icmpName(icmpType, icmpCode);
  return { from, rtt, reply: { kind, icmpType, icmpCode, name, ttl } };
}

/** A hop where `probes` probes all got `reply`. */
export function answers(ttl: number, reply: Reply, probes = 3): HopResult {
  return { ttl, probes: Array.from({ length: probes }, (_, i) => probe(reply, ttl + i / 10)) };
}

/** Routers at TTLs first..last answering time-exceeded with reply TTL 64-(ttl-1). */
export function routers(first: number, last: number, family: Family = 4): HopResult[] {
  const hops: HopResult[] = [];
  for (let ttl = first; ttl <= last; ttl++) hops.push(answers(ttl, timeExceeded(routerAt(ttl, family), ttlFrom(ttl))));
  return hops;
}

/** Hops first..last where no probe got an answer. */
export function silent(first: number, last = first, probes = 3): HopResult[] {
  const hops: HopResult[] = [];
  for (let ttl = first; ttl <= last; ttl++) hops.push({ ttl, probes: Array.from({ length: probes }, () => ({ from: null, rtt: null, reply: null })) });
  return hops;
}

export interface TraceSpec {
  protocol?: Protocol;
  port?: number | null;
  family?: Family;
  target?: string;
  mode?: TraceResult['mode'];
}

/** A finished trace; its destination is decided from the first hop with a final reply, as the engine does. */
export function trace(path: (HopResult | HopResult[])[], spec: TraceSpec = {}): TraceResult {
  const protocol = spec.protocol ?? 'tcp';
  const family = spec.family ?? 4;
  const target = spec.target ?? (family === 4 ? SERVER : SERVER6);
  const hops = path.flat().sort((a, b) => a.ttl - b.ttl);
  const finals = (hop: HopResult): ProbeReply[] =>
    hop.probes.flatMap((p, i) =>
      p.from && p.reply ? [{ probeId: i + 1, kind: p.reply.kind, from: p.from, replyTtl: p.reply.ttl, icmpType: p.reply.icmpType, icmpCode: p.reply.icmpCode, receivedAtNs: 0n }] : [],
    ).filter(isFinalReply);
  const last = hops.find((h) => finals(h).length > 0);
  const destination = decideDestination({ protocol, family, destination: target }, last?.ttl ?? null, last ? finals(last) : []);
  return {
    version: 1,
    target: { host: target, address: target, family },
    protocol,
    port: spec.port !== undefined ? spec.port : protocol === 'icmp' ? null : protocol === 'udp' ? 53 : 443,
    source: { address: family === 4 ? CLIENT : CLIENT6, port: protocol === 'icmp' ? null : 40123, interface: 'eth0' },
    destination,
    hops: last ? hops.filter((h) => h.ttl <= last.ttl) : hops,
    startedAt: '2026-11-23T12:00:00.000Z',
    durationMs: 1000,
    unmatchedPackets: 0,
    interrupted: false,
    stoppedBy: last ? 'final-reply' : 'gap-limit',
    mode: spec.mode ?? 'raw',
  };
}

export const tcpTrace = (...path: (HopResult | HopResult[])[]): TraceResult => trace(path, { protocol: 'tcp' });
export const udpTrace = (...path: (HopResult | HopResult[])[]): TraceResult => trace(path, { protocol: 'udp' });
export const echoTrace = (...path: (HopResult | HopResult[])[]): TraceResult => trace(path, { protocol: 'icmp' });

/** The control: ICMP echo through routers 1..hop-1 to an echo reply from the server at `hop`. */
export function controlReaching(hop = 5, replyTtl = ttlFrom(hop)): TraceResult {
  return echoTrace(routers(1, hop - 1), answers(hop, echoReply(SERVER, replyTtl)));
}

/** The control: ICMP echo answered by routers 1..last, then `gap` silent hops (no router at all when last is 0). */
export function controlStopping(last: number, gap = 3): TraceResult {
  return echoTrace(routers(1, last), silent(last + 1, last + gap));
}
