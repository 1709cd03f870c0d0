// What the kernel may hand to our raw TCP and UDP sockets. A raw socket of a protocol gets a copy of every packet of
// it the host receives, which on a busy server is a flood that would all cross into JavaScript to be decoded and
// dropped. TCP: our probes are SYNs, and the only answers to a SYN are a SYN-ACK or an RST, so everything else (the
// host's own connections' data and ACKs, other hosts' SYNs) stays in the kernel — a fixed program, locked. UDP:
// only datagrams to the ports our traces probe from — a program rebuilt as traces come and go.
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

/** UDP datagrams to one of `ports` (our probes' source ports); none at all when the list is empty. */
export function udpToPortsFilter(family: Family, ports: readonly number[]): BpfInstruction[] {
  // A jump skips at most 255 instructions: with more ports than that (hundreds of UDP traces at once), admit all.
  if (ports.length > MAX_PORTS) return [bpf.ret(ACCEPT)];
  const loadPort = family === 4 ? [bpf.loadIpHeaderLength(0), bpf.loadHalfAtX(2)] : [bpf.loadHalf(2)];
  // One comparison per port: a match jumps to the accept at the end, past the remaining comparisons and the drop.
  const compare = ports.map((port, i) => bpf.jumpIfEqual(port, ports.length - i, 0));
  return [...loadPort, ...compare, bpf.ret(0), bpf.ret(ACCEPT)];
}
