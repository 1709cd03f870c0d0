// The kernel-side filter of the raw TCP sockets, run in the BPF interpreter on real captures (test/packet/
// real-captures.ts) and on seeded random segments: it admits exactly the SYN-ACKs and RSTs (the only answers a SYN
// can get, so nothing the TCP matcher would accept is ever held back), for IPv4 (IP header first, any length) and
// IPv6 (TCP header first).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeBpf, runBpf } from '../../src/packet/bpf.js';
import { int, mulberry32, randomBytes } from '../../src/lab/seeded-random.js';
import { tcpAnswersFilter } from '../../src/transport/socket-filters.js';
import * as real from '../packet/real-captures.js';

const v4 = tcpAnswersFilter(4);
const v6 = tcpAnswersFilter(6);
const tcpOf = (ipv4: Uint8Array) => ipv4.subarray((ipv4[0]! & 0xf) * 4);

test('real captures: SYN-ACKs and RSTs pass, SYNs stay in the kernel, over IPv4 and IPv6', () => {
  for (const packet of [real.SYN_ACK_FROM_WEB_V4, real.RST_FROM_CLOSED_V4, real.RST_WITH_OPTION_V4]) {
    assert.ok(runBpf(v4, packet) > 0);
    assert.ok(runBpf(v6, tcpOf(packet)) > 0);
  }
  for (const packet of [real.SYN_TO_WEB_V4, real.SYN_TO_CLOSED_V4]) {
    assert.equal(runBpf(v4, packet), 0);
    assert.equal(runBpf(v6, tcpOf(packet)), 0);
  }
});

test('seeded random segments (any flags, IPv4 options of any length, truncations): admitted exactly when RST or SYN+ACK', () => {
  const seed = 20261129;
  const random = mulberry32(seed);
  for (let i = 0; i < 5000; i++) {
    const flags = int(random, 256);
    const tcp = Buffer.from(randomBytes(random, 20));
    tcp[13] = flags;
    const ihl = 5 + int(random, 11);
    const ip = Buffer.concat([Buffer.from(randomBytes(random, ihl * 4)), tcp]);
    ip[0] = 0x40 | ihl;
    const want = (flags & 0x04) !== 0 || (flags & 0x12) === 0x12;
    assert.equal(runBpf(v4, ip) > 0, want, `seed ${seed}, case ${i}: flags 0x${flags.toString(16)}, IHL ${ihl}`);
    assert.equal(runBpf(v6, tcp) > 0, want, `seed ${seed}, case ${i}: flags 0x${flags.toString(16)}`);
    // Cut short before the flags byte: dropped, as the kernel drops a load past the end.
    assert.equal(runBpf(v4, ip.subarray(0, ihl * 4 + 13)), 0);
  }
});

test('the program bytes are struct sock_filter entries', () => {
  const bytes = encodeBpf(v6);
  assert.equal(bytes.length, v6.length * 8);
  // ldb [13]: BPF_LD|BPF_B|BPF_ABS = 0x30, k = 13.
  assert.deepEqual([...bytes.subarray(0, 8)], [0x30, 0, 0, 0, 13, 0, 0, 0]);
});
