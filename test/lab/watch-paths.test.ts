// `portpath watch --paths` against a real ECMP diamond (src/lab/diamond.ts): both branches found and watched side by
// side, each path's flow really on the branch the kernel says (branchOf), and a DROP rule added on one branch router
// mid-watch is that path's port state change, with the other path still open, never a move of the flow. Fast rounds
// (20 a second, no ICMP rate limits) so the test takes seconds.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { buildDiamond } from '../../src/lab/diamond.js';
import type { Diamond } from '../../src/lab/diamond.js';
import type { PathsWatchReport } from '../../src/trace/watch-paths.js';
import { onceMoreIfBranchMissed, requireRoot, runCli, streamWatch } from './harness.js';

const PORT = 443;

async function withDiamond(t: TestContext, fn: (diamond: Diamond) => Promise<void>): Promise<void> {
  if (!requireRoot(t)) return;
  const diamond = await buildDiamond({ width: 2, ipv6: false });
  try {
    await diamond.startServices({ tcp: [PORT] });
    await fn(diamond);
  } finally {
    await diamond.destroy();
  }
}

test('a healthy width-2 diamond: two paths watched side by side, each flow on its own branch, both open with no loss', async (t) => {
  await withDiamond(t, async (diamond) => {
    const watch = () => runCli(diamond.client.namespace, ['watch', '--paths', '--json', '-n', '--confidence', '99', '--interval', '0.05', '-c', '40', '-w', '1', diamond.serverAddress(4), String(PORT)]);
    const run = await onceMoreIfBranchMissed(t, watch, (r) => r.code === 0 && (JSON.parse(r.stdout) as PathsWatchReport).paths.length === 2);
    assert.equal(run.code, 0, run.stderr);
    const report = JSON.parse(run.stdout) as PathsWatchReport;
    const context = report.summary;
    assert.equal(report.schema, 'portpath-watch-paths');
    assert.equal(report.paths.length, 2, context);
    assert.equal(report.rounds, 40, context);
    const branches = report.paths.map((p) => diamond.branchOf('tcp', p.sourcePort, PORT, 4));
    assert.deepEqual(new Set(branches), new Set([0, 1]), context);
    report.paths.forEach((path, i) => {
      assert.equal(path.found.hops.find((h) => h.ttl === 2)?.address, diamond.branchRouterAddress(branches[i]!, 0, 4), context);
      assert.equal(path.portState, 'open', context);
      assert.equal(path.verdict.state, 'open', context);
      assert.deepEqual(path.end && [path.end.ttl, path.end.destination, path.end.loss], [4, true, 0], context);
      assert.ok(path.end!.avgMs !== null && path.end!.bestMs! <= path.end!.worstMs!, context);
      assert.deepEqual(path.portStates, [{ fromRound: 1, toRound: 40, state: 'open' }], context);
      assert.equal(path.notCounted, 0, context);
      assert.equal(path.hops.length, 4, context);
    });
    assert.match(report.summary, /^all 2 paths: open at hop 4$/);
  });
});

test('a DROP rule added on one branch router mid-watch: that path goes silent after hop 2, the other stays open, no flow said to move', async (t) => {
  await withDiamond(t, async (diamond) => {
    const badRouter = diamond.branchRouterAddress(1, 0, 4);
    let badPath: number | null = null;
    const rounds = new Map<number, number>();
    let dropped = false;
    // With one path found the rule is never added (both paths must settle first), so that run can be run again.
    const watch = () => streamWatch(diamond.client.namespace, ['--paths', '--confidence', '99', '--interval', '0.05', '-c', '200', '-w', '0.5', diamond.serverAddress(4), String(PORT)], (line) => {
      if (line.type === 'paths') {
        const paths = line.paths as { path: number; sourcePort: number }[];
        badPath = paths.find((p) => diamond.branchOf('tcp', p.sourcePort, PORT, 4) === 1)?.path ?? null;
      }
      if (line.type === 'round') rounds.set(line.path as number, line.round as number);
      // Once both paths have settled open, the firewall on branch 1.
      if (!dropped && rounds.size === 2 && [...rounds.values()].every((r) => r >= 40)) {
        dropped = true;
        diamond.exec(diamond.branches[1]![0]!, 'iptables', ['-A', 'FORWARD', '-p', 'tcp', '--dport', String(PORT), '-j', 'DROP']);
      }
    });
    const run = await onceMoreIfBranchMissed(t, () => {
      rounds.clear();
      return watch();
    }, () => dropped);
    assert.equal(run.code, 0, run.stderr);
    assert.ok(dropped, 'the watch ran its rounds');
    assert.notEqual(badPath, null, 'a path through branch 1 was found');
    const changes = run.lines.filter((l) => l.type === 'change');
    const context = JSON.stringify(changes);
    const drop = changes.find((c) => c.path === badPath && c.change === 'port-state');
    assert.ok(drop, context);
    assert.deepEqual([drop.from, drop.to], ['open', 'silent'], context);
    // At that moment the other path was still open.
    assert.deepEqual(drop.others, [{ path: badPath === 1 ? 2 : 1, portState: 'open' }], context);
    assert.ok(!changes.some((c) => c.path !== badPath && c.change === 'port-state'), context);
    assert.ok(!changes.some((c) => c.change === 'flow-moved'), context);
    const result = run.lines.at(-1) as { type: string; paths: { path: number; portState: string; verdict: { state: string; text: string } }[] };
    assert.equal(result.type, 'result');
    const bad = result.paths.find((p) => p.path === badPath)!;
    const good = result.paths.find((p) => p.path !== badPath)!;
    assert.equal(bad.verdict.state, 'silent', bad.verdict.text);
    assert.match(bad.verdict.text, /dropped after hop 2/);
    assert.equal(good.verdict.state, 'open', good.verdict.text);
    // The bad path's hop 2 is the router the rule is on.
    const found = run.lines.find((l) => l.type === 'paths') as { paths: { path: number; hops: string[] }[] };
    assert.equal(found.paths.find((p) => p.path === badPath)!.hops[1], badRouter);
  });
});
