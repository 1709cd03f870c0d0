// A normal user (uid 65534 via setpriv) gets the same hops and port states as root, without raw sockets; and a
// root-started trace gives root up once its sockets are open.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, copyFileSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import type { Chain } from '../../src/lab/topology.js';
import { CLI, cliForAnyUser, fullyAnswered, hopAddresses, runCli, traceJson, withChain } from './harness.js';

const NOBODY = 65534;
const asNobody = { asUser: NOBODY };
const path = (chain: Chain, n: number, family: 4 | 6) => Array.from({ length: n }, (_, i) => chain.routerAddress(i + 1, family));

test('unprivileged TCP: open, closed, dropped at the server, dropped in the path, over IPv4 and IPv6 — as in raw mode', async (t) => {
  await withChain(t, { routers: 2 }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    for (const tool of ['iptables', 'ip6tables']) chain.exec(chain.server, tool, ['-A', 'INPUT', '-p', 'tcp', '--dport', '8080', '-j', 'DROP']);
    chain.exec(chain.routers[1]!, 'iptables', ['-A', 'FORWARD', '-p', 'tcp', '--dport', '8443', '-j', 'DROP']);
    for (const family of [4, 6] as const) {
      const server = chain.serverAddress(family);
      const full = fullyAnswered([...path(chain, 2, family), server]);
      const open = await traceJson(chain, [server, '443'], asNobody);
      assert.equal(open.mode, 'unprivileged');
      assert.deepEqual(hopAddresses(open), full);
      assert.deepEqual(open.destination, { reached: true, hop: 3, state: 'open', reason: 'syn-ack', by: server });
      const raw = await traceJson(chain, [server, '443']);
      assert.equal(raw.mode, 'raw');
      assert.deepEqual(hopAddresses(raw), hopAddresses(open));
      // Time-exceeded replies keep their kernel timestamps and reply TTLs from the error queue; the quote is unknown.
      assert.equal(open.hops[0]!.probes[0]!.reply?.ttl, 64);
      assert.equal(open.hops[0]!.quote, 'unavailable');
      assert.equal(open.hops[0]!.changes, undefined);
      assert.equal(open.hops.at(-1)!.probes[0]!.reply?.ttl, null);
      assert.ok(open.hops.every((h) => h.probes.every((p) => p.rtt !== null && p.rtt > 0 && p.rtt < 50)));

      const closed = await traceJson(chain, [server, '444'], asNobody);
      assert.deepEqual(closed.destination, { reached: true, hop: 3, state: 'closed', reason: 'rst', by: server });
      const filtered = await traceJson(chain, [server, '8080'], asNobody);
      assert.equal(filtered.destination.state, 'filtered');
      assert.deepEqual(hopAddresses(filtered).slice(0, 2), fullyAnswered(path(chain, 2, family)));
      if (family === 4) {
        const inPath = await traceJson(chain, [server, '8443'], asNobody);
        assert.deepEqual(hopAddresses(inPath).slice(0, 2), fullyAnswered(path(chain, 2, 4)));
        assert.ok(hopAddresses(inPath).slice(2).every((h) => h.every((a) => a === '*')));
      }
    }
  });
});

test('unprivileged UDP closed and open (DNS), IPv4 and IPv6, with a constant source port', async (t) => {
  await withChain(t, { routers: 2 }, async (chain) => {
    await chain.startServices({ dns: [53] });
    for (const family of [4, 6] as const) {
      const server = chain.serverAddress(family);
      const closed = await traceJson(chain, ['-U', server, '33434'], asNobody);
      assert.deepEqual(hopAddresses(closed), fullyAnswered([...path(chain, 2, family), server]));
      assert.equal(closed.destination.state, 'closed');
      const open = await traceJson(chain, ['-U', server, '53'], asNobody);
      assert.deepEqual(open.destination, { reached: true, hop: 3, state: 'open', reason: 'udp', by: server });
    }
  });
});

test('unprivileged ICMP needs ping sockets: works when ping_group_range allows them, says how otherwise', async (t) => {
  await withChain(t, { routers: 2 }, async (chain) => {
    chain.exec(chain.client, 'sysctl', ['-q', '-w', 'net.ipv4.ping_group_range=1 0']);
    const refused = await runCli(chain.client.namespace, ['-n', '-I', chain.serverAddress(4)], asNobody);
    assert.equal(refused.code, 4, refused.stderr);
    assert.match(refused.stderr, /ping_group_range/);
    assert.doesNotMatch(refused.stderr, /\n\s+at /);
    // A port trace still works: its control falls back from ICMP to UDP.
    const tcp = await traceJson(chain, [chain.serverAddress(4), '81'], asNobody);
    assert.equal(tcp.destination.state, 'closed');

    chain.exec(chain.client, 'sysctl', ['-q', '-w', `net.ipv4.ping_group_range=0 ${2 ** 31 - 1}`]);
    for (const family of [4, 6] as const) {
      const icmp = await traceJson(chain, ['-I', chain.serverAddress(family)], asNobody);
      assert.deepEqual(hopAddresses(icmp), fullyAnswered([...path(chain, 2, family), chain.serverAddress(family)]));
      assert.equal(icmp.destination.reason, 'echo-reply');
    }
  });
});

test('the diagnosis works unprivileged: a FORWARD DROP is filtered-in-path, a forged RST is caught by the control', async (t) => {
  await withChain(t, { routers: 3 }, async (chain) => {
    chain.exec(chain.client, 'sysctl', ['-q', '-w', `net.ipv4.ping_group_range=0 ${2 ** 31 - 1}`]);
    chain.exec(chain.routers[1]!, 'iptables', ['-A', 'FORWARD', '-p', 'tcp', '--dport', '8443', '-j', 'DROP']);
    chain.exec(chain.routers[1]!, 'iptables', ['-A', 'FORWARD', '-p', 'tcp', '--dport', '443', '-j', 'REJECT', '--reject-with', 'tcp-reset']);
    type Diagnosed = { diagnosis: { verdict: string; hop: number | null; by: string | null } };
    const dropped = (await traceJson(chain, [chain.serverAddress(4), '8443'], asNobody)) as unknown as Diagnosed;
    assert.deepEqual(dropped.diagnosis.verdict, 'filtered-in-path');
    assert.equal(dropped.diagnosis.hop, 2);
    const reset = (await traceJson(chain, [chain.serverAddress(4), '443'], asNobody)) as unknown as Diagnosed;
    assert.equal(reset.diagnosis.verdict, 'reset-in-path');
  });
});

test('--mode raw without privileges fails with the sudo/setcap sentence; auto goes unprivileged and says so', async (t) => {
  await withChain(t, { routers: 1 }, async (chain) => {
    const server = chain.serverAddress(4);
    const raw = await runCli(chain.client.namespace, ['-n', '--mode', 'raw', server, '80'], asNobody);
    assert.equal(raw.code, 4, raw.stderr);
    assert.match(raw.stderr, /^portpath: .*(sudo|setcap)/);
    const auto = await runCli(chain.client.namespace, ['-n', server, '80'], asNobody);
    assert.equal(auto.code, 0, auto.stderr);
    assert.equal(auto.stderr.trim().split('\n').length, 1);
    assert.match(auto.stderr, /unprivileged/);
  });
});

function statusOf(pid: number): { uid: string; gid: string; capEff: string; capPrm: string; noNewPrivs: string } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => new RegExp(`^${name}:\\s*(.*)$`, 'm').exec(status)?.[1]?.trim() ?? '';
  return { uid: field('Uid'), gid: field('Gid'), capEff: field('CapEff'), capPrm: field('CapPrm'), noNewPrivs: field('NoNewPrivs') };
}

/**
 * Starts a trace in the client namespace (`launcher`: what runs node, e.g. setpriv …), waits until the process is
 * node running portpath and has finished dropping its privileges (NoNewPrivs is the drop's last step), and returns
 * its /proc status then, and its end.
 */
async function traceAndWatch(chain: Chain, launcher: string[], cli: string, env: Record<string, string> = {}) {
  // Everything past r2 is dropped, so the trace waits long enough to be looked at while it runs.
  chain.exec(chain.routers[1]!, 'iptables', ['-A', 'FORWARD', '-p', 'tcp', '-j', 'DROP']);
  const child = spawn('ip', ['netns', 'exec', chain.client.namespace, ...launcher, cli, '-n', '--json', '-w', '5,50,50', chain.serverAddress(4), '443'], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const ended = new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
  // `ip netns exec` and setpriv exec in place: the child's pid becomes node's, running portpath.
  const isTracer = () => readFileSync(`/proc/${child.pid!}/cmdline`, 'utf8').includes(cli);
  for (let i = 0; i < 200 && !isTracer(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  let status = statusOf(child.pid!);
  for (let i = 0; i < 100 && status.noNewPrivs !== '1'; i++) {
    await new Promise((resolve) => setTimeout(resolve, 20));
    status = statusOf(child.pid!);
  }
  return { status, ended };
}

const NO_CAPS = '0000000000000000';
const ids = (id: number) => `${id}\t${id}\t${id}\t${id}`;

test('started as root (sudo), a trace opens its raw sockets and then runs as the invoking user, with no capabilities', async (t) => {
  await withChain(t, { routers: 2 }, async (chain) => {
    const { status, ended } = await traceAndWatch(chain, [process.execPath], CLI, { SUDO_UID: '4242', SUDO_GID: '4343' });
    assert.deepEqual(status, { uid: ids(4242), gid: ids(4343), capEff: NO_CAPS, capPrm: NO_CAPS, noNewPrivs: '1' });
    const { code, stdout, stderr } = await ended;
    assert.equal(code, 0, stderr);
    const result = JSON.parse(stdout) as { mode: string; hops: { probes: { from: string | null }[] }[] };
    assert.equal(result.mode, 'raw', 'the raw sockets opened as root keep working after the drop');
    assert.deepEqual(result.hops.slice(0, 2).map((h) => h.probes[0]!.from), path(chain, 2, 4));
  });
});

test('started as root with the no_setuid_fixup securebit (setuid keeps capabilities): still none left after the drop', async (t) => {
  await withChain(t, { routers: 2 }, async (chain) => {
    const launcher = ['setpriv', '--securebits', '+no_setuid_fixup', process.execPath];
    const { status, ended } = await traceAndWatch(chain, launcher, CLI, { SUDO_UID: '4242', SUDO_GID: '4343' });
    assert.deepEqual(status, { uid: ids(4242), gid: ids(4343), capEff: NO_CAPS, capPrm: NO_CAPS, noNewPrivs: '1' });
    const { code, stdout, stderr } = await ended;
    assert.equal(code, 0, stderr);
    assert.equal((JSON.parse(stdout) as { mode: string }).mode, 'raw');
  });
});

/** A copy of node beside the any-user CLI, with `mode`; returns its path. */
function nodeCopy(cli: string, name: string, mode: number): string {
  const node = join(dirname(dirname(dirname(cli))), name);
  copyFileSync(process.execPath, node);
  chmodSync(node, mode);
  return node;
}

const setprivNobody = ['setpriv', `--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'];

test('run from a binary with cap_net_raw (setcap), a trace uses raw sockets and then holds no capabilities', async (t) => {
  await withChain(t, { routers: 2 }, async (chain) => {
    const cli = cliForAnyUser();
    const node = nodeCopy(cli, 'portpath-node', 0o755);
    execFileSync('setcap', ['cap_net_raw+ep', node]);
    // node starts with cap_net_raw from the file; only portpath can clear it.
    const { status, ended } = await traceAndWatch(chain, [...setprivNobody, node], cli);
    assert.deepEqual(status, { uid: ids(NOBODY), gid: ids(NOBODY), capEff: NO_CAPS, capPrm: NO_CAPS, noNewPrivs: '1' });
    const { code, stdout, stderr } = await ended;
    assert.equal(code, 0, stderr);
    assert.equal((JSON.parse(stdout) as { mode: string }).mode, 'raw');
  });
});

test('run from a setuid-root copy of node by an ordinary user, a trace uses raw sockets and then is that user again', async (t) => {
  await withChain(t, { routers: 2 }, async (chain) => {
    const cli = cliForAnyUser();
    const node = nodeCopy(cli, 'portpath-node-suid', 0o4755);
    // A SUDO_UID in the environment must not be trusted: the real user is not root.
    const { status, ended } = await traceAndWatch(chain, [...setprivNobody, node], cli, { SUDO_UID: '0', SUDO_GID: '0' });
    assert.deepEqual(status, { uid: ids(NOBODY), gid: ids(NOBODY), capEff: NO_CAPS, capPrm: NO_CAPS, noNewPrivs: '1' });
    const { code, stdout, stderr } = await ended;
    assert.equal(code, 0, stderr);
    assert.equal((JSON.parse(stdout) as { mode: string }).mode, 'raw');
  });
});
