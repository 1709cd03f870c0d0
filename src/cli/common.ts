// What the trace and compare commands share: output streams, the interrupted exit status, the auto-mode notice and
// the translation of command-line options into a run's options.
import { describePacket } from '../packet/describe.js';
import type { RawSocketPool } from '../transport/privileges.js';
import type { TraceMeta } from '../trace/meta.js';
import type { RunOptions } from '../trace/trace.js';
import type { CliOptions } from './args.js';

export interface Output {
  out: (text: string) => void;
  err: (text: string) => void;
}

/** Exit status 130 after Ctrl-C, as shells expect; 0 when the trace ran to its end, whatever the port state. */
export const EXIT_INTERRUPTED = 130;


/** One line on stderr when auto mode had to go without raw sockets. */
export function announceMode(cli: CliOptions, traces: Pick<TraceMeta, 'mode'>[], io: Output): void {
  if (cli.mode === 'auto' && traces.some((t) => t.mode === 'unprivileged')) {
    io.err('portpath: no raw-socket privileges: tracing with unprivileged sockets (connect and datagram probes, ICMP from the error queue).\n');
  }
}

/**
 * --debug: every packet on stderr, tcpdump-like, stamped with seconds since the process started (IPv6 raw sockets
 * give no IP header, so our address fills it in).
 */
function packetLog(io: Output): NonNullable<RunOptions['packetLog']> {
  return (direction, family, bytes, info) => {
    const { source } = info;
    io.err(
      `${(performance.now() / 1000).toFixed(6)} ${direction === 'send' ? '>' : '<'} ${describePacket(family, bytes, {
        v6Source: direction === 'send' ? source : info.peer,
        v6Destination: direction === 'send' ? info.peer : source,
        v6Protocol: info.ipProtocol,
        ...(info.ttl !== null ? { hopLimit: info.ttl } : {}),
      })}\n`,
    );
  };
}

/** The run's options from the command line; `method` says what this run probes. */
export function runOptions(
  cli: CliOptions,
  io: Output,
  signal: AbortSignal | undefined,
  pool: RawSocketPool | undefined,
  method: Pick<RunOptions, 'protocol' | 'port' | 'control'>,
): RunOptions {
  return {
    ...method,
    ...(signal ? { signal } : {}),
    family: cli.family,
    mode: cli.mode,
    probesPerHop: cli.probesPerHop,
    firstTtl: cli.firstTtl,
    maxTtl: cli.maxTtl,
    wait: cli.wait,
    source: cli.source,
    interface: cli.interface,
    sourcePort: cli.sourcePort,
    icmpId: cli.icmpId,
    lossTest: cli.lossTest,
    ...(pool ? { pool } : {}),
    ...(cli.debug ? { packetLog: packetLog(io) } : {}),
  };
}
