// The paths report as HTML, from hand-made runs: a width-8 diamond whose branch 5 drops the port (every branch router
// drawn in its own place, the stop marked red, the banner red, the table with a reproducing command per path),
// a healthy diamond (green), unresolved flows (amber), and hostile reverse names and host kept as escaped text.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { FoundPath, PathEnd } from '../../src/analyze/paths.js';
import { renderPathsHtml } from '../../src/report/paths-html.js';
import type { PathsContext } from '../../src/report/paths-html.js';
import type { PathsReport } from '../../src/trace/paths.js';

const SPLITTER = '198.18.1.2';
const JOINER = '198.18.20.2';
const SERVER = '198.18.30.2';
const branch = (b: number) => `198.18.${2 + b}.2`;
const open: PathEnd = { kind: 'destination', ttl: 4, address: SERVER, state: 'open', reply: 'SYN-ACK', sentFrom: 4 };

/** A diamond of `width` branches, two flows each; `ends` overrides a branch's end (its hops stop at the branch router). */
function diamond(width: number, ends: Record<number, PathEnd> = {}): PathsReport {
  const paths: FoundPath[] = Array.from({ length: width }, (_, b) => {
    const end = ends[b] ?? open;
    const hops = [{ ttl: 1, address: SPLITTER }, { ttl: 2, address: branch(b) }, ...(end === open ? [{ ttl: 3, address: JOINER }] : [])];
    const sourcePorts = [40000 + 2 * b, 40001 + 2 * b];
    return { id: b + 1, hops, flows: 2, share: 1 / width, sourcePorts, icmpIds: [], end, reproduce: sourcePorts[0]!, reproduceWith: `--sport ${sourcePorts[0]!}` };
  });
  return {
    version: 1,
    target: { host: SERVER, address: SERVER, family: 4 },
    protocol: 'tcp',
    port: 443,
    source: { address: '198.18.1.1', interface: 'eth0' },
    mode: 'raw',
    confidence: 95,
    flowsPerHop: [1, 2, 3, 4].map((ttl) => ({ ttl, flows: 2 * width, outcomes: ttl === 2 ? width : 1, needed: 2 * width, single: ttl !== 2, perPacket: false })),
    ruleMet: true,
    probes: 8 * width,
    flows: paths.flatMap((p) => p.sourcePorts.map((sourcePort) => ({ sourcePort, icmpId: null, hops: p.hops.map((h) => h.address), path: p.id }))),
    nodes: [],
    links: [],
    paths,
    perPacket: [],
    unresolved: 0,
    agree: Object.keys(ends).length === 0,
    summary: Object.keys(ends).length === 0 ? `TCP/443 is open at hop 4 on all ${width} paths.` : 'TCP/443 is open at hop 4 on 7 of 8 paths; flows through 198.18.7.2 (hop 2) are dropped after hop 2.',
    startedAt: '2026-11-29T08:00:00.000Z',
    durationMs: 3250,
    interrupted: false,
  };
}

const context: PathsContext = { version: '0.1.0', commandLine: 'portpath paths 198.18.30.2 443 --report-file r.html', generatedAt: new Date('2026-11-29T08:00:05Z'), nameOf: () => null };

const banner = (html: string) => /<div class="verdict (\w+)" id="verdict">/.exec(html)?.[1];

/** The boxes drawn in the diamond: where each stands and the text in it. */
function boxes(html: string): { x: number; y: number; w: number; h: number; text: string }[] {
  return [...html.matchAll(/<g>(?:<title>[^<]*<\/title>)?<rect x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="([\d.]+)"[^>]*\/>(.*?)<\/g>/g)].map((m) => ({
    x: Number(m[1]), y: Number(m[2]), w: Number(m[3]), h: Number(m[4]), text: m[5]!.replace(/<[^>]+>/g, ' ').trim(),
  }));
}

test('a width-8 diamond with a dropping branch: verdict first and red, every router in its own box inside the drawing, the stop red', () => {
  const dropped: PathEnd = { kind: 'silent', after: { ttl: 2, address: branch(5) } };
  const html = renderPathsHtml(diamond(8, { 5: dropped }), context);
  assert.equal(banner(html), 'bad');
  // The summary comes first, before the drawing and the tables.
  assert.ok(html.indexOf('id="verdict"') < html.indexOf('<svg') && html.indexOf('<svg') < html.indexOf('id="paths"'));
  const drawn = boxes(html);
  const [w, h] = /<svg viewBox="0 0 ([\d.]+) ([\d.]+)"/.exec(html)!.slice(1).map(Number) as [number, number];
  for (let b = 0; b < 8; b++) assert.equal(drawn.filter((box) => box.text.startsWith(branch(b))).length, 1, `branch ${b} drawn once`);
  for (const box of drawn) assert.ok(box.x >= 0 && box.y >= 0 && box.x + box.w <= w && box.y + box.h <= h, `${box.text} inside the drawing`);
  for (const [i, a] of drawn.entries()) {
    for (const b of drawn.slice(i + 1)) assert.ok(a.x + a.w <= b.x || b.x + b.w <= a.x || a.y + a.h <= b.y || b.y + b.h <= a.y, `${a.text} and ${b.text} do not overlap`);
  }
  // The client left, the destination right, the branch routers in one column between.
  const client = drawn.find((b) => b.text.startsWith('this host'))!;
  const server = drawn.find((b) => b.text.startsWith(SERVER))!;
  assert.ok(drawn.every((b) => b === client || b.x > client.x));
  assert.ok(drawn.every((b) => b === server || b.x < server.x));
  assert.equal(new Set(drawn.filter((b) => /^198\.18\.[2-9]\.2/.test(b.text)).map((b) => b.x)).size, 1);
  assert.match(server.text, /open at hop 4/);
  // The stop: a red box after hop 2, the line into it red and labelled with its flows.
  const stop = drawn.find((b) => b.text.includes('dropped'))!;
  assert.match(stop.text, /✕ dropped\s+after hop 2/);
  assert.match(html, /<rect [^>]*fill="#fce8e6" stroke="#d93025"[^>]*\/><text[^>]*>✕ dropped</);
  assert.match(html, /<path d="[^"]+" fill="none" stroke="#d93025" stroke-width="([\d.]+)"/);
  assert.match(html, /style="font-size:11px;fill:#b3261e;[^"]*">2 flows<\/text>/);
  // Line widths follow the share: the splitter's (all 16 flows) thickest.
  const widths = [...html.matchAll(/stroke-width="([\d.]+)" stroke-opacity/g)].map((m) => Number(m[1]));
  assert.equal(Math.max(...widths), 9.5);
  assert.match(html, />16 flows</);
  // The table: a row per path, the broken one marked, each with the command that reproduces it.
  const rows = html.slice(html.indexOf('id="paths"')).split('</table>')[0]!.match(/<tr[ >]/g)!;
  assert.equal(rows.length, 9);
  assert.match(html, /<tr class="stop"><td class="n">6<\/td><td class="n">2\/16 \(13%\)<\/td><td>198\.18\.1\.2 › 198\.18\.7\.2<\/td><td>dropped after hop 2<\/td><td><code>portpath --sport 40010 198\.18\.30\.2 443<\/code><\/td><\/tr>/);
  assert.match(html, /8 paths found, 1 of them broken \(red\)\./);
  // The stopping rule's figures.
  assert.match(html, /95% confidence per hop/);
  assert.match(html, /64 probes over 16 flows/);
  assert.match(html, /<tr><td class="n">2<\/td><td class="n">16<\/td><td class="n">8<\/td><td class="n">16<\/td><\/tr>/);
});

test('rejected and forged ends are stops too, each saying how; a healthy diamond is green, unresolved flows amber', () => {
  const rejected: PathEnd = { kind: 'rejected', ttl: 3, address: branch(1), reply: 'administratively prohibited' };
  const forged: PathEnd = { kind: 'forged', ttl: 3, hop: 2, by: branch(2), reply: 'RST' };
  const html = renderPathsHtml(diamond(3, { 1: rejected, 2: forged }), context);
  assert.equal(banner(html), 'bad');
  const drawn = boxes(html);
  assert.ok(drawn.some((b) => /^✕ rejected at hop 3\s+198\.18\.3\.2\s+administratively prohibited$/.test(b.text)), JSON.stringify(drawn));
  assert.ok(drawn.some((b) => /^✕ RST forged\s+at hop 2\s+198\.18\.4\.2$/.test(b.text)));

  assert.equal(banner(renderPathsHtml(diamond(4), context)), 'ok');
  assert.equal(banner(renderPathsHtml({ ...diamond(4), unresolved: 3 }, context)), 'unsure');
  assert.equal(banner(renderPathsHtml({ ...diamond(4), ruleMet: false }, context)), 'unsure');
  assert.equal(banner(renderPathsHtml({ ...diamond(4), paths: [] }, context)), 'unsure');
});

test('branches of unequal length: the destination stands right of everything, saying both hops; a silent hop is a dashed * box', () => {
  const report = diamond(2);
  const longer = report.paths[1]!;
  longer.hops = [longer.hops[0]!, longer.hops[1]!, { ttl: 3, address: null }, { ttl: 4, address: JOINER }];
  longer.end = { ...open, ttl: 5 };
  const drawn = boxes(renderPathsHtml(report, context));
  const server = drawn.find((b) => b.text.startsWith(SERVER))!;
  assert.match(server.text, /open at hop 4, 5$/);
  assert.ok(drawn.every((b) => b === server || b.x < server.x));
  assert.equal(drawn.filter((b) => b.text === '*  no answer').length, 1);
  assert.match(renderPathsHtml(report, context), /stroke="#9aa0a6" stroke-width="1.2" stroke-dasharray="4 3"\/><text[^>]*>\*</);
});

test('ICMP echo flows reproduce with -I --icmp-id; a hop balanced per packet is one node naming its routers, and no command reproduces its paths', () => {
  const echo = diamond(2);
  echo.protocol = 'icmp';
  echo.port = null;
  for (const path of echo.paths) [path.icmpIds, path.sourcePorts, path.reproduceWith] = [path.sourcePorts, [], `--icmp-id ${path.reproduce}`];
  assert.match(renderPathsHtml(echo, context), /<code>portpath -I --icmp-id 40000 198\.18\.30\.2<\/code>/);

  const spread = [branch(0), branch(1)];
  const perPacket = { ...diamond(1), perPacket: [{ ttl: 2, routers: spread }] };
  perPacket.paths[0]!.hops[1] = { ttl: 2, address: null, spread };
  perPacket.paths[0]!.reproduceWith = null;
  const html = renderPathsHtml(perPacket, context);
  assert.ok(boxes(html).some((b) => /^per packet over 2:\s+198\.18\.2\.2\s+198\.18\.3\.2$/.test(b.text)), JSON.stringify(boxes(html)));
  assert.match(html, /<td>198\.18\.1\.2 › \{198\.18\.2\.2 \| 198\.18\.3\.2\} › 198\.18\.20\.2<\/td><td>open at hop 4<\/td><td><code>none: balanced per packet<\/code>/);
  assert.equal(banner(html), 'ok');
});

test('hostile reverse names and a hostile host stay text: no markup, no fetch; a long name is cut in the box, whole in its tooltip', () => {
  const hostile = '<script>alert(1)</script><img src=https://t.example/p.png onerror="x">&#x202e;';
  const long = `${'a'.repeat(60)}.example`;
  const report = { ...diamond(2), target: { host: 'evil"<b>.example', address: SERVER, family: 4 as const } };
  const html = renderPathsHtml(report, { ...context, commandLine: 'portpath paths \'<svg onload=x>\' 443', nameOf: (a) => (a === branch(0) ? hostile : a === branch(1) ? long : null) });
  // No element but the report's own, and no attribute that fetches or runs anything.
  assert.doesNotMatch(html, /<(script|img|b|iframe)\b|<svg onload|<[^>]*\s(src|href|on\w+)=/i);
  assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
  assert.ok(html.includes('&amp;#x202e;'));
  assert.ok(html.includes('evil&quot;&lt;b&gt;.example (198.18.30.2)'));
  assert.ok(html.includes(`<title>${long}</title>`));
  assert.ok(html.includes(`>${'a'.repeat(23)}…<`));
  // The page itself: the same Content Security Policy as the trace report, no script, nothing fetched.
  assert.match(html, /<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">/);
  assert.match(html, /^<!doctype html>/);
});
