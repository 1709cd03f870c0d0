// Command-line arguments → one validated options object. Every mistake becomes a PortpathError('ERR_USAGE') with
// one sentence; commander handles the syntax, this file the meaning.
import { Command, CommanderError, Option } from 'commander';
import type { Family, Protocol } from '../probe/method.js';
import { PortpathError } from '../transport/errors.js';
import { addressFamily } from '../packet/address.js';
import type { ProbeSpec } from '../trace/session.js';
import { DEFAULT_PORTS, parseInteger, parseMethod } from '../trace/method-spec.js';
import { packageVersion, splitHostPort } from '../trace/target-text.js';
import { checkInterval, checkMethodCount, checkRun, checkWatchPaths, parseChecked } from '../trace/run-checks.js';
import type { Checked } from '../trace/run-checks.js';

export interface CliOptions {
  host: string;
  port: number | null;
  protocol: Protocol;
  family: Family | null;
  probesPerHop: number;
  firstTtl: number;
  maxTtl: number;
  wait: { maxMs: number; here: number; near: number };
  source: string | null;
  interface: string | null;
  sourcePort: number | null;
  /** --icmp-id: the echo identifier of an ICMP trace (null: random). */
  icmpId: number | null;
  numeric: boolean;
  json: boolean;
  debug: boolean;
  verbose: boolean;
  /** --loss-test: tell a router's ICMP rate limit from loss on hops that missed answers (about 3.5 s more). */
  lossTest: boolean;
  /** raw | unprivileged | auto (default): which transport. */
  mode: 'raw' | 'unprivileged' | 'auto';
  /** The concurrent control trace, then the reach check's first methods (null: none). */
  control: ProbeSpec[] | null;
  /** --compare: several traces side by side instead of one (null: not asked). */
  compare: ProbeSpec[] | null;
  /** `portpath watch`: rounds at an interval instead of one trace (null: a trace). */
  watch: WatchCli | null;
  /** `portpath paths`: every path the port's traffic can take, a verdict each (null: not asked). */
  paths: PathsCli | null;
  /** `portpath batch`: many targets from a file (null: not asked). */
  batch: BatchCli | null;
  /** -z / --asn-db / --geoip: who owns each hop (null: not asked). */
  owners: OwnersCli | null;
  /** --report-file: a report written to this file, in this format. */
  reportFile: { path: string; format: ReportFormat } | null;
}

export type ReportFormat = 'html' | 'md' | 'csv' | 'json';

export interface OwnersCli {
  /** Ask Team Cymru's DNS service. */
  dns: boolean;
  /** --dns SERVER: the resolver to ask instead of the system's. */
  servers: string[];
  asnDb: string | null;
  geoDb: string | null;
}

/** What the command line runs: one trace (with --compare, several), a watch, or a multipath run. */
export type Subcommand = 'trace' | 'watch' | 'paths' | 'batch';

export interface BatchCli {
  /** The targets' file; '-' for standard input. */
  input: string;
  /** Probes per second for the whole batch. */
  rate: number;
  concurrency: number;
  /** --resume FILE: skip the targets a previous run's JSON Lines output already holds. */
  resume: string | null;
  /** Trace the hops near the source once for the batch (--no-share-hops: for every target). */
  shareHops: boolean;
}

export interface PathsCli {
  /** Per hop, how sure "no other next hop" is: 95 or 99 (percent). */
  confidence: 95 | 99;
  maxFlows: number;
  /** --dot: the paths as a Graphviz graph instead of text. */
  dot: boolean;
}

export interface WatchCli {
  intervalMs: number;
  /** -c N rounds (null: until Ctrl-C or q). */
  rounds: number | null;
  /** --report: the mtr-style statistics at the end, nothing while it runs. */
  report: boolean;
  /** --stream: one JSON line per probe result, round, change and diagnosis. */
  stream: boolean;
  /** --paths: find every ECMP path first, then watch one flow per path (null: one flow). */
  paths: Pick<PathsCli, 'confidence' | 'maxFlows'> | null;
}

export type { ProbeSpec };

/** What commander hands back, each value already through its option's parser. */
interface Flags {
  tcp?: boolean; udp?: boolean; icmp?: boolean; 4?: boolean; 6?: boolean; numeric?: boolean; json?: boolean; debug?: boolean; verbose?: boolean; lossTest?: boolean;
  asn?: boolean; report?: boolean; stream?: boolean;
  port?: string; source?: string; interface?: string; dns?: string; asnDb?: string; geoip?: string; reportFile?: string; format?: ReportFormat;
  queries: number; firstTtl: number; maxTtl: number; sport?: number; icmpId?: number; interval: number; count?: number; confidence?: string; maxFlows?: number; dot?: boolean; paths?: boolean;
  wait: CliOptions['wait']; mode: CliOptions['mode']; control?: ProbeSpec[] | null; compare?: ProbeSpec[];
  rate?: number; concurrency?: number; resume?: string; shareHops?: boolean;
}

function usage(message: string): PortpathError {
  return new PortpathError('ERR_USAGE', message);
}

/** How the command line names what the library checks (trace/run-checks): by its flags. */
const FLAGS: Record<Checked, string> = { port: 'The port', sourcePort: '--sport', icmpId: '--icmp-id', probesPerHop: '-q', firstTtl: '-f', maxTtl: '-m', rounds: '-c', maxFlows: '--max-flows', interval: '--interval', compare: '--compare', paths: '--paths' };

/** A flag's whole number, refused in the library's words for it. */
function integer(key: Parameters<typeof parseChecked>[0]) {
  return (value: string): number => parseChecked(key, FLAGS, value);
}

export const parsePort = integer('port');

/**
 * --control METHOD[,METHOD...] or none: the first is traced beside the trace; the others are what the reach check
 * tries first where neither reaches the destination. Absent (undefined), ICMP echo is the control for port traces.
 */
function parseControl(text: string): ProbeSpec[] | null {
  if (text.trim().toLowerCase() === 'none') return null;
  return text.split(',').map((method) => parseMethod(method, '--control'));
}

function parseCompare(text: string): ProbeSpec[] {
  const specs = text.split(',').filter((part) => part.trim() !== '').map((part) => parseMethod(part, '--compare'));
  checkMethodCount(specs.length, FLAGS);
  return specs;
}

/** -w MAX[,HERE,NEAR] in seconds, as traceroute takes it. */
function parseWait(value: string): { maxMs: number; here: number; near: number } {
  const parts = value.split(',').map((p) => Number(p));
  if (parts.length > 3 || parts.some((p) => !Number.isFinite(p) || p <= 0)) {
    throw usage(`-w takes MAX[,HERE,NEAR]: positive numbers (seconds, then factors), not '${value}'.`);
  }
  return { maxMs: parts[0]! * 1000, here: parts[1] ?? 3, near: parts[2] ?? 3 };
}

/** --interval SECONDS (fractions allowed), as ms. */
function parseInterval(value: string): number {
  return Math.round(checkInterval(value.trim() === '' ? NaN : Number(value) * 1000, FLAGS, value));
}

export function buildProgram(command: Subcommand = 'trace'): Command {
  const watch = command === 'watch';
  const program = new Command(command === 'trace' ? 'portpath' : `portpath ${command}`);
  if (command === 'paths') {
    multipathOptions(program)
      .usage('[options] <host> [port]    (TCP, UDP or ICMP echo; raw sockets; all trace options apply)')
      .description('Find every path a connection to the port can take (flows differing in source port, or echo identifier, as ECMP balancers hash them), and where each one stops.')
      .option('--dot', 'print the paths as a Graphviz graph (dot -Tsvg draws it)');
  } else if (watch) {
    program
      .usage('[options] <host> [port]    (rounds of probes until Ctrl-C or q; all trace options apply)')
      .description('Watch the path to a port over time: per-hop loss (and whether it is real), RTT statistics, changes.')
      .addOption(new Option('--interval <seconds>', 'time between rounds').argParser(parseInterval).default(1000, '1'))
      .option('-c, --count <n>', 'stop after N rounds', integer('rounds'))
      .option('--report', 'print mtr-style statistics at the end (for tickets), nothing while running')
      .option('--stream', 'print one JSON line per probe result, round, change and diagnosis (for piping)')
      .option('--paths', 'find every ECMP path first (as portpath paths), then watch one flow per path side by side (TCP/UDP, raw sockets)');
    multipathOptions(program, ' (with --paths)');
  } else if (command === 'batch') {
    program
      .usage('[options] [file]    (one target per line: HOST, HOST:PORT, HOST PORT, optionally a method; - or none: standard input)')
      .description('Trace many targets at once, at one probe rate for all: JSON Lines, one object per target as it finishes, then a summary.')
      .option('--rate <pps>', 'probes per second for the whole batch (default 200)', parseRate)
      .option('--concurrency <n>', 'traces at once (default 32)', (value: string) => parseInteger('--concurrency', 1, 4096, value))
      .option('--resume <file>', "skip the targets a previous run's output (JSON Lines) already holds")
      .option('--no-share-hops', 'probe the hops near the source for every target (by default they are traced once for the batch)');
  } else {
    program.usage('[options] <host> [port]    (also host:port, [ipv6]:port)\n\nOther commands: portpath watch HOST PORT (over time), portpath paths HOST PORT (every ECMP path), portpath batch FILE (many targets), portpath exporter --config FILE (Prometheus), portpath demo (the built-in lab); each takes --help.');
    program.description('Trace the path to a TCP or UDP port: every hop, its RTTs, the port state, and where traffic stops.');
  }
  if (command === 'batch') program.argument('[file]', 'the targets (default: standard input)');
  else program.argument('<host>', 'name or address to trace to (host:port and [v6addr]:port work too)').argument('[port]', 'port to aim at (default 80 for TCP, 53 for UDP)');
  return program
    .addOption(new Option('-T, --tcp', 'TCP SYN probes (default)'))
    .addOption(new Option('-U, --udp', 'UDP probes (with a payload the service answers for well-known ports)'))
    .addOption(new Option('-I, --icmp', 'ICMP echo probes'))
    .option('-p, --port <port>', 'port to aim at')
    .option('-4', 'use IPv4')
    .option('-6', 'use IPv6')
    .option('-q, --queries <n>', 'probes per hop', integer('probesPerHop'), 3)
    .option('-f, --first-ttl <n>', 'first TTL to probe', integer('firstTtl'), 1)
    .option('-m, --max-ttl <n>', 'largest TTL to probe', integer('maxTtl'), 30)
    .addOption(new Option('-w, --wait <max[,here,near]>', 'wait at most MAX seconds for a probe; HERE/NEAR x RTTs already seen').argParser(parseWait).default({ maxMs: 3000, here: 3, near: 3 }, '3,3,3'))
    .option('-s, --source <address>', 'source address of the probes')
    .option('-i, --interface <name>', 'send through this interface')
    .option('--sport <port>', 'source port (default: a free ephemeral port, reserved for the trace)', integer('sourcePort'))
    .option('--icmp-id <id>', 'ICMP echo identifier, which fixes the flow (default: random; paths prints the one of each path)', integer('icmpId'))
    .option('-n, --numeric', 'do not resolve addresses to names')
    .option('--json', 'print the result as JSON (the format is documented and stable)')
    .option('-d, --debug', 'print every packet sent and received on stderr')
    .option('-v, --verbose', "print the evidence behind the diagnosis")
    .option('--loss-test', 'on hops that missed answers, tell a router\'s ICMP rate limit from loss (about 3.5 s more)')
    .addOption(new Option('--mode <mode>', 'raw sockets, unprivileged sockets, or auto: raw when permitted').choices(['raw', 'unprivileged', 'auto']).default('auto'))
    .option(
      '--control <methods>',
      'control trace run alongside, to tell a blocked port from a broken path: tcp:PORT, udp:PORT, icmp or none (default icmp); more, comma-separated, are tried first when neither reaches the destination',
      parseControl,
    )
    .option('--compare <methods>', 'trace several methods side by side, e.g. tcp:443,udp:53,icmp (the port argument is then not used)', parseCompare)
    .option('-z, --asn', "show who owns each hop: AS number and name, from Team Cymru's DNS service (or --asn-db)")
    .option('--dns <server>', 'resolver for the AS lookups (default: the system resolver)')
    .option('--asn-db <file>', 'offline ASN database (.mmdb: GeoLite2-ASN or IPinfo layout)')
    .option('--geoip <file>', 'offline GeoIP database (.mmdb: GeoLite2-Country/City or IPinfo layout): country, city')
    .option('--report-file <file>', `also write a report to FILE (format from its extension: ${command === 'paths' ? '.html .json' : '.html .md .csv .json'})`)
    .addOption(new Option('--format <format>', 'report format when the extension does not say').choices(['html', 'md', 'csv', 'json']))
    .version(packageVersion(), '-V, --version')
    .helpOption('-h, --help')
    .exitOverride()
    .configureOutput({ writeErr: () => undefined })
    .allowExcessArguments(false);
}

/** The multipath run's options, for `paths` and `watch --paths`; their defaults are parsePaths'. */
function multipathOptions(program: Command, note = ''): Command {
  return program
    .addOption(new Option('--confidence <percent>', `per hop, how sure "no other next hop" is (default 95)${note}`).choices(['95', '99']))
    .option('--max-flows <n>', `flows at most, the probe budget (default 64)${note}`, integer('maxFlows'));
}

/** Parses argv (without node and script); throws PortpathError for usage mistakes, CommanderError for help/version. */
export function parseArgs(argv: string[], command: Subcommand = 'trace'): CliOptions {
  const program = buildProgram(command);
  const watch = command === 'watch';
  try {
    program.parse(argv, { from: 'user' });
  } catch (error) {
    if (error instanceof CommanderError && (error.code === 'commander.helpDisplayed' || error.code === 'commander.version')) throw error;
    if (error instanceof CommanderError) throw usage(error.message.replace(/^error: /, '').replace(/\.?$/, '.') + " See 'portpath --help'.");
    throw error;
  }
  const o = program.opts<Flags>();
  const methods = (['tcp', 'udp', 'icmp'] as const).filter((m) => o[m]);
  if (methods.length > 1) throw usage('Choose one probe method: -T (TCP), -U (UDP) or -I (ICMP).');
  const protocol: Protocol = methods[0] ?? 'tcp';
  if (o['4'] && o['6']) throw usage('-4 and -6 exclude each other.');

  const batch = command === 'batch';
  const [target, positionalPort] = (batch ? ['', undefined] : program.args) as [string, string | undefined];
  const { host, port: embeddedPort } = splitHostPort(target);
  if (!host && !batch) throw usage('The host is empty.');
  const portTexts = [embeddedPort, positionalPort, o.port].filter((p): p is string => p !== undefined && p !== null);
  if (portTexts.length > 1) throw usage('Give the port once: as host:port, as a second argument, or with -p.');
  if (portTexts.length === 1 && protocol === 'icmp') throw usage('ICMP echo has no port; drop the port or use -T/-U.');
  const port = portTexts.length === 1 ? parsePort(portTexts[0]!) : DEFAULT_PORTS[protocol];

  const family: Family | null = o['4'] ? 4 : o['6'] ? 6 : null;
  const literal = addressFamily(host);
  if (family !== null && literal !== null && literal !== family) {
    throw usage(`${host} is an IPv${literal} address, but -${family} asks for IPv${family}.`);
  }
  const options: CliOptions = {
    host,
    port,
    protocol,
    family,
    probesPerHop: o.queries,
    firstTtl: o.firstTtl,
    maxTtl: o.maxTtl,
    wait: o.wait,
    source: o.source ?? null,
    interface: o.interface ?? null,
    sourcePort: o.sport ?? null,
    icmpId: o.icmpId ?? null,
    numeric: Boolean(o.numeric),
    json: Boolean(o.json),
    debug: Boolean(o.debug),
    verbose: Boolean(o.verbose),
    lossTest: Boolean(o.lossTest),
    mode: o.mode,
    // ICMP echo is the control for port traces; an ICMP trace is its own control unless another is asked for.
    control: o.control !== undefined ? o.control : protocol === 'icmp' ? null : [{ protocol: 'icmp', port: null }],
    compare: o.compare ?? null,
    watch: watch ? parseWatch(o) : null,
    paths: command === 'paths' ? parsePaths(o) : null,
    batch: batch ? parseBatch(o, program.args[0] ?? '-') : null,
    owners: parseOwners(o),
    reportFile: parseReportFile(o),
  };
  // What the library refuses, the command line refuses in the same words (naming its flags).
  checkRun({ ...options, ...(options.watch ?? {}), ...(options.paths ?? {}), ...(options.watch?.paths ?? {}) }, FLAGS);
  if (options.watch?.paths) checkWatchPaths(options, FLAGS);
  if (options.compare && options.owners) throw usage('-z, --asn-db and --geoip are for a trace or a watch, not --compare.');
  return options;
}

function parseOwners(o: Flags): OwnersCli | null {
  const asnDb = o.asnDb ?? null;
  const geoDb = o.geoip ?? null;
  const server = o.dns;
  if (server !== undefined && addressFamily(server) === null) throw usage(`--dns takes the resolver's IP address, not '${server}'.`);
  if (!o.asn && !asnDb && !geoDb) {
    if (server !== undefined) throw usage('--dns is for the AS lookups: add -z.');
    return null;
  }
  // DNS when asked for by -z and no ASN database answers instead (or when a resolver is named).
  return { dns: Boolean(o.asn) && (!asnDb || server !== undefined), servers: server ? [server] : [], asnDb, geoDb };
}

const FORMATS: Record<string, ReportFormat> = { '.html': 'html', '.htm': 'html', '.md': 'md', '.markdown': 'md', '.csv': 'csv', '.json': 'json' };

function parseReportFile(o: Flags): CliOptions['reportFile'] {
  const path = o.reportFile;
  const format = o.format;
  if (path === undefined) {
    if (format !== undefined) throw usage('--format is for --report-file FILE.');
    return null;
  }
  const extension = /\.[a-z]+$/i.exec(path)?.[0]?.toLowerCase() ?? '';
  const chosen = format ?? FORMATS[extension];
  if (!chosen) throw usage(`Cannot tell the report format from '${path}': name it .html, .md, .csv or .json, or add --format.`);
  return { path, format: chosen };
}

function parsePaths(o: Flags): PathsCli {
  if (o.compare !== undefined) throw usage('paths takes one method; --compare is for single traces.');
  // The paths report has its own HTML page and its JSON; Markdown and CSV are laid out for one path's hops.
  const report = parseReportFile(o);
  if (report && report.format !== 'html' && report.format !== 'json') throw usage('paths writes its --report-file as HTML or JSON: name it .html or .json (Markdown and CSV are for a trace or a watch).');
  if (o.sport !== undefined) throw usage('paths varies the source port itself; --sport is for tracing one of its paths.');
  if (o.icmpId !== undefined) throw usage('paths varies the echo identifier itself; --icmp-id is for tracing one of its paths.');
  if (o.dot && o.json) throw usage('Choose one of --json and --dot.');
  return { ...multipathValues(o), dot: Boolean(o.dot) };
}

function multipathValues(o: Flags): Pick<PathsCli, 'confidence' | 'maxFlows'> {
  return { confidence: o.confidence === '99' ? 99 : 95, maxFlows: o.maxFlows ?? 64 };
}

/** --rate PPS: a positive number of probes per second. */
function parseRate(value: string): number {
  const rate = Number(value);
  if (value.trim() === '' || !Number.isFinite(rate) || rate <= 0 || rate > 1_000_000) throw usage(`--rate takes probes per second, from 1 to 1000000, not '${value}'.`);
  return rate;
}

function parseBatch(o: Flags, input: string): BatchCli {
  // One source port, one echo id or one report file cannot serve thousands of traces; the packet dump would drown.
  const refused: [unknown, string][] = [
    [o.sport, '--sport'],
    [o.icmpId, '--icmp-id'],
    [o.compare, '--compare'],
    [o.reportFile, '--report-file'],
    [o.debug, '--debug'],
    [o.asn || o.asnDb || o.geoip, '-z, --asn-db and --geoip'],
  ];
  for (const [given, flag] of refused) if (given) throw usage(`batch does not take ${flag}: it is for one trace.`);
  return { input, rate: o.rate ?? 200, concurrency: o.concurrency ?? 32, resume: o.resume ?? null, shareHops: o.shareHops !== false };
}

function parseWatch(o: Flags): WatchCli {
  if (!o.paths && (o.confidence !== undefined || o.maxFlows !== undefined)) throw usage('--confidence and --max-flows are for watch --paths.');
  const outputs = [o.json, o.report, o.stream].filter(Boolean);
  if (outputs.length > 1) throw usage('Choose one of --json, --report and --stream.');
  if (o.compare !== undefined) throw usage('watch takes one method; --compare is for single traces.');
  return {
    intervalMs: o.interval,
    rounds: o.count ?? null,
    report: Boolean(o.report),
    stream: Boolean(o.stream),
    paths: o.paths ? parseWatchPaths(o) : null,
  };
}

/** watch --paths: the multipath run's options, and what a watch of one flow per path has no use for. */
function parseWatchPaths(o: Flags): WatchCli['paths'] {
  if (o.control !== undefined) throw usage('watch --paths traces no control beside its flows: leave out --control.');
  if (o.asn || o.asnDb !== undefined || o.geoip !== undefined) throw usage('-z, --asn-db and --geoip are for a trace or a watch of one flow, not watch --paths.');
  if (o.reportFile !== undefined) throw usage('--report-file is for a trace or a watch of one flow; watch --paths prints text, --json or --stream.');
  return multipathValues(o);
}
