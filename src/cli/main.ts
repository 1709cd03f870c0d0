#!/usr/bin/env node
// Entry point. `portpath --version` answers before anything else loads (scripts call it to check the install);
// everything else runs the command line (cli/run.ts, its own chunk of the bundle).
import { readFileSync } from 'node:fs';
import { ignoreDebugSignal } from './inspector-guard.js';

// Before anything else: SIGUSR1 must not open a debugger into this process (see inspector-guard.ts).
ignoreDebugSignal();

const argv = process.argv.slice(2);
if (argv.length === 1 && (argv[0] === '--version' || argv[0] === '-V')) {
  const manifest = JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version?: string };
  process.stdout.write(`${manifest.version ?? 'unknown'}\n`);
} else {
  await import('./run.js');
}
