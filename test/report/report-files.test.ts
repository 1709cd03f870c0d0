// Report files against golden files: the Markdown and CSV of one firewalled trace with owners, byte for byte (set
// UPDATE_GOLDEN=1 to rewrite them after a deliberate change, then read the diff). The CSV also goes through
// csv-parse; the HTML's structure is checked here and its rendering in Chromium by test/lab/reports.test.ts.
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { renderCsv } from '../../src/report/csv.js';
import { traceDocument } from '../../src/report/document.js';
import { renderHtml } from '../../src/report/html.js';
import { renderMarkdown } from '../../src/report/markdown.js';
import { context, expired, report, silent } from './firewalled-trace.js';

const GOLDEN = fileURLToPath(new URL('../../../test/report/golden/', import.meta.url));

function golden(name: string, actual: string): void {
  if (process.env.UPDATE_GOLDEN === '1') writeFileSync(GOLDEN + name, actual);
  assert.equal(actual, readFileSync(GOLDEN + name, 'utf8'), `${name} differs from test/report/golden/${name}`);
}

test('Markdown and CSV of a firewalled trace with owners match their golden files', () => {
  const doc = traceDocument(report(), context);
  golden('trace.md', renderMarkdown(doc));
  const csv = renderCsv(doc);
  golden('trace.csv', csv);
  const rows = parse(csv, { columns: true }) as Record<string, string>[];
  assert.equal(rows.length, 7 * 3);
  // Quotes and a pipe in an AS name survive the round trip through a standard parser.
  assert.equal(rows[0]!.as_name, 'LAB-EDGE - Lab edge, "quoted" | piped');
});

test('the HTML: verdict first, the stop marked, nothing that loads from anywhere, text escaped', () => {
  const html = renderHtml(traceDocument(report(), context));
  assert.ok(html.indexOf('id="verdict"') < html.indexOf('<h2>The path</h2>'));
  assert.match(html, /default-src 'none'/);
  assert.doesNotMatch(html, /<script|<link|<img|url\(|https?:\/\//i);
  assert.match(html, /LAB-EDGE - Lab edge, &quot;quoted&quot; \| piped/);
  assert.match(html, /Stops here\./);
});

test('a hop none of whose own probes was answered shows its answers to the follow-up probes, marked', () => {
  const asked = report();
  asked.hops[3] = { ...asked.hops[3]!, reprobes: [silent, expired('198.18.4.1', 2.5, 61)] };
  const doc = traceDocument(asked, context);
  const hop4 = doc.hops.find((h) => h.ttl === 4)!;
  assert.deepEqual([hop4.addresses, hop4.sent, hop4.received, hop4.note], [['198.18.4.1'], 5, 1, 'time exceeded, re-probed']);
  assert.deepEqual(doc.probes.filter((p) => p.ttl === 4).map((p) => p.address), ['', '', '', '', '198.18.4.1']);
  // A hop that answered keeps to its own probes.
  asked.hops[0] = { ...asked.hops[0]!, reprobes: [expired('198.18.1.2', 0.5, 64)] };
  assert.equal(traceDocument(asked, context).hops[0]!.sent, 3);
});
