// formatComparison (--compare): traces side by side hop by hop, then each one's port state and diagnosis.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Diagnosis, Verdict } from '../../src/analyze/diagnose.js';
import { formatComparison } from '../../src/report/comparison.js';
import type { HopResult } from '../../src/engine/types.js';
import { answers, echoReply, echoTrace, routers, silent, synAck, tcpTrace, trace, udpTrace } from '../analyze/fixtures.js';

function diagnosis(verdict: Verdict, explanation: string): Diagnosis {
  return { verdict, hop: null, by: null, candidates: [], confidence: 'high', evidence: [], explanation, control: null, reach: null, middleboxes: [], nat: null, rateLimited: [], lossy: [], mplsHops: [], notes: [], forwarder: null };
}

test('three methods: aligned columns, silent hops as stars, cells only where a trace has the hop', () => {
  const results = [tcpTrace(routers(1, 4), answers(5, synAck())), udpTrace(routers(1, 2), silent(3, 7)), echoTrace(routers(1, 4), answers(5, echoReply()))];
  const diagnoses = [diagnosis('open', 'TCP open.'), diagnosis('filtered-in-path', 'UDP dropped after hop 2.'), diagnosis('reachable', 'Echo answered.')];
  assert.equal(
    formatComparison(results, diagnoses),
    [
      'TTL  TCP/443                       UDP/53                        ICMP echo',
      '  1  198.18.1.2 1.00 1.10 1.20     198.18.1.2 1.00 1.10 1.20     198.18.1.2 1.00 1.10 1.20',
      '  2  198.18.2.2 2.00 2.10 2.20     198.18.2.2 2.00 2.10 2.20     198.18.2.2 2.00 2.10 2.20',
      '  3  198.18.3.2 3.00 3.10 3.20     * * *                         198.18.3.2 3.00 3.10 3.20',
      '  4  198.18.4.2 4.00 4.10 4.20     * * *                         198.18.4.2 4.00 4.10 4.20',
      '  5  198.18.5.2 5.00 5.10 5.20     * * *                         198.18.5.2 5.00 5.10 5.20',
      '  6                                * * *',
      '  7                                * * *',
      'RTTs in ms.',
      'TCP/443: [open] open — TCP open.',
      'UDP/53: [open|filtered] filtered-in-path — UDP dropped after hop 2.',
      'ICMP echo: [reached] reachable — Echo answered.',
      '',
    ].join('\n'),
  );
});

test('two methods: a long cell keeps one space, the first responder names the hop, an unreached echo says so', () => {
  const far = '2001:db8:1234:5678::2';
  const hop1: HopResult = { ttl: 1, probes: [{ from: null, rtt: null, reply: null }, { from: far, rtt: 100, reply: { kind: 'time-exceeded', ttl: 64 } }, { from: far, rtt: 110.456, reply: { kind: 'time-exceeded', ttl: 64 } }] };
  const tcp = trace([hop1, silent(2, 3)], { family: 6 });
  const icmp = trace([routers(1, 1, 6), silent(2, 3)], { family: 6, protocol: 'icmp' });
  const text = formatComparison([tcp, icmp], [diagnosis('filtered-in-path', 'TCP stops.'), diagnosis('unreachable', 'Nothing gets through.')]);
  assert.deepEqual(text.split('\n').slice(0, 2), ['TTL  TCP/443                       ICMP echo', `  1  ${far} * 100.00 110.46 2001:db8:1::2 1.00 1.10 1.20`]);
  assert.match(text, /^TCP\/443: \[filtered\] filtered-in-path — TCP stops\.$/m);
  assert.match(text, /^ICMP echo: \[not reached\] unreachable — Nothing gets through\.$/m);
});
