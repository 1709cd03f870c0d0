// What a user can get wrong, and what can go wrong around them: one sentence on stderr, a distinct exit code,
// never a stack trace. Also Ctrl-C: what was traced so far is printed and the exit status is 130.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { test } from 'node:test';
import { CLI, requireRoot, runCli, withChain } from './harness.js';
import type { CliRun } from './harness.js';

function assertOneSentence(run: CliRun, code: number, pattern: RegExp): void {
  assert.equal(run.code, code, `exit ${run.code}: ${run.stderr}`);
  const lines = run.stderr.trim().split('\n');
  assert.equal(lines.length, 1, run.stderr);
  assert.match(lines[0]!, /^portpath: /);
  assert.match(lines[0]!, pattern);
  assert.doesNotMatch(run.stderr, /\n\s+at /);
  assert.equal(run.stdout, '');
}

test('bad command lines are refused with exit status 2 before any packet is sent', async (t) => {
  await withChain(t, { routers: 1 }, async (chain) => {
    const ns = chain.client.namespace;
    const server = chain.serverAddress(4);
    const cases: [string[], RegExp][] = [
      [[server, '0'], /port must be from 1 to 65535/],
      [[server, '65536'], /port must be from 1 to 65535/],
      [[server, 'abc'], /port must be a whole number/],
      [['-q', '0', server], /-q .* from 1/],
      [['-m', '0', server], /-m .* from 1/],
      [['-m', '300', server], /-m .* to 255/],
      [['-f', '9', '-m', '5', server], /must not exceed/],
      [['-4', chain.serverAddress(6)], /IPv6 address, but -4/],
      [['-I', `${server}:80`], /ICMP echo has no port/],
      [['--bogus', server], /unknown option/],
      [[], /missing required argument/],
    ];
    for (const [args, pattern] of cases) assertOneSentence(await runCli(ns, args), 2, pattern);
  });
});

test('unknown host, missing interface, unconfigured source, no route, no privileges: distinct codes', async (t) => {
  await withChain(t, { routers: 1 }, async (chain) => {
    const ns = chain.client.namespace;
    const server = chain.serverAddress(4);
    assertOneSentence(await runCli(ns, ['no-such-host.invalid', '80']), 3, /Cannot resolve 'no-such-host.invalid'/);
    assertOneSentence(await runCli(ns, ['-i', 'nosuch0', server, '80']), 6, /Interface nosuch0 does not exist/);
    assertOneSentence(await runCli(ns, ['-s', '198.19.9.9', server, '80']), 6, /source address is not configured/);
    const unprivileged = await runCli(ns, ['--mode', 'raw', server, '80'], { withoutNetRaw: true });
    assertOneSentence(unprivileged, 4, /sudo|setcap/);
    chain.exec(chain.client, 'ip', ['route', 'del', '198.18.0.0/15']);
    assertOneSentence(await runCli(ns, ['198.19.1.1', '80']), 5, /No route to host 198\.19\.1\.1/);
  });
});

test("a local firewall refusing our raw probes (OUTPUT DROP) is named as such, not as missing privileges", async (t) => {
  await withChain(t, { routers: 1 }, async (chain) => {
    chain.exec(chain.client, 'iptables', ['-A', 'OUTPUT', '-p', 'tcp', '--dport', '9', '-j', 'DROP']);
    // Raw sockets get EPERM from sendto at once. (A connect() probe in unprivileged mode learns it only later, as
    // its socket's error; that mode reports the probes as unanswered.)
    for (const mode of ['raw']) {
      const run = await runCli(chain.client.namespace, ['-n', '--mode', mode, chain.serverAddress(4), '9']);
      // The sockets opened fine and the header is out; the first probe is what fails.
      assert.equal(run.code, 7, `${mode}: exit ${run.code}: ${run.stderr}`);
      assert.match(run.stderr, /^portpath: The kernel refused to send a probe .*firewall on this machine \(its OUTPUT rules\)/);
      assert.equal(run.stderr.trim().split('\n').length, 1, run.stderr);
      assert.doesNotMatch(run.stderr, /sudo|CAP_NET_RAW|\n\s+at /);
    }
  });
});

test('garbage arriving at the sockets during a trace is ignored', async (t) => {
  await withChain(t, { routers: 2 }, async (chain) => {
    await chain.startServices({ tcp: [80] });
    const server = chain.serverAddress(4);
    // r1 sprays the client with random ICMP and TCP payloads (hping-style via a raw socket in Node) while it traces.
    const spray = chain.spawn(chain.routers[0]!, process.execPath, ['-e', sprayScript(chain.clientAddress(4))]);
    try {
      const run = await runCli(chain.client.namespace, ['-n', '--json', server, '80']);
      assert.equal(run.code, 0, run.stderr);
      const result = JSON.parse(run.stdout) as { destination: { state: string }; hops: { probes: { from: string | null }[] }[] };
      assert.equal(result.destination.state, 'open');
      assert.deepEqual(
        result.hops.map((h) => h.probes.map((p) => p.from)),
        [chain.routerAddress(1, 4), chain.routerAddress(2, 4), server].map((a) => [a, a, a]),
      );
    } finally {
      spray.kill('SIGKILL');
    }
  });
});

/** A node one-liner that sends random bytes as ICMP and TCP to `target` every millisecond, via the project's shim. */
function sprayScript(target: string): string {
  const native = new URL('../../src/transport/native.js', import.meta.url).href;
  return `
    const { loadNative } = await import(${JSON.stringify(native)});
    const n = loadNative();
    const icmp = n.socket(4, 3, 1), tcp = n.socket(4, 3, 6);
    let seed = 7;
    const rnd = () => (seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff;
    setInterval(() => {
      const bytes = Buffer.alloc(8 + Math.floor(rnd() * 80));
      for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(rnd() * 256);
      bytes[0] = [0, 3, 11, 0][Math.floor(rnd() * 4)];
      try { n.sendto(icmp, bytes, 4, ${JSON.stringify(target)}, 0); n.sendto(tcp, bytes, 4, ${JSON.stringify(target)}, 0); } catch {}
    }, 1);
  `.replace(/\n\s*/g, ' ');
}

test('Ctrl-C prints the hops traced so far and exits 130', async (t) => {
  if (!requireRoot(t)) return;
  await withChain(t, { routers: 2 }, async (chain) => {
    // Everything past r2 is dropped, so the trace would wait on silent hops; interrupt it meanwhile.
    chain.exec(chain.routers[1]!, 'iptables', ['-A', 'FORWARD', '-j', 'DROP']);
    const child = spawn('ip', ['netns', 'exec', chain.client.namespace, process.execPath, CLI, '-n', '-w', '10', chain.serverAddress(4), '80'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    let interrupted = false;
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!interrupted && /^ 2 /m.test(stdout)) interrupted = child.kill('SIGINT');
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.equal(code, 130, stderr);
    assert.match(stdout, new RegExp(`^ 1 +${chain.routerAddress(1, 4).replace(/\./g, '\\.')}`, 'm'));
    assert.match(stdout, /interrupted/i);
    assert.doesNotMatch(stderr, /\n\s+at /);
  });
});
