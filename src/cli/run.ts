// The command line: dispatch, and turn every error into one sentence and an exit code. No stack traces for users.
import { CommanderError } from 'commander';
import { parseArgs } from './args.js';
import type { Subcommand } from './args.js';
import type { CliOptions } from './args.js';
import { addressFamily } from '../packet/address.js';
import type { Family } from '../probe/method.js';
import { EXIT_CODES, noRawPrivilege, PortpathError } from '../transport/errors.js';
import { dropPrivileges, holdsPrivileges, rootIsTheInvoker } from '../transport/privileges.js';
import type { RawSocketPool } from '../transport/privileges.js';
import { openRawSockets as openPool } from '../trace/api.js';
import { traceCommand } from './trace-command.js';
import { closeNamedFiles, openNamedFiles } from './named-files.js';
import { refuseOpenInspector } from './inspector-guard.js';

const io = {
  out: (text: string) => void process.stdout.write(text),
  err: (text: string) => void process.stderr.write(text),
};

// `portpath ... | head`: the reader left, so nobody wants the rest. End quietly, as the classic tools do, not with a
// stack trace from the broken pipe.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

/** Before anything else touches the outside world: the raw sockets every trace of this run may need. */
function openRawSockets(cli: CliOptions): RawSocketPool | null {
  if (cli.mode === 'unprivileged') return null;
  const literal = addressFamily(cli.host);
  const families: Family[] = cli.family ? [cli.family] : literal ? [literal] : [4, 6];
  // A batch's lines may name any method.
  const protocols = cli.batch ? (['tcp', 'udp', 'icmp'] as const).slice() : cli.compare ? cli.compare.map((c) => c.protocol) : [cli.protocol, ...(cli.control ? cli.control.map((c) => c.protocol) : [])];
  const pool = openPool({ families, protocols, ...(cli.interface ? { interface: cli.interface } : {}) });
  if (!pool && cli.mode === 'raw') throw noRawPrivilege();
  return pool;
}

async function main(argv: string[]): Promise<number> {
  await refuseOpenInspector(holdsPrivileges());
  if (argv[0] === 'demo') {
    const { demoCommand } = await import('./demo.js');
    return demoCommand(argv.slice(1), io);
  }
  if (argv[0] === 'exporter') {
    // A chunk of its own (prom-client, the HTTP side): a trace's start-up does not load it.
    const { exporterCommand } = await import('./exporter-command.js');
    return exporterCommand(argv.slice(1), io);
  }
  const command: Subcommand = argv[0] === 'watch' || argv[0] === 'paths' || argv[0] === 'batch' ? argv[0] : 'trace';
  let options;
  try {
    options = command === 'trace' ? parseArgs(argv) : parseArgs(argv.slice(1), command);
  } catch (error) {
    // Help and version: commander has already printed them to stdout.
    if (error instanceof CommanderError) return 0;
    throw error;
  }
  const controller = new AbortController();
  // First Ctrl-C: stop and print what was traced so far. A second one exits at once. One listener for both: removing
  // the last SIGINT listener restores the default action, and a signal landing in that gap would kill us silently.
  let interrupts = 0;
  process.on('SIGINT', () => {
    if (interrupts++ === 0) controller.abort();
    else process.exit(130);
  });
  // A watch runs until stopped: SIGTERM ends it like Ctrl-C, with its report printed and the terminal restored.
  if (options.watch || options.batch) process.on('SIGTERM', () => controller.abort());
  const batch = options.batch ? await import('./batch-command.js') : null;
  // Every module the run will need is loaded before privileges are dropped: installed where only root can read
  // (a root-owned checkout, a 0700 directory), the files could not be read afterwards.
  const watch = options.watch && !options.watch.paths ? await import('./watch-command.js') : null;
  const pathsWatch = options.watch?.paths ? await import('./paths-watch-command.js') : null;
  const paths = options.paths ? await import('./paths-command.js') : null;
  if (watch && options.watch && watch.wantsLiveView(options, options.watch)) await watch.loadLiveView();
  const pool = openRawSockets(options);
  // Files named on the command line are opened as whoever ran portpath (cli/named-files.ts): root's before the drop.
  let files = rootIsTheInvoker() ? openNamedFiles(options) : null;
  // However the run ends (an error, a second Ctrl-C's exit), a report file it made but never wrote goes again.
  process.once('exit', () => closeNamedFiles(files));
  dropPrivileges();
  files ??= openNamedFiles(options);
  const { owners, report } = files;
  if (batch && options.batch && files.batch) return batch.batchCommand(options, options.batch, files.batch, io, controller.signal, pool ?? undefined);
  if (pathsWatch && options.watch?.paths) return pathsWatch.pathsWatchCommand(options, options.watch, options.watch.paths, io, controller.signal, pool ?? undefined);
  if (watch && options.watch) return watch.watchCommand(options, options.watch, io, controller.signal, pool ?? undefined, owners, report);
  if (paths && options.paths) return paths.pathsCommand(options, options.paths, io, controller.signal, pool ?? undefined, report);
  return traceCommand(options, io, controller.signal, pool ?? undefined, owners, report);
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    if (error instanceof PortpathError) {
      io.err(`portpath: ${error.message}\n`);
      process.exitCode = EXIT_CODES[error.code];
    } else {
      // A bug, not a user mistake: say so in one line; PORTPATH_DEBUG=1 shows the stack.
      const message = error instanceof Error ? error.message : String(error);
      io.err(`portpath: internal error: ${message}\n`);
      if (process.env.PORTPATH_DEBUG) io.err(`${(error as Error)?.stack ?? ''}\n`);
      process.exitCode = 70;
    }
  },
);
