// Replaces tsc's dist/src/cli/main.js with one file holding the CLI and everything it imports (commander too).
// Node loads one file far faster than ~80 small ES modules: about 60 ms of a trace's start-up on a slow machine,
// where a whole trace takes half a second. The library (dist/src/**) stays as tsc wrote it.
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const entry = fileURLToPath(import.meta.resolve('../dist/src/cli/main.js'));
await build({
  entryPoints: [entry],
  outfile: entry,
  allowOverwrite: true,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  logLevel: 'warning',
  // commander is CommonJS and requires Node's built-ins; an ES module has no `require` of its own.
  banner: { js: "import { createRequire as portpathCreateRequire } from 'node:module'; const require = portpathCreateRequire(import.meta.url);" },
});
