// `portpath batch` against real routers: a target list with open, closed, dropped and rejected ports, a UDP and an
// ICMP target, comments, bad lines and a name that does not resolve. Every JSON line's verdict and stop hop are
// right, the summary counts them and names the router where traffic stops most; the global --rate holds (counted
// on the client's uplink by iptables); Ctrl-C leaves valid JSON Lines with an interrupted summary, and --resume
// traces only what is missing.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Chain } from '../../src/lab/topology.js';
import type { BatchSummary } from '../../src/trace/batch-summary.js';
import { CLI, withChain } from './harness.js';

interface Line {
  line?: number;
  input?: string;
  error?: { code: string };
  diagnosis?: { verdict: string; hop: number | null; by: string | null };
  summary?: BatchSummary & { skipped: number };
}

function runBatch(chain: Chain, args: string[], stopAfterMs?: number): Promise<{ code: number | null; lines: Line[]; stderr: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn('ip', ['netns', 'exec', chain.client.namespace, process.execPath, CLI, 'batch', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    if (stopAfterMs !== undefined) setTimeout(() => child.kill('SIGINT'), stopAfterMs);
    child.on('close', (code) => resolve({ code, lines: out.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as Line), stderr: err, ms: performance.now() - started }));
  });
}

/**
 * Counts the probes leaving by the client's uplink: not the RSTs its kernel sends to SYN-ACKs answering raw SYNs
 * (they are not probes, and no rate covers them).
 */
function countProbes(chain: Chain, device: string): void {
  chain.exec(chain.client, 'iptables', ['-I', 'OUTPUT', '-o', device, '-m', 'comment', '--comment', 'batch-uplink']);
  chain.exec(chain.client, 'iptables', ['-I', 'OUTPUT', '-o', device, '-p', 'tcp', '--tcp-flags', 'RST', 'RST', '-j', 'RETURN']);
}

function uplinkPackets(chain: Chain): number {
  const line = chain.exec(chain.client, 'iptables', ['-L', 'OUTPUT', '-v', '-x', '-n']).split('\n').find((l) => l.includes('batch-uplink'));
  return Number(line?.trim().split(/\s+/)[0]);
}

test('a mixed target list: verdicts, stop hops, the summary, bad lines, the rate, Ctrl-C and --resume', { timeout: 180_000 }, async (t) => {
  await withChain(t, { routers: 2, ipv6: false }, async (chain) => {
    await chain.startServices({ tcp: [443], dns: [53] });
    const server = chain.serverAddress(4);
    const r1 = chain.routerAddress(1, 4);
    // On r1: a drop on the last router before the server could be the server's own firewall (filtered-at-destination).
    chain.exec(chain.routers[0]!, 'iptables', ['-A', 'FORWARD', '-p', 'tcp', '--dport', '445', '-j', 'DROP']);
    chain.exec(chain.routers[0]!, 'iptables', ['-A', 'FORWARD', '-p', 'tcp', '--dport', '446', '-j', 'REJECT', '--reject-with', 'icmp-admin-prohibited']);
    const device = /dev (\S+)/.exec(chain.exec(chain.client, 'ip', ['-o', 'route', 'get', server]))![1]!;
    countProbes(chain, device);
    const dir = mkdtempSync(join(tmpdir(), 'portpath-batch-'));
    try {
      const expected: Record<string, [string, number | null, string | null]> = {
        [`${server}:443`]: ['open', 3, server],
        [`${server} 444`]: ['closed', 3, server],
        [`${server}:445`]: ['filtered-in-path', 1, r1],
        // The diagnosis's hop for a rejection is the TTL whose probe drew it (r1 forwards TTL 2 into its REJECT rule).
        [`${server} 446 tcp`]: ['rejected-in-path', 2, r1],
        [`${server} 53 udp`]: ['open', 3, server],
        [`${server} icmp`]: ['reachable', 3, server],
        [`${server} 80`]: ['closed', 3, server],
      };
      const list = [
        '# targets after the firewall change',
        ...Object.keys(expected).slice(0, 4),
        'not a target at all',
        `${server}:99999`,
        ...Object.keys(expected).slice(4),
        'nosuch.invalid:443   # a name that does not resolve',
        '',
      ];
      const file = join(dir, 'targets.txt');
      writeFileSync(file, list.join('\n'));

      const before = uplinkPackets(chain);
      const run = await runBatch(chain, ['--json', '-w', '1', '--rate', '40', file]);
      assert.equal(run.code, 0, run.stderr);
      const results = run.lines.filter((l) => l.summary === undefined);
      const summary = run.lines.at(-1)!.summary!;
      assert.ok(summary, 'the last line is the summary');
      assert.match(run.stderr, /line 6: too many words/);
      assert.match(run.stderr, /line 7: '99999' is not a port/);
      assert.equal(results.length, 8, JSON.stringify(results.map((r) => r.input)));
      for (const result of results) {
        if (result.input!.startsWith('nosuch')) {
          assert.equal(result.error?.code, 'ERR_UNKNOWN_HOST');
          continue;
        }
        // Privileges are dropped before the batch; the raw sockets opened before serve every trace.
        assert.equal((result as { mode?: string }).mode, 'raw', result.input);
        const want = expected[result.input!]!;
        assert.deepEqual([result.diagnosis!.verdict, result.diagnosis!.hop, result.diagnosis!.by], want, `${result.input}: ${JSON.stringify(result.diagnosis)}`);
        assert.equal(list[result.line! - 1]!.trim(), result.input, 'the line number points at the line');
      }
      assert.deepEqual(summary.byVerdict, { open: 2, closed: 2, 'filtered-in-path': 1, 'rejected-in-path': 1, reachable: 1 });
      assert.deepEqual(summary.errors, { ERR_UNKNOWN_HOST: 1 });
      assert.equal(summary.badLines, 2);
      assert.deepEqual(summary.stops.map((s) => [s.address, s.targets, s.verdicts]), [[r1, 2, { 'filtered-in-path': 1, 'rejected-in-path': 1 }]]);
      // The rate: every probe of the batch (controls and follow-ups too) within 40 a second, give or take the burst.
      const sent = uplinkPackets(chain) - before;
      const rate = sent / (summary.durationMs / 1000);
      console.log(`batch: ${sent} probes on the uplink in ${(summary.durationMs / 1000).toFixed(1)} s = ${rate.toFixed(1)}/s at --rate 40; summary counts ${summary.probes} probes`);
      assert.ok(rate <= 40 * 1.15, `${rate.toFixed(1)} packets/s at --rate 40`);

      // Rate-bound: 24 fast targets, all at once, at --rate 50: the uplink carries 50 packets a second, no more.
      writeFileSync(file, Array.from({ length: 24 }, () => `${server}:443`).join('\n'));
      const counted = uplinkPackets(chain);
      const paced = await runBatch(chain, ['--json', '--rate', '50', '--concurrency', '24', file]);
      assert.equal(paced.code, 0, paced.stderr);
      const pacedSummary = paced.lines.at(-1)!.summary!;
      const pacedRate = (uplinkPackets(chain) - counted) / (pacedSummary.durationMs / 1000);
      console.log(`batch: 24 targets at --rate 50: ${pacedRate.toFixed(1)} probes/s on the uplink over ${(pacedSummary.durationMs / 1000).toFixed(1)} s`);
      assert.ok(pacedRate <= 50 * 1.1 && pacedRate >= 50 * 0.85, `${pacedRate.toFixed(1)} packets/s at --rate 50`);

      // Ctrl-C half-way through a slow batch: valid JSON Lines, an interrupted summary; --resume does the rest.
      const many = Array.from({ length: 12 }, (_, i) => `${server} ${[443, 444, 445][i % 3]!}`);
      writeFileSync(file, many.join('\n'));
      const out = join(dir, 'out.jsonl');
      const first = await runBatch(chain, ['--json', '--rate', '20', '--concurrency', '2', file], 4000);
      assert.equal(first.code, 130, first.stderr);
      const firstSummary = first.lines.at(-1)!.summary!;
      assert.equal(firstSummary.interrupted, true);
      const finished = first.lines.filter((l) => l.summary === undefined);
      assert.ok(finished.length >= 1 && finished.length < 12, `${finished.length} finished before Ctrl-C`);
      writeFileSync(out, first.lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
      const rest = await runBatch(chain, ['--json', '--rate', '200', '--resume', out, file]);
      assert.equal(rest.code, 0, rest.stderr);
      const restSummary = rest.lines.at(-1)!.summary!;
      assert.equal(restSummary.skipped, finished.length);
      assert.equal(restSummary.targets, 12 - finished.length);
      const all = [...finished, ...rest.lines.filter((l) => l.summary === undefined)].map((l) => l.line).sort((a, b) => a! - b!);
      assert.deepEqual(all, Array.from({ length: 12 }, (_, i) => i + 1), 'every line exactly once');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

test('hops near the source traced once for the batch: the shared hops are right, the verdicts too, and the uplink carries far fewer probes', { timeout: 180_000 }, async (t) => {
  await withChain(t, { routers: 3, ipv6: false }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    const server = chain.serverAddress(4);
    const device = /dev (\S+)/.exec(chain.exec(chain.client, 'ip', ['-o', 'route', 'get', server]))![1]!;
    countProbes(chain, device);
    const dir = mkdtempSync(join(tmpdir(), 'portpath-batch-shared-'));
    try {
      const file = join(dir, 'targets.txt');
      writeFileSync(file, Array.from({ length: 20 }, (_, i) => `${server} ${i % 2 === 0 ? 443 : 444}`).join('\n'));
      const routers = [1, 2, 3].map((i) => chain.routerAddress(i, 4));
      const measure = async (args: string[]) => {
        const before = uplinkPackets(chain);
        const run = await runBatch(chain, ['--json', '--concurrency', '2', ...args, file]);
        assert.equal(run.code, 0, run.stderr);
        return { run, packets: uplinkPackets(chain) - before };
      };
      const shared = await measure([]);
      const full = await measure(['--no-share-hops']);
      for (const { run } of [shared, full]) {
        const results = run.lines.filter((l) => l.summary === undefined) as (Line & { hops: { ttl: number; shared?: true; probes: { from: string | null }[] }[] })[];
        assert.equal(results.length, 20);
        for (const r of results) {
          assert.deepEqual([r.diagnosis!.verdict, r.diagnosis!.hop], [r.input!.endsWith('443') ? 'open' : 'closed', 4], r.input);
          assert.deepEqual(r.hops.slice(0, 3).map((h) => h.probes[0]!.from), routers, 'the first hops, shared or not, are the routers');
        }
      }
      const sharedResults = shared.run.lines.filter((l) => l.summary === undefined) as unknown as { hops: { shared?: true }[] }[];
      const sharing = sharedResults.filter((r) => r.hops[0]!.shared).length;
      const summary = shared.run.lines.at(-1)!.summary!;
      const fewer = 1 - shared.packets / full.packets;
      console.log(`batch: 20 targets behind 3 routers: ${shared.packets} probes with the hops near the source shared (${sharing} of 20 traces took them; ${summary.probesSaved} probes saved), ${full.packets} without: ${(fewer * 100).toFixed(0)}% fewer`);
      assert.ok(sharing >= 15, `${sharing} traces shared the near hops`);
      assert.ok(fewer >= 0.3, `${(fewer * 100).toFixed(0)}% fewer packets`);
      assert.equal(full.run.lines.at(-1)!.summary!.probesSaved, 0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
