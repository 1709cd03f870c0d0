// RTT accuracy: what a tool prints against what tcpdump saw on the client's interface. Each probe is found in the
// capture (its SYN), its first reply too (the ICMP error quoting it, or the SYN-ACK/RST acking it), and the
// capture's send→reply time is compared with the tool's RTT for that probe.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Chain } from '../src/lab/topology.js';
import { interfaceName } from '../src/lab/names.js';
import { findCommand, sleep } from './exec.js';
import type { ParsedHop } from './parse.js';
import { portpath, traceroute } from './peers.js';
import type { ToolSpec } from './peers.js';
import type { ToolRun } from './run-tool.js';
import { decodeIcmpError, decodeIpv4, decodeTcp, readPcap } from './pcap.js';
import type { CapturedPacket } from './pcap.js';
import { median, percentile } from './report.js';

export interface WireProbe {
  ns: bigint;
  ttl: number;
  ipId: number;
  sourcePort: number;
  seq: number;
  reply: { ns: bigint; from: string } | null;
}

export interface Flow {
  client: string;
  target: string;
  port: number;
  /** Only SYNs from this source port (portpath keeps one per trace); any when absent. */
  sourcePort?: number;
}

/**
 * The probes in a capture and their first replies. A probe is keyed by (source port, destination port, sequence):
 * the fields every ICMP error quotes (RFC 792's first 8 bytes) and that a SYN-ACK or RST echoes (ports swapped,
 * ack = seq + 1). Keys shared by several probes go to the oldest probe still unanswered when the reply came.
 */
export function wireProbes(packets: CapturedPacket[], flow: Flow): WireProbe[] {
  const probes: WireProbe[] = [];
  const byKey = new Map<string, WireProbe[]>();
  const answer = (key: string, ns: bigint, from: string): void => {
    const probe = byKey.get(key)?.find((p) => p.reply === null && p.ns <= ns);
    if (probe) probe.reply = { ns, from };
  };
  for (const packet of packets) {
    const ip = decodeIpv4(packet.ip);
    if (!ip) continue;
    if (ip.protocol === 6 && ip.source === flow.client && ip.destination === flow.target) {
      const tcp = decodeTcp(ip.payload);
      if (!tcp?.flags?.syn || tcp.flags.ack || tcp.destinationPort !== flow.port) continue;
      if (flow.sourcePort !== undefined && tcp.sourcePort !== flow.sourcePort) continue;
      const probe: WireProbe = { ns: packet.ns, ttl: ip.ttl, ipId: ip.id, sourcePort: tcp.sourcePort, seq: tcp.seq, reply: null };
      probes.push(probe);
      const key = `${tcp.sourcePort}:${tcp.destinationPort}:${tcp.seq}`;
      byKey.set(key, [...(byKey.get(key) ?? []), probe]);
    } else if (ip.protocol === 1 && ip.destination === flow.client) {
      const error = decodeIcmpError(ip.payload);
      const q = error?.quotedTcp;
      if (q) answer(`${q.sourcePort}:${q.destinationPort}:${q.seq}`, packet.ns, ip.source);
    } else if (ip.protocol === 6 && ip.source === flow.target && ip.destination === flow.client) {
      const tcp = decodeTcp(ip.payload);
      if (!tcp?.flags?.ack || !(tcp.flags.syn || tcp.flags.rst) || tcp.ack === undefined) continue;
      answer(`${tcp.destinationPort}:${tcp.sourcePort}:${(tcp.ack - 1) >>> 0}`, packet.ns, ip.source);
    }
  }
  return probes;
}

export interface Accuracy {
  /** |tool RTT − capture RTT| per matched probe, µs. */
  errorsUs: number[];
  /** tool RTT − capture RTT per matched probe, µs: a consistent sign says which end of the timing is late. */
  signedUs: number[];
  /** Probes the tool says were answered but whose answer the capture does not show. */
  unmatched: number;
  /** Matched probes where the tool and the capture disagree about who answered. */
  wrongResponder: number;
  /** Probes the capture shows answered but the tool reports as silent. */
  missed: number;
}

/**
 * Pairs the tool's per-hop probe list with the capture's probes of the same TTL, in the tool's probe order:
 * `order` sorts a TTL's wire probes the way the tool numbers them (send time for traceroute; IP ID for portpath,
 * whose probe ids are sequential within a hop and also sit in the IP ID).
 */
export function compare(hops: ParsedHop[], wire: WireProbe[], order: (a: WireProbe, b: WireProbe) => number): Accuracy {
  const accuracy: Accuracy = { errorsUs: [], signedUs: [], unmatched: 0, wrongResponder: 0, missed: 0 };
  for (const hop of hops) {
    const sent = wire.filter((p) => p.ttl === hop.ttl).sort(order);
    (hop.probes ?? []).forEach((toolProbe, index) => {
      const probe = sent[index];
      if (toolProbe.rttMs === null) {
        if (probe?.reply) accuracy.missed++;
        return;
      }
      if (!probe?.reply) {
        accuracy.unmatched++;
        return;
      }
      if (toolProbe.from !== null && toolProbe.from !== probe.reply.from) accuracy.wrongResponder++;
      const wireUs = Number(probe.reply.ns - probe.ns) / 1000;
      accuracy.signedUs.push(toolProbe.rttMs * 1000 - wireUs);
      accuracy.errorsUs.push(Math.abs(toolProbe.rttMs * 1000 - wireUs));
    });
  }
  return accuracy;
}

export const byIpId = (a: WireProbe, b: WireProbe): number => a.ipId - b.ipId;
export const bySendTime = (a: WireProbe, b: WireProbe): number => (a.ns < b.ns ? -1 : a.ns > b.ns ? 1 : 0);

export function describeAccuracy(a: Accuracy): string {
  const us = (v: number): string => (Number.isNaN(v) ? '-' : `${v.toFixed(1)} µs`);
  const extras = [
    a.unmatched ? `${a.unmatched} answered probe(s) not found in the capture` : '',
    a.wrongResponder ? `${a.wrongResponder} with a different responder than the capture` : '',
    a.missed ? `${a.missed} answered on the wire but reported silent` : '',
  ].filter(Boolean);
  const max = a.errorsUs.length ? Math.max(...a.errorsUs) : NaN;
  const bias = a.signedUs.length ? a.signedUs.reduce((sum, v) => sum + v, 0) / a.signedUs.length : NaN;
  const signed = Number.isNaN(bias) ? '-' : `${bias >= 0 ? '+' : ''}${bias.toFixed(1)} µs`;
  return `n=${a.errorsUs.length}  median ${us(median(a.errorsUs))}  p90 ${us(percentile(a.errorsUs, 90))}  max ${us(max)}  mean signed ${signed}${extras.length ? `  (${extras.join('; ')})` : ''}`;
}

export interface ToolAccuracy {
  accuracy: Accuracy;
  /** SYNs the tool put on the wire, and how many of them had a TTL past the destination's hop. */
  sent: number;
  pastDestination: number;
}

export interface AccuracyOutcome {
  portpath: ToolAccuracy | null;
  traceroute: ToolAccuracy | null;
  problems: string[];
}

/**
 * Runs portpath, then traceroute -T, each under its own capture on the client's interface, and compares the RTTs
 * they print with the capture's. The lab must be in scenario (a): an open port, so every reply kind shows up.
 * `run` runs one tool in the lab (the caller owns pacing and progress output).
 */
export async function measureAccuracy(chain: Chain, port: number, destinationTtl: number, run: (tool: ToolSpec) => Promise<ToolRun>): Promise<AccuracyOutcome> {
  const iface = interfaceName(1, 'left');
  const flow: Flow = { client: chain.clientAddress(4), target: chain.serverAddress(4), port };
  const outcome: AccuracyOutcome = { portpath: null, traceroute: null, problems: [] };
  const measure = async (tool: ToolSpec): Promise<ToolAccuracy | null> => {
    try {
      const { value, packets } = await withCapture(chain, iface, () => run(tool));
      if (!value.trace) {
        outcome.problems.push(`${tool.label}: ${value.status}${value.note ? ` (${value.note})` : ''}`);
        return null;
      }
      // portpath keeps one source port per trace and says which; its probe ids are in the IP ID, in probe order.
      const sourcePort = value.result?.source.port ?? undefined;
      const wire = wireProbes(packets, sourcePort === undefined || sourcePort === null ? flow : { ...flow, sourcePort });
      const order = tool.isPortpath ? byIpId : bySendTime;
      const pastDestination = wire.filter((p) => p.ttl > destinationTtl).length;
      return { accuracy: compare(value.trace.hops, wire, order), sent: wire.length, pastDestination };
    } catch (error) {
      outcome.problems.push(`${tool.label} capture: ${(error as Error).message}`);
      return null;
    }
  };
  outcome.portpath = await measure(portpath);
  outcome.traceroute = await measure(traceroute);
  return outcome;
}

export function describeOutcome(outcome: AccuracyOutcome, destinationTtl: number): string[] {
  const line = (label: string, tool: ToolAccuracy | null): string[] =>
    tool
      ? [
          `${label.padEnd(14)} ${describeAccuracy(tool.accuracy)}`,
          `${''.padEnd(14)} ${tool.sent} SYNs on the wire, ${tool.pastDestination} of them with TTL > ${destinationTtl} (past the server)`,
        ]
      : [`${label.padEnd(14)} not measured`];
  return [...line('portpath', outcome.portpath), ...line('traceroute -T', outcome.traceroute), ...outcome.problems.map((p) => `problem: ${p}`)];
}

/**
 * Captures on a client interface while `fn` runs. tcpdump is started in the client namespace and waited for until
 * it says it is listening (otherwise the first probes would be missed); -U writes every packet at once. Nanosecond timestamps when the capture supports them, else microseconds.
 */
export async function withCapture<T>(chain: Chain, iface: string, fn: () => Promise<T>): Promise<{ value: T; packets: CapturedPacket[] }> {
  const tcpdump = findCommand('tcpdump');
  if (!tcpdump) throw new Error('tcpdump is not installed');
  const dir = mkdtempSync(join(tmpdir(), 'portpath-bench-'));
  const file = join(dir, 'capture.pcap');
  try {
    // --immediate-mode: without it libpcap's TPACKET_V3 ring hands packets over only when a block fills or times
    // out (up to a second), and tcpdump stopped before then silently loses everything still in the block.
    const base = ['-i', iface, '-n', '-U', '--immediate-mode', '-s', '512', '-w', file, 'tcp or icmp'];
    let child;
    try {
      child = await startCapture(chain, tcpdump, ['--time-stamp-precision=nano', ...base]);
    } catch {
      child = await startCapture(chain, tcpdump, base);
    }
    let value: T;
    try {
      value = await fn();
      // Replies the tool has already read are on the capture socket too; give tcpdump a moment to write them.
      await sleep(300);
    } finally {
      await stopCapture(child);
    }
    return { value, packets: readPcap(readFileSync(file)) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

type Spawned = ReturnType<Chain['spawn']>;

function startCapture(chain: Chain, tcpdump: string, args: string[]): Promise<Spawned> {
  return new Promise((resolve, reject) => {
    const child = chain.spawn(chain.client, tcpdump, args);
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tcpdump did not start listening: ${stderr.trim()}`));
    }, 10_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      if (stderr.includes('listening on')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', () => {
      clearTimeout(timer);
      reject(new Error(`tcpdump exited: ${stderr.trim()}`));
    });
  });
}

function stopCapture(child: Spawned): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once('exit', () => resolve());
    child.kill('SIGINT'); // tcpdump flushes and closes the file on SIGINT
  });
}
