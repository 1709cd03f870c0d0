// The simulator's log of every answer it sent: enough of each probe's identity (protocol, ports or ICMP identifier,
// the field portpath keeps its probe id in, IP ID, TTL) and of the answer (kind, who, from which hop, reply TTL, when)
// for a test to check that portpath attributed every answer to the probe it answers. The engine hands over numbers
// and node ids; they become text here, when the log is written, off the packet path.
import type { AnswerFacts, AnswerKind } from './engine.js';
import type { Family, SimTopology } from './model.js';

export interface AnswerRecord {
  /** When the probe reached the simulator and when its answer left it, ms since the epoch (µs resolution). */
  probeAt: number;
  answerAt: number;
  family: Family;
  protocol: 'tcp' | 'udp' | 'icmp';
  /** The client address of the probe's family. */
  source: string;
  destination: string;
  /** TCP/UDP ports (null for ICMP). */
  sourcePort: number | null;
  destinationPort: number | null;
  /** TCP: the sequence number (portpath's probe id is in its low 16 bits). */
  tcpSeq: number | null;
  /** UDP: the checksum (where portpath steers its probe id). */
  udpChecksum: number | null;
  /** ICMP echo: identifier and sequence number (the probe id). */
  icmpId: number | null;
  icmpSeq: number | null;
  /** The probe's IPv4 ID (null over IPv6). */
  ipId: number | null;
  /** The probe's TTL / hop limit as sent. */
  ttl: number;
  /** The target this probe was for (same address, protocol and port), or null. */
  target: number | null;
  kind: AnswerKind;
  /** The answer's source address, and the device that sent it (they differ for an RST forged on the path). */
  from: string;
  by: string;
  /** The sending device's name in the topology ("r3", "h12", "server"). */
  byName: string;
  /** The sender's hop: the TTL at which it is met. */
  hop: number;
  icmpType: number | null;
  icmpCode: number | null;
  /** TTL / hop limit the answer arrives with. */
  replyTtl: number;
}

const PROTOCOLS: Record<number, AnswerRecord['protocol']> = { 6: 'tcp', 17: 'udp', 1: 'icmp', 58: 'icmp' };

/** Turns the engine's facts into records; `epochOffset` turns the engine's clock (performance.now) into epoch ms. */
export class AnswerLog {
  private readonly targets = new Map<string, number>();

  constructor(
    private readonly topology: SimTopology,
    private readonly epochOffset: number,
  ) {
    for (const target of topology.targets) this.targets.set(`${target.address}/${target.protocol}/${target.port ?? ''}`, target.id);
  }

  record(facts: AnswerFacts, answerAt: number): AnswerRecord {
    const nodes = this.topology.nodes;
    const family = facts.family;
    const protocol = PROTOCOLS[facts.protocol] ?? 'icmp';
    const destination = nodes[facts.destination]!.address[family]!;
    const ported = protocol !== 'icmp';
    const round = (ms: number) => Math.round((ms + this.epochOffset) * 1000) / 1000;
    return {
      probeAt: round(facts.probeAt),
      answerAt: round(answerAt),
      family,
      protocol,
      source: this.topology.client[family] ?? '',
      destination,
      sourcePort: ported ? facts.sourcePort : null,
      destinationPort: ported ? facts.destinationPort : null,
      tcpSeq: protocol === 'tcp' ? facts.sequence : null,
      udpChecksum: protocol === 'udp' ? facts.sequence : null,
      icmpId: ported ? null : facts.sourcePort,
      icmpSeq: ported ? null : facts.sequence,
      ipId: facts.ipId < 0 ? null : facts.ipId,
      ttl: facts.ttl,
      target: this.targets.get(`${destination}/${protocol}/${ported ? facts.destinationPort : ''}`) ?? null,
      kind: facts.kind,
      from: nodes[facts.from]!.address[family]!,
      by: nodes[facts.by]!.address[family]!,
      byName: nodes[facts.by]!.name,
      hop: facts.hop,
      icmpType: facts.icmpType < 0 ? null : facts.icmpType,
      icmpCode: facts.icmpCode < 0 ? null : facts.icmpCode,
      replyTtl: facts.replyTtl,
    };
  }
}
