// What the kernel may hand to our raw TCP and UDP sockets. A raw socket of a protocol gets a copy of every packet of
// it the host receives, which on a busy server is a flood that would all cross into JavaScript to be decoded and
// dropped. TCP: our probes are SYNs, and the only answers to a SYN are a SYN-ACK or an RST, so everything else (the
// host's own connections' data and ACKs, other hosts' SYNs) stays in the kernel — a fixed program, locked. UDP:
// only datagrams to the ports our traces probe from; ICMP: only echo replies and errors that belong to our flows —
// programs rebuilt as traces come and go.
import { ACCEPT, bpf } from '../packet/bpf.js';
import type { BpfInstruction } from '../packet/bpf.js';
import type { Family } from '../probe/method.js';

const SYN = 0x02, RST = 0x04, ACK = 0x10;
/** The TCP header's flags byte. */
const FLAGS = 13;

/** IPv4 raw sockets see the IP header first (its length varies); IPv6 raw sockets start at the TCP header. */
export function tcpAnswersFilter(family: Family): BpfInstruction[] {
  const loadFlags = family === 4 ? [bpf.loadIpHeaderLength(0), bpf.loadByteAtX(FLAGS)] : [bpf.loadByte(FLAGS)];
  return [
    ...loadFlags,
    bpf.jumpIfAnySet(RST, 2, 0), // an RST → accept
    bpf.and(SYN | ACK),
    bpf.jumpIfEqual(SYN | ACK, 0, 1), // a SYN-ACK → accept, else drop
    bpf.ret(ACCEPT),
    bpf.ret(0),
  ];
}

const MAX_PORTS = 250;
/** Past this many ports, udpToPortsFilter admits every datagram; past this many ports and ids, icmpForFlowsFilter cannot encode. */
export const UDP_FILTER_MOST = MAX_PORTS;
export const ICMP_FILTER_MOST = 255;

/** UDP datagrams to one of `ports` (our probes' source ports); none at all when the list is empty. */
export function udpToPortsFilter(family: Family, ports: readonly number[]): BpfInstruction[] {
  // A jump skips at most 255 instructions: with more ports than that (hundreds of UDP traces at once), admit all.
  if (ports.length > MAX_PORTS) return [bpf.ret(ACCEPT)];
  const loadPort = family === 4 ? [bpf.loadIpHeaderLength(0), bpf.loadHalfAtX(2)] : [bpf.loadHalf(2)];
  // One comparison per port: a match jumps to the accept at the end, past the remaining comparisons and the drop.
  return assemble([...loadPort, ...anyOf(ports, 'accept'), bpf.ret(0), { label: 'accept' }, bpf.ret(ACCEPT)])!;
}

/** A filter instruction whose jumps may name labels (resolved by `assemble`), or a label. */
type Step = BpfInstruction | { label: string } | { jumpIfEqual: number; to: string } | { jump: string };

/** Resolves label jumps (forward only) into skip counts; a jump of more than 255 instructions cannot be encoded. */
function assemble(steps: readonly Step[]): BpfInstruction[] | null {
  const positions = new Map<string, number>();
  let at = 0;
  for (const step of steps) {
    if ('label' in step) positions.set(step.label, at);
    else at++;
  }
  const out: BpfInstruction[] = [];
  for (const step of steps) {
    if ('label' in step) continue;
    const here = out.length;
    const skip = (label: string) => positions.get(label)! - here - 1;
    if ('jumpIfEqual' in step) {
      const distance = skip(step.to);
      if (distance < 0 || distance > 255) return null;
      out.push(bpf.jumpIfEqual(step.jumpIfEqual, distance, 0));
    } else if ('jump' in step) {
      const distance = skip(step.jump);
      if (distance < 0 || distance > 255) return null;
      out.push(bpf.jumpIfEqual(0, distance, distance)); // taken either way: an unconditional forward jump
    } else {
      out.push(step);
    }
  }
  return out;
}

/** A = one of `values` → go to `to`; else fall through. */
function anyOf(values: readonly number[], to: string): Step[] {
  return values.map((value) => ({ jumpIfEqual: value, to }));
}

const ICMP_ERRORS_V4 = [3, 4, 5, 11, 12];

/**
 * With X at the ICMP header (the outer IPv4 header's length): X += the quoted IPv4 header's length, so the quoted
 * transport header starts at X + 8.
 */
const toQuotedTransport: BpfInstruction[] = [bpf.loadByteAtX(8), bpf.and(0xf), bpf.shiftLeft(2), bpf.addX(), bpf.toX()];
const ICMP_ERRORS_V6 = [1, 2, 3, 4];

/**
 * ICMP for our flows only: echo replies carrying one of `icmpIds`, and errors quoting one of our probes — a TCP or
 * UDP datagram from one of `ports`, or an echo request with one of `icmpIds`. Every ICMP message a host receives
 * reaches every raw ICMP socket on it (other tracers' time-exceeded, monitoring pings), and with several tracers on
 * one host each would otherwise decode them all. IPv4 sockets see the outer IP header first (its length varies, and
 * so does the quoted header's: the offsets are computed); IPv6 sockets start at the ICMPv6 header, and a quote
 * whose next header is not TCP, UDP or ICMPv6 (an extension header) is let through for the matcher to judge.
 * Null when the lists are too long to encode (the caller then lets all ICMP through).
 */
export function icmpForFlowsFilter(family: Family, ports: readonly number[], icmpIds: readonly number[]): BpfInstruction[] | null {
  // The first port's jump to the accept at the end skips every other port and id: past 255 it cannot be encoded,
  // and a batch of a thousand traces need not build the program to learn that.
  if (ports.length + icmpIds.length > ICMP_FILTER_MOST) return null;
  const accept: Step[] = [{ label: 'accept' }, bpf.ret(ACCEPT)];
  const drop: Step[] = [{ label: 'drop' }, bpf.ret(0)];
  if (family === 4) {
    return assemble([
      bpf.loadIpHeaderLength(0), // X = outer header length
      bpf.loadByteAtX(0), // ICMP type
      { jumpIfEqual: 0, to: 'echo' },
      ...anyOf(ICMP_ERRORS_V4, 'error'),
      { jump: 'drop' },
      { label: 'echo' },
      bpf.loadHalfAtX(4),
      ...anyOf(icmpIds, 'accept'),
      { jump: 'drop' },
      { label: 'error' },
      bpf.loadByteAtX(8 + 9), // the quoted datagram's protocol
      { jumpIfEqual: 6, to: 'ports' },
      { jumpIfEqual: 17, to: 'ports' },
      { jumpIfEqual: 1, to: 'ids' },
      { jump: 'drop' },
      { label: 'ports' },
      ...toQuotedTransport,
      bpf.loadHalfAtX(8), // quoted source port
      ...anyOf(ports, 'accept'),
      { jump: 'drop' },
      { label: 'ids' },
      ...toQuotedTransport,
      bpf.loadHalfAtX(8 + 4), // quoted echo identifier
      ...anyOf(icmpIds, 'accept'),
      ...drop,
      ...accept,
    ]);
  }
  return assemble([
    bpf.loadByte(0),
    { jumpIfEqual: 129, to: 'echo' },
    ...anyOf(ICMP_ERRORS_V6, 'error'),
    { jump: 'drop' },
    { label: 'echo' },
    bpf.loadHalf(4),
    ...anyOf(icmpIds, 'accept'),
    { jump: 'drop' },
    { label: 'error' },
    bpf.loadByte(8 + 6), // the quoted header's next header
    { jumpIfEqual: 6, to: 'ports' },
    { jumpIfEqual: 17, to: 'ports' },
    { jumpIfEqual: 58, to: 'ids' },
    { jump: 'accept' },
    { label: 'ports' },
    bpf.loadHalf(8 + 40),
    ...anyOf(ports, 'accept'),
    { jump: 'drop' },
    { label: 'ids' },
    bpf.loadHalf(8 + 40 + 4),
    ...anyOf(icmpIds, 'accept'),
    ...drop,
    ...accept,
  ]);
}
