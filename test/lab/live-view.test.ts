// The live view as a person uses it: `portpath watch` in a real terminal (tmux), against real routers. Read the
// screen, press keys, read it again: the hop rows and the verdict are there, p stops the counters, d switches the
// display, q gives the shell back with the terminal in its normal (cooked, echoing) mode. The same after SIGTERM.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { Chain } from '../../src/lab/topology.js';
import { CLI, withChain } from './harness.js';

const PROMPT = 'PPSHELL$';

/** A tmux server of our own (its own socket), a bash with a known prompt, and no CI variable (ink draws frames only outside CI). */
function terminal(t: { after: (fn: () => void) => void }) {
  const socket = `portpath-test-${process.pid}-${Date.now()}`;
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.CI;
  const tmux = (...args: string[]) => execFileSync('tmux', ['-L', socket, ...args], { env, encoding: 'utf8' });
  tmux('new-session', '-d', '-s', 'pp', '-x', '140', '-y', '32', `env -u CI PS1='${PROMPT} ' bash --norc --noprofile`);
  t.after(() => {
    try {
      tmux('kill-server');
    } catch {
      /* already gone */
    }
  });
  const screen = () => tmux('capture-pane', '-p', '-t', 'pp');
  return {
    screen,
    keys: (...keys: string[]) => void tmux('send-keys', '-t', 'pp', ...keys),
    async until(what: string, test: (text: string) => boolean, timeoutMs = 15_000): Promise<string> {
      const end = Date.now() + timeoutMs;
      for (;;) {
        const text = screen();
        if (test(text)) return text;
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}; the screen:\n${text}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
  };
}

const roundsOf = (text: string) => Number(/: (\d+) rounds/.exec(text)?.[1] ?? NaN);
const sentAtHop = (text: string, ttl: number) => Number(new RegExp(`^\\s*${ttl}\\s+\\S+.*?\\s(\\d+)\\s+(\\d+)\\s+[\\d.-]+\\s`, 'm').exec(text)?.[1] ?? NaN);

function watchCommand(chain: Chain): string {
  return `ip netns exec ${chain.client.namespace} ${process.execPath} ${CLI} watch -n --interval 0.1 ${chain.serverAddress(4)} 443`;
}

test('the live view: rows and verdict on screen, p pauses the counters, d switches the display, q restores the shell', async (t) => {
  await withChain(t, { routers: 3 }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    const term = terminal(t);
    await term.until('the prompt', (s) => s.includes(PROMPT));
    term.keys(watchCommand(chain), 'Enter');
    const server = chain.serverAddress(4);
    const shown = await term.until('the hop rows and the verdict', (s) => s.includes(`${server} [open]`) && /Diagnosis: open/.test(s) && roundsOf(s) >= 5);
    for (const ttl of [1, 2, 3]) assert.match(shown, new RegExp(`^\\s*${ttl}\\s+${chain.routerAddress(ttl, 4).replaceAll('.', '\\.')}\\s`, 'm'));
    assert.match(shown, /q quit {2}p pause/);

    term.keys('p');
    const paused = await term.until('[paused]', (s) => s.includes('[paused]'));
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const later = term.screen();
    assert.equal(roundsOf(later), roundsOf(paused), 'rounds kept counting while paused');
    assert.equal(sentAtHop(later, 1), sentAtHop(paused, 1));
    term.keys('p');
    await term.until('rounds counting again', (s) => !s.includes('[paused]') && roundsOf(s) > roundsOf(later));

    term.keys('d');
    await term.until('the RTT history display', (s) => s.includes('RTT history'));
    term.keys('d');
    await term.until('the changes display', (s) => s.includes('display: changes'));
    term.keys('d');
    await term.until('the statistics again', (s) => s.includes('display: stats'));

    term.keys('q');
    // Back on the shell's own screen: the final report printed under the command, then the prompt.
    const after = await term.until('the prompt after the report', (s) => /Diagnosis: open/.test(s) && s.trimEnd().endsWith(PROMPT));
    assert.match(after, /portpath watch .* rounds/);
    assert.doesNotMatch(after, /q quit/, 'the live view stayed on screen');
    term.keys('stty -a | tr " " "\\n" | grep -x -- "-\\?icanon\\|-\\?echo"', 'Enter');
    const modes = await term.until('stty output', (s) => /^-?echo$/m.test(s) && /^-?icanon$/m.test(s));
    assert.match(modes, /^icanon$/m);
    assert.match(modes, /^echo$/m);
  });
});

test('SIGTERM to a live view: the report is printed and the terminal restored', async (t) => {
  await withChain(t, { routers: 2 }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    const term = terminal(t);
    await term.until('the prompt', (s) => s.includes(PROMPT));
    term.keys(watchCommand(chain), 'Enter');
    await term.until('the live view', (s) => s.includes('q quit') && roundsOf(s) >= 3);
    execFileSync('pkill', ['-TERM', '-f', `${CLI} watch -n --interval 0.1 ${chain.serverAddress(4)}`]);
    await term.until('the prompt after the report', (s) => /Diagnosis: open/.test(s) && s.trimEnd().endsWith(PROMPT) && !s.includes('q quit'));
    term.keys('stty -a | tr " " "\\n" | grep -x -- "-\\?icanon"', 'Enter');
    await term.until('stty output', (s) => /^-?icanon$/m.test(s));
    assert.match(term.screen(), /^icanon$/m);
  });
});

test('batch on a terminal: a progress line on stderr (done/total, probes a second, ETA), gone when it ends; none when stderr is not a terminal', async (t) => {
  await withChain(t, { routers: 2 }, async (chain) => {
    await chain.startServices({ tcp: [443] });
    const dir = mkdtempSync(join(tmpdir(), 'portpath-batch-progress-'));
    t.after(() => rmSync(dir, { recursive: true, force: true }));
    const server = chain.serverAddress(4);
    const targets = Array.from({ length: 8 }, (_, i) => `${server}:${443 + i}`);
    writeFileSync(join(dir, 'targets.txt'), `${targets.join('\n')}\n`);
    const term = terminal(t);
    await term.until('the prompt', (s) => s.includes(PROMPT));
    // Standard output to a file (the JSON Lines), standard error on the terminal: the progress line is drawn there.
    const batch = `ip netns exec ${chain.client.namespace} ${process.execPath} ${CLI} batch -n --rate 15 ${dir}/targets.txt`;
    term.keys(`${batch} > ${dir}/out.jsonl; echo EXIT=$?`, 'Enter');
    const shown = await term.until('the progress line', (s) => /\b\d\/8 targets, \d+ probes\/s ETA \d+ s/.test(s), 30_000);
    assert.match(shown, /\b\d\/8 targets/);
    const done = await term.until('the end', (s) => /EXIT=0/.test(s), 60_000);
    assert.doesNotMatch(done.split('EXIT=0')[0]!.split(batch).at(-1)!, /targets, \d+ probes\/s/, 'the progress line was left on screen');
    const lines = readFileSync(join(dir, 'out.jsonl'), 'utf8').trim().split('\n');
    assert.equal(lines.length, 9, 'a line per target and the summary');
    // Not a terminal: nothing but the JSON Lines on stdout and nothing on stderr.
    term.keys(`${batch} > ${dir}/out2.jsonl 2> ${dir}/err.txt; echo EXIT2=$?`, 'Enter');
    await term.until('the second run', (s) => /EXIT2=0/.test(s), 60_000);
    assert.equal(readFileSync(join(dir, 'err.txt'), 'utf8'), '');
  });
});
