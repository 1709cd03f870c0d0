// /probe with a multipath module on a real ECMP diamond: one branch drops the port, and the scrape says there are 2
// paths, 1 broken, which one ends silent after which hop and its share of the flows; probe_success is 0 (not every
// path reaches the port); the exposition passes promtool check metrics.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { buildDiamond } from '../../src/lab/diamond.js';
import { CLI, onceMoreIfBranchMissed, requireRoot } from './harness.js';
import { eventually, nsFetch, output, requireTools, writeFile } from './exporter-lab.js';

const metric = (text: string, series: string): number => Number(new RegExp(`^${series.replace(/[{}|"=.]/g, (c) => `\\${c}`)} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);

test('a multipath /probe on a diamond whose branch 1 drops the port: 2 paths, 1 broken, where it stops, probe_success 0', { timeout: 120_000 }, async (t) => {
  if (!requireRoot(t) || !requireTools(t, ['promtool'])) return;
  const diamond = await buildDiamond({ width: 2, ipv6: false, icmpRateLimit: true });
  const dir = mkdtempSync(join(tmpdir(), 'portpath-exporter-paths-'));
  try {
    await diamond.startServices({ tcp: [443] });
    const server = diamond.serverAddress(4);
    const bad = diamond.branchRouterAddress(1, 0, 4);
    diamond.exec(diamond.branches[1]![0]!, 'iptables', ['-A', 'FORWARD', '-p', 'tcp', '--dport', '443', '-j', 'DROP']);
    const file = writeFile(dir, 'portpath.yml', `modules:\n  fan:\n    port: 443\n    paths: true\n    confidence: 99\nallow:\n  targets: [${server}]\nresponder_info: true\n`);
    const log = output(diamond.spawn(diamond.client, process.execPath, [CLI, 'exporter', '--config', file, '--web.listen-address', '127.0.0.1:9089']));
    const ns = diamond.client.namespace;
    await eventually(`the exporter up\n${log()}`, 20_000, async () => ((await nsFetch(ns, 'http://127.0.0.1:9089/-/ready')).status === 200 ? true : undefined));
    const probe = () => nsFetch(ns, `http://127.0.0.1:9089/probe?module=fan&target=${server}`, { headers: { 'X-Prometheus-Scrape-Timeout-Seconds': '60' } });
    const r = await onceMoreIfBranchMissed(t, probe, (answer) => answer.status === 200 && metric(answer.body, 'portpath_paths') === 2);
    assert.equal(r.status, 200, r.body);
    const body = r.body;
    console.log(`multipath probe: ${metric(body, "probe_duration_seconds")} s`);
    assert.equal(metric(body, 'portpath_paths'), 2, body);
    assert.equal(metric(body, 'portpath_paths_broken'), 1, body);
    assert.equal(metric(body, 'probe_success'), 0, body);
    const silent = [1, 2].find((p) => metric(body, `portpath_path_end{path="${p}",end="silent"}`) === 1)!;
    const open = 3 - silent;
    assert.equal(metric(body, `portpath_path_end{path="${open}",end="open"}`), 1, body);
    assert.equal(metric(body, `portpath_path_stop_hop{path="${silent}"}`), 2, body);
    assert.equal(metric(body, `portpath_path_stop_hop{path="${open}"}`), 4, body);
    const shares = metric(body, 'portpath_path_share_ratio{path="1"}') + metric(body, 'portpath_path_share_ratio{path="2"}');
    assert.ok(Math.abs(shares - 1) < 1e-9, body);
    execFileSync('promtool', ['check', 'metrics'], { input: body, stdio: ['pipe', 'pipe', 'pipe'] });
    // The debug view names the router the broken path stops behind.
    const debug = await nsFetch(ns, `http://127.0.0.1:9089/probe?module=fan&target=${server}&debug=true`);
    assert.match(debug.body, new RegExp(`summary: .*${bad.replaceAll('.', '\\.')}`), debug.body);
  } finally {
    await diamond.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
