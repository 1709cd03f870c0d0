// What the kernel may hand to our raw TCP sockets: a raw TCP socket gets a copy of every TCP segment the host
// receives, which on a busy server is a flood that would all cross into JavaScript to be decoded and dropped. Our
// probes are SYNs, and the only answers to a SYN are a SYN-ACK or an RST: everything else (the host's own
// connections' data and ACKs, other hosts' SYNs) stays in the kernel.
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
