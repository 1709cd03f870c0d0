// Garbage, truncated and mutated packets at the matcher: nothing throws, random bytes are never taken for a reply,
// and a mutated reply is either refused or still names a probe this trace could have sent. ICMP extensions (MPLS,
// RFC 5837 interface information) in every layout routers use, damaged or not, never change which probe a reply
// is attributed to.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeExtensionStructure, encodeInterfaceInfoObject, encodeMplsObject } from '../../src/packet/extensions.js';
import type { IcmpExtensionObject } from '../../src/packet/extensions.js';
import { encodeIcmpError } from '../../src/packet/icmp.js';
import { encodeIcmpv6Error } from '../../src/packet/icmpv6.js';
import { INTERFACE_ROLES } from '../../src/packet/interface-info.js';
import { createProbeMethod } from '../../src/probe/index.js';
import { MAX_PROBE_ID, MIN_PROBE_ID } from '../../src/probe/method.js';
import type { Family, Flow, InboundPacket, Protocol } from '../../src/probe/method.js';
import { int, mulberry32, randomBytes } from '../../src/lab/seeded-random.js';
import type { Random } from '../../src/lab/seeded-random.js';
import { ADDRESSES, flowFor, icmpErrorFor, inbound, wireDatagram } from './fixtures.js';

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
      // Never 0 (unattributed: the engine would guess) nor 0xffff: no probe carries those.
      assert.ok(Number.isInteger(reply.probeId) && reply.probeId >= MIN_PROBE_ID && reply.probeId <= MAX_PROBE_ID, `id ${reply.probeId}`);
      if (mutation === 0) assert.ok(sent.has(reply.probeId), `truncation changed the id to ${reply.probeId}`);
    }
  }
});

function randomObjects(random: Random): IcmpExtensionObject[] {
  const objects: IcmpExtensionObject[] = [];
  if (random() < 0.6) objects.push(encodeMplsObject([{ label: int(random, 1 << 20), trafficClass: int(random, 8), bottomOfStack: true, ttl: int(random, 256) }]));
  if (random() < 0.6 || objects.length === 0) {
    objects.push(
      random() < 0.8
        ? encodeInterfaceInfoObject({ role: INTERFACE_ROLES[int(random, 4)] ?? 'incoming', ifIndex: int(random, 1000), address: '198.18.2.2', name: `eth${int(random, 100)}`, mtu: 1500 })
        : { classNum: 2, cType: int(random, 256), data: randomBytes(random, int(random, 40)) },
    );
  }
  return objects;
}

/**
 * A router's error quoting `quoteBytes` of the datagram, with extensions in one of three layouts: RFC 4884 (length
 * attribute = padded quote), pre-RFC 4884 (no attribute, structure at 128), or the attribute giving the unpadded
 * length while the structure still sits at 128. Returns the ICMP bytes and where the quote ends.
 */
function errorWithExtensions(random: Random, flow: Flow, datagram: Uint8Array, quoteBytes: number): { icmp: Buffer; quoteEnd: number } {
  const quote = datagram.subarray(0, Math.min(datagram.length, quoteBytes));
  const layout = int(random, 3);
  const fields = { type: flow.family === 4 ? 11 : 3, code: 0, quote, extensions: randomObjects(random), compat: layout === 1 };
  const { router } = ADDRESSES[flow.family];
  const icmp = flow.family === 4 ? encodeIcmpError(fields) : encodeIcmpv6Error(fields, router, flow.source);
  const unit = flow.family === 4 ? 4 : 8;
  if (layout === 2) icmp[flow.family === 4 ? 5 : 4] = Math.ceil(quote.length / unit);
  return { icmp, quoteEnd: 8 + quote.length };
}

test('errors with extensions in every layout, their padding and extension bytes mutated: still the same probe', () => {
  const random = mulberry32(5837);
  let withLabels = 0;
  let withInterfaces = 0;
  for (const [family, protocol] of combos) {
    const flow = flowFor(family, protocol);
    const method = createProbeMethod(protocol);
    const probes = Array.from({ length: 20 }, (_, i) => method.build(flow, 1 + (i % 10), 200 + i));
    for (let i = 0; i < 1500; i++) {
      const index = int(random, probes.length);
      const datagram = wireDatagram(flow, probes[index]!);
      const quoteBytes = (family === 4 ? 28 : 48) + int(random, 120);
      const { icmp, quoteEnd } = errorWithExtensions(random, flow, datagram, quoteBytes);
      const whole = method.match(inbound(flow, ADDRESSES[family].router, family === 4 ? 1 : 58, icmp), flow);
      assert.equal(whole?.probeId, 200 + index, `${family}/${protocol}: ${icmp.toString('hex')}`);
      if (whole?.mpls) withLabels++;
      if (whole?.interfaces) withInterfaces++;
      // Damage only what follows the quote (padding, extension header, objects): the quote still names the probe.
      const damaged = Buffer.from(icmp);
      for (let flips = 1 + int(random, 6); flips > 0 && damaged.length > quoteEnd; flips--) {
        damaged[quoteEnd + int(random, damaged.length - quoteEnd)] = int(random, 256);
      }
      const cut = random() < 0.3 ? damaged.subarray(0, quoteEnd + int(random, damaged.length - quoteEnd + 1)) : damaged;
      const reply = method.match(inbound(flow, ADDRESSES[family].router, family === 4 ? 1 : 58, cut), flow);
      assert.equal(reply?.probeId, 200 + index, `${family}/${protocol} damaged: ${cut.toString('hex')}`);
    }
  }
  assert.ok(withLabels > 500 && withInterfaces > 500, `labels ${withLabels}, interfaces ${withInterfaces}`);
});

test('random quotes behind valid ICMP headers and extension structures are never attributed', () => {
  const random = mulberry32(4884);
  for (const [family, protocol] of combos) {
    const flow = flowFor(family, protocol);
    const method = createProbeMethod(protocol);
    for (let i = 0; i < 2000; i++) {
      const quote = randomBytes(random, 8 + int(random, 140));
      // A plausible IP header start so the quote gets as far as the transport checks.
      quote[0] = family === 4 ? 0x45 : 0x60;
      if (family === 6 && quote.length > 6) quote[6] = [6, 17, 58][int(random, 3)] ?? 6;
      if (family === 4 && quote.length > 9) quote[9] = [6, 17, 1][int(random, 3)] ?? 6;
      const fields = { type: family === 4 ? 11 : 3, code: 0, quote, extensions: randomObjects(random), compat: random() < 0.5 };
      const icmp = family === 4 ? encodeIcmpError(fields) : encodeIcmpv6Error(fields, ADDRESSES[6].router, flow.source);
      const packet = inbound(flow, ADDRESSES[family].router, family === 4 ? 1 : 58, random() < 0.5 ? icmp : Buffer.concat([icmp, encodeExtensionStructure(randomObjects(random))]));
      assert.equal(method.match(packet, flow), null, `${family}/${protocol} matched ${packet.payload.length} random bytes`);
    }
  }
});
