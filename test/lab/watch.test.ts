// `portpath watch` against real routers: loss injected on one link shows past it and not before it, with the start
// of the loss found; a router with Linux's ICMP rate limit is labelled as such while the destination shows no loss;
// a hop's responder changing mid-watch is a path change at that hop; a firewall rule added mid-watch is a port
// state change and a fresh diagnosis. Fast rounds (tens a second) so each test takes seconds, not minutes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Chain } from '../../src/lab/topology.js';
import type { WatchReport } from '../../src/trace/watch.js';
import { runCli, streamWatch as streamIn, withChain } from './harness.js';

/** `portpath watch --stream -n ...` in the chain's client namespace. */
const streamWatch = (chain: Chain, args: string[], onLine: (line: Record<string, unknown>) => void) => streamIn(chain.client.namespace, args, onLine);

async function watchJson(chain: Chain, args: string[]): Promise<WatchReport> {
  const run = await runCli(chain.client.namespace, ['watch', '--json', '-n', ...args]);
  assert.equal(run.code, 0, run.stderr);
  return JSON.parse(run.stdout) as WatchReport;
}

test('20% loss on link 3 (toward the server): hops past it show it, within the 95% interval after 200 rounds; hops before it 0%', async (t) => {
  const seed = 3;
  await withChain(t, { routers: 4, seed, links: { 3: { lossToServer: 0.2 } } }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    const report = await watchJson(chain, ['--interval', '0.05', '-c', '200', '-w', '1', chain.serverAddress(4), '443']);
    const context = `seed ${seed}: ${JSON.stringify(report.hops.map((h) => [h.ttl, h.sent, h.received, h.loss?.label]))} ${JSON.stringify(report.forwardedLoss)}`;
    assert.equal(report.rounds, 200, context);
    for (const hop of report.hops.filter((h) => h.ttl <= 2)) assert.equal(hop.lossPct, 0, context);
    for (const hop of report.hops.filter((h) => h.ttl >= 3)) {
      assert.ok(hop.loss && hop.loss.lowPct <= 20 && hop.loss.highPct >= 20, `hop ${hop.ttl}: ${context}`);
      assert.equal(hop.loss.label, 'forwarded', context);
    }
    assert.equal(report.forwardedLoss?.fromTtl, 3, context);
    assert.equal(report.forwardedLoss?.atTtl, 5, context);
    assert.equal(report.portState, 'open');
    assert.ok(!report.changes.some((c) => c.type === 'port-state' || c.type === 'path-change'), context);
  });
});

test("a router with Linux's default ICMP rate limit, watched 10 rounds a second: labelled an ICMP limit, the destination shows 0%", async (t) => {
  await withChain(t, { routers: 4, icmpRateLimit: [2] }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    const report = await watchJson(chain, ['--interval', '0.1', '-c', '150', '-w', '1', chain.serverAddress(4), '443']);
    const context = JSON.stringify(report.hops.map((h) => [h.ttl, h.sent, h.received, h.loss?.label]));
    const hop2 = report.hops.find((h) => h.ttl === 2)!;
    assert.ok(hop2.lossPct > 20, context);
    assert.equal(hop2.loss?.label, 'icmp-limit', context);
    // Its budget was learned: it was probed far less than the 150 rounds.
    assert.ok(hop2.sent < 100, context);
    const destination = report.hops.at(-1)!;
    assert.equal(destination.lossPct, 0, context);
    assert.equal(report.forwardedLoss, null, context);
    for (const hop of report.hops.filter((h) => h.ttl !== 2)) assert.equal(hop.loss?.label, 'none', context);
  });
});

test("hop 2's responder changes mid-watch: a path change event at hop 2, with the old and the new address", async (t) => {
  await withChain(t, { routers: 3 }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    const r2 = chain.routers[1]!;
    const oldAddress = chain.routerAddress(2, 4);
    let changed = false;
    const run = await streamWatch(chain, ['--interval', '0.05', '-c', '120', '-w', '1', chain.serverAddress(4), '443'], (line) => {
      if (!changed && line.type === 'round' && (line.round as number) >= 40) {
        changed = true;
        // r2 now answers from another address of the same interface (its route back to us names it): what a
        // traceroute sees when the path moves to another router.
        const route = chain.exec(r2, 'ip', ['route', 'get', '198.18.1.1']);
        const [, via, dev] = /via (\S+) dev (\S+)/.exec(route)!;
        chain.exec(r2, 'ip', ['addr', 'add', '198.18.2.9/24', 'dev', dev!]);
        chain.exec(r2, 'ip', ['route', 'replace', '198.18.1.1/32', 'via', via!, 'dev', dev!, 'src', '198.18.2.9']);
      }
    });
    assert.equal(run.code, 0, run.stderr);
    const changes = run.lines.filter((l) => l.type === 'change');
    assert.deepEqual(
      changes.map((c) => [c.change, c.ttl, c.from, c.to]),
      [['path-change', 2, oldAddress, '198.18.2.9']],
      JSON.stringify(changes),
    );
    const round = changes[0]!.round as number;
    assert.ok(round > 40 && round <= 45, `seen at round ${round}`);
  });
});

test('a firewall rule added mid-watch: the port goes from open to silent, and a fresh diagnosis says where it stops', async (t) => {
  await withChain(t, { routers: 3 }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    let added = false;
    const run = await streamWatch(chain, ['--interval', '0.05', '-c', '150', '-w', '0.5', chain.serverAddress(4), '443'], (line) => {
      if (!added && line.type === 'round' && (line.round as number) >= 40) {
        added = true;
        chain.exec(chain.routers[2]!, 'iptables', ['-I', 'FORWARD', '-p', 'tcp', '--dport', '443', '-j', 'DROP']);
      }
    });
    assert.equal(run.code, 0, run.stderr);
    const changes = run.lines.filter((l) => l.type === 'change' && l.change === 'port-state');
    assert.deepEqual(changes.map((c) => [c.from, c.to]), [['open', 'silent']], JSON.stringify(run.lines.filter((l) => l.type === 'change')));
    const diagnoses = run.lines.filter((l) => l.type === 'diagnosis');
    assert.equal(diagnoses[0]!.verdict, 'open');
    const after = diagnoses.at(-1)!;
    assert.notEqual(after.verdict, 'open', JSON.stringify(diagnoses));
    assert.equal(after.hop, 3, JSON.stringify(after));
    const result = run.lines.at(-1)!;
    assert.equal(result.portState, 'silent');
  });
});

test('the path breaks mid-watch (r2 drops everything): the fresh diagnosis calls it unreachable, because the watch reached the destination before', async (t) => {
  await withChain(t, { routers: 3 }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    let broken = false;
    const run = await streamWatch(chain, ['--interval', '0.05', '-c', '150', '-w', '0.5', chain.serverAddress(4), '443'], (line) => {
      if (!broken && line.type === 'round' && (line.round as number) >= 40) {
        broken = true;
        chain.exec(chain.routers[1]!, 'iptables', ['-I', 'FORWARD', '-j', 'DROP']);
      }
    });
    assert.equal(run.code, 0, run.stderr);
    const diagnoses = run.lines.filter((l) => l.type === 'diagnosis');
    assert.equal(diagnoses[0]!.verdict, 'open');
    // A single trace would say no-answer (nothing shows the path worked); the watch saw it work minutes ago.
    const after = diagnoses.at(-1)!;
    assert.deepEqual([after.verdict, after.hop], ['unreachable', 2], JSON.stringify(diagnoses));
    assert.match(after.explanation as string, /TCP\/443 reached the destination at hop 4/);
  });
});

test('every method and family watches, raw and unprivileged: UDP over IPv6, ICMP echo, TCP as an unprivileged user', async (t) => {
  await withChain(t, { routers: 2 }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    const runs: [string, string[], { asUser?: number }][] = [
      ['UDP, IPv6', ['-U', chain.serverAddress(6), '33434'], {}],
      ['ICMP echo', ['-I', chain.serverAddress(4)], {}],
      ['TCP, unprivileged (uid 65534)', [chain.serverAddress(4), '443'], { asUser: 65534 }],
    ];
    for (const [what, args, options] of runs) {
      const run = await runCli(chain.client.namespace, ['watch', '--json', '-n', '--interval', '0.1', '-c', '20', '-w', '1', ...args], options);
      assert.equal(run.code, 0, `${what}: ${run.stderr}`);
      const report = JSON.parse(run.stdout) as WatchReport;
      const context = `${what}: ${JSON.stringify(report.hops.map((h) => [h.ttl, h.sent, h.received]))} ${report.portState}`;
      assert.equal(report.rounds, 20, context);
      assert.equal(report.hops.length, 3, context);
      // UDP to a closed port: the destination's port unreachable is ICMP too, rate-limited by the server (burst 6,
      // then 1/s), so it is not asked every round; everything else answers every probe.
      for (const hop of report.hops.slice(0, 2)) assert.equal(hop.received, hop.sent, context);
      assert.equal(report.portState, what.startsWith('UDP') ? 'closed' : 'open', context);
      assert.equal(report.mode, options.asUser !== undefined ? 'unprivileged' : 'raw', context);
    }
  });
});

/** tcpdump in the client namespace: the source port of every SYN to `port` that leaves it. */
async function captureSourcePorts(chain: Chain, port: number): Promise<{ ports: () => number[]; stop: () => void }> {
  const child = chain.spawn(chain.client, 'tcpdump', ['-i', 'any', '-nn', '-l', '-Q', 'out', `tcp[tcpflags] & tcp-syn != 0 and dst port ${port}`]);
  const seen: number[] = [];
  let buffered = '';
  child.stdout!.on('data', (d: Buffer) => {
    buffered += d.toString();
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      const match = /\.(\d+) > [\d.]+\.\d+:/.exec(line);
      if (match) seen.push(Number(match[1]));
    }
  });
  await new Promise<void>((resolve, reject) => {
    child.stderr!.on('data', (d: Buffer) => d.toString().includes('listening on') && resolve());
    child.once('exit', (code) => reject(new Error(`tcpdump exited with ${code}`)));
  });
  return { ports: () => seen, stop: () => child.kill() };
}

test('watch --sport: the rounds, the first diagnosis and a fresh one after a firewall change all leave from that port', async (t) => {
  await withChain(t, { routers: 3 }, async (chain) => {
    await chain.startServices({ tcp: [80] });
    const capture = await captureSourcePorts(chain, 80);
    try {
      const report = await watchJson(chain, ['--sport', '40000', '-c', '5', '--interval', '0.3', chain.serverAddress(4), '80']);
      assert.equal(report.sourcePort, 40000);
      assert.equal(report.rounds, 5);
      assert.equal(report.portState, 'open');
      assert.equal(report.diagnosis?.verdict, 'open');
      let added = false;
      const run = await streamWatch(chain, ['--sport', '40000', '--interval', '0.05', '-c', '150', '-w', '0.5', chain.serverAddress(4), '80'], (line) => {
        if (!added && line.type === 'round' && (line.round as number) >= 40) {
          added = true;
          chain.exec(chain.routers[2]!, 'iptables', ['-I', 'FORWARD', '-p', 'tcp', '--dport', '80', '-j', 'DROP']);
        }
      });
      assert.equal(run.code, 0, run.stderr);
      const diagnoses = run.lines.filter((l) => l.type === 'diagnosis');
      assert.equal(diagnoses[0]!.verdict, 'open', JSON.stringify(diagnoses));
      assert.equal(diagnoses.at(-1)!.hop, 3, JSON.stringify(diagnoses));
      assert.notEqual(diagnoses.at(-1)!.verdict, 'open', JSON.stringify(diagnoses));
      // Let the last SYNs reach the capture.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const ports = capture.ports();
      // Two first diagnoses, 155 rounds and a fresh diagnosis: hundreds of SYNs, every one from the port asked for.
      assert.ok(ports.length > 150, `${ports.length} SYNs captured`);
      assert.deepEqual([...new Set(ports)], [40000]);
    } finally {
      capture.stop();
    }
  });
});
