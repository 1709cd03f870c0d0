// A minimal reader for the classic pcap files tcpdump writes, and just enough IPv4/TCP/ICMP decoding to match
// probes with their replies. Kept separate from src/packet on purpose: the benchmark checks portpath's view of the
// wire against an independent one, so it must not reuse portpath's own decoders.

export interface CapturedPacket {
  /** Capture timestamp, CLOCK_REALTIME nanoseconds. */
  ns: bigint;
  /** The IP packet (link-layer header removed). */
  ip: Buffer;
}

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;

/** Bytes of link-layer header before the IP packet, per pcap LINKTYPE; null for link types we do not handle. */
function linkHeaderLength(linkType: number, frame: Buffer): number | null {
  switch (linkType) {
    case 101: // LINKTYPE_RAW: TUN interfaces, like the lab's delay links
    case 12: // DLT_RAW as some writers store it
    case 228: // LINKTYPE_IPV4
      return 0;
    case 1: {
      // Ethernet (veth links), possibly with one 802.1Q tag.
      const etherType = frame.length >= 14 ? frame.readUInt16BE(12) : 0;
      return etherType === 0x8100 ? 18 : 14;
    }
    case 113: // Linux cooked capture (-i any)
      return 16;
    case 276: // Linux cooked capture v2
      return 20;
    default:
      return null;
  }
}

export function readPcap(file: Buffer): CapturedPacket[] {
  if (file.length < 24) throw new Error(`pcap file too short (${file.length} bytes)`);
  const magicLe = file.readUInt32LE(0);
  const magicBe = file.readUInt32BE(0);
  const littleEndian = magicLe === MAGIC_US || magicLe === MAGIC_NS;
  const magic = littleEndian ? magicLe : magicBe;
  if (magic !== MAGIC_US && magic !== MAGIC_NS) throw new Error(`not a pcap file (magic 0x${magicLe.toString(16)}; pcapng is not supported)`);
  const u32 = (offset: number): number => (littleEndian ? file.readUInt32LE(offset) : file.readUInt32BE(offset));
  const fractionNs = magic === MAGIC_NS ? 1n : 1000n;
  const linkType = u32(20) & 0x0fffffff; // the top bits may carry FCS information
  const packets: CapturedPacket[] = [];
  for (let offset = 24; offset + 16 <= file.length; ) {
    const seconds = BigInt(u32(offset));
    const fraction = BigInt(u32(offset + 4));
    const length = u32(offset + 8);
    const frame = file.subarray(offset + 16, offset + 16 + length);
    offset += 16 + length;
    const skip = linkHeaderLength(linkType, frame);
    if (skip === null) throw new Error(`pcap link type ${linkType} is not supported`);
    packets.push({ ns: seconds * 1_000_000_000n + fraction * fractionNs, ip: frame.subarray(skip) });
  }
  return packets;
}

export interface Ipv4 {
  ttl: number;
  id: number;
  protocol: number;
  source: string;
  destination: string;
  payload: Buffer;
}

const dotted = (b: Buffer, at: number): string => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;

/** IPv4 header fields; `payload` is cut to the header's total length (or to what is there, inside ICMP quotes). */
export function decodeIpv4(b: Buffer): Ipv4 | null {
  if (b.length < 20 || b[0]! >> 4 !== 4) return null;
  const headerLength = (b[0]! & 0x0f) * 4;
  if (headerLength < 20 || b.length < headerLength) return null;
  const total = Math.min(b.readUInt16BE(2), b.length);
  return {
    id: b.readUInt16BE(4),
    ttl: b[8]!,
    protocol: b[9]!,
    source: dotted(b, 12),
    destination: dotted(b, 16),
    payload: b.subarray(headerLength, Math.max(headerLength, total)),
  };
}

export interface TcpStart {
  sourcePort: number;
  destinationPort: number;
  seq: number;
  /** Present when the segment is whole enough to carry them (an ICMP quote may hold only the first 8 bytes). */
  ack?: number;
  flags?: { syn: boolean; ack: boolean; rst: boolean };
}

export function decodeTcp(b: Buffer): TcpStart | null {
  if (b.length < 8) return null;
  const start: TcpStart = { sourcePort: b.readUInt16BE(0), destinationPort: b.readUInt16BE(2), seq: b.readUInt32BE(4) };
  if (b.length >= 14) {
    const flags = b[13]!;
    start.ack = b.readUInt32BE(8);
    start.flags = { syn: (flags & 0x02) !== 0, ack: (flags & 0x10) !== 0, rst: (flags & 0x04) !== 0 };
  }
  return start;
}

export interface IcmpError {
  type: number;
  code: number;
  /** The quoted probe: its IP header and the start of its TCP header. */
  quoted: Ipv4;
  quotedTcp: TcpStart | null;
}

/** ICMP time-exceeded (11) or destination-unreachable (3) quoting a TCP packet. */
export function decodeIcmpError(b: Buffer): IcmpError | null {
  if (b.length < 8 + 20) return null;
  const type = b[0]!;
  if (type !== 11 && type !== 3) return null;
  const quoted = decodeIpv4(b.subarray(8));
  if (!quoted) return null;
  return { type, code: b[1]!, quoted, quotedTcp: quoted.protocol === 6 ? decodeTcp(quoted.payload) : null };
}
