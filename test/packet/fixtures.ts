// Packet fixtures as hex. The "captured" ones were recorded with tcpdump from Linux 6.18 in a three-namespace lab
// (client 198.18.1.1 / 2001:db8:1::1 -> router .1.2 / 2001:db8:1::2 -> server 198.18.4.2 / 2001:db8:4::2), from
// Python sockets with a TTL of 1 (time exceeded) or 2 (RST), so they are what a real kernel sends, byte for byte.
// The MPLS ones are written by hand (Linux sends no RFC 4950 objects); tcpdump decodes them to the labels below.

export function hex(text: string): Buffer {
  return Buffer.from(text.replace(/\s+/g, ''), 'hex');
}

/**
 * A TCP SYN from 198.18.1.1:40001 to 198.18.4.2:80, TTL 1, DF, id 0xb708, seq 0xddef1a47, window 64240, options
 * mss 1460, sackOK, TS 0x71fb4866/0, nop, wscale 10 (Linux's order). veth checksum offload left a partial TCP
 * checksum (0x9156) on the wire; it is replaced here by the complete one, 0x6cba, which tcpdump computed.
 */
export const SYN_V4 = hex(`
  4500003c b7084000 0106318c c6120101 c6120402
  9c410050 ddef1a47 00000000 a002faf0 6cba0000 020405b4 0402080a 71fb4866 00000000 0103030a`);

/** The same SYN as sent (partial TCP checksum), which is what the router quotes below. */
export const SYN_V4_AS_SENT = hex(`
  4500003c b7084000 0106318c c6120101 c6120402
  9c410050 ddef1a47 00000000 a002faf0 91560000 020405b4 0402080a 71fb4866 00000000 0103030a`);

/** The router's time exceeded for that SYN: Linux quotes the whole probe. Captured unchanged. */
export const TIME_EXCEEDED_V4 = hex(`
  45c00058 fca80000 4001ef14 c6120102 c6120101
  0b0061ba 00000000
  4500003c b7084000 0106318c c6120101 c6120402
  9c410050 ddef1a47 00000000 a002faf0 91560000 020405b4 0402080a 71fb4866 00000000 0103030a`);

/** The server's RST for a SYN (seq 0xf5cea0b4) to a closed port: ack = seq + 1. Captured unchanged. */
export const RST_V4 = hex(`
  45000028 00004000 3f06aaa8 c6120402 c6120101
  00509c42 00000000 f5cea0b5 50140000 eb910000`);

/** Port unreachable from the server for UDP 198.18.1.1:39464 -> :33434 "portpath" (quoted TTL already 4). */
export const PORT_UNREACH_V4 = hex(`
  45c00040 7fc90000 3f016a0c c6120402 c6120101
  03038732 00000000
  45000024 71494000 04117458 c6120101 c6120402
  9a28829a 00109149 706f7274 70617468`);

/**
 * The IPv6 SYN from [2001:db8:1::1]:40011 to [2001:db8:4::2]:80 (upper layer only, as raw IPv6 sockets carry it),
 * seq 0xf5ff2eb6, window 64800, mss 1440; checksum completed to 0x6872 as for SYN_V4.
 */
export const SYN_V6_L4 = hex(`9c4b0050 f5ff2eb6 00000000 a002fd20 68720000 020405a0 0402080a 007ac538 00000000 0103030a`);

/** ICMPv6 time exceeded from 2001:db8:1::2 to 2001:db8:1::1 quoting that SYN (as sent). Captured unchanged. */
export const TIME_EXCEEDED_V6_L4 = hex(`
  0300bae0 00000000
  60018ce3 00280601 20010db8 00010000 00000000 00000001 20010db8 00040000 00000000 00000002
  9c4b0050 f5ff2eb6 00000000 a002fd20 5ba80000 020405a0 0402080a 007ac538 00000000 0103030a`);

/** ICMPv6 port unreachable from 2001:db8:4::2 to 2001:db8:1::1 for UDP :48547 -> :33434. Captured unchanged. */
export const PORT_UNREACH_V6_L4 = hex(`
  010451aa 00000000
  60062131 00101104 20010db8 00010000 00000000 00000001 20010db8 00040000 00000000 00000002
  bda3829a 00105b9b 706f7274 70617468`);

const ZEROS_68 = '00'.repeat(68);
const ZEROS_48 = '00'.repeat(48);

/**
 * ICMP time exceeded from an MPLS router 198.18.2.2 (RFC 4884 length attribute 32 words = 128 bytes): the SYN
 * zero-padded to 128 bytes, then an extension structure (v2, checksum 0x94c4) holding one MPLS object with
 * label 299792, TC 0, bottom of stack, TTL 1 (RFC 4950).
 */
export const MPLS_V4 = hex(`
  45c000a8 12340000 fe011a39 c6120202 c6120101
  0b00619a 00200000
  ${SYN_V4_AS_SENT.toString('hex')} ${ZEROS_68}
  200094c4 00080101 49310101`);

/**
 * The pre-RFC 4884 form (length attribute 0, extension at the fixed offset 128), ICMP only, with two labels:
 * 24001 TC 5 TTL 254, then 16 bottom-of-stack TTL 1.
 */
export const MPLS_COMPAT_V4_ICMP = hex(`
  0b0061ba 00000000
  ${SYN_V4_AS_SENT.toString('hex')} ${ZEROS_68}
  2000bd16 000c0101 05dc1afe 00010101`);

/** ICMPv6 time exceeded from 2001:db8:2::2 to 2001:db8:1::1, length 16 x 8 = 128, MPLS label 1000 TTL 1. */
export const MPLS_V6_L4 = hex(`
  0300aaa3 10000000
  ${TIME_EXCEEDED_V6_L4.subarray(8).toString('hex')} ${ZEROS_48}
  20005db7 00080101 003e8101`);
