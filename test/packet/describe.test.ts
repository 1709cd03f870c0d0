import assert from 'node:assert/strict';
import { test } from 'node:test';
import { internetChecksum } from '../../src/packet/checksum.js';
import { describePacket } from '../../src/packet/describe.js';
import { encodeIcmpEcho } from '../../src/packet/icmp.js';
import { encodeIpv4 } from '../../src/packet/ipv4.js';
import { encodeUdp } from '../../src/packet/udp.js';
import { MPLS_V4, PORT_UNREACH_V4, PORT_UNREACH_V6_L4, RST_V4, SYN_V4, SYN_V6_L4, TIME_EXCEEDED_V4, TIME_EXCEEDED_V6_L4 } from './fixtures.js';

test('IPv4 probes and replies, one line each', () => {
  assert.equal(describePacket(4, SYN_V4), '198.18.1.1 > 198.18.4.2 ttl 1 TCP 40001 > 80 [S] seq 3723434567 mss 1460 wscale 10 sackOK TS 1912293478/0');
  assert.equal(describePacket(4, RST_V4), '198.18.4.2 > 198.18.1.1 ttl 63 TCP 80 > 40002 [R.] seq 0 ack 4123959477');
  assert.equal(
    describePacket(4, TIME_EXCEEDED_V4),
    '198.18.1.2 > 198.18.1.1 ttl 64 ICMP time exceeded, quoting TCP 198.18.1.1:40001 > 198.18.4.2:80 seq 3723434567',
  );
  assert.equal(
    describePacket(4, PORT_UNREACH_V4),
    '198.18.4.2 > 198.18.1.1 ttl 63 ICMP port unreachable, quoting UDP 198.18.1.1:39464 > 198.18.4.2:33434 cksum 0x9149',
  );
  assert.equal(
    describePacket(4, MPLS_V4),
    '198.18.2.2 > 198.18.1.1 ttl 254 ICMP time exceeded, quoting TCP 198.18.1.1:40001 > 198.18.4.2:80 seq 3723434567, MPLS L=299792,TC=0,S=1,TTL=1',
  );
  const udp = encodeIpv4({ source: '10.0.0.1', destination: '10.0.0.2', protocol: 17, ttl: 3 }, encodeUdp({ sourcePort: 5, destinationPort: 53 }, new Uint8Array(4), '10.0.0.1', '10.0.0.2'));
  assert.match(describePacket(4, udp), /^10\.0\.0\.1 > 10\.0\.0\.2 ttl 3 UDP 5 > 53 len 4 cksum 0x[0-9a-f]{4}$/);
  const echo = encodeIpv4({ source: '10.0.0.1', destination: '10.0.0.2', protocol: 1, ttl: 3 }, encodeIcmpEcho({ identifier: 9, sequence: 4 }));
  assert.equal(describePacket(4, echo), '10.0.0.1 > 10.0.0.2 ttl 3 ICMP echo request id 9 seq 4');
  const gre = encodeIpv4({ source: '10.0.0.1', destination: '10.0.0.2', protocol: 47, ttl: 3 }, new Uint8Array(12));
  assert.equal(describePacket(4, gre), '10.0.0.1 > 10.0.0.2 ttl 3 protocol 47 12 bytes');
});

test('IPv6: upper-layer bytes plus what the socket said', () => {
  assert.equal(
    describePacket(6, SYN_V6_L4, { v6Source: '2001:db8:1::1', v6Destination: '2001:db8:4::2', v6Protocol: 6, hopLimit: 1 }),
    '2001:db8:1::1 > 2001:db8:4::2 hlim 1 TCP 40011 > 80 [S] seq 4127141558 mss 1440 wscale 10 sackOK TS 8045880/0',
  );
  assert.equal(
    describePacket(6, TIME_EXCEEDED_V6_L4, { v6Source: '2001:db8:1::2', v6Destination: '2001:db8:1::1', v6Protocol: 58, hopLimit: 64 }),
    '2001:db8:1::2 > 2001:db8:1::1 hlim 64 ICMPv6 time exceeded, quoting TCP [2001:db8:1::1]:40011 > [2001:db8:4::2]:80 seq 4127141558',
  );
  assert.equal(
    describePacket(6, PORT_UNREACH_V6_L4, { v6Source: '2001:db8:4::2', v6Destination: '2001:db8:1::1', v6Protocol: 58 }),
    '2001:db8:4::2 > 2001:db8:1::1 ICMPv6 port unreachable, quoting UDP [2001:db8:1::1]:48547 > [2001:db8:4::2]:33434 cksum 0x5b9b',
  );
  assert.equal(describePacket(6, Buffer.from('abc')), '? > ? unknown protocol, 3 bytes: 616263');
});

test('garbage becomes "undecodable N bytes: hex", never an exception', () => {
  assert.equal(describePacket(4, new Uint8Array(0)), 'undecodable 0 bytes: ');
  assert.equal(describePacket(4, Buffer.from('0102', 'hex')), 'undecodable 2 bytes: 0102');
  assert.equal(describePacket(4, Buffer.alloc(40, 0xff)), `undecodable 40 bytes: ${'ff'.repeat(32)}...`);
  assert.equal(describePacket(6, Buffer.from('0102', 'hex'), { v6Protocol: 6 }), '? > ? TCP undecodable 2 bytes: 0102');
  const cut = describePacket(4, SYN_V4.subarray(0, 30));
  assert.equal(cut, '198.18.1.1 > 198.18.4.2 ttl 1 TCP 40001 > 80 seq 3723434567 (partial header) (truncated)');
});

test('a TCP data offset below 5: ports and sequence, and why the rest is not shown; a quote so damaged still names its ports', () => {
  const bad = Buffer.from(SYN_V4);
  bad[20 + 12] = 0x40;
  assert.equal(describePacket(4, bad), '198.18.1.1 > 198.18.4.2 ttl 1 TCP 40001 > 80 seq 3723434567 (bad header: data offset 4 is below 5)');
  const expired = Buffer.from(TIME_EXCEEDED_V4);
  expired[20 + 8 + 20 + 12] = 0x00; // the router quotes a header damaged before it got there
  expired.writeUInt16BE(0, 22);
  expired.writeUInt16BE(internetChecksum(expired.subarray(20)), 22);
  assert.equal(describePacket(4, expired), '198.18.1.2 > 198.18.1.1 ttl 64 ICMP time exceeded, quoting TCP 198.18.1.1:40001 > 198.18.4.2:80 seq 3723434567');
});
