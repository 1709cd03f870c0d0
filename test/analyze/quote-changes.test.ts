// compareQuote and hopDetails: real TCP SYN probes against routers' quotes of them, rewritten on the way or not.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { hopDetails } from '../../src/analyze/hop-details.js';
import { compareQuote } from '../../src/analyze/quote-changes.js';
import type { ProbeRecord } from '../../src/engine/tracer.js';
import type { MplsLabel } from '../../src/packet/icmp.js';
import { encodeIpv4 } from '../../src/packet/ipv4.js';
import { encodeIpv6 } from '../../src/packet/ipv6.js';
import { encodeTcp } from '../../src/packet/tcp.js';
import { createProbeMethod } from '../../src/probe/index.js';
import type { Family, OutgoingPacket } from '../../src/probe/method.js';
import { sequenceFor } from '../../src/probe/tcp-syn.js';
import { flowFor, wireDatagram } from '../probe/fixtures.js';

const SYN_WINDOW = 64240; // what the TCP method sends; an untouched quote must compare equal
const NAT_SOURCE = { 4: '198.19.0.1', 6: '2001:db8:99::1' } as const;
const IP_HEADER = { 4: 20, 6: 40 } as const;
const LABELS: MplsLabel[] = [{ label: 16005, trafficClass: 0, bottomOfStack: true, ttl: 1 }];

const synProbe = (family: Family, id = 777): OutgoingPacket => createProbeMethod('tcp').build(flowFor(family, 'tcp'), 5, id);
/** The datagram as it left, IP header first (IPv6 probes are built without one). */
const sent = (family: Family, id = 777): Buffer => wireDatagram(flowFor(family, 'tcp'), synProbe(family, id));

interface Rewrite {
  mss?: number;
  dscp?: number;
  source?: string;
  sourcePort?: number;
}

/** The probe as a router down the path quotes it: TTL 1 left, a flow label of its own, and `rewrite` applied. */
function quoted(family: Family, rewrite: Rewrite = {}, id = 777): Buffer {
  const flow = flowFor(family, 'tcp');
  const source = rewrite.source ?? flow.source;
  const segment = encodeTcp(
    {
      sourcePort: rewrite.sourcePort ?? flow.sourcePort,
      destinationPort: flow.destinationPort,
      seq: sequenceFor(flow, id),
      flags: { syn: true },
      window: SYN_WINDOW,
      mss: rewrite.mss ?? (family === 4 ? 1460 : 1440),
    },
    new Uint8Array(0),
    source,
    flow.destination,
  );
  const dscp = rewrite.dscp ?? 0;
  return family === 4
    ? encodeIpv4({ source, destination: flow.destination, protocol: 6, ttl: 1, id, dontFragment: true, dscp }, segment)
    : encodeIpv6({ source, destination: flow.destination, nextHeader: 6, hopLimit: 1, trafficClass: dscp << 2, flowLabel: 0x12345 }, segment);
}

/** A copy with only the TCP checksum altered. */
function withChecksum(family: Family, datagram: Buffer, xor: number): Buffer {
  const copy = Buffer.from(datagram);
  const at = IP_HEADER[family] + 16;
  copy.writeUInt16BE(copy.readUInt16BE(at) ^ xor, at);
  return copy;
}

const tcpChecksum = (family: Family, datagram: Buffer): number => datagram.readUInt16BE(IP_HEADER[family] + 16);
/** RFC 792's minimum: the IP header and 8 bytes of TCP (ports and sequence number). */
const eightBytes = (family: Family, datagram: Buffer): Buffer => datagram.subarray(0, IP_HEADER[family] + 8);

for (const family of [4, 6] as const) {
  describe(`compareQuote, IPv${family}`, () => {
    const mss = family === 4 ? 1460 : 1440;

    test('an untouched quote shows no change (TTL, flow label and IP checksum are not compared)', () => {
      assert.deepEqual(compareQuote(family, sent(family), quoted(family)), { quote: 'full', changes: [] });
    });

    test('MSS clamping: the MSS alone, not the checksum that follows from it', () => {
      assert.deepEqual(compareQuote(family, sent(family), quoted(family, { mss: 1360 })), {
        quote: 'full',
        changes: [{ field: 'tcp.mss', sent: mss, quoted: 1360 }],
      });
    });

    test('DSCP re-marking', () => {
      assert.deepEqual(compareQuote(family, sent(family), quoted(family, { dscp: 46 })), { quote: 'full', changes: [{ field: 'ip.dscp', sent: 0, quoted: 46 }] });
    });

    test('source address and port translated (NAT): both, without the checksum', () => {
      const flow = flowFor(family, 'tcp');
      const result = compareQuote(family, sent(family), quoted(family, { source: NAT_SOURCE[family], sourcePort: 50000 }));
      assert.deepEqual(result, {
        quote: 'full',
        changes: [
          { field: 'ip.src', sent: flow.source, quoted: NAT_SOURCE[family] },
          { field: 'l4.srcPort', sent: flow.sourcePort, quoted: 50000 },
        ],
      });
    });

    test('the TCP checksum alone changed: reported, since nothing it covers explains it', () => {
      const original = tcpChecksum(family, sent(family));
      assert.deepEqual(compareQuote(family, sent(family), withChecksum(family, quoted(family), 0x0101)), {
        quote: 'full',
        changes: [{ field: 'tcp.checksum', sent: original, quoted: original ^ 0x0101 }],
      });
    });

    test('a checksum change beside a field it does not cover (DSCP) stays', () => {
      const result = compareQuote(family, sent(family), withChecksum(family, quoted(family, { dscp: 8 }), 0x0101));
      assert.deepEqual(result?.changes.map((c) => c.field), ['ip.dscp', 'tcp.checksum']);
    });

    test('8 bytes of TCP: partial, and only the ports and sequence number are compared', () => {
      assert.deepEqual(compareQuote(family, sent(family), eightBytes(family, quoted(family, { mss: 1200 }))), { quote: 'partial', changes: [] });
      const nat = compareQuote(family, sent(family), eightBytes(family, quoted(family, { source: NAT_SOURCE[family], sourcePort: 50000 })));
      assert.equal(nat?.quote, 'partial');
      assert.deepEqual(nat?.changes.map((c) => c.field), ['ip.src', 'l4.srcPort']);
    });

    test('a quote too short for an IP header compares to nothing', () => {
      assert.equal(compareQuote(family, sent(family), quoted(family).subarray(0, 12)), null);
    });

    test('a quote that stops before the TCP options cannot say a checksum change is news', () => {
      const fixedHeaderOnly = quoted(family, { mss: 1200 }).subarray(0, IP_HEADER[family] + 20);
      const result = compareQuote(family, sent(family), fixedHeaderOnly);
      assert.equal(result?.quote, 'partial');
      assert.deepEqual(result?.changes, []);
    });
  });
}

// 'full' means the whole transport header was quoted: for UDP every compared field is in those 8 bytes.
test('a UDP probe quoted up to its 8-byte header is full: every UDP field can be compared', () => {
  const flow = flowFor(4, 'udp', 53);
  const datagram = wireDatagram(flow, createProbeMethod('udp').build(flow, 5, 777));
  assert.ok(datagram.length > 28, 'the DNS probe carries a payload');
  assert.equal(compareQuote(4, datagram, datagram.subarray(0, 28))?.quote, 'full');
});

/** A probe record as the tracer keeps it; with `quote`, answered by a router's time-exceeded. */
function record(packet: OutgoingPacket, quote?: Uint8Array, mpls?: MplsLabel[]): ProbeRecord {
  const id = packet.family === 4 ? packet.bytes.readUInt16BE(4) : 0;
  const from = packet.family === 4 ? '198.18.3.2' : '2001:db8:3::2';
  return {
    id,
    ttl: packet.ttl,
    index: 0,
    status: quote ? 'answered' : 'timed-out',
    dueMs: 0,
    packet,
    ...(quote ? { reply: { probeId: id, kind: 'time-exceeded', from, replyTtl: 62, icmpType: 11, icmpCode: 0, quote, ...(mpls ? { mpls } : {}), receivedAtNs: 0n } } : {}),
  };
}

describe('hopDetails', () => {
  const flow4 = flowFor(4, 'tcp');
  const flow6 = flowFor(6, 'tcp');

  test('one full quote makes the hop full; its changes and the first MPLS stack stand for the hop', () => {
    const details = hopDetails(flow4, [
      record(synProbe(4, 11), eightBytes(4, quoted(4, {}, 11))),
      record(synProbe(4, 12), quoted(4, { mss: 1360 }, 12), LABELS),
      record(synProbe(4, 13)),
    ]);
    assert.deepEqual(details, { quote: 'full', changes: [{ field: 'tcp.mss', sent: 1460, quoted: 1360 }], mpls: LABELS });
  });

  test('each probe is compared with its own bytes: ip.id and tcp.seq differ per probe and are no change', () => {
    const records = [21, 22, 23].map((id) => record(synProbe(4, id), quoted(4, {}, id)));
    assert.deepEqual(hopDetails(flow4, records), { quote: 'full', changes: [] });
  });

  test('the first change seen of a field stands for the hop', () => {
    const details = hopDetails(flow4, [record(synProbe(4, 31), quoted(4, { mss: 1400 }, 31)), record(synProbe(4, 32), quoted(4, { mss: 1300 }, 32))]);
    assert.deepEqual(details.changes, [{ field: 'tcp.mss', sent: 1460, quoted: 1400 }]);
  });

  test('IPv6: the sent header is rebuilt from the flow before comparing', () => {
    const details = hopDetails(flow6, [record(synProbe(6), quoted(6, { dscp: 10 }))]);
    assert.deepEqual(details, { quote: 'full', changes: [{ field: 'ip.dscp', sent: 0, quoted: 10 }] });
    assert.deepEqual(hopDetails(flow6, [record(synProbe(6), eightBytes(6, quoted(6)), LABELS)]), { quote: 'partial', changes: [], mpls: LABELS });
  });

  test('no quotes (silence, or the destination\'s own answer): nothing to say', () => {
    assert.deepEqual(hopDetails(flow4, [record(synProbe(4))]), {});
    assert.deepEqual(hopDetails(flow4, []), {});
  });
});
