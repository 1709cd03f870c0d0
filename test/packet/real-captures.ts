// Packets from real captures and other projects' test suites, as hex: the bytes only (facts), each with where it came
// from. They show what routers and hosts actually send, which is not always what the RFCs say: a length attribute
// that ignores the padding, zero UDP checksums in quotes, options in other orders. Built fixtures live in
// fixtures.ts; these are never edited here (a test that needs a variant copies and changes one).
import { hex } from './fixtures.js';

// IPv4 ICMP errors from Internet routers, whole IPv4 packets as a raw socket reads them. From fujiapple852/trippy,
// crates/trippy-core/src/net/ipv4.rs (receive tests; every IP and ICMP checksum in them verifies).

/**
 * test_recv_icmp_probe_time_exceeded_icmp_no_extensions: 142.250.61.129 says time exceeded for an echo request
 * 192.168.1.21 -> 142.251.222.206, id 30167 seq 33047, TOS 0x60; the whole 84-byte probe is quoted.
 */
export const TIME_EXCEEDED_V4_ICMP = hex(`
  45200070 07d70000 3b01e95d 8efa3d81 c0a80115 0b00f4ff 00000000 45600054
  65b04000 0101e411 c0a80115 8efbdece 08000111 75d78117 00000000 00000000
  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000
  00000000 00000000 00000000 00000000`);

/**
 * test_recv_icmp_probe_destination_unreachable_icmp_no_extensions: 20.0.0.254 says host unreachable (3/1) about
 * itself, quoting only the IP header + 8 bytes (RFC 792) of an echo request, id 31489 seq 33060.
 */
export const HOST_UNREACHABLE_V4_ICMP = hex(`
  45200038 00004000 700133ea 140000fe c0a80115 0301fcfe 00000000 45000054
  00004000 800123ee c0a80115 140000fe 0800fbd9 7b018124`);

/**
 * test_recv_icmp_probe_time_exceeded_udp_no_extensions: a home router, 192.168.1.1, quoting UDP
 * 192.168.1.21:31829 -> 142.250.204.142:33030, checksum 0xe4cb, 56 bytes of payload.
 */
export const TIME_EXCEEDED_V4_UDP = hex(`
  45c00070 0ec80000 4001e79e c0a80101 c0a80115 0b001298 00000000 45000054
  90690000 01110bea c0a80115 8efacc8e 7c558106 0040e4cb 00000000 00000000
  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000
  00000000 00000000 00000000 00000000`);

/**
 * test_recv_icmp_probe_destination_unreachable_udp_no_extensions: 9.9.9.9 answers host administratively prohibited
 * (3/10) for UDP 192.168.1.21:32779 -> 9.9.9.9:33010, checksum 0x2aa1.
 */
export const PROHIBITED_V4_UDP = hex(`
  45200070 bcf60000 3901f0a7 09090909 c0a80115 030ad116 00000000 45200054
  a2090000 011143a1 c0a80115 09090909 800b80f2 00402aa1 00000000 00000000
  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000
  00000000 00000000 00000000 00000000`);

/**
 * test_recv_icmp_probe_time_exceeded_tcp_no_extensions: 209.85.240.235 quoting a whole SYN (44-byte header: mss 1460,
 * nop, wscale 6, nop, nop, TS, sackOK, eol) 192.168.1.21:33021 -> 142.250.204.142:80, seq 0x61f24d4a.
 */
export const TIME_EXCEEDED_V4_TCP = hex(`
  4520005c a69d0000 3b0154e5 d155f0eb c0a80115 0b001279 00000000 45800040
  00004000 01065bf2 c0a80115 8efacc8e 80fd0050 61f24d4a 00000000 b002ffff
  14050000 020405b4 01030306 0101080a 55597fcd 00000000 04020000`);

/**
 * test_recv_icmp_probe_destination_unreachable_tcp_no_extensions: 9.9.9.9 answers 3/10 for a SYN
 * 192.168.1.21:33010 -> 9.9.9.9:10011, seq 0x5eb1fac7.
 */
export const PROHIBITED_V4_TCP = hex(`
  4520005c d6e00000 3901d6d1 09090909 c0a80115 030ad0f7 00000000 45200040
  00000000 0106e5c9 c0a80115 09090909 80f2271b 5eb1fac7 00000000 b002ffff
  a4530000 020405b4 01030306 0101080a 1d02a050 00000000 04020000`);

// IPv4 ICMP messages with RFC 4884/4950 extensions, ICMP message only (from the type byte). From fujiapple852/trippy,
// crates/trippy-packet/src/icmp_extension.rs.

/**
 * test_split_extension_ipv4_time_exceeded_non_compliant_mpls: no length attribute (pre-RFC 4884), the echo request
 * 192.168.1.21 -> 93.184.216.34 quoted and padded to 128 bytes, then MPLS label 19380, S, TTL 1.
 */
export const MPLS_COMPAT_V4_ICMP_REAL = hex(`
  0b00f4ff 00000000 45000054 cc1c4000 0101b5f4 c0a80115 5db8d822 08000fe3
  65da8242 00000000 00000000 00000000 00000000 00000000 00000000 00000000
  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000
  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000
  00000000 00000000 2000993a 00080101 04bb4101`);

/**
 * test_split_extension_ipv4_time_exceeded_compliant_no_extension: length attribute 17 (68 bytes) and nothing after.
 */
export const LENGTH_ATTRIBUTE_NO_EXTENSION_V4_ICMP = hex(`
  0b00f4ee 00110000 45000054 a2ee4000 0101df22 c0a80115 5db8d822 08000fe1
  65da8244 00000000 00000000 00000000 00000000 00000000 00000000 00000000
  00000000 00000000 00000000`);

/**
 * test_split_extension_ipv4_time_exceeded_compliant_extension, "a real example that was observed in the wild"
 * (trippy issue #804): length attribute 17 (68 bytes) although the quote is zero-padded to 128 and the extension
 * (checksum 0x7856) follows at 128: MPLS label 416240, S, TTL 1. Quotes an echo request 100.99.8.42 -> 93.184.216.34.
 */
export const UNPADDED_LENGTH_MPLS_V4_ICMP = hex(`
  0b00f4ee 00110000 45000054 20c34000 0201b57e 6463082a 5db8d822 0800118d
  658380ef 00000000 00000000 00000000 00000000 00000000 00000000 00000000
  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000
  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000
  00000000 00000000 20007856 00080101 659f0101`);

// ICMPv6 errors, the ICMPv6 message only (raw IPv6 sockets give no IP header).

/**
 * fujiapple852/trippy crates/trippy-packet/src/icmp_extension.rs test_ipv6 ("Real IPv6 example"): time exceeded,
 * length attribute 10 (80 bytes) but the extension at 128: labels 27121 (TC 4, TTL 1) and 2 (TC 4, S, TTL 255).
 * Quotes an echo request 2400:6180:0:d0::1265:b001 -> 2404:6800:4003:c1c::8a, id 10848 seq 33010.
 */
export const UNPADDED_LENGTH_MPLS_V6 = hex(`
  0300bea8 0a000000 680483fe 002c3a01 24006180 000000d0 00000000 1265b001
  24046800 40030c1c 00000000 0000008a 8000b2e1 2a6080f2 00000000 00000000
  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000
  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000
  00000000 00000000 20009653 000c0101 069f1801 000029ff`);

/**
 * fujiapple852/trippy crates/trippy-packet/src/icmp_extension.rs test_ipv6_2 ("Real IPv6 example"): length attribute
 * 16 (128 bytes) in a message whose body is 84 bytes.
 */
export const LENGTH_BEYOND_MESSAGE_V6 = hex(`
  03005ab4 10000000 680e0d91 002c3a01 24006180 000000d0 00000000 1265b001
  24046800 40030c05 00000000 00000071 8000a8e7 348880f4 00000000 00000000
  00000000 00000000 00000000 00000000 00000000 00000000 00000000`);

/**
 * fujiapple852/trippy crates/trippy-core/src/net/ipv6.rs test_recv_icmp_probe_time_exceeded_icmp_no_extensions: an echo
 * request fd7a:115c:a1e0:ab12:4843:cd96:6263:82a -> 2a04:4e42::81, id 21945 seq 33056.
 */
export const TIME_EXCEEDED_V6_ICMP = hex(`
  03004ec5 00000000 600f0800 002c3a01 fd7a115c a1e0ab12 4843cd96 6263082a
  2a044e42 00000000 00000000 00000081 800053c6 55b98120 00000000 00000000
  00000000 00000000 00000000 00000000 00000000 00000000 00000000`);

/**
 * fujiapple852/trippy crates/trippy-core/src/net/ipv6.rs test_recv_icmp_probe_time_exceeded_udp_no_extensions: UDP
 * :22694 -> [2a04:4e42::81]:33029, checksum 0xd0f1.
 */
export const TIME_EXCEEDED_V6_UDP = hex(`
  03007ba7 00000000 60040400 002c1101 fd7a115c a1e0ab12 4843cd96 6263082a
  2a044e42 00000000 00000000 00000081 58a68105 002cd0f1 00000000 00000000
  00000000 00000000 00000000 00000000 00000000 00000000 00000000`);

/**
 * fujiapple852/trippy crates/trippy-core/src/net/ipv6.rs test_recv_icmp_probe_destination_unreachable_udp_no_extensions:
 * no route (1/0) for UDP :26477 -> [2a00:1450:4009:81f::200e]:33118, checksum 0x9412.
 */
export const NO_ROUTE_V6_UDP = hex(`
  0100a5f5 00000000 60030800 002c1101 fd7a115c a1e0ab12 4843cd96 6263082a
  2a001450 4009081f 00000000 0000200e 676d815e 002c9412 00000000 00000000
  00000000 00000000 00000000 00000000 00000000 00000000 00000000`);

/**
 * fujiapple852/trippy crates/trippy-core/src/net/ipv6.rs test_recv_icmp_probe_time_exceeded_tcp_no_extensions: a whole
 * SYN (flags SYN|ECE|CWR, 44-byte header, mss 1220) :33038 -> [2a00:1450:4009:815::200e]:80, seq 0xaac408e6.
 */
export const TIME_EXCEEDED_V6_TCP = hex(`
  0300f02d 00000000 680b0900 002c0601 fd7a115c a1e0ab12 4843cd96 6263082a
  2a001450 40090815 00000000 0000200e 810e0050 aac408e6 00000000 b0c2ffff
  6db40000 020404c4 01030306 0101080a ccf744c9 00000000 04020000`);

/**
 * fujiapple852/trippy crates/trippy-core/src/net/ipv6.rs test_recv_icmp_probe_destination_unreachable_tcp_no_extensions:
 * no route (1/0) for a SYN :33060 -> [2a00:1450:4009:821::200e]:123, seq 0x35d232c6.
 */
export const NO_ROUTE_V6_TCP = hex(`
  0100b1e9 00000000 60040700 002c0601 fd7a115c a1e0ab12 4843cd96 6263082a
  2a001450 40090821 00000000 0000200e 8124007b 35d232c6 00000000 b0c2ffff
  71b20000 020404c4 01030306 0101080a fa0b5e7c 00000000 04020000`);

// A traceroute through an MPLS core, whole IPv4 packets. From the-tcpdump-group/tcpdump, tests/mpls-traceroute.pcap
// (PPP link header removed). The traceroute sent UDP with checksum 0 ("none", legal over IPv4), so these quotes are
// what a middlebox that zeroes UDP checksums leaves: no probe id in them.

/**
 * Frame 12: time exceeded from 10.4.0.2, no length attribute, quote padded to 128, MPLS label 102672, S, TTL 1
 * (extension checksum 0xc4e4); quotes UDP 12.4.4.4:42315 -> 12.1.1.1:33440 with checksum 0.
 */
export const MPLS_TIME_EXCEEDED_V4_UDP = hex(`
  450000a8 e7204000 fe017b26 0a040002 0c040404 0b00ccff 00000000 45000028
  a5510000 0111f76a 0c040404 0c010101 a54b82a0 00140000 00000000 00000000
  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000
  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000
  00000000 00000000 00000000 00000000 00000000 00000000 00000000 2000c4e4
  00080101 19110101`);

/**
 * Frame 14: port unreachable from the destination 12.1.1.1 quoting 8 bytes of UDP 12.4.4.4:42315 -> :33441, checksum 0.
 */
export const ZERO_CHECKSUM_PORT_UNREACHABLE_V4 = hex(`
  45000038 c5a74000 fd019b13 0c010101 0c040404 0303d4fb 00000000 45000028
  a5520000 0111f769 0c040404 0c010101 a54b82a1 00140000`);

// RFC 5837 interface information.

/**
 * the-tcpdump-group/tcpdump tests/icmp-rfc5837.pcap: mpls-traceroute.pcap's frame 12 with its MPLS object replaced by
 * an interface information object (so an edited capture, not a router's own bytes; the extension checksum 0x246c and
 * the ICMP checksum verify): incoming interface, ifIndex 15, IPv4 10.10.10.10, and a 63-byte name padded to the
 * 64-byte maximum.
 */
export const INTERFACE_INFO_V4 = hex(`
  450000f0 e7204000 fe017ade 0a040002 0c040404 0b00ccff 00000000 45000028
  a5510000 0111f76a 0c040404 0c010101 a54b82a0 00140000 00000000 00000000
  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000
  00000000 00000000 00000000 00000000 00000000 00000000 00000000 00000000
  00000000 00000000 00000000 00000000 00000000 00000000 00000000 2000246c
  0050020e 0000000f 00010000 0a0a0a0a 40546869 732d6973 2d746865 2d6e616d
  652d6f66 2d746865 2d496e74 65726661 63652d74 6861742d 77652d61 72652d6c
  6f6f6b69 6e672d66 6f722d5b 3a2d295d`);

/**
 * the-tcpdump-group/tcpdump tests/icmp_inft_name_length_zero.pcap: a fuzzer-made variant of the above (bogus total
 * length, an interface object claiming 8016 bytes and a name sub-object of length 0). Garbage to survive.
 */
export const INTERFACE_NAME_LENGTH_ZERO_V4 = hex(`
  450080f0 e7204000 fe017ade 0080ffff 0c040404 0b00ccff 00000000 45000028
  a5510000 0111f76a 080f0404 0cdf2001 a54b82a0 00141000 00000000 00000000
  00000000 1d000000 1000f200 00000000 00800002 11000000 001a0000 00000000
  00007fff ffff0000 00020000 00000000 00030000 00000002 00000000 00000000
  00000000 00800000 00000000 0000ee00 00000000 00000000 10000000 2000c4e4
  1f500202 005468`);

// TCP handshakes, whole IPv4 packets, from the-tcpdump-group/tcpdump test captures.

/**
 * tests/tcp-handshake-nano.pcap frame 1 (Linux cooked header removed): a Linux SYN 131.155.215.69:46656 ->
 * 137.116.81.94:80, seq 0x2f842acb.
 */
export const SYN_TO_WEB_V4 = hex(`
  4500003c 29a94000 4006db5f 839bd745 8974515e b6400050 2f842acb 00000000
  a0026a40 50c40000 02040550 0402080a 436a0362 00000000 01030307`);

/**
 * Frame 2: the web server's SYN-ACK (IP TTL 117: an initial 128), ack 0x2f842acc, options in another order than
 * Linux's: mss 1440, nop, wscale 8, sackOK, TS 0x0df5af50/0x436a0362.
 */
export const SYN_ACK_FROM_WEB_V4 = hex(`
  4500003c 1c444000 7506b3c4 8974515e 839bd745 0050b640 b7839f90 2f842acc
  a0122000 86480000 020405a0 01030308 0402080a 0df5af50 436a0362`);

/**
 * tests/bgp-4byte-asn.pcap frame 19 (Ethernet header removed): a SYN 1.0.3.2:43415 -> 1.0.3.1:179, seq 0xfeed4c2f.
 */
export const SYN_TO_CLOSED_V4 = hex(`
  45c0003c 3d3c4000 010633be 01000302 01000301 a99700b3 feed4c2f 00000000
  a0027210 3fa60000 020405b4 0402080a 27ca7113 00000000 01030309`);

/**
 * Frame 20: the peer's RST-ACK (nothing listening): seq 0, ack 0xfeed4c30, window 0, no options.
 */
export const RST_FROM_CLOSED_V4 = hex(`
  45c00028 96a64000 40069b67 01000301 01000302 00b3a997 00000000 feed4c30
  50140000 b2650000`);

/**
 * tests/mptcp-tcprst.pcap frame 1: an RST-ACK carrying an option (MPTCP, kind 30, length 4) 192.0.2.1:55739 ->
 * 192.168.76.28:8080, ack 0x81bdc286.
 */
export const RST_WITH_OPTION_V4 = hex(`
  4500002c 00000000 ff06ed05 c0000201 c0a84c1c d9bb1f90 00000001 81bdc286
  60140100 f4700000 1e048000`);

// RFC 5837 test vectors (written by hand, not captured) from golang/net, icmp/extension_test.go
// (TestMarshalAndParseExtension, "InterfaceInfo"): whole extension objects, 4-byte object header included.

/** C-Type 0x00: an incoming interface with no fields at all. */
export const GO_INTERFACE_EMPTY = hex(`00040200`);

/** C-Type 0x0a: incoming, ifIndex 16, the name "en101" in an 8-byte name sub-object (NUL padded). */
export const GO_INTERFACE_INDEX_AND_NAME = hex(`0010020a 00000010 08656e31 30310000`);

/** C-Type 0x0f: incoming, ifIndex 15, IPv6 (AFI 2) fe80::1, the name "en101", MTU 8192. */
export const GO_INTERFACE_ALL_FIELDS = hex(`
  0028020f 0000000f 00020000 fe800000 00000000 00000000 00000001 08656e31
  30310000 00002000`);
