// `portpath exporter`: the Prometheus exporter (src/exporter) as a service process. Signals are handled here, not in
// the exporter: SIGHUP reloads the config, SIGTERM and Ctrl-C stop it cleanly (a second Ctrl-C exits at once).
import { Command, CommanderError, Option } from 'commander';
import { Exporter, DEFAULT_LISTEN } from '../exporter/exporter.js';
import { loadConfig } from '../exporter/config.js';
import { Logger } from '../exporter/log.js';
import type { Level } from '../exporter/log.js';
import { loadWebConfig } from '../exporter/web-config.js';
import { PortpathError } from '../transport/errors.js';

interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}

interface ExporterArgs {
  config?: string;
  'web.listenAddress'?: string[];
  'web.config.file'?: string;
  checkConfig?: boolean;
  'log.level': Level;
}

function parse(argv: string[], io: Io): ExporterArgs {
  const program = new Command('portpath exporter')
    .description('A Prometheus exporter: /probe runs one trace per scrape, /metrics shows the config\'s watches.')
    .option('--config <file>', 'the exporter config (YAML; see docs/exporter.md)')
    .option('--web.listen-address <address>', `where to listen (repeatable; default ${DEFAULT_LISTEN})`, (value: string, previous: string[] = []) => [...previous, value])
    .option('--web.config.file <file>', "TLS and basic auth, in Prometheus's web config format")
    .option('--check-config', 'read the config files, say what is wrong, and exit')
    .addOption(new Option('--log.level <level>', 'log from this level on').choices(['debug', 'info', 'warn', 'error']).default('info'))
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: () => {} })
    .allowExcessArguments(false);
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError && (error.code === 'commander.helpDisplayed' || error.code === 'commander.version')) throw error;
    const message = error instanceof CommanderError ? error.message.replace(/^error: /, '') : String(error);
    throw new PortpathError('ERR_USAGE', `exporter: ${message}`);
  }
  const args = program.opts<ExporterArgs>();
  if (!args.config) throw new PortpathError('ERR_USAGE', 'exporter: --config FILE is required (see docs/exporter.md for its format).');
  return args;
}

export async function exporterCommand(argv: string[], io: Io): Promise<number> {
  let args: ExporterArgs;
  try {
    args = parse(argv, io);
  } catch (error) {
    if (error instanceof CommanderError) return 0;
    throw error;
  }
  const configFile = args.config!;
  const webConfigFile = args['web.config.file'] ?? null;
  if (args.checkConfig) {
    const config = await loadConfig(configFile);
    if (webConfigFile) await loadWebConfig(webConfigFile);
    io.out(`${configFile}: fine (${config.modules.size} modules, ${config.watches.length} watches${config.allow ? '' : '; no allow section: /probe may aim only at the watches\' targets'}).\n`);
    return 0;
  }
  const log = new Logger(args['log.level']);
  const exporter = await Exporter.start({ configFile, webConfigFile, listen: args['web.listenAddress'] ?? [], log });
  // After the config is read: a mistake in it is the first thing to say.
  if (process.getuid?.() === 0) log.warn('running as root; the exporter needs only CAP_NET_RAW (see deploy/systemd)');
  let interrupts = 0;
  const stopped = new Promise<void>((resolve) => {
    const stop = () => void exporter.stop().then(resolve);
    process.on('SIGTERM', stop);
    process.on('SIGINT', () => {
      if (interrupts++ === 0) stop();
      else process.exit(130);
    });
  });
  process.on('SIGHUP', () => void exporter.reload());
  await stopped;
  return 0;
}
