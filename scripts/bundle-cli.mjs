// Replaces tsc's dist/src/cli/main.js with a bundle: main.js and one chunk holding the CLI and everything it
// imports (commander too).
// Node loads one file far faster than ~80 small ES modules: about 60 ms of a trace's start-up on a slow machine,
// where a whole trace takes half a second. The library (dist/src/**) stays as tsc wrote it.
import { readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const entry = fileURLToPath(import.meta.resolve('../dist/src/cli/main.js'));
// Chunks of an earlier build would otherwise pile up (and ship).
for (const file of readdirSync(dirname(entry))) if (/^cli-[A-Z0-9]+\.js$/.test(file)) rmSync(join(dirname(entry), file));
await build({
  entryPoints: [entry],
  outdir: dirname(entry),
  // main.js stays tiny (--version answers from it); the rest of the CLI is one chunk it imports.
  splitting: true,
  chunkNames: 'cli-[hash]',
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  // ink loads React's devtools only when DEV=true; they are not a dependency of ours.
  external: ['react-devtools-core'],
  // commander is CommonJS and requires Node's built-ins; an ES module has no `require` of its own.
  banner: { js: "import { createRequire as portpathCreateRequire } from 'node:module'; const require = portpathCreateRequire(import.meta.url);" },
});
