// pathNotes (middleboxes, NAT, rate limiting vs loss, MPLS) and the small path facts it and the diagnosis rest on.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { diagnose } from '../../src/analyze/diagnose.js';
import { compactRanges, hopsAway, lastAnswer, routerTtls } from '../../src/analyze/path-facts.js';
import { pathNotes } from '../../src/analyze/path-notes.js';
import type { HopResult, TraceResult } from '../../src/engine/types.js';
import { answers, CLIENT, routerAt, routers, silent, synAck, tcpTrace } from './fixtures.js';

const LABEL = [{ label: 16005, trafficClass: 0, bottomOfStack: true, ttl: 1 }];

/** A TCP trace through routers 1-4 to an open port at hop 5, with `extra` merged into the hops it names. */
function traceWith(extra: Record<number, Partial<HopResult>>): TraceResult {
  const result = tcpTrace(routers(1, 4), answers(5, synAck()));
  return { ...result, hops: result.hops.map((h) => ({ ...h, ...extra[h.ttl] })) };
}

describe('pathNotes', () => {
  test('a clean path has nothing to say', () => {
    assert.deepEqual(pathNotes(traceWith({})), { middleboxes: [], nat: null, rateLimited: [], lossy: [], mplsHops: [], notes: [], evidence: [] });
  });

  test('a middlebox is placed at the first hop whose quote shows its change, once per field', () => {
    const notes = pathNotes(
      traceWith({
        3: { changes: [{ field: 'tcp.mss', sent: 1460, quoted: 1360 }] },
        4: { changes: [{ field: 'tcp.mss', sent: 1460, quoted: 1360 }, { field: 'ip.dscp', sent: 0, quoted: 46 }] },
      }),
    );
    assert.deepEqual(notes.middleboxes, [
      { field: 'tcp.mss', hop: 3, by: routerAt(3), sent: 1460, quoted: 1360 },
      { field: 'ip.dscp', hop: 4, by: routerAt(4), sent: 0, quoted: 46 },
    ]);
    assert.equal(notes.nat, null, 'MSS clamping and DSCP re-marking are not translation');
    assert.equal(notes.evidence[0], 'tcp.mss was 1460 when sent, 1360 in the quote from hop 3: rewritten before hop 3');
  });

  test('the device is the hop\'s first answering probe, past silent ones', () => {
    const unanswered = silent(3, 3, 1)[0]!.probes;
    const hop3: HopResult = { ttl: 3, probes: [...unanswered, ...routers(3, 3)[0]!.probes], changes: [{ field: 'ip.ecn', sent: 0, quoted: 1 }] };
    const result = tcpTrace(routers(1, 2), hop3, routers(4, 4), answers(5, synAck()));
    assert.equal(pathNotes(result).middleboxes[0]?.by, routerAt(3));
  });

  test('NAT from translated addresses or ports, first seen at the lowest such hop', () => {
    const notes = pathNotes(
      traceWith({
        2: { changes: [{ field: 'l4.srcPort', sent: 40123, quoted: 50000 }] },
        4: { changes: [{ field: 'ip.src', sent: CLIENT, quoted: '198.19.0.1' }] },
      }),
    );
    assert.deepEqual(notes.nat, { hop: 2, fields: ['l4.srcPort', 'ip.src'] });
  });

  test('a checksum changed on its own (translation undone in the quote) counts as NAT', () => {
    const notes = pathNotes(traceWith({ 3: { changes: [{ field: 'tcp.checksum', sent: 0x1234, quoted: 0x4321 }] } }));
    assert.deepEqual(notes.nat, { hop: 3, fields: ['tcp.checksum'] });
  });

  test('rate-limited and lossy hops from the slow re-probes, MPLS hops from the label stacks', () => {
    const notes = pathNotes(
      traceWith({
        1: { mpls: LABEL },
        2: { loss: { cause: 'rate-limit', recheck: { sent: 12, answered: 5 }, burst: { sent: 10, answered: 3 }, spaced: { sent: 2, answered: 2 }, sent: 15, answered: 7, lossPct: 53.3 }, mpls: LABEL },
        3: { loss: { cause: 'rate-limit', recheck: { sent: 3, answered: 3 } }, mpls: [] },
        4: { loss: { cause: 'loss', recheck: { sent: 12, answered: 6 }, burst: { sent: 10, answered: 5 }, spaced: { sent: 2, answered: 1 }, where: 'router', sent: 15, answered: 8, lossPct: 46.7 }, mpls: LABEL },
      }),
    );
    assert.deepEqual([notes.rateLimited, notes.lossy, notes.mplsHops], [[2, 3], [4], [1, 2, 4]]);
    assert.deepEqual(notes.evidence, [
      'hop 2-3: spaced re-probes were answered and a burst was cut short (ICMP rate limiting, not loss)',
      'hop 4: answers went missing whatever the spacing (real loss)',
      'MPLS label stacks at hop 1-2,4',
    ]);
    assert.deepEqual(notes.notes, [
      'Hop 2: 8 of 15 probes unanswered (53.3%): ICMP rate limiting, not loss (a burst of 10 got 3 answers, 2 of 2 probes a second apart were answered).',
      'Hop 3: ICMP rate limiting, not loss (3 of 3 slow re-probes answered).',
      "Hop 4: 7 of 15 probes unanswered (46.7%): loss (a burst of 10 got 5 answers, 1 of 2 probes a second apart were answered); the hops after it lose clearly less, so it is this router's own ICMP that goes missing.",
      'Routers at hop 2-3 are rate-limiting their ICMP to this host; a rerun in a few seconds will see more.',
    ]);
  });

  test('the diagnosis carries the notes, their evidence after its own', () => {
    const d = diagnose(traceWith({ 2: { mpls: LABEL, loss: { cause: 'loss', recheck: { sent: 3, answered: 1 } } } }), null);
    assert.deepEqual([d.mplsHops, d.lossy, d.rateLimited, d.middleboxes, d.nat], [[2], [2], [], [], null]);
    assert.equal(d.evidence.at(-1), 'MPLS label stacks at hop 2');
  });
});

describe('receive drops', () => {
  test('packets our own sockets dropped get a note, so missing answers are not laid on the routers alone', () => {
    const result = tcpTrace(routers(1, 4), answers(5, synAck()));
    assert.ok(!pathNotes(result).notes.some((n) => /dropped .* at portpath's own sockets/.test(n)));
    result.receiveDrops = 1234;
    assert.ok(pathNotes(result).notes.some((n) => /dropped 1234 packets at portpath's own sockets/.test(n)));
  });
});

describe('path facts', () => {
  test('compactRanges: sorted, deduplicated runs', () => {
    assert.equal(compactRanges([1, 2, 3, 5]), '1-3,5');
    assert.equal(compactRanges([5, 3, 1, 2, 2]), '1-3,5');
    assert.equal(compactRanges([1, 3, 5]), '1,3,5');
    assert.equal(compactRanges([7, 8]), '7-8');
    assert.equal(compactRanges([4]), '4');
    assert.equal(compactRanges([]), '');
  });

  test('hopsAway: from the nearest usual initial TTL (64, 128, 255)', () => {
    assert.deepEqual([64, 60, 128, 120, 255, 250].map(hopsAway), [1, 5, 1, 9, 1, 6]);
  });

  test('lastAnswer is the highest answering TTL (destination included); routerTtls only time-exceeded', () => {
    const result = tcpTrace(routers(1, 2), silent(3), routers(4, 4), answers(5, synAck()));
    assert.deepEqual(lastAnswer(result), { ttl: 5, from: '198.18.5.2' });
    assert.deepEqual([...routerTtls(result)], [[1, routerAt(1)], [2, routerAt(2)], [4, routerAt(4)]]);
    assert.equal(lastAnswer(tcpTrace(silent(1, 3))), null);
  });
});
