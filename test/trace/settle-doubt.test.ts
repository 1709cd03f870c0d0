// A port state in doubt (RSTs that may reset our own half-open connections) is settled only by answers that cannot
// be collisions: a SYN-ACK, or an RST on a flow of its own.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { settleDoubt } from '../../src/engine/port-state.js';
import type { ProbeResult, TraceResult } from '../../src/engine/types.js';
import { answers, routers, rst, SERVER, silent, synAck, tcpTrace, ttlFrom } from '../analyze/fixtures.js';

const DOUBT = 'own-half-open' as const;
const answer = (kind: 'rst' | 'syn-ack'): ProbeResult => ({ from: SERVER, rtt: 5, reply: { kind, ttl: ttlFrom(5) } });
const lost: ProbeResult = { from: null, rtt: null, reply: null };

function doubted(reprobes: ProbeResult[]): TraceResult {
  const main = tcpTrace(routers(1, 4), { ...answers(5, rst(), 1), probes: [lost, lost, answer('rst')] });
  main.destination.doubt = DOUBT;
  main.hops.find((h) => h.ttl === 5)!.reprobes = reprobes;
  return main;
}

test('a follow-up SYN-ACK settles the doubt as open', () => {
  const main = doubted([answer('rst'), answer('syn-ack')]);
  settleDoubt(main);
  assert.equal(main.destination.state, 'open');
  assert.equal(main.destination.reason, 'syn-ack');
  assert.equal(main.destination.doubt, undefined);
});

test('an RST on a flow of its own settles it as closed; RSTs on the shared flow do not', () => {
  const closed = doubted([lost, answer('rst')]);
  settleDoubt(closed, [lost, answer('rst')]);
  assert.equal(closed.destination.state, 'closed');
  assert.equal(closed.destination.doubt, undefined);
  const shared = doubted([answer('rst'), answer('rst')]);
  settleDoubt(shared, [lost]);
  assert.equal(shared.destination.doubt, DOUBT);
});

test('a late SYN-ACK to a trace probe settles it too; a trace without doubt is left alone', () => {
  const late = doubted([]);
  late.hops.find((h) => h.ttl === 5)!.probes[0] = answer('syn-ack');
  settleDoubt(late);
  assert.equal(late.destination.state, 'open');
  const plain = tcpTrace(routers(1, 4), silent(5), answers(6, synAck()));
  const before = structuredClone(plain.destination);
  settleDoubt(plain);
  assert.deepEqual(plain.destination, before);
});
