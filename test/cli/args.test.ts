import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgs } from '../../src/cli/args.js';
import { splitHostPort } from '../../src/trace/target-text.js';
import type { Subcommand } from '../../src/cli/args.js';
import { PortpathError } from '../../src/transport/errors.js';

function usageError(argv: string[], pattern: RegExp, command: Subcommand = 'trace') {
  assert.throws(() => parseArgs(argv, command), (error: unknown) => {
    assert.ok(error instanceof PortpathError, `expected PortpathError, got ${String(error)}`);
    assert.equal(error.code, 'ERR_USAGE');
    assert.match(error.message, pattern);
    assert.doesNotMatch(error.message, /\n/);
    return true;
  });
}

test('defaults: TCP to port 80, 3 probes, TTL 1..30', () => {
  const o = parseArgs(['198.18.4.2']);
  assert.equal(o.protocol, 'tcp');
  assert.equal(o.port, 80);
  assert.equal(o.probesPerHop, 3);
  assert.equal(o.firstTtl, 1);
  assert.equal(o.maxTtl, 30);
  assert.equal(o.family, null);
  assert.deepEqual(o.wait, { maxMs: 3000, here: 3, near: 3 });
});

test('the port can come as host:port, [v6]:port, a second argument or -p', () => {
  assert.equal(parseArgs(['198.18.4.2:443']).port, 443);
  assert.equal(parseArgs(['198.18.4.2', '443']).port, 443);
  assert.equal(parseArgs(['-p', '443', '198.18.4.2']).port, 443);
  const v6 = parseArgs(['[2001:db8:4::2]:8443']);
  assert.deepEqual([v6.host, v6.port], ['2001:db8:4::2', 8443]);
  assert.equal(parseArgs(['2001:db8:4::2']).host, '2001:db8:4::2');
});

test('UDP defaults to 53 and ICMP has no port', () => {
  assert.equal(parseArgs(['-U', 'h']).port, 53);
  assert.equal(parseArgs(['-I', 'h']).port, null);
  assert.equal(parseArgs(['-U', 'h']).protocol, 'udp');
});

test('splitHostPort', () => {
  assert.deepEqual(splitHostPort('example.com:22'), { host: 'example.com', port: '22' });
  assert.deepEqual(splitHostPort('[::1]'), { host: '::1', port: null });
});

test('invalid ports are refused with one sentence', () => {
  usageError(['h', '0'], /port must be from 1 to 65535, not 0/);
  usageError(['h', '65536'], /port must be from 1 to 65535, not 65536/);
  usageError(['h', 'abc'], /port must be a whole number/);
  usageError(['h:1', '2'], /Give the port once/);
  usageError(['-I', 'h', '80'], /ICMP echo has no port/);
});

test('TTL and probe counts are checked', () => {
  usageError(['-q', '0', 'h'], /-q \(probes per hop\) must be from 1 to 10, not 0/);
  usageError(['-m', '0', 'h'], /-m \(max TTL\) must be from 1 to 255, not 0/);
  usageError(['-m', '300', 'h'], /-m \(max TTL\) must be from 1 to 255, not 300/);
  usageError(['-f', '10', '-m', '5', 'h'], /must not exceed -m/);
  usageError(['-w', 'x', 'h'], /-w takes MAX/);
});

test('a family that contradicts the address is refused', () => {
  usageError(['-4', '2001:db8::1'], /is an IPv6 address, but -4 asks for IPv4/);
  usageError(['-6', '198.18.0.1'], /is an IPv4 address, but -6 asks for IPv6/);
  usageError(['-4', '-6', 'h'], /exclude each other/);
});

test('two methods at once, unknown options and a missing host are usage errors', () => {
  usageError(['-T', '-U', 'h'], /Choose one probe method/);
  usageError(['--frobnicate', 'h'], /unknown option/);
  usageError([], /missing required argument/);
});

function watchUsageError(argv: string[], pattern: RegExp) {
  assert.throws(() => parseArgs(argv, 'watch'), (error: unknown) => error instanceof PortpathError && error.code === 'ERR_USAGE' && pattern.test(error.message) && !error.message.includes('\n'));
}

test('watch: interval, rounds and one output kind; every trace option still applies', () => {
  const o = parseArgs(['--interval', '0.5', '-c', '20', '--report', '-U', '198.18.4.2', '53'], 'watch');
  assert.deepEqual(o.watch, { intervalMs: 500, rounds: 20, report: true, stream: false, paths: null });
  assert.equal(o.protocol, 'udp');
  assert.equal(parseArgs(['198.18.4.2'], 'watch').watch?.intervalMs, 1000);
  assert.equal(parseArgs(['198.18.4.2']).watch, null);
  watchUsageError(['--interval', '0', '198.18.4.2'], /--interval takes seconds between 0\.01 and 3600/);
  watchUsageError(['--interval', 'fast', '198.18.4.2'], /not 'fast'/);
  watchUsageError(['-c', '0', '198.18.4.2'], /-c \(rounds\)/);
  watchUsageError(['--json', '--stream', '198.18.4.2'], /Choose one of --json, --report and --stream/);
  watchUsageError(['--compare', 'tcp:443,icmp', '198.18.4.2'], /watch takes one method/);
});

test('watch --paths: the multipath options, and what a watch of one flow per path refuses in one sentence', () => {
  assert.deepEqual(parseArgs(['--paths', '198.18.4.2', '443'], 'watch').watch?.paths, { confidence: 95, maxFlows: 64 });
  assert.deepEqual(parseArgs(['--paths', '--confidence', '99', '--max-flows', '32', '-U', '198.18.4.2', '53'], 'watch').watch?.paths, { confidence: 99, maxFlows: 32 });
  watchUsageError(['--paths', '--sport', '40000', '198.18.4.2', '443'], /^--paths watches the source ports its paths run finds, so --sport cannot name one/);
  watchUsageError(['--paths', '-I', '198.18.4.2'], /^--paths follows TCP or UDP flows/);
  watchUsageError(['--paths', '--mode', 'unprivileged', '198.18.4.2'], /^--paths needs raw sockets/);
  watchUsageError(['--paths', '--compare', 'tcp:443,icmp', '198.18.4.2'], /watch takes one method/);
  watchUsageError(['--paths', '--control', 'icmp', '198.18.4.2'], /traces no control/);
  watchUsageError(['--paths', '-z', '198.18.4.2'], /not watch --paths/);
  watchUsageError(['--paths', '--report-file', 'x.html', '198.18.4.2'], /--report-file is for a trace or a watch of one flow/);
  watchUsageError(['--max-flows', '32', '198.18.4.2'], /--confidence and --max-flows are for watch --paths/);
});

test('owners and report files: -z, --dns, databases, --report-file with its format', () => {
  assert.deepEqual(parseArgs(['-z', '198.18.4.2']).owners, { dns: true, servers: [], asnDb: null, geoDb: null });
  assert.deepEqual(parseArgs(['-z', '--dns', '198.18.4.2', '198.18.4.2']).owners?.servers, ['198.18.4.2']);
  assert.equal(parseArgs(['--asn-db', 'a.mmdb', '198.18.4.2']).owners?.dns, false);
  assert.equal(parseArgs(['198.18.4.2']).owners, null);
  assert.deepEqual(parseArgs(['--report-file', 'out.HTML', '198.18.4.2']).reportFile, { path: 'out.HTML', format: 'html' });
  assert.deepEqual(parseArgs(['--report-file', 'ticket.txt', '--format', 'md', '198.18.4.2']).reportFile, { path: 'ticket.txt', format: 'md' });
  usageError(['--dns', '198.18.4.2', '198.18.4.2'], /--dns is for the AS lookups: add -z/);
  usageError(['-z', '--dns', 'resolver.example', '198.18.4.2'], /--dns takes the resolver's IP address/);
  usageError(['--format', 'csv', '198.18.4.2'], /--format is for --report-file/);
  usageError(['--report-file', 'report.pdf', '198.18.4.2'], /Cannot tell the report format/);
  usageError(['--compare', 'tcp:443,icmp', '-z', '198.18.4.2'], /not --compare/);
  assert.deepEqual(parseArgs(['--compare', 'tcp:443,icmp', '--report-file', 'r.md', '198.18.4.2']).reportFile, { path: 'r.md', format: 'md' });
});

test('--icmp-id fixes an echo trace\'s flow; other methods and paths refuse it in one sentence', () => {
  assert.equal(parseArgs(['-I', '--icmp-id', '4321', 'h']).icmpId, 4321);
  assert.equal(parseArgs(['-I', 'h']).icmpId, null);
  usageError(['-I', '--icmp-id', '70000', 'h'], /--icmp-id \(echo identifier\)/);
  usageError(['--icmp-id', '4321', 'h', '443'], /--icmp-id \(echo identifier\) is the flow of an ICMP echo trace; a TCP trace's flow is its source port/);
  assert.throws(() => parseArgs(['-I', '--icmp-id', '4321', 'h'], 'paths'), /paths varies the echo identifier itself/);
  assert.equal(parseArgs(['-I', 'h'], 'paths').protocol, 'icmp');
});

test('paths: --report-file as HTML or JSON; Markdown and CSV refused in one sentence, as are the trace-only flags', () => {
  assert.deepEqual(parseArgs(['--report-file', 'diamond.html', '198.18.4.2', '443'], 'paths').reportFile, { path: 'diamond.html', format: 'html' });
  assert.deepEqual(parseArgs(['--report-file', 'paths.json', '--json', '198.18.4.2', '443'], 'paths').reportFile, { path: 'paths.json', format: 'json' });
  assert.deepEqual(parseArgs(['--report-file', 'paths.txt', '--format', 'html', '198.18.4.2'], 'paths').reportFile, { path: 'paths.txt', format: 'html' });
  usageError(['--report-file', 'paths.md', '198.18.4.2'], /^paths writes its --report-file as HTML or JSON: name it \.html or \.json \(Markdown and CSV are for a trace or a watch\)\.$/, 'paths');
  usageError(['--report-file', 'paths.csv', '198.18.4.2'], /as HTML or JSON/, 'paths');
  usageError(['--report-file', 'x', '--format', 'md', '198.18.4.2'], /as HTML or JSON/, 'paths');
  usageError(['--report-file', 'paths.pdf', '198.18.4.2'], /Cannot tell the report format/, 'paths');
  usageError(['--sport', '40000', '198.18.4.2'], /paths varies the source port itself/, 'paths');
  usageError(['--compare', 'tcp:443,icmp', '198.18.4.2'], /paths takes one method/, 'paths');
});
