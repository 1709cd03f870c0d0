// One validation for the library and the command line (trace/run-checks): for the same bad value both refuse with
// the same sentence, each naming the value as its users write it (an option, a flag). Through the entry points
// themselves: trace(), compare(), startWatch() and parseArgs.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgs } from '../../src/cli/args.js';
import { compare, startWatch, trace, watch } from '../../src/index.js';
import type { WatchOptions } from '../../src/index.js';
import { PortpathError } from '../../src/transport/errors.js';

async function refusal(run: () => unknown): Promise<string> {
  try {
    await run();
  } catch (error) {
    assert.ok(error instanceof PortpathError && error.code === 'ERR_USAGE', String(error));
    assert.doesNotMatch(error.message, /\n/);
    return error.message;
  }
  assert.fail('not refused');
}

/** [what, the library's call, the command line, the library's name for the value → the flag] */
const cases: [string, () => unknown, string[], [string, string][]][] = [
  ['port 0', () => trace('198.18.4.2', { port: 0 }), ['198.18.4.2', '0'], []],
  ['port 1.5', () => trace('198.18.4.2', { port: 1.5 }), ['198.18.4.2', '1.5'], []],
  ['11 probes per hop', () => trace('198.18.4.2', { probesPerHop: 11 }), ['-q', '11', '198.18.4.2'], [['probesPerHop', '-q']]],
  ['max TTL 300', () => trace('198.18.4.2', { maxTtl: 300 }), ['-m', '300', '198.18.4.2'], [['maxTtl', '-m']]],
  ['first TTL past the max', () => trace('198.18.4.2', { firstTtl: 10, maxTtl: 5 }), ['-f', '10', '-m', '5', '198.18.4.2'], [['firstTtl', '-f'], ['maxTtl', '-m']]],
  ['source port 70000', () => trace('198.18.4.2', { sourcePort: 70000 }), ['--sport', '70000', '198.18.4.2'], [['sourcePort', '--sport']]],
  ['one method to compare', () => compare('198.18.4.2', ['tcp:443']), ['--compare', 'tcp:443', '198.18.4.2'], [['compare', '--compare']]],
  ['seven methods to compare', () => compare('198.18.4.2', Array(7).fill('icmp')), ['--compare', Array(7).fill('icmp').join(','), '198.18.4.2'], [['compare', '--compare']]],
];

const watchCases: [string, WatchOptions, string[], [string, string][]][] = [
  ['0 rounds', { rounds: 0 }, ['-c', '0'], [['rounds', '-c (rounds)']]],
  ['an interval of 5 ms', { intervalMs: 5 }, ['--interval', '0.005'], [['The interval', '--interval']]],
  ['an interval of two hours', { intervalMs: 7_200_000 }, ['--interval', '7200'], [['The interval', '--interval']]],
];

function named(message: string, names: [string, string][]): string {
  return names.reduce((text, [library, flag]) => text.replace(library, flag), message);
}

test('the library and the command line refuse a bad value with the same sentence', async () => {
  for (const [what, library, argv, names] of cases) {
    const cli = await refusal(() => parseArgs(argv));
    assert.equal(cli, named(await refusal(library), names), what);
  }
});

test('a watch: the same sentences for its rounds and its interval', async () => {
  for (const [what, options, argv, names] of watchCases) {
    const cli = await refusal(() => parseArgs([...argv, '198.18.4.2'], 'watch'));
    assert.equal(cli, named(await refusal(() => startWatch('198.18.4.2', options)), names), what);
  }
});

test('a watch of every path: the same sentences for a source port, ICMP and unprivileged sockets', async () => {
  const cases: [string, Parameters<typeof watch>[1], string[], [string, string][]][] = [
    ['a source port', { sourcePort: 40000 }, ['--sport', '40000', '198.18.4.2', '443'], [['paths: true', '--paths'], ['sourcePort', '--sport'], ['paths: true', '--paths']]],
    ['ICMP echo', { protocol: 'icmp' }, ['-I', '198.18.4.2'], [['paths: true', '--paths']]],
    ['unprivileged sockets', { mode: 'unprivileged' }, ['--mode', 'unprivileged', '198.18.4.2'], [['paths: true', '--paths']]],
  ];
  for (const [what, options, argv, names] of cases) {
    const cli = await refusal(() => parseArgs(['--paths', ...argv], 'watch'));
    assert.equal(cli, named(await refusal(() => watch('198.18.4.2', { ...options, paths: true })), names), what);
  }
});
