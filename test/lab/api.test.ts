// The library, used as people use it: installed from the packed tarball and type-checked, the example, 50 traces at
// once in one process, and the event stream — each run inside the lab's client namespace, against real routers.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { test } from 'node:test';
import type { Chain } from '../../src/lab/topology.js';
import { withChain } from './harness.js';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const INDEX = pathToFileURL(join(ROOT, 'dist/src/index.js')).href;

/** Runs `node script args…` in the client namespace; resolves with its stdout (rejects on a non-zero exit). */
function nodeIn(chain: Chain, script: string, args: string[] = [], cwd = ROOT): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('ip', ['netns', 'exec', chain.client.namespace, process.execPath, script, ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${script} exited ${code}: ${stderr}`))));
  });
}

function scratch(t: { after: (fn: () => void) => void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'portpath-api-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

test('the packed package installs, its types check, and `import { trace } from "portpath"` traces', async (t) => {
  await withChain(t, { routers: 2 }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    const dir = scratch(t);
    // The tarball a registry would serve (dist is built by the suite; --ignore-scripts: no rebuild under the tests).
    execFileSync('npm', ['pack', '--ignore-scripts', '--silent', '--pack-destination', dir], { cwd: ROOT, stdio: 'pipe' });
    const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'))!;
    const app = join(dir, 'app');
    execFileSync('mkdir', [app]);
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    // Installing runs the package's own install script (node-gyp builds the native shim), as for any user.
    execFileSync('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', join(dir, tarball)], { cwd: app, stdio: 'pipe' });
    writeFileSync(
      join(app, 'check.ts'),
      [
        "import { compare, diagnose, EXIT_CODES, parseReason, PortpathError, trace, traceEvents } from 'portpath';",
        "import type { TraceEvent, TraceOptions, TraceReport, Verdict } from 'portpath';",
        "const options: TraceOptions = { port: 443, protocol: 'tcp', mode: 'auto', control: { protocol: 'icmp', port: null } };",
        "const report: TraceReport = await trace('198.18.3.2', options);",
        'const verdict: Verdict = diagnose(report, report.control ?? null).verdict;',
        "for await (const event of traceEvents('198.18.3.2')) { const e: TraceEvent = event; if (e.type === 'result') console.log(e.report.diagnosis.verdict); }",
        "const both = await compare('198.18.3.2', ['tcp:443', { protocol: 'icmp', port: null }]);",
        "const code: number = EXIT_CODES[new PortpathError('ERR_USAGE', 'x').code];",
        "console.log(verdict, both.compare.length, code, parseReason(report.destination.reason).kind);",
        // A wrong option type must not compile.
        "// @ts-expect-error: port is a number",
        "await trace('198.18.3.2', { port: '443' });",
      ].join('\n'),
    );
    const tsc = join(ROOT, 'node_modules/.bin/tsc');
    execFileSync(tsc, ['--noEmit', '--strict', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck', 'false', '--typeRoots', join(ROOT, 'node_modules/@types'), '--types', 'node', 'check.ts'], { cwd: app, stdio: 'pipe' });
    writeFileSync(
      join(app, 'run.mjs'),
      "import { trace } from 'portpath';\nconst r = await trace(process.argv[2], { port: 443 });\nconsole.log(JSON.stringify({ state: r.destination.state, verdict: r.diagnosis.verdict, hop: r.diagnosis.hop, mode: r.mode }));\n",
    );
    const out = JSON.parse(await nodeIn(chain, join(app, 'run.mjs'), [chain.serverAddress(4)], app)) as Record<string, unknown>;
    assert.deepEqual(out, { state: 'open', verdict: 'open', hop: 3, mode: 'raw' });
  });
});

test('examples/three-targets.mjs traces three targets at once and prints a verdict for each', async (t) => {
  await withChain(t, { routers: 2 }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    chain.exec(chain.routers[0]!, 'iptables', ['-A', 'FORWARD', '-p', 'tcp', '--dport', '8443', '-j', 'DROP']);
    const server = chain.serverAddress(4);
    const out = await nodeIn(chain, join(ROOT, 'examples/three-targets.mjs'), [`${server}:443`, `${server}:8443`, `[${chain.serverAddress(6)}]:444`]);
    const lines = out.trim().split('\n');
    assert.equal(lines.length, 3, out);
    assert.match(lines[0]!, new RegExp(`^${server}:443  open at hop 3 \\(${server}\\), high confidence; port open$`));
    assert.match(lines[1]!, new RegExp(`^${server}:8443  filtered-in-path at hop 1 \\(${chain.routerAddress(1, 4)}\\), .* confidence; port filtered$`));
    assert.match(lines[2]!, /^2001:db8:.*:444 {2}closed at hop 3 .*; port closed$/);
  });
});

interface Outcome {
  i: number;
  protocol: string;
  family: number;
  port: number | null;
  state: string | null;
  verdict: string;
  hop: number | null;
  hops: string[][];
  unmatched: number;
  drops: number | undefined;
}

test('50 traces at once from one process (TCP open/closed/dropped, UDP, ICMP; IPv4 and IPv6): each gets its own answers, and only those', async (t) => {
  await withChain(t, { routers: 3 }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    for (const tool of ['iptables', 'ip6tables']) chain.exec(chain.routers[1]!, tool, ['-A', 'FORWARD', '-p', 'tcp', '--dport', '8443', '-j', 'DROP']);
    const kinds = [
      { protocol: 'tcp', port: 443 },
      { protocol: 'tcp', port: 444 },
      { protocol: 'tcp', port: 8443 },
      { protocol: 'udp', port: 33434 },
      { protocol: 'icmp', port: null },
    ];
    const jobs = Array.from({ length: 50 }, (_, i) => ({ i, family: i % 2 === 0 ? 4 : 6, ...kinds[Math.floor(i / 2) % kinds.length]! }));
    // Neighbour discovery first: a burst of 50 traces into cold IPv6 neighbour caches loses packets in the
    // routers' unresolved queues, which is not what this test is about.
    for (const family of [4, 6] as const) chain.exec(chain.client, 'ping', ['-c', '1', '-W', '2', chain.serverAddress(family)]);
    const dir = scratch(t);
    const script = join(dir, 'fifty.mjs');
    writeFileSync(
      script,
      [
        `import { trace } from '${INDEX}';`,
        `const jobs = ${JSON.stringify(jobs.map((j) => ({ ...j, target: chain.serverAddress(j.family as 4 | 6) })))};`,
        'const reports = await Promise.all(jobs.map((j) => trace(j.target, { protocol: j.protocol, port: j.port, mode: "raw" })));',
        'console.log(JSON.stringify(reports.map((r, i) => ({ i, protocol: r.protocol, family: r.target.family, port: r.port, state: r.destination.state,',
        '  verdict: r.diagnosis.verdict, hop: r.diagnosis.hop, hops: r.hops.map((h) => h.probes.map((p) => p.from ?? "*")), unmatched: r.unmatchedPackets, drops: r.receiveDrops }))));',
      ].join('\n'),
    );
    const started = performance.now();
    const outcomes = JSON.parse(await nodeIn(chain, script)) as Outcome[];
    const seconds = (performance.now() - started) / 1000;
    assert.equal(outcomes.length, 50);
    for (const o of outcomes) {
      const job = jobs[o.i]!;
      const family = job.family as 4 | 6;
      const routers = [1, 2, 3].map((n) => chain.routerAddress(n, family));
      const server = chain.serverAddress(family);
      const want =
        job.port === 8443
          ? { state: 'filtered', verdict: 'filtered-in-path', hop: 2 }
          : job.protocol === 'icmp'
            ? { state: null, verdict: 'reachable', hop: 4 }
            : { state: job.port === 443 ? 'open' : 'closed', verdict: job.port === 443 ? 'open' : 'closed', hop: 4 };
      const label = `trace ${o.i} (${job.protocol}/${job.port} IPv${family})`;
      assert.deepEqual({ state: o.state, verdict: o.verdict, hop: o.hop }, want, label);
      // Every probe answered by the right hop: an answer given to the wrong trace would leave a '*' in its own
      // trace or an address out of place in the other.
      const path = job.port === 8443 ? routers.slice(0, 2) : [...routers, server];
      assert.deepEqual(o.hops.slice(0, path.length), path.map((a) => [a, a, a]), label);
      assert.equal(o.unmatched, 0, `${label}: packets of its flows that answered none of its probes`);
      assert.equal(o.drops, 0, `${label}: packets the kernel dropped at our sockets`);
    }
    t.diagnostic(`50 traces (100 with their controls) in one process: ${seconds.toFixed(1)} s`);
  });
});

test('traceEvents: start, then hops in TTL order, then the result; leaving the loop early stops the run', async (t) => {
  await withChain(t, { routers: 3 }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    const dir = scratch(t);
    const script = join(dir, 'events.mjs');
    writeFileSync(
      script,
      [
        `import { traceEvents } from '${INDEX}';`,
        'const seen = [];',
        `for await (const e of traceEvents('${chain.serverAddress(4)}', { port: 443 })) seen.push(e.type === 'hop' ? e.trace + ':hop:' + e.hop.ttl : e.type);`,
        // Early exit: stop at the first hop of a trace that would otherwise wait on silent hops.
        'const started = performance.now();',
        `for await (const e of traceEvents('${chain.serverAddress(4)}', { port: 8443, maxTtl: 30, wait: { maxMs: 10000 } })) if (e.type === 'hop') break;`,
        'console.log(JSON.stringify({ seen, earlyMs: performance.now() - started }));',
      ].join('\n'),
    );
    chain.exec(chain.routers[0]!, 'iptables', ['-A', 'FORWARD', '-p', 'tcp', '--dport', '8443', '-j', 'DROP']);
    const { seen, earlyMs } = JSON.parse(await nodeIn(chain, script)) as { seen: string[]; earlyMs: number };
    assert.equal(seen[0], 'start');
    assert.equal(seen.at(-1), 'result');
    const mainHops = seen.filter((s) => s.startsWith('main:hop:')).map((s) => Number(s.split(':')[2]));
    assert.deepEqual(mainHops, [1, 2, 3, 4]);
    assert.ok(seen.includes('probe') && seen.includes('reply'));
    assert.ok(earlyMs < 5000, `breaking out took ${earlyMs.toFixed(0)} ms`);
  });
});
