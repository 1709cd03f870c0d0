// Report files from real runs: the HTML opened in real headless Chromium through the DevTools protocol (no console
// errors, no network requests, the verdict and every hop in the rendered page, a screenshot kept as an artifact in
// test-artifacts/), the Markdown and the CSV (parsed with csv-parse) of the same trace, a watch's HTML report, and
// a report file that cannot be written.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { parse } from 'csv-parse/sync';
import { runCli, withChain } from './harness.js';
import { ARTIFACTS, openInChromium, scratch } from './report-files.js';
import { startLabDns } from './lab-dns.js';

test('a trace stopped by a firewall, with owners: the HTML in Chromium, the Markdown and the CSV', async (t) => {
  await withChain(t, { routers: 3 }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    const dns = await startLabDns(chain);
    chain.exec(chain.routers[1]!, 'iptables', ['-A', 'FORWARD', '-p', 'tcp', '--dport', '8443', '-j', 'DROP']);
    const dir = scratch(t);
    const server = chain.serverAddress(4);
    for (const extension of ['html', 'md', 'csv']) {
      const run = await runCli(chain.client.namespace, ['-z', '--dns', dns, '-n', server, '8443', '--report-file', join(dir, `trace.${extension}`)]);
      assert.equal(run.code, 0, run.stderr);
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    const page = await openInChromium(join(dir, 'trace.html'), join(ARTIFACTS, 'trace-report.png'));
    assert.deepEqual(page.problems, [], 'console messages or errors');
    assert.deepEqual(page.requests, [], 'network requests');
    assert.match(page.text, /Traffic to the port is dropped on the way, before the destination\./);
    assert.match(page.text, /stops at hop 2 \(198\.18\.2\.2, AS64501 LAB-CORE - Lab core, ZZ\)/);
    for (const ttl of [1, 2]) assert.ok(page.text.includes(chain.routerAddress(ttl, 4)), `hop ${ttl} in the page`);
    assert.match(page.text, /AS64500 LAB-EDGE/);
    assert.match(page.text, /to run it again: portpath -z --dns/);

    const markdown = readFileSync(join(dir, 'trace.md'), 'utf8');
    assert.match(markdown, /^# portpath: TCP\/8443 \(https-alt\) to 198\.18\.4\.2$/m);
    assert.match(markdown, /^\| 2 \(stops here\) \| 198\.18\.2\.2 \| {3}\| AS64501 LAB-CORE - Lab core, ZZ \| [\d.]+ \/ [\d.]+ \/ [\d.]+ \| 3\/3 \| time exceeded \|$/m);
    const rows = parse(readFileSync(join(dir, 'trace.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    assert.deepEqual(Object.keys(rows[0]!), ['hop', 'probe', 'address', 'name', 'asn', 'as_name', 'rtt_ms', 'reply', 'reply_ttl']);
    const first = rows.filter((r) => r.hop === '1');
    assert.equal(first.length, 3);
    assert.deepEqual([first[0]!.address, first[0]!.asn, first[0]!.as_name, first[0]!.reply], ['198.18.1.2', '64500', 'LAB-EDGE - Lab edge network', 'time exceeded']);
    assert.ok(rows.some((r) => r.hop === '3' && r.address === '' && r.reply === 'no answer'));
  });
});

test("a watch's HTML report has its loss and RTT charts; a report file that cannot be written is one sentence, exit 10", async (t) => {
  await withChain(t, { routers: 2 }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    const dir = scratch(t);
    const file = join(dir, 'watch.html');
    const run = await runCli(chain.client.namespace, ['watch', '--report', '-n', '-c', '30', '--interval', '0.05', chain.serverAddress(4), '443', '--report-file', file]);
    assert.equal(run.code, 0, run.stderr);
    mkdirSync(ARTIFACTS, { recursive: true });
    const page = await openInChromium(file, join(ARTIFACTS, 'watch-report.png'));
    assert.deepEqual(page.problems, []);
    assert.deepEqual(page.requests, []);
    for (const heading of ['The path', 'Loss per hop', 'RTT over the last rounds', 'Every hop']) assert.ok(page.text.includes(heading), heading);
    assert.match(page.text, /The port is open/);

    const bad = await runCli(chain.client.namespace, ['-n', chain.serverAddress(4), '443', '--report-file', '/nonexistent-dir/report.html']);
    assert.equal(bad.code, 10);
    assert.equal(bad.stderr.trim().split('\n').length, 1, bad.stderr);
    assert.match(bad.stderr, /Cannot write the report to \/nonexistent-dir\/report\.html: no such directory\./);
    const unknown = await runCli(chain.client.namespace, ['-n', chain.serverAddress(4), '443', '--report-file', join(dir, 'report.pdf')]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /name it \.html, \.md, \.csv or \.json, or add --format/);
  });
});

test('--compare writes one report with every method: a summary of verdicts, then each method (HTML in Chromium, Markdown, CSV)', async (t) => {
  await withChain(t, { routers: 2 }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    chain.exec(chain.routers[1]!, 'iptables', ['-A', 'FORWARD', '-p', 'tcp', '--dport', '8443', '-j', 'DROP']);
    const dir = scratch(t);
    for (const extension of ['html', 'md', 'csv']) {
      const run = await runCli(chain.client.namespace, ['-n', '--compare', 'tcp:443,tcp:8443,icmp', chain.serverAddress(4), '--report-file', join(dir, `compare.${extension}`)]);
      assert.equal(run.code, 0, run.stderr);
    }
    mkdirSync(ARTIFACTS, { recursive: true });
    const page = await openInChromium(join(dir, 'compare.html'), join(ARTIFACTS, 'compare-report.png'));
    assert.deepEqual(page.problems, []);
    assert.deepEqual(page.requests, []);
    assert.match(page.text, /TCP\/443 \(https\)\s+open/);
    // r2 is the last router before the server here: its drop reads as "at the destination or right before it".
    assert.match(page.text, /TCP\/8443 \(https-alt\)\s+filtered-at-destination/);
    assert.match(page.text, /ICMP echo\s+reachable/);
    const markdown = readFileSync(join(dir, 'compare.md'), 'utf8');
    assert.match(markdown, /^\| TCP\/8443 \(https-alt\) \| `filtered-at-destination` \|/m);
    assert.equal(markdown.match(/^## portpath: /gm)?.length, 3);
    const rows = parse(readFileSync(join(dir, 'compare.csv'), 'utf8'), { columns: true }) as Record<string, string>[];
    assert.deepEqual([...new Set(rows.map((r) => r.method))], ['TCP/443 (https)', 'TCP/8443 (https-alt)', 'ICMP echo']);
  });
});
