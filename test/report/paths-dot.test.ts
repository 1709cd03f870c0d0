// The paths as a Graphviz graph: one node per responder and hop, the failing end's edge red, labels escaped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { formatPathsDot } from '../../src/report/paths-dot.js';
import type { PathsReport } from '../../src/trace/paths.js';

const report = {
  source: { address: '198.18.1.1', interface: 'eth0' },
  paths: [
    {
      id: 1,
      hops: [{ ttl: 1, address: '198.18.1.2' }, { ttl: 2, address: '198.18.2.2' }, { ttl: 3, address: '198.18.3.2' }],
      flows: 2,
      sourcePorts: [40001, 40002],
      share: 0.5,
      reproduce: 40001,
      end: { kind: 'destination', ttl: 4, address: '198.18.9.2', state: 'open', reply: 'syn-ack' },
    },
    {
      id: 2,
      hops: [{ ttl: 1, address: '198.18.1.2' }, { ttl: 2, address: '198.18.4.2"\n' }],
      flows: 2,
      sourcePorts: [40003, 40004],
      share: 0.5,
      reproduce: 40003,
      end: { kind: 'silent', after: { ttl: 2, address: '198.18.4.2"\n' } },
    },
  ],
} as unknown as PathsReport;

test('a diamond as DOT: shared first hop with both paths\' flows, the dropping branch red, hostile text escaped', () => {
  const dot = formatPathsDot(report);
  assert.match(dot, /^digraph paths \{/);
  assert.match(dot, /src -> "1\|198\.18\.1\.2" \[label="4 flows"\];/);
  assert.ok(dot.includes('-> "silent after 2 198.18.4.2\\"\\\\x0a" [label="2 flows", color=red, fontcolor=red];'), dot);
  assert.doesNotMatch(dot, /-> "4\|198\.18\.9\.2" \[[^\]]*red/);
  // Every line is a statement or a brace: no raw newline or quote escaped a string.
  for (const line of dot.trim().split('\n').slice(1, -1)) assert.match(line, /^ {2}\S.*;$/);
});
