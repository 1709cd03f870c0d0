// The diagnosis and per-hop detail lines as printed, and RFC 4950 MPLS labels and RFC 5837 interfaces from the wire
// bytes to the text.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { Diagnosis } from '../../src/analyze/diagnose.js';
import { hopDetails } from '../../src/analyze/hop-details.js';
import type { ProbeRecord } from '../../src/engine/tracer.js';
import type { HopResult, ProbeResult } from '../../src/engine/types.js';
import { internetChecksum } from '../../src/packet/checksum.js';
import { encodeInterfaceInfoObject, encodeMplsObject } from '../../src/packet/extensions.js';
import type { IcmpExtensionObject } from '../../src/packet/extensions.js';
import { encodeIcmpError } from '../../src/packet/icmp.js';
import type { MplsLabel } from '../../src/packet/icmp.js';
import type { InterfaceInfo } from '../../src/packet/interface-info.js';
import { encodeIcmpv6Error } from '../../src/packet/icmpv6.js';
import { createProbeMethod } from '../../src/probe/index.js';
import type { Family } from '../../src/probe/method.js';
import { formatDiagnosis, formatHopDetails } from '../../src/report/diagnosis-text.js';
import { ADDRESSES, flowFor, inbound, wireDatagram } from '../probe/fixtures.js';

const expired = (ttl: number): ProbeResult => ({ from: '198.18.3.2', rtt: 1.5, reply: { kind: 'time-exceeded', icmpType: 11, icmpCode: 0, name: 'time exceeded', ttl } });
const silentProbe: ProbeResult = { from: null, rtt: null, reply: null };
const hop = (extra: Partial<HopResult>): HopResult => ({ ttl: 3, probes: [expired(62), expired(62), silentProbe], ...extra });

describe('formatHopDetails', () => {
  test('nothing to say: no lines', () => {
    assert.equal(formatHopDetails(hop({})), '');
    assert.equal(formatHopDetails(hop({ quote: 'full', changes: [], mpls: [] })), '');
  });

  test('changes on one line; numbers above 0xffff in hex', () => {
    const changes = [
      { field: 'tcp.mss', sent: 1460, quoted: 1360 },
      { field: 'tcp.seq', sent: 0x5a5a0001, quoted: 0x12340001 },
      { field: 'tcp.ack', sent: 0xffff, quoted: 0x10000 },
      { field: 'ip.src', sent: '198.18.1.1', quoted: '198.19.0.1' },
      { field: 'ip.df', sent: true, quoted: false },
    ];
    assert.equal(
      formatHopDetails(hop({ quote: 'full', changes })),
      '     quote shows changes: tcp.mss 1460 -> 1360, tcp.seq 0x5a5a0001 -> 0x12340001, tcp.ack 65535 -> 0x10000, ' +
        'ip.src 198.18.1.1 -> 198.19.0.1, ip.df true -> false\n',
    );
  });

  test('MPLS labels outermost first, with traffic class, bottom-of-stack bit and TTL', () => {
    const mpls: MplsLabel[] = [
      { label: 16005, trafficClass: 0, bottomOfStack: false, ttl: 1 },
      { label: 24001, trafficClass: 5, bottomOfStack: true, ttl: 254 },
    ];
    assert.equal(formatHopDetails(hop({ mpls })), '     MPLS labels: 16005 (TC 0, S 0, TTL 1) | 24001 (TC 5, S 1, TTL 254)\n');
  });

  test('interfaces the router named: one line, each as role, name, then ifIndex, address, MTU', () => {
    const interfaces: InterfaceInfo[] = [
      { role: 'incoming', ifIndex: 3, address: '198.18.2.2', name: 'eth0', mtu: 1500 },
      { role: 'outgoing', name: 'eth1' },
    ];
    assert.equal(formatHopDetails(hop({ interfaces: interfaces.slice(0, 1) })), '     interface: incoming eth0 (ifIndex 3, 198.18.2.2, MTU 1500)\n');
    assert.equal(formatHopDetails(hop({ interfaces })), '     interface: incoming eth0 (ifIndex 3, 198.18.2.2, MTU 1500); outgoing eth1\n');
    assert.equal(formatHopDetails(hop({ interfaces: [] })), '');
    const mpls: MplsLabel[] = [{ label: 16005, trafficClass: 0, bottomOfStack: true, ttl: 1 }];
    assert.equal(formatHopDetails(hop({ mpls, interfaces: [{ role: 'incoming', ifIndex: 7 }] })), '     MPLS labels: 16005 (TC 0, S 1, TTL 1)\n     interface: incoming (ifIndex 7)\n');
  });

  test('verbose: what the answers were, their reply TTLs and how much was quoted, before the rest', () => {
    const probes = [expired(62), expired(62), expired(61), silentProbe];
    const text = formatHopDetails(hop({ probes, quote: 'partial', changes: [{ field: 'ip.dscp', sent: 0, quoted: 46 }] }), true);
    assert.equal(text, '     replies: time exceeded, IP TTL 62 (x2); time exceeded, IP TTL 61; quote partial\n     quote shows changes: ip.dscp 0 -> 46\n');
    assert.equal(formatHopDetails(hop({ probes: [silentProbe] }), true), '');
  });
});

const DIAGNOSIS: Diagnosis = {
  verdict: 'open',
  hop: 5,
  by: '198.18.5.2',
  candidates: [{ hop: 5, by: '198.18.5.2', role: 'destination' }],
  reach: null,
  confidence: 'medium',
  evidence: ['trace TCP/443: routers answered at TTL 1-4; final answer syn-ack from 198.18.5.2 at TTL 5 (reply IP TTL 60)', 'MPLS label stacks at hop 2'],
  explanation: 'TCP/443 is open: the destination 198.18.5.2 answers with SYN-ACK at hop 5.',
  control: null,
  forwarder: null,
  middleboxes: [
    { field: 'tcp.mss', hop: 3, by: '198.18.3.2', sent: 1460, quoted: 1360 },
    { field: 'tcp.seq', hop: 4, by: null, sent: 0x5a5a0001, quoted: 0x12340001 },
  ],
  nat: { hop: 4, fields: ['tcp.seq'] },
  rateLimited: [2, 3],
  lossy: [4],
  mplsHops: [2],
  notes: ['Hop 2: 1 of 15 probes unanswered (6.7%): ICMP rate limiting, not loss (a burst of 10 got 6 answers, 2 of 2 probes a second apart were answered).'],
};

describe('formatDiagnosis', () => {
  const summary =
    'Diagnosis: open (medium confidence)\n' +
    '  TCP/443 is open: the destination 198.18.5.2 answers with SYN-ACK at hop 5.\n' +
    '  A middlebox before hop 3 (198.18.3.2) rewrites tcp.mss: 1460 sent, 1360 seen there.\n' +
    '  A middlebox before hop 4 rewrites tcp.seq: 0x5a5a0001 sent, 0x12340001 seen there.\n' +
    '  Address translation shows in the quotes from hop 4 on (tcp.seq).\n' +
    '  Hop 2: 1 of 15 probes unanswered (6.7%): ICMP rate limiting, not loss (a burst of 10 got 6 answers, 2 of 2 probes a second apart were answered).\n';

  test('verdict, explanation, middleboxes, NAT, rate limiting and loss', () => {
    assert.equal(formatDiagnosis(DIAGNOSIS, false), summary);
  });

  test('verbose adds the evidence', () => {
    assert.equal(
      formatDiagnosis(DIAGNOSIS, true),
      summary + '  Evidence:\n    - trace TCP/443: routers answered at TTL 1-4; final answer syn-ack from 198.18.5.2 at TTL 5 (reply IP TTL 60)\n    - MPLS label stacks at hop 2\n',
    );
  });

  test('a plain diagnosis is two lines', () => {
    const plain: Diagnosis = { ...DIAGNOSIS, verdict: 'unknown', confidence: 'low', explanation: 'No answer.', middleboxes: [], nat: null, rateLimited: [], lossy: [], notes: [] };
    assert.equal(formatDiagnosis(plain, false), 'Diagnosis: unknown (low confidence)\n  No answer.\n');
  });
});

const LABELS: MplsLabel[] = [
  { label: 16005, trafficClass: 0, bottomOfStack: false, ttl: 1 },
  { label: 24001, trafficClass: 5, bottomOfStack: true, ttl: 1 },
];

const ETH0: InterfaceInfo = { role: 'incoming', ifIndex: 3, address: '198.18.2.2', name: 'eth0', mtu: 1500 };

/** A router's time-exceeded for a real TCP SYN probe, with extension objects (by default the label stack, RFC 4950). */
function routerTimeExceeded(family: Family, compat: boolean, objects: IcmpExtensionObject[] = [encodeMplsObject(LABELS)]) {
  const flow = flowFor(family, 'tcp');
  const method = createProbeMethod('tcp');
  const packet = method.build(flow, 3, 501);
  const fields = { type: family === 4 ? 11 : 3, code: 0, quote: wireDatagram(flow, packet), extensions: objects, compat };
  const { router } = ADDRESSES[family];
  const icmp = family === 4 ? encodeIcmpError(fields) : encodeIcmpv6Error(fields, router, flow.source);
  return { flow, method, packet, icmp, router };
}

/** Matched by the probe method, kept as the tracer keeps it, through hopDetails: the hop as the report gets it. */
function reportedHop(family: Family, compat: boolean, corrupt?: (icmp: Buffer) => void, objects?: IcmpExtensionObject[]): HopResult {
  const { flow, method, packet, icmp, router } = routerTimeExceeded(family, compat, objects);
  corrupt?.(icmp);
  const reply = method.match(inbound(flow, router, family === 4 ? 1 : 58, icmp, 62), flow);
  assert.ok(reply, 'the time-exceeded matches its probe');
  assert.equal(reply.probeId, 501);
  const record: ProbeRecord = { id: 501, ttl: 3, index: 0, status: 'answered', dueMs: 0, packet, reply };
  return { ttl: 3, probes: [{ from: router, rtt: 2.5, reply: { kind: reply.kind, ttl: reply.replyTtl } }], ...hopDetails(flow, [record]) };
}

describe('MPLS from the wire to the text', () => {
  for (const family of [4, 6] as const) {
    for (const compat of [false, true]) {
      test(`IPv${family}, ${compat ? 'pre-RFC 4884 layout (offset 128)' : 'RFC 4884 length attribute'}: labels decode, attach to the hop and print`, () => {
        const hop = reportedHop(family, compat);
        assert.deepEqual(hop.mpls, LABELS);
        assert.equal(hop.quote, 'full');
        assert.deepEqual(hop.changes, [], 'the zero padding before the extension is not mistaken for rewritten fields');
        assert.equal(formatHopDetails(hop), '     MPLS labels: 16005 (TC 0, S 0, TTL 1) | 24001 (TC 5, S 1, TTL 1)\n');
      });
    }
  }

  test('a bad extension checksum: the reply still counts, but no labels are shown', () => {
    const hop = reportedHop(4, false, (icmp) => {
      const last = icmp.length - 1; // the last label's TTL, changed behind the extension checksum's back
      icmp.writeUInt8(icmp.readUInt8(last) ^ 0x02, last);
      icmp.writeUInt16BE(0, 2);
      icmp.writeUInt16BE(internetChecksum(icmp), 2); // the ICMP checksum itself is right again
    });
    assert.equal(hop.mpls, undefined);
    assert.equal(hop.quote, 'full');
    assert.equal(formatHopDetails(hop), '');
  });

  test('a router quoting only 8 bytes of TCP, zero-padded to 128 for the extension, still matches', () => {
    const flow = flowFor(4, 'tcp');
    const method = createProbeMethod('tcp');
    const packet = method.build(flow, 3, 502);
    const icmp = encodeIcmpError({ type: 11, code: 0, quote: packet.bytes.subarray(0, 28), extensions: [encodeMplsObject(LABELS)] });
    const reply = method.match(inbound(flow, ADDRESSES[4].router, 1, icmp, 62), flow);
    assert.equal(reply?.probeId, 502);
    assert.deepEqual(reply?.mpls, LABELS);
  });
});

describe('RFC 5837 interfaces from the wire to the text', () => {
  for (const family of [4, 6] as const) {
    for (const compat of [false, true]) {
      test(`IPv${family}, ${compat ? 'pre-RFC 4884 layout (offset 128)' : 'RFC 4884 length attribute'}: the interface decodes, attaches to the hop and prints`, () => {
        const hop = reportedHop(family, compat, undefined, [encodeInterfaceInfoObject(ETH0), encodeMplsObject(LABELS)]);
        assert.deepEqual(hop.interfaces, [ETH0]);
        assert.deepEqual(hop.mpls, LABELS);
        assert.deepEqual(hop.changes, []);
        assert.equal(formatHopDetails(hop), '     MPLS labels: 16005 (TC 0, S 0, TTL 1) | 24001 (TC 5, S 1, TTL 1)\n     interface: incoming eth0 (ifIndex 3, 198.18.2.2, MTU 1500)\n');
      });
    }
  }

  test('the length attribute giving the unpadded quote, the structure at 128: still shown', () => {
    const hop = reportedHop(4, false, (icmp) => {
      icmp[5] = 44 / 4; // the 44-byte SYN (IP, TCP, MSS option), though it is padded to 128 before the extension
      icmp.writeUInt16BE(0, 2);
      icmp.writeUInt16BE(internetChecksum(icmp), 2);
    }, [encodeInterfaceInfoObject(ETH0)]);
    assert.deepEqual(hop.interfaces, [ETH0]);
    assert.equal(hop.quote, 'full');
    assert.equal(formatHopDetails(hop), '     interface: incoming eth0 (ifIndex 3, 198.18.2.2, MTU 1500)\n');
  });

  test('a bad extension checksum: no interface line', () => {
    const hop = reportedHop(4, false, (icmp) => {
      icmp.writeUInt8(icmp.readUInt8(icmp.length - 1) ^ 0x01, icmp.length - 1); // the MTU
      icmp.writeUInt16BE(0, 2);
      icmp.writeUInt16BE(internetChecksum(icmp), 2);
    }, [encodeInterfaceInfoObject(ETH0)]);
    assert.equal(hop.interfaces, undefined);
    assert.equal(formatHopDetails(hop), '');
  });
});
