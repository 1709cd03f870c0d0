import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import { PathMetrics } from '../../src/exporter/metrics.js';
import { pathId, viewOfTrace, viewOfWatch } from '../../src/exporter/views.js';
import type { TraceReport } from '../../src/trace/trace.js';
import type { WatchReport } from '../../src/trace/watch.js';

const answer = (from: string | null, rtt: number | null) => ({ from, rtt, reply: null });

/** A filtered port: hop 2 answers two of three probes, hop 3 (a rate-limited router, per the loss test) one. */
const report = {
  destination: { reached: false, hop: null, state: 'filtered', reason: 'timeout', by: null },
  diagnosis: { verdict: 'filtered-in-path', hop: 3 },
  hops: [
    { ttl: 1, probes: [answer('198.18.1.1', 1), answer('198.18.1.1', 3), answer('198.18.1.1', 2)] },
    { ttl: 2, probes: [answer('198.18.2.1', 4), answer(null, null), answer('198.18.2.9', 6)] },
    { ttl: 3, probes: [answer(null, null), answer('198.18.3.1', 8), answer(null, null)], loss: { cause: 'rate-limit', recheck: { sent: 6, answered: 3 } } },
    { ttl: 4, probes: [answer(null, null), answer(null, null), answer(null, null)] },
  ],
} as unknown as TraceReport;

async function render(add: (m: PathMetrics) => void, common: string[] = [], info = false): Promise<string> {
  const registry = new Registry();
  add(new PathMetrics(registry, common, info));
  return registry.metrics();
}

test("a trace's series: one state and one verdict set, hops by number, no addresses unless asked", async () => {
  const text = await render((m) => m.add(viewOfTrace(report)));
  const lines = text.split('\n').filter((l) => l !== '' && !l.startsWith('#'));
  assert.ok(lines.includes('portpath_port_state{state="filtered"} 1'));
  assert.equal(lines.filter((l) => l.startsWith('portpath_port_state') && l.endsWith(' 1')).length, 1);
  assert.ok(lines.includes('portpath_verdict{verdict="filtered-in-path"} 1'));
  assert.equal(lines.filter((l) => l.startsWith('portpath_verdict') && l.endsWith(' 1')).length, 1);
  assert.ok(!lines.some((l) => l.startsWith('portpath_destination_hop')), 'absent when the destination did not answer');
  assert.ok(lines.includes('portpath_stop_hop 3'));
  assert.ok(lines.includes('portpath_hops 4'));
  assert.ok(lines.includes('portpath_hop_rtt_seconds{hop="1"} 0.002'));
  assert.ok(lines.includes('portpath_hop_rtt_seconds{hop="2"} 0.005'));
  assert.ok(!lines.some((l) => l.startsWith('portpath_hop_rtt_seconds{hop="4"}')), 'no RTT where nothing answered');
  assert.ok(lines.some((l) => /^portpath_hop_loss_ratio\{hop="2"\} 0\.333/.test(l)));
  assert.ok(lines.includes('portpath_hop_icmp_limited{hop="3"} 1'));
  assert.ok(lines.includes('portpath_hop_icmp_limited{hop="2"} 0'));
  assert.ok(!text.includes('198.18.'), 'addresses only in the opt-in info metric');
  assert.ok(!/NaN|Nan|Inf/.test(text));
  const info = await render((m) => m.add(viewOfTrace(report)), [], true);
  assert.match(info, /portpath_hop_info\{hop="2",address="198\.18\.2\.1"\} 1/);
});

test('the path id names the answering routers in order and changes with them', () => {
  const view = viewOfTrace(report);
  assert.equal(pathId(view.hops), pathId(viewOfTrace(report).hops));
  assert.ok(Number.isSafeInteger(pathId(view.hops)) && pathId(view.hops) > 0);
  const moved = view.hops.map((h) => (h.ttl === 2 ? { ...h, address: '198.18.2.7' } : h));
  assert.notEqual(pathId(moved), pathId(view.hops));
  assert.equal(pathId(view.hops.map((h) => ({ ...h, address: null }))), 0);
});

test("a watch's series carry its labels; its silent UDP port reads open|filtered", async () => {
  const watch = {
    protocol: 'udp',
    portState: 'silent',
    distance: null,
    diagnosis: null,
    hops: [{ ttl: 1, sent: 10, received: 9, lossPct: 10, avgMs: 1.5, responders: [{ address: '198.18.1.1', answers: 9, share: 1 }], loss: { ttl: 1, label: 'icmp-limit', lossPct: 10, lowPct: 1, highPct: 30 } }],
  } as unknown as WatchReport;
  const text = await render((m) => m.add(viewOfWatch(watch), { watch: 'w', target: 'h:53', module: 'udp' }), ['watch', 'target', 'module']);
  assert.match(text, /portpath_port_state\{watch="w",target="h:53",module="udp",state="open\|filtered"\} 1/);
  assert.match(text, /portpath_hop_icmp_limited\{watch="w",target="h:53",module="udp",hop="1"\} 1/);
  assert.match(text, /portpath_hop_rtt_seconds\{watch="w",target="h:53",module="udp",hop="1"\} 0\.0015/);
  assert.doesNotMatch(text, /portpath_verdict\{[^}]*\} 1/, 'no verdict before the first diagnosis');
});
