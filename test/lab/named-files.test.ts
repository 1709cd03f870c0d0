// Files named on the command line are opened as whoever ran portpath: from a root shell as root (a report lands in
// a directory only root may write), under sudo as the invoking user (the report is theirs; a directory they may not
// write is refused). A report path that is a symbolic link, a hard link, a FIFO or another user's file is refused in
// one sentence, with exit status 10, and what it points at is left as it was. Databases (--asn-db, --geoip) are read
// the same way, and a hostile one (/dev/zero, a FIFO, nested pointers) is one sentence and exit status 2 at once.
import assert from 'node:assert/strict';
import { chmodSync, chownSync, linkSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TestContext } from 'node:test';
import { runCli, withChain } from './harness.js';
import { nestedPointers } from '../trace/mmdb-bombs.js';
import { assembleMmdb, GEOLITE_ASN, writeMmdb } from '../trace/mmdb-writer.js';

const SUDO_USER = { uid: 4242, gid: 4343 };
const asSudoUser = { env: { SUDO_UID: String(SUDO_USER.uid), SUDO_GID: String(SUDO_USER.gid) } };
// No SUDO_UID, even if the tests themselves run under sudo: a root shell.
const asRootShell = { env: { SUDO_UID: '', SUDO_GID: '' } };
type RunAs = typeof asSudoUser | typeof asRootShell;

/** A directory only `owner` may enter (root's by default), removed after the test. */
function privateDir(t: TestContext, owner = { uid: 0, gid: 0 }): string {
  const dir = mkdtempSync(join(tmpdir(), 'portpath-named-'));
  chmodSync(dir, 0o700);
  chownSync(dir, owner.uid, owner.gid);
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const oneSentence = (stderr: string, pattern: RegExp) => {
  assert.equal(stderr.trim().split('\n').length, 1, stderr);
  assert.match(stderr.trim(), pattern);
};

test('report files from a root shell: written into a root-only directory; a symlink, hard link, FIFO or foreign file at the path refused', async (t) => {
  await withChain(t, { routers: 1 }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    const server = chain.serverAddress(4);
    const dir = privateDir(t);
    const report = join(dir, 'report.md');
    const run = await runCli(chain.client.namespace, ['-n', server, '443', '--report-file', report], asRootShell);
    assert.equal(run.code, 0, run.stderr);
    assert.match(readFileSync(report, 'utf8'), /^# portpath: TCP\/443 \(https\) to 198\.18\.2\.2$/m);
    assert.equal(statSync(report).uid, 0);

    // A file that was there is replaced only by a finished report: a run that fails first leaves it as it was.
    writeFileSync(report, 'the last report\n');
    const failed = await runCli(chain.client.namespace, ['-n', '-6', server, '443', '--report-file', report], asRootShell);
    assert.equal(failed.code, 2, failed.stderr);
    assert.equal(readFileSync(report, 'utf8'), 'the last report\n');

    const target = join(dir, 'precious');
    writeFileSync(target, 'keep me\n');
    const refusals: [string, (path: string) => void, RegExp][] = [
      ['symlink.md', (path) => symlinkSync(target, path), /it is a symbolic link, and portpath does not write through one\.$/],
      ['hardlink.md', (path) => linkSync(target, path), /it has other names \(hard links\), which would be written too\.$/],
      ['fifo.md', (path) => execFileSync('mkfifo', [path]), /it is a FIFO or socket, not a regular file\.$/],
      ['foreign.md', (path) => (writeFileSync(path, 'theirs\n'), chownSync(path, SUDO_USER.uid, SUDO_USER.gid)), /it belongs to another user\.$/],
    ];
    for (const [name, plant, reason] of refusals) {
      const path = join(dir, name);
      plant(path);
      const refused = await runCli(chain.client.namespace, ['-n', server, '443', '--report-file', path], asRootShell);
      assert.equal(refused.code, 10, `${name}: ${refused.stderr}`);
      assert.equal(refused.stdout, '', name);
      oneSentence(refused.stderr, new RegExp(`^portpath: Cannot write the report to ${path.replace(/\./g, '\\.')}: ${reason.source}`));
      assert.ok(refused.ms < 1000, `${name}: ${refused.ms.toFixed(0)} ms`);
    }
    assert.equal(readFileSync(target, 'utf8'), 'keep me\n');
    assert.equal(readFileSync(join(dir, 'foreign.md'), 'utf8'), 'theirs\n');
  });
});

test("report files under sudo: the invoking user's own file; a directory they may not write refused; none left behind by a failed run", async (t) => {
  await withChain(t, { routers: 1 }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    const server = chain.serverAddress(4);
    const theirs = privateDir(t, SUDO_USER);
    const report = join(theirs, 'report.html');
    const run = await runCli(chain.client.namespace, ['-n', server, '443', '--report-file', report], asSudoUser);
    assert.equal(run.code, 0, run.stderr);
    const owner = statSync(report);
    assert.deepEqual([owner.uid, owner.gid], [SUDO_USER.uid, SUDO_USER.gid]);
    assert.match(readFileSync(report, 'utf8'), /^<!DOCTYPE html>/i);

    // sudo does not lend root's permissions to the path: a root-only directory is refused, and nothing is made there.
    const roots = privateDir(t);
    const denied = await runCli(chain.client.namespace, ['-n', server, '443', '--report-file', join(roots, 'report.html')], asSudoUser);
    assert.equal(denied.code, 10, denied.stderr);
    oneSentence(denied.stderr, /^portpath: Cannot write the report to .*report\.html: permission denied\.$/);
    assert.deepEqual(readdirSync(roots), []);

    // A run that fails after opening its report file removes the file it made.
    const failed = await runCli(chain.client.namespace, ['-n', '-6', server, '443', '--report-file', join(theirs, 'failed.html')], asSudoUser);
    assert.equal(failed.code, 2, failed.stderr);
    assert.deepEqual(readdirSync(theirs), ['report.html']);
  });
});

test('databases: a root-only one is read from a root shell and refused under sudo; /dev/zero, a FIFO and nested pointers refused at once', async (t) => {
  await withChain(t, { routers: 1 }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    const server = chain.serverAddress(4);
    const dir = mkdtempSync(join(tmpdir(), 'portpath-named-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    chmodSync(dir, 0o755);
    const rootOnly = join(dir, 'asn.mmdb');
    writeFileSync(rootOnly, writeMmdb('GeoLite2-ASN', GEOLITE_ASN), { mode: 0o600 });
    const asRoot = await runCli(chain.client.namespace, ['-n', '--asn-db', rootOnly, server, '443'], asRootShell);
    assert.equal(asRoot.code, 0, asRoot.stderr);
    assert.match(asRoot.stdout, /^ 1 {2}198\.18\.1\.2 \[AS64500 LAB-EDGE\] /m);

    const fifo = join(dir, 'fifo.mmdb');
    execFileSync('mkfifo', [fifo]);
    const nested = join(dir, 'nested.mmdb');
    writeFileSync(nested, assembleMmdb('GeoLite2-ASN', [['0.0.0.0/1', 0], ['128.0.0.0/1', 0], ['::/1', 0]], nestedPointers(30, 8)));
    const refusals: [string, string[], RunAs, RegExp][] = [
      ['root-only under sudo', ['--asn-db', rootOnly], asSudoUser, /^portpath: Cannot read the ASN database .*asn\.mmdb: permission denied\.$/],
      ['/dev/zero', ['--geoip', '/dev/zero'], asRootShell, /^portpath: Cannot read the GeoIP database \/dev\/zero: it is a device, not a regular file\.$/],
      ['a FIFO', ['--asn-db', fifo], asSudoUser, /^portpath: Cannot read the ASN database .*fifo\.mmdb: it is a FIFO, not a regular file\.$/],
      ['nested pointers', ['--asn-db', nested], asRootShell, /^portpath: The ASN database .*nested\.mmdb is not a readable MaxMind \(\.mmdb\) database \(a record nests deeper than 32 levels\)\.$/],
    ];
    for (const [name, args, as, message] of refusals) {
      const run = await runCli(chain.client.namespace, ['-n', ...args, server, '443'], as);
      assert.equal(run.code, 2, `${name}: ${run.stderr}`);
      assert.equal(run.stdout, '', name);
      oneSentence(run.stderr, message);
      t.diagnostic(`${name}: refused after ${run.ms.toFixed(0)} ms`);
      assert.ok(run.ms < 1000, `${name}: ${run.ms.toFixed(0)} ms`);
    }
  });
});
