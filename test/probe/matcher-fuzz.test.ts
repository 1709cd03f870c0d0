// Garbage, truncated and mutated packets at the matcher: nothing throws, random bytes are never taken for a reply,
// and a mutated reply is either refused or still names a probe this trace could have sent.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createProbeMethod } from '../../src/probe/index.js';
import type { Family, InboundPacket, Protocol } from '../../src/probe/method.js';
import { mulberry32 } from '../../src/lab/seeded-random.js';
import { flowFor, icmpErrorFor } from './fixtures.js';

const combos: [Family, Protocol][] = [4, 6].flatMap((f) => (['tcp', 'udp', 'icmp'] as const).map((p): [Family, Protocol] => [f as Family, p]));

test('random bytes of every protocol are never matched and never throw', () => {
  const random = mulberry32(2024);
  for (const [family, protocol] of combos) {
    const flow = flowFor(family, protocol);
    const method = createProbeMethod(protocol);
    for (let i = 0; i < 3000; i++) {
      const payload = Buffer.alloc(Math.floor(random() * 120));
      for (let j = 0; j < payload.length; j++) payload[j] = Math.floor(random() * 256);
      const ipProtocol = [1, 6, 17, 58][Math.floor(random() * 4)]!;
      const packet: InboundPacket = { family, from: flow.destination, to: flow.source, ttl: 64, ipProtocol, payload, receivedAtNs: 1n };
      assert.equal(method.match(packet, flow), null, `${family}/${protocol} matched random bytes ${payload.toString('hex')}`);
    }
  }
});

test('truncated and bit-flipped replies: no throw, and any match names a probe id this trace sent', () => {
  const random = mulberry32(99);
  for (const [family, protocol] of combos) {
    const flow = flowFor(family, protocol);
    const method = createProbeMethod(protocol);
    const sent = new Set<number>();
    const probes = Array.from({ length: 20 }, (_, i) => {
      sent.add(100 + i);
      return method.build(flow, 1 + (i % 10), 100 + i);
    });
    for (let i = 0; i < 4000; i++) {
      const probe = probes[Math.floor(random() * probes.length)]!;
      const original = icmpErrorFor(flow, probe, flow.destination, random() < 0.5 ? 'time-exceeded' : 'unreachable', 3, 8 + Math.floor(random() * 60));
      const bytes = Buffer.from(original.payload);
      const mutation = Math.floor(random() * 3);
      let mutated: Buffer = bytes;
      if (mutation === 0) mutated = bytes.subarray(0, Math.floor(random() * bytes.length));
      else {
        const flips = 1 + Math.floor(random() * 4);
        for (let f = 0; f < flips; f++) {
          const at = Math.floor(random() * bytes.length);
          bytes[at] = bytes[at]! ^ (1 << Math.floor(random() * 8));
        }
      }
      const reply = method.match({ ...original, payload: mutated }, flow);
      if (!reply) continue;
      // A flipped bit can land in the id field itself; then the id may be another one, but it must be in range, and
      // anything else (ports, addresses, nonce) must still have matched this flow for the matcher to accept it.
      assert.ok(Number.isInteger(reply.probeId) && reply.probeId >= 0 && reply.probeId <= 0xffff);
      if (mutation === 0) assert.ok(sent.has(reply.probeId), `truncation changed the id to ${reply.probeId}`);
    }
  }
});
