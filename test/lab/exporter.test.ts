// The exporter end to end, as an ops team runs it: two vantage points (two client namespaces, each with its
// exporter, one of them behind TLS and basic auth) watch and /probe the same server port, and a real Prometheus (in
// client A's namespace, scraping both over the management link) evaluates the deploy/ alert rules. PromQL returns
// the port state and the stop hop per vantage; a firewall rule on vantage A's first router makes
// PortpathPortNotOpen fire for A alone within three evaluation intervals of the state reaching Prometheus, and it
// clears when the rule goes. The exposition of both endpoints passes promtool check metrics.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import bcrypt from 'bcryptjs';
import { buildVantageLab } from '../../src/lab/vantage.js';
import type { Vantage, VantageLab } from '../../src/lab/vantage.js';
import { CLI, requireRoot } from './harness.js';
import { eventually, nsFetch, output, requireTools, selfSignedCertificate, writeFile } from './exporter-lab.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const PORT = 9089;
const EVALUATION_S = 1;
const PASSWORD = 'lab-password';

function exporterConfig(server: string): string {
  return `modules:
  tcp_443:
    method: tcp
    port: 443
    max_ttl: 8
    wait: 500ms
allow:
  targets: [198.18.0.0/15]
  ports: [443]
limits:
  min_interval: 0s
watches:
  - target: ${server}:443
    module: tcp_443
    interval: 1s
    name: server-443
`;
}

function prometheusConfig(lab: VantageLab, server: string, rules: string, ca: string): string {
  const a = lab.managementAddress('A');
  const b = lab.managementAddress('B');
  const probe = (vantage: Vantage, address: string, tls: boolean) => `
  - job_name: portpath_probe_${vantage}
    metrics_path: /probe
    params: { module: [tcp_443] }
    scrape_interval: 5s
    scrape_timeout: 4s
${tls ? `    scheme: https\n    tls_config: { ca_file: ${ca} }\n    basic_auth: { username: prom, password: ${PASSWORD} }\n` : ''}    static_configs: [{ targets: ['${server}:443'] }]
    relabel_configs:
      - { source_labels: [__address__], target_label: __param_target }
      - { source_labels: [__param_target], target_label: instance }
      - { target_label: __address__, replacement: '${address}:${PORT}' }
      - { target_label: vantage, replacement: ${vantage} }`;
  return `global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: ${EVALUATION_S}s
rule_files: [${rules}]
scrape_configs:
  - job_name: portpath_exporter
    static_configs: [{ targets: ['${a}:${PORT}'], labels: { vantage: A } }]
  - job_name: portpath_exporter_tls
    scheme: https
    tls_config: { ca_file: ${ca} }
    basic_auth: { username: prom, password: ${PASSWORD} }
    static_configs: [{ targets: ['${b}:${PORT}'], labels: { vantage: B } }]
${probe('A', a, false)}
${probe('B', b, true)}
`;
}

interface Sample {
  metric: Record<string, string>;
  value: [number, string];
}

test('two vantage points, a real Prometheus and the deploy/ alert rules: a firewall rule on one branch fires PortpathPortNotOpen for that vantage only, and it clears', { timeout: 240_000 }, async (t) => {
  if (!requireRoot(t) || !requireTools(t, ['prometheus', 'promtool', 'openssl'])) return;
  const dir = mkdtempSync(join(tmpdir(), 'portpath-exporter-lab-'));
  const lab = await buildVantageLab({ coreRouters: 1, ipv6: false });
  const logs: (() => string)[] = [];
  try {
    await lab.startServices({ tcp: [443] });
    const server = lab.serverAddress(4);
    const config = writeFile(dir, 'portpath.yml', exporterConfig(server));
    const { cert, key } = selfSignedCertificate(dir, lab.managementAddress('B'));
    const web = writeFile(dir, 'web.yml', `tls_server_config:\n  cert_file: ${cert}\n  key_file: ${key}\nbasic_auth_users:\n  prom: ${bcrypt.hashSync(PASSWORD, 6)}\n`);
    const rules = join(dir, 'portpath-alerts.yml');
    cpSync(join(ROOT, 'deploy/prometheus/portpath-alerts.yml'), rules);
    execFileSync('chmod', ['-R', 'a+rX', dir]);
    logs.push(output(lab.spawn(lab.clientA, process.execPath, [CLI, 'exporter', '--config', config, '--web.listen-address', `${lab.managementAddress('A')}:${PORT}`])));
    logs.push(output(lab.spawn(lab.clientB, process.execPath, [CLI, 'exporter', '--config', config, '--web.config.file', web, '--web.listen-address', `${lab.managementAddress('B')}:${PORT}`])));
    const prometheusYml = writeFile(dir, 'prometheus.yml', prometheusConfig(lab, server, rules, cert));
    execFileSync('promtool', ['check', 'config', prometheusYml], { stdio: 'pipe' });
    logs.push(output(lab.spawn(lab.clientA, 'prometheus', [`--config.file=${prometheusYml}`, `--storage.tsdb.path=${join(dir, 'data')}`, '--web.listen-address=127.0.0.1:9090'])));
    const context = () => logs.map((l) => l()).join('\n---\n');
    const ns = lab.clientA.namespace;

    const query = async (promql: string): Promise<Sample[]> => {
      const r = await nsFetch(ns, `http://127.0.0.1:9090/api/v1/query?query=${encodeURIComponent(promql)}`);
      assert.equal(r.status, 200, r.body);
      return (JSON.parse(r.body) as { data: { result: Sample[] } }).data.result;
    };
    const byVantage = (samples: Sample[]) => Object.fromEntries(samples.map((s) => [s.metric.vantage, Number(s.value[1])]));
    const alerts = async () => {
      const r = await nsFetch(ns, 'http://127.0.0.1:9090/api/v1/alerts');
      return (JSON.parse(r.body) as { data: { alerts: { labels: Record<string, string>; state: string }[] } }).data.alerts.filter((a) => a.labels.alertname === 'PortpathPortNotOpen');
    };

    // Both vantages: the watch's port open, the stop hop at the server (hop 3: the vantage's router, core, server).
    const open = await eventually(`both watches open in Prometheus\n${context()}`, 60_000, async () => {
      const v = byVantage(await query('portpath_port_state{state="open",watch="server-443"}'));
      return v.A === 1 && v.B === 1 ? v : undefined;
    });
    assert.deepEqual(open, { A: 1, B: 1 });
    assert.deepEqual(byVantage(await query('portpath_stop_hop{watch="server-443"}')), { A: 3, B: 3 });
    const probes = await eventually('/probe results from both vantages', 30_000, async () => {
      const v = byVantage(await query('probe_success'));
      return v.A !== undefined && v.B !== undefined ? v : undefined;
    });
    assert.deepEqual(probes, { A: 1, B: 1 }, context());
    assert.deepEqual(byVantage(await query('portpath_destination_hop{job=~"portpath_probe_.*"}')), { A: 3, B: 3 });
    assert.deepEqual(await alerts(), []);

    // What both endpoints serve passes Prometheus's own linter.
    for (const path of [`/metrics`, `/probe?module=tcp_443&target=${server}:443`]) {
      const r = await nsFetch(ns, `http://${lab.managementAddress('A')}:${PORT}${path}`);
      assert.equal(r.status, 200, r.body);
      execFileSync('promtool', ['check', 'metrics'], { input: r.body, stdio: ['pipe', 'pipe', 'pipe'] });
    }

    // A's first router drops the port.
    const ruleAt = performance.now();
    lab.exec(lab.routerA, 'iptables', ['-I', 'FORWARD', '-p', 'tcp', '--dport', '443', '-j', 'DROP']);
    const seen = await eventually(`vantage A's watch not open in Prometheus\n${context()}`, 60_000, async () => {
      const v = byVantage(await query('portpath_port_state{state="open",watch="server-443"}'));
      return v.A === 0 ? performance.now() : undefined;
    }, 250);
    const firing = await eventually(`PortpathPortNotOpen firing for A\n${context()}`, 30_000, async () => {
      const list = await alerts();
      return list.some((a) => a.state === 'firing' && a.labels.vantage === 'A') ? { at: performance.now(), list } : undefined;
    }, 250);
    const delayS = (firing.at - seen) / 1000;
    console.log(`PortpathPortNotOpen fired ${delayS.toFixed(1)} s after Prometheus had the state (evaluation every ${EVALUATION_S} s), ${((firing.at - ruleAt) / 1000).toFixed(1)} s after the firewall rule (watch rounds every 1 s)`);
    // Three evaluation intervals, plus one scrape interval for the state to be in Prometheus's latest sample.
    assert.ok(delayS <= 3 * EVALUATION_S + 1, `fired ${delayS.toFixed(1)} s after Prometheus had the state`);
    assert.deepEqual(firing.list.map((a) => a.labels.vantage), ['A'], JSON.stringify(firing.list));
    assert.equal(firing.list[0]!.labels.state, 'filtered');
    // The stop hop moved to A's router (hop 1, the last that answers); B still reaches the server at hop 3.
    const stops = await eventually('the stop hop of A at its router', 30_000, async () => {
      const v = byVantage(await query('portpath_stop_hop{watch="server-443"}'));
      return v.A === 1 ? v : undefined;
    });
    assert.deepEqual(stops, { A: 1, B: 3 });
    assert.equal(byVantage(await query('portpath_verdict{verdict="filtered-in-path",watch="server-443"}')).A, 1);

    // The rule goes: the alert clears.
    lab.exec(lab.routerA, 'iptables', ['-D', 'FORWARD', '-p', 'tcp', '--dport', '443', '-j', 'DROP']);
    await eventually(`PortpathPortNotOpen cleared\n${context()}`, 60_000, async () => ((await alerts()).length === 0 ? true : undefined));
    assert.equal(byVantage(await query('portpath_port_state{state="open",watch="server-443"}')).A, 1);
  } finally {
    await lab.destroy();
    rmSync(dir, { recursive: true, force: true });
  }
});
