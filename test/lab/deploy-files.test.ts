// The deployment material in deploy/, checked with the real tools. promtool checks the Prometheus config and the
// alert rules and runs the rules' unit tests. A real Prometheus scrapes two fake exporters on 127.0.0.1 through
// prometheus.yml and through the Kubernetes scrape config (its pod discovery swapped for a file holding the labels
// Kubernetes would give the pods): that shows the relabelling (a vantage label, instance = the target, one /probe
// scrape per target and vantage, sent to that vantage's exporter) and an alert with its annotations. The Grafana
// dashboard's queries parse; every metric name in deploy/ is one docs/exporter.md lists; the systemd unit passes
// `systemd-analyze verify` where systemd is installed.
// promtool and prometheus come from Debian's `prometheus` package. Without them these tests skip, except under
// CI=true, where they fail (as the lab tests do without root).
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { test } from 'node:test';
import type { TestContext } from 'node:test';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const DEPLOY = join(ROOT, 'deploy');
const read = (path: string) => readFileSync(join(ROOT, path), 'utf8');

/** Whether `tool` is on the PATH. Outside CI a missing one skips the test; under CI=true it fails it. */
function requireTool(t: TestContext, tool: string, pkg: string): boolean {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0) return true;
  if (process.env.CI === 'true') throw new Error(`${tool} is missing (apt-get install ${pkg}): CI must run this test`);
  t.skip(`needs ${tool} (apt-get install ${pkg})`);
  return false;
}

function run(command: string, args: string[], cwd = ROOT): { status: number | null; out: string } {
  const r = spawnSync(command, args, { cwd, encoding: 'utf8', timeout: 60_000 });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

function tempDir(t: TestContext, prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Every file under deploy/, relative to the repository. */
function deployFiles(dir = DEPLOY): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? deployFiles(path) : [path.slice(ROOT.length)];
  });
}

/** The metric names of docs/exporter.md's table (its rows start with a metric in backquotes). */
function documentedMetrics(): Set<string> {
  const rows = read('docs/exporter.md').split('\n').filter((line) => line.startsWith('| `'));
  return new Set(rows.flatMap((row) => [...(row.split(' | ')[0] ?? '').matchAll(/\b(?:portpath|probe)_\w+/g)].map((m) => m[0])));
}

/** The module names of deploy/portpath.yml (the keys under `modules:`). */
function modules(): string[] {
  const text = read('deploy/portpath.yml');
  const block = /^modules:\n((?:(?: {2}.*)?\n)+)/m.exec(text)?.[1] ?? '';
  return [...block.matchAll(/^ {2}(\w+):/gm)].map((m) => m[1]!);
}

// --- promtool --------------------------------------------------------------------------------------------------------

test('promtool check config: prometheus.yml and the rules it names are valid, without warnings', (t) => {
  if (!requireTool(t, 'promtool', 'prometheus')) return;
  // Relative paths in a Prometheus config (rule_files, file_sd) are relative to the config file, wherever promtool runs.
  const r = run('promtool', ['check', 'config', 'deploy/prometheus/prometheus.yml']);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /SUCCESS: 1 rule files found/);
  assert.match(r.out, /SUCCESS: 8 rules found/);
  assert.doesNotMatch(r.out, /WARNING/, r.out);
});

test('promtool check rules: the alert rules are valid, and each says where (vantage) in a summary and a description', (t) => {
  if (!requireTool(t, 'promtool', 'prometheus')) return;
  const r = run('promtool', ['check', 'rules', 'deploy/prometheus/portpath-alerts.yml']);
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /SUCCESS: 8 rules found/);
  const alerts = read('deploy/prometheus/portpath-alerts.yml').split(/^ {6}- alert: /m).slice(1);
  assert.equal(alerts.length, 8);
  for (const alert of alerts) {
    const name = alert.split('\n')[0];
    assert.match(alert, /^ {10}summary: /m, `${name}: no summary`);
    assert.match(alert, /^ {10}description: /m, `${name}: no description`);
    assert.match(alert, /\$labels\.vantage/, `${name}: does not name the vantage`);
  }
});

test('promtool test rules: every alert has a case that fires (labels and annotations) and one that must not', (t) => {
  if (!requireTool(t, 'promtool', 'prometheus')) return;
  const r = run('promtool', ['test', 'rules', 'portpath-alerts.test.yml'], join(DEPLOY, 'prometheus'));
  assert.equal(r.status, 0, r.out);
  assert.match(r.out, /SUCCESS/);
  assert.doesNotMatch(r.out, /FAILED/);
  const tests = read('deploy/prometheus/portpath-alerts.test.yml');
  const names = [...read('deploy/prometheus/portpath-alerts.yml').matchAll(/- alert: (\w+)/g)].map((m) => m[1]!);
  for (const name of names) {
    assert.match(tests, new RegExp(`alertname: ${name}\\n\\s+exp_alerts:\\n\\s+- exp_labels:`), `${name}: no case where it fires`);
    assert.match(tests, new RegExp(`alertname: ${name}\\n\\s+exp_alerts: \\[\\]`), `${name}: no case where it must not fire`);
  }
  assert.equal(tests.match(/exp_annotations:/g)?.length, tests.match(/- exp_labels:/g)?.length, 'every firing case checks the annotations');
});

// --- a real Prometheus against fake exporters --------------------------------------------------------------------------

interface FakeExporter {
  port: number;
  server: Server;
}

/** An HTTP server on 127.0.0.1 answering /metrics and /probe with fixed text in Prometheus's exposition format. */
async function fakeExporter(t: TestContext, metrics: string): Promise<FakeExporter> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    res.setHeader('content-type', 'text/plain; version=0.0.4');
    // Every probe: the port open, traffic stopping at the destination's hop 7.
    if (path === '/probe') res.end('probe_success 1\nprobe_duration_seconds 2.5\nportpath_verdict{verdict="open"} 1\nportpath_stop_hop 7\n');
    else if (path === '/metrics') res.end(metrics);
    else res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port: (server.address() as AddressInfo).port, server };
}

/** A port nothing listens on (taken from the kernel, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Starts Prometheus on `config` (in its own data directory under `dir`); returns a GET of its HTTP API's data. */
async function startPrometheus(t: TestContext, dir: string, config: string): Promise<(path: string) => Promise<unknown>> {
  const port = await freePort();
  const child = spawn('prometheus', [`--config.file=${config}`, `--storage.tsdb.path=${join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
  let log = '';
  child.stderr.on('data', (d: Buffer) => (log += d.toString()));
  const exited = new Promise((resolve) => child.once('exit', resolve));
  t.after(async () => {
    child.kill('SIGTERM');
    await exited;
  });
  return async (path) => {
    if (child.exitCode !== null) throw new Error(`prometheus exited ${child.exitCode}:\n${log}`);
    const response = await fetch(`http://127.0.0.1:${port}${path}`);
    const body = (await response.json()) as { status: string; data: unknown };
    assert.equal(body.status, 'success', JSON.stringify(body));
    return body.data;
  };
}

/** Polls until `check` passes (returns without throwing), for at most 30 s; then its last error. */
async function eventually<T>(check: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  }
}

interface ActiveTarget {
  labels: Record<string, string>;
  scrapeUrl: string;
  health: string;
  lastError: string;
}

/** One line per active target: its final labels, and which exporter (by vantage) gets the scrape, for what. */
function describeTargets(targets: ActiveTarget[], vantageOfPort: Map<string, string>): string[] {
  return targets
    .map(({ labels, scrapeUrl }) => {
      const url = new URL(scrapeUrl);
      const query = url.pathname === '/probe' ? ` module=${url.searchParams.get('module')} target=${url.searchParams.get('target')}` : '';
      return `${labels.job} vantage=${labels.vantage} instance=${labels.instance} -> ${vantageOfPort.get(url.port) ?? url.host}${url.pathname}${query}`;
    })
    .sort();
}

/** A watch's series on /metrics: db-primary closed (stops at hop 9) or open (stops at the server, hop 12). */
function watchMetrics(closed: boolean): string {
  const watch = 'watch="db-primary",target="db.example.com:5432",module="tcp_5432"';
  return [
    `portpath_watch_up{${watch}} 1`,
    `portpath_port_state{${watch},state="open"} ${closed ? 0 : 1}`,
    `portpath_port_state{${watch},state="closed"} ${closed ? 1 : 0}`,
    `portpath_verdict{${watch},verdict="open"} ${closed ? 0 : 1}`,
    `portpath_verdict{${watch},verdict="closed"} ${closed ? 1 : 0}`,
    `portpath_stop_hop{${watch}} ${closed ? 9 : 12}`,
    'portpath_exporter_config_last_reload_successful 1',
    '',
  ].join('\n');
}

test('a real Prometheus on prometheus.yml: each target in each vantage\'s list is a /probe scrape of that vantage\'s exporter, and a closed watch fires PortpathPortNotOpen', async (t) => {
  if (!requireTool(t, 'prometheus', 'prometheus')) return;
  const dir = tempDir(t, 'portpath-prometheus-');
  const [one, two] = [await fakeExporter(t, watchMetrics(true)), await fakeExporter(t, watchMetrics(false))];
  const alertmanager = await freePort();
  cpSync(join(DEPLOY, 'prometheus'), dir, { recursive: true });
  // The exporters become the fakes, Alertmanager a closed local port; scrapes and rule evaluations every second.
  for (const file of ['prometheus.yml', 'targets/icmp.yml']) {
    const text = readFileSync(join(dir, file), 'utf8')
      .replaceAll('vantage-1.example.com:9089', `127.0.0.1:${one.port}`)
      .replaceAll('vantage-2.example.com:9089', `127.0.0.1:${two.port}`)
      .replaceAll('alertmanager.example.com:9093', `127.0.0.1:${alertmanager}`)
      .replace(/(scrape_interval|scrape_timeout|evaluation_interval): \d+s/g, '$1: 1s');
    // Nothing outside this host is scraped: only targets that are /probe parameters may name other hosts.
    assert.doesNotMatch(text, /example\.com:9\d{3}/);
    writeFileSync(join(dir, file), text);
  }
  const api = await startPrometheus(t, dir, join(dir, 'prometheus.yml'));
  const vantageOfPort = new Map([[String(one.port), 'vantage-1'], [String(two.port), 'vantage-2']]);

  const targets = await eventually(async () => {
    const data = (await api('/api/v1/targets?state=active')) as { activeTargets: ActiveTarget[] };
    assert.equal(data.activeTargets.length, 14);
    for (const target of data.activeTargets) assert.equal(target.health, 'up', `${target.scrapeUrl}: ${target.lastError}`);
    return data.activeTargets;
  });
  const expected = [
    `portpath_exporter vantage=vantage-1 instance=127.0.0.1:${one.port} -> vantage-1/metrics`,
    `portpath_exporter vantage=vantage-2 instance=127.0.0.1:${two.port} -> vantage-2/metrics`,
  ];
  const lists: [string, string[]][] = [
    ['tcp_443', ['db.example.com:443', '198.18.1.2:443']],
    ['udp_53', ['198.18.10.53:53', '[2001:db8:10::53]:53']],
    ['icmp', ['198.18.0.1', '198.18.10.53']],
  ];
  for (const [module, list] of lists) {
    for (const vantage of ['vantage-1', 'vantage-2']) {
      for (const target of list) expected.push(`portpath_${module} vantage=${vantage} instance=${target} -> ${vantage}/probe module=${module} target=${target}`);
    }
  }
  assert.deepEqual(describeTargets(targets, vantageOfPort), expected.sort());

  // The rules run against what was scraped: vantage-1's watch is closed, vantage-2's open.
  const alerts = await eventually(async () => {
    const data = (await api('/api/v1/alerts')) as { alerts: { labels: Record<string, string>; annotations: Record<string, string>; state: string; activeAt: string }[] };
    assert.ok(data.alerts.some((a) => a.state === 'firing'));
    return data.alerts;
  });
  assert.deepEqual(alerts, [
    {
      labels: { alertname: 'PortpathPortNotOpen', severity: 'critical', job: 'portpath_exporter', instance: `127.0.0.1:${one.port}`, vantage: 'vantage-1', watch: 'db-primary', target: 'db.example.com:5432', module: 'tcp_5432', state: 'closed' },
      annotations: {
        summary: 'db.example.com:5432 is closed from vantage-1',
        description: `Watch db-primary (module tcp_5432) on 127.0.0.1:${one.port}, vantage vantage-1: the port of db.example.com:5432 is closed; traffic to it stops at hop 9, verdict closed.`,
      },
      state: 'firing',
      activeAt: alerts[0]?.activeAt,
      value: '1e+00',
    },
  ]);
  const rules = (await api('/api/v1/rules')) as { groups: { rules: { name: string; health: string; lastError?: string }[] }[] };
  for (const rule of rules.groups.flatMap((g) => g.rules)) assert.equal(rule.health, 'ok', `${rule.name}: ${rule.lastError}`);
});

test('a real Prometheus on the Kubernetes scrape config: one exporter target per pod, vantage = the node, /probe jobs named portpath_MODULE', async (t) => {
  if (!requireTool(t, 'prometheus', 'prometheus')) return;
  const dir = tempDir(t, 'portpath-k8s-');
  const [one, two] = [await fakeExporter(t, watchMetrics(false)), await fakeExporter(t, watchMetrics(false))];
  // Debian's Prometheus is built without Kubernetes discovery, so the pods come from a file with the labels
  // `role: pod` gives: one target per container port, and one bare target for a container without ports.
  const pod = (node: string, address: string, port: boolean) => ({
    targets: [address],
    labels: {
      __meta_kubernetes_namespace: 'monitoring',
      __meta_kubernetes_pod_name: `portpath-exporter-${node}`,
      __meta_kubernetes_pod_node_name: node,
      __meta_kubernetes_pod_label_app_kubernetes_io_name: 'portpath-exporter',
      __meta_kubernetes_pod_container_name: port ? 'exporter' : 'sidecar',
      ...(port ? { __meta_kubernetes_pod_container_port_name: 'metrics', __meta_kubernetes_pod_container_port_number: '9089' } : {}),
    },
  });
  writeFileSync(join(dir, 'pods.json'), JSON.stringify([
    pod('node-a', `127.0.0.1:${one.port}`, true),
    pod('node-a', '127.0.0.1', false),
    pod('node-b', `127.0.0.1:${two.port}`, true),
    pod('node-b', '127.0.0.1', false),
  ]));
  const original = read('deploy/kubernetes/scrape-config.yml');
  // Scrapes every second: the probe jobs' own intervals shortened, a global one for the exporter job.
  const config = 'global:\n  scrape_interval: 1s\n' + original
    .replace(/kubernetes_sd_configs: &exporter_pods\n(?: {6}.*\n)+/, 'file_sd_configs: &exporter_pods\n      - files: [pods.json]\n')
    .replaceAll('kubernetes_sd_configs:', 'file_sd_configs:')
    .replace(/(scrape_interval|scrape_timeout): \d+s/g, '$1: 1s');
  assert.notEqual(config, original);
  assert.doesNotMatch(config, /^\s*kubernetes_sd_configs:/m);
  writeFileSync(join(dir, 'scrape-config.yml'), config);
  const api = await startPrometheus(t, dir, join(dir, 'scrape-config.yml'));
  const vantageOfPort = new Map([[String(one.port), 'node-a'], [String(two.port), 'node-b']]);

  const data = await eventually(async () => {
    const data = (await api('/api/v1/targets')) as { activeTargets: ActiveTarget[]; droppedTargets: unknown[] };
    assert.equal(data.activeTargets.length, 8);
    for (const target of data.activeTargets) assert.equal(target.health, 'up', `${target.scrapeUrl}: ${target.lastError}`);
    return data;
  });
  // The containers without the metrics port, once per job.
  assert.equal(data.droppedTargets.length, 8);
  const expected = [
    `portpath_exporter vantage=node-a instance=127.0.0.1:${one.port} -> node-a/metrics`,
    `portpath_exporter vantage=node-b instance=127.0.0.1:${two.port} -> node-b/metrics`,
  ];
  for (const [module, target] of [['tcp_443', 'db.example.com:443'], ['tcp_443', '198.18.1.2:443'], ['udp_53', '198.18.10.53:53']]) {
    for (const node of ['node-a', 'node-b']) expected.push(`portpath_${module} vantage=${node} instance=${target} -> ${node}/probe module=${module} target=${target}`);
  }
  assert.deepEqual(describeTargets(data.activeTargets, vantageOfPort), expected.sort());
});

// --- files checked without a tool --------------------------------------------------------------------------------------

test('every metric name in deploy/ is in docs/exporter.md\'s table (job names aside)', () => {
  const documented = documentedMetrics();
  assert.ok(documented.has('portpath_hop_icmp_limited') && documented.has('probe_success'), [...documented].join(' '));
  const jobs = new Set(['portpath_exporter', 'portpath_MODULE', ...modules().map((m) => `portpath_${m}`)]);
  assert.deepEqual(modules(), ['tcp_443', 'tcp_5432', 'udp_53', 'icmp']);
  const used = new Set<string>();
  for (const file of deployFiles()) {
    for (const [name] of read(file).matchAll(/\b(?:portpath|probe)_\w+/g)) {
      if (jobs.has(name)) continue;
      used.add(name);
      assert.ok(documented.has(name), `${file}: ${name} is not a metric of docs/exporter.md`);
    }
  }
  assert.ok(used.size >= 10, [...used].join(' '));
});

test('the Grafana dashboard: JSON, its data source a ${DS_PROMETHEUS} variable, the variables it filters by, queries that parse', (t) => {
  const dashboard = JSON.parse(read('deploy/grafana/portpath-dashboard.json')) as {
    schemaVersion: number;
    templating: { list: { name: string; type: string; query: unknown }[] };
    panels: { id: number; type: string; title: string; datasource?: { uid: string }; targets?: { expr: string; datasource: { uid: string } }[] }[];
  };
  assert.equal(dashboard.schemaVersion, 39);
  const variables = new Map(dashboard.templating.list.map((v) => [v.name, v]));
  assert.deepEqual([...variables.keys()], ['DS_PROMETHEUS', 'vantage', 'watch', 'target']);
  assert.equal(variables.get('DS_PROMETHEUS')?.type, 'datasource');
  assert.equal(new Set(dashboard.panels.map((p) => p.id)).size, dashboard.panels.length, 'panel ids are unique');
  const panels = dashboard.panels.filter((p) => p.type !== 'row');
  const exprs: string[] = [];
  for (const panel of panels) {
    assert.equal(panel.datasource?.uid, '${DS_PROMETHEUS}', panel.title);
    assert.ok(panel.targets?.length, panel.title);
    for (const target of panel.targets) {
      assert.equal(target.datasource.uid, '${DS_PROMETHEUS}', panel.title);
      assert.match(target.expr, /\$vantage/, `${panel.title}: not filtered by vantage`);
      exprs.push(target.expr);
    }
  }
  const text = exprs.join('\n');
  for (const metric of ['portpath_port_state', 'portpath_stop_hop', 'portpath_hop_loss_ratio', 'portpath_hop_icmp_limited', 'portpath_watch_changes_total', 'portpath_path_loss_ratio', 'probe_success', 'probe_duration_seconds']) {
    assert.ok(text.includes(metric), `the dashboard does not show ${metric}`);
  }
  if (!requireTool(t, 'promtool', 'prometheus')) return;
  // Each query as a recording rule, with the variables as Grafana expands "All": promtool parses them all.
  const dir = tempDir(t, 'portpath-grafana-');
  const expand = (expr: string) => expr.replaceAll('$__rate_interval', '5m').replace(/\$(vantage|watch|target)\b/g, '.*');
  const rules = { groups: [{ name: 'dashboard', rules: exprs.map((expr, i) => ({ record: `dashboard:query_${i}`, expr: expand(expr) })) }] };
  writeFileSync(join(dir, 'queries.yml'), JSON.stringify(rules));
  const r = run('promtool', ['check', 'rules', join(dir, 'queries.yml')]);
  assert.equal(r.status, 0, r.out);
});

test('the systemd unit: CAP_NET_RAW only, the hardening asked for, no MemoryDenyWriteExecute (V8 JIT); systemd-analyze verify where installed', (t) => {
  const unit = read('deploy/systemd/portpath-exporter.service');
  const settings = unit.split('\n').filter((line) => /^[A-Z]/.test(line));
  for (const line of [
    'DynamicUser=yes', 'AmbientCapabilities=CAP_NET_RAW', 'CapabilityBoundingSet=CAP_NET_RAW', 'NoNewPrivileges=yes',
    'ProtectSystem=strict', 'ProtectHome=yes', 'PrivateTmp=yes', 'PrivateDevices=yes', 'ProtectKernelTunables=yes',
    'ProtectKernelModules=yes', 'ProtectKernelLogs=yes', 'ProtectControlGroups=yes',
    'RestrictAddressFamilies=AF_INET AF_INET6 AF_NETLINK AF_UNIX', 'RestrictNamespaces=yes', 'LockPersonality=yes',
    'SystemCallArchitectures=native', 'ExecReload=/bin/kill -HUP $MAINPID', 'KillSignal=SIGTERM', 'ConfigurationDirectory=portpath',
    'ExecStart=/usr/bin/env portpath exporter --config /etc/portpath/portpath.yml',
  ]) {
    assert.ok(settings.includes(line), `missing: ${line}`);
  }
  assert.deepEqual(settings.filter((line) => /Capabilit/.test(line)), ['AmbientCapabilities=CAP_NET_RAW', 'CapabilityBoundingSet=CAP_NET_RAW']);
  assert.ok(!settings.some((line) => line.startsWith('MemoryDenyWriteExecute=')));
  assert.match(unit, /^# MemoryDenyWriteExecute=yes is left out on purpose: V8's JIT/m);
  // Optional even in CI: systemd is not one of the lab's packages.
  if (spawnSync('sh', ['-c', 'command -v systemd-analyze']).status !== 0) {
    t.skip('systemd-analyze is not installed');
    return;
  }
  const file = join(DEPLOY, 'systemd/portpath-exporter.service');
  // verify exits 0 after unknown keys and bad values too ("..., ignoring"): it must say nothing about the unit.
  const verify = spawnSync('systemd-analyze', ['verify', file], { encoding: 'utf8' });
  assert.equal(verify.status, 0, verify.stderr);
  assert.doesNotMatch(verify.stderr, /portpath-exporter/, verify.stderr);
  const security = spawnSync('systemd-analyze', ['security', '--offline=yes', file], { encoding: 'utf8' });
  const exposure = /Overall exposure level for portpath-exporter\.service: ([\d.]+)/.exec(`${security.stdout}${security.stderr}`);
  if (exposure) assert.ok(Number(exposure[1]) <= 2.5, `exposure ${exposure[1]} (was 1.7)`);
  else t.diagnostic(`systemd-analyze security --offline: ${security.stderr.trim()}`);
});

test('the Kubernetes manifests: the DaemonSet as asked, the ConfigMap holding deploy/portpath.yml, the scrape config finding the pods', () => {
  for (const file of deployFiles().filter((f) => /\.ya?ml$/.test(f))) assert.doesNotMatch(read(file), /\t/, `${file}: a tab`);
  const daemonset = read('deploy/kubernetes/daemonset.yml');
  for (const line of [
    /^kind: DaemonSet$/m, /^ {6}hostNetwork: true$/m, /^ {8}runAsNonRoot: true$/m, /^ {8}runAsUser: 65534$/m,
    /^ {12}allowPrivilegeEscalation: false$/m, /^ {12}readOnlyRootFilesystem: true$/m, /^ {14}drop: \[ALL\]$/m,
    /^ {14}add: \[NET_RAW\]$/m, /^ {14}path: \/-\/healthy$/m, /^ {14}path: \/-\/ready$/m, /^ {14}containerPort: 9089 /m,
    /^ {10}resources:\n {12}requests:\n(?: {14}.*\n)+ {12}limits:\n/m, /^ {2}namespace: monitoring$/m,
    /^ {8}app\.kubernetes\.io\/name: portpath-exporter$/m, /^ {12}name: portpath-exporter-config$/m,
  ]) {
    assert.match(daemonset, line);
  }
  const configmap = read('deploy/kubernetes/configmap.yml');
  assert.match(configmap, /^ {2}name: portpath-exporter-config$/m);
  const embedded = configmap.split(/^ {2}portpath\.yml: \|\n/m)[1] ?? '';
  assert.equal(embedded.replace(/^ {4}/gm, ''), read('deploy/portpath.yml'), 'the ConfigMap holds deploy/portpath.yml');
  const scrape = read('deploy/kubernetes/scrape-config.yml');
  assert.match(scrape, /^ {10}names: \[monitoring\]$/m);
  assert.match(scrape, /^ {12}label: app\.kubernetes\.io\/name=portpath-exporter$/m);
  assert.match(scrape, /target_label: vantage/);
});

test('portpath exporter --check-config accepts deploy/portpath.yml as it is', () => {
  const cli = join(ROOT, 'dist/src/cli/main.js');
  const run = spawnSync(process.execPath, [cli, 'exporter', '--check-config', '--config', join(ROOT, 'deploy/portpath.yml')], { encoding: 'utf8' });
  assert.equal(run.status, 0, run.stderr);
  assert.match(run.stdout, /deploy\/portpath\.yml: fine \(4 modules, 2 watches\)/);
});
