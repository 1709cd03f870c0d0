// `portpath paths --report-file` on a real diamond (src/lab/diamond.ts), one branch dropping the port: the HTML page
// opened in real headless Chromium (no console errors, nothing fetched beyond the file, the summary the run printed
// and every branch router's address in the rendered page, the stop named; a screenshot kept in test-artifacts/),
// and the JSON report file, which is the run's --json.
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildDiamond } from '../../src/lab/diamond.js';
import type { PathsReport } from '../../src/trace/paths.js';
import { onceMoreIfBranchMissed, requireRoot, runCli } from './harness.js';
import { ARTIFACTS, openInChromium, scratch } from './report-files.js';

const PORT = 443;

test('a diamond whose branch 1 drops the port: the HTML report in Chromium draws both branches and the stop; the JSON file is the --json', async (t) => {
  if (!requireRoot(t)) return;
  const diamond = await buildDiamond({ width: 2, ipv6: false });
  try {
    await diamond.startServices({ tcp: [PORT] });
    diamond.exec(diamond.branches[1]![0]!, 'iptables', ['-A', 'FORWARD', '-p', 'tcp', '--dport', String(PORT), '-j', 'DROP']);
    const dir = scratch(t);
    const html = join(dir, 'paths.html');
    const branches = diamond.branches.map((_, b) => diamond.branchRouterAddress(b, 0, 4));
    const run = await onceMoreIfBranchMissed(t, () => runCli(diamond.client.namespace, ['paths', '-n', '--json', '--confidence', '99', diamond.serverAddress(4), String(PORT), '--report-file', html]),
      (r) => r.code === 0 && branches.every((address) => r.stdout.includes(`"${address}"`)));
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as PathsReport;
    // The run itself found both branches (99% per hop): otherwise the page could not show them.
    for (const address of branches) assert.ok(report.paths.some((p) => p.hops.some((h) => h.address === address)), `${address}: ${report.summary}`);

    mkdirSync(ARTIFACTS, { recursive: true });
    const page = await openInChromium(html, join(ARTIFACTS, 'paths-report.png'));
    assert.deepEqual(page.problems, [], 'console messages or errors');
    assert.deepEqual(page.requests, [], 'network requests');
    const text = page.text.replace(/\s+/g, ' ');
    assert.ok(text.includes(report.summary), `the summary in the page: ${report.summary}`);
    for (const address of branches) assert.ok(text.includes(address), `branch router ${address} in the page`);
    assert.ok(text.includes(diamond.serverAddress(4)), 'the destination');
    assert.match(text, /dropped after hop 2/);
    const broken = report.paths.find((p) => p.end.kind === 'silent')!;
    assert.ok(text.includes(`portpath ${broken.reproduceWith} ${diamond.serverAddress(4)} ${PORT}`), 'the command reproducing the broken path');

    const json = join(dir, 'paths.json');
    const again = await runCli(diamond.client.namespace, ['paths', '-n', diamond.serverAddress(4), String(PORT), '--report-file', json]);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^Path +Flows +Hops/m, 'the text still printed');
    const written = JSON.parse(readFileSync(json, 'utf8')) as PathsReport;
    assert.equal(written.version, 1);
    assert.deepEqual(Object.keys(written), Object.keys(report));
    assert.equal(written.target.address, diamond.serverAddress(4));
  } finally {
    await diamond.destroy();
  }
});
