// Classic BPF (the kernel's SO_ATTACH_FILTER language), the few instructions portpath's socket filters need: a
// program is data, assembled here and handed to the shim as bytes (struct sock_filter: u16 code, u8 jt, u8 jf,
// u32 k, in host byte order — little-endian on the machines Node runs on for this project).

export interface BpfInstruction {
  code: number;
  /** Instructions to skip when a jump's condition holds / does not. */
  jt: number;
  jf: number;
  k: number;
}

// Opcode parts (linux/bpf_common.h).
const LD = 0x00, LDX = 0x01, ALU = 0x04, JMP = 0x05, RET = 0x06, MISC = 0x07;
const B = 0x10, H = 0x08;
const ABS = 0x20, IND = 0x40, MSH = 0xa0;
const ADD = 0x00, AND = 0x50, LSH = 0x60;
const TAX = 0x00;
const JEQ = 0x10, JSET = 0x40;
const K = 0x00, X = 0x08;

const op = (code: number, k = 0, jt = 0, jf = 0): BpfInstruction => ({ code, jt, jf, k: k >>> 0 });

export const bpf = {
  /** A = the byte at offset k. */
  loadByte: (k: number) => op(LD | B | ABS, k),
  /** A = the big-endian 16 bits at offset k. */
  loadHalf: (k: number) => op(LD | H | ABS, k),
  /** A = the byte at offset X + k. */
  loadByteAtX: (k: number) => op(LD | B | IND, k),
  /** A = the 16 bits at offset X + k. */
  loadHalfAtX: (k: number) => op(LD | H | IND, k),
  /** X = 4 * (the low nibble of the byte at k): the IPv4 header's length. */
  loadIpHeaderLength: (k: number) => op(LDX | B | MSH, k),
  and: (k: number) => op(ALU | AND | K, k),
  /** A <<= k. */
  shiftLeft: (k: number) => op(ALU | LSH | K, k),
  /** A += X. */
  addX: () => op(ALU | ADD | X),
  /** X = A. */
  toX: () => op(MISC | TAX),
  /** Skip jt instructions when A == k, else jf. */
  jumpIfEqual: (k: number, jt: number, jf: number) => op(JMP | JEQ | K, k, jt, jf),
  /** Skip jt instructions when A & k != 0, else jf. */
  jumpIfAnySet: (k: number, jt: number, jf: number) => op(JMP | JSET | K, k, jt, jf),
  /** Accept k bytes of the packet (0: drop it). */
  ret: (k: number) => op(RET | K, k),
};

/** Accept the whole packet. */
export const ACCEPT = 0xffffffff;

export function encodeBpf(program: readonly BpfInstruction[]): Buffer {
  const bytes = Buffer.alloc(program.length * 8);
  program.forEach((insn, i) => {
    bytes.writeUInt16LE(insn.code, i * 8);
    bytes.writeUInt8(insn.jt, i * 8 + 2);
    bytes.writeUInt8(insn.jf, i * 8 + 3);
    bytes.writeUInt32LE(insn.k, i * 8 + 4);
  });
  return bytes;
}

/**
 * Runs a program over a packet as the kernel would (for the tests): the number of bytes accepted, 0 for a drop. A
 * load past the packet's end drops it, as in the kernel.
 */
export function runBpf(program: readonly BpfInstruction[], packet: Uint8Array): number {
  let a = 0;
  let x = 0;
  for (let pc = 0; pc < program.length; pc++) {
    const { code, jt, jf, k } = program[pc]!;
    const byteAt = (at: number) => (at < packet.length ? packet[at]! : null);
    const halfAt = (at: number) => (at + 1 < packet.length ? (packet[at]! << 8) | packet[at + 1]! : null);
    switch (code) {
      case LD | B | ABS:
      case LD | H | ABS:
      case LD | B | IND:
      case LD | H | IND: {
        const at = (code & IND) !== 0 ? x + k : k;
        const v = (code & H) !== 0 ? halfAt(at) : byteAt(at);
        if (v === null) return 0;
        a = v;
        break;
      }
      case LDX | B | MSH: {
        const v = byteAt(k);
        if (v === null) return 0;
        x = (v & 0xf) * 4;
        break;
      }
      case ALU | AND | K:
        a = (a & k) >>> 0;
        break;
      case ALU | LSH | K:
        a = (a << k) >>> 0;
        break;
      case ALU | ADD | X:
        a = (a + x) >>> 0;
        break;
      case MISC | TAX:
        x = a;
        break;
      case JMP | JEQ | K:
        pc += a === k ? jt : jf;
        break;
      case JMP | JSET | K:
        pc += (a & k) !== 0 ? jt : jf;
        break;
      case RET | K:
        return k;
      default:
        throw new Error(`unsupported BPF opcode 0x${code.toString(16)}`);
    }
  }
  return 0;
}
