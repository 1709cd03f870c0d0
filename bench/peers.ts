// The tools compared: portpath and the usual TCP traceroutes, each asked for 3 probes per hop and numeric output,
// otherwise with their defaults (the comparison is about what a user gets out of the box).
import { fileURLToPath } from 'node:url';
import { parseMtrReport, parsePortpathJson, parseTracerouteText } from './parse.js';
import type { ParseResult } from './parse.js';

/** dist/bench/peers.js → dist/src/cli/main.js */
export const PORTPATH_CLI = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));

export interface ToolSpec {
  /** Label in the tables. */
  label: string;
  /** Executable (looked up on PATH before running, so a missing one is reported rather than crashing). */
  command: string;
  args(host: string, port: number): string[];
  parse(stdout: string): ParseResult;
  isPortpath?: boolean;
  /** Extra arguments that make the tool explain a run that printed nothing usable (run once, only then). */
  diagnoseArgs?(host: string, port: number): string[];
  /** Pulls the explanation out of the diagnostic run's output. */
  diagnose?(stdout: string): string;
}

/** portpath's CLI with JSON output and extra options. */
function portpathTool(label: string, options: string[] = []): ToolSpec {
  return {
    label,
    command: process.execPath,
    args: (host, port) => [PORTPATH_CLI, '-n', '--json', ...options, host, String(port)],
    parse: parsePortpathJson,
    isPortpath: true,
  };
}

export const portpath = portpathTool('portpath');

/** portpath without its concurrent control trace (so without the diagnosis's evidence): the overhead baseline. */
export const portpathNoControl = portpathTool('portpath --control none', ['--control', 'none']);

/**
 * portpath's unprivileged transport (connect() per probe, ICMP from the error queue), forced while root so it runs
 * in the same lab from the same checkout: the transport is what differs, not the user.
 */
export const portpathUnprivileged = portpathTool('portpath --mode unprivileged', ['--mode', 'unprivileged']);

/** traceroute(8) 2.x, TCP SYN method; defaults otherwise (3 probes, 16 in flight, -w 5,3,10). */
export const traceroute: ToolSpec = {
  label: 'traceroute -T',
  command: 'traceroute',
  args: (host, port) => ['-n', '-T', '-p', String(port), host],
  parse: parseTracerouteText,
};

/** tcptraceroute probes one packet at a time and waits up to 3 s for each silent one. */
const tcptraceroute: ToolSpec = {
  label: 'tcptraceroute',
  command: 'tcptraceroute',
  args: (host, port) => ['-n', host, String(port)],
  parse: parseTracerouteText,
};

/** The variant the issue mentions for a filtered port: fewer hops to wait through. */
const tcptracerouteM12: ToolSpec = {
  label: 'tcptraceroute -m 12',
  command: 'tcptraceroute',
  args: (host, port) => ['-n', '-m', '12', host, String(port)],
  parse: parseTracerouteText,
};

/** mtr-tiny: -r report mode after -c 3 rounds; -T with -P for TCP to the port. */
const mtr: ToolSpec = {
  label: 'mtr -T -r -c 3',
  command: 'mtr',
  args: (host, port) => ['-n', '-T', '-P', String(port), '-r', '-c', '3', host],
  parse: parseMtrReport,
};

/**
 * scamper: `trace -P tcp -d PORT`; -q 3 allows 3 attempts per hop and -Q sends all of them even after an answer,
 * which is what "3 probes per hop" means for the others. -O text prints traceroute-style lines.
 */
const scamper: ToolSpec = {
  label: 'scamper trace -P tcp',
  command: 'scamper',
  args: (host, port) => ['-O', 'text', '-c', `trace -P tcp -d ${port} -q 3 -Q`, '-i', host],
  parse: parseTracerouteText,
  // Its text output says nothing when a trace fails; the JSON record carries stop_reason.
  diagnoseArgs: (host, port) => ['-O', 'json', '-c', `trace -P tcp -d ${port} -q 3 -Q`, '-i', host],
  diagnose: (stdout) => {
    const reason = /"stop_reason":\s*"([^"]+)"/.exec(stdout);
    const probes = /"probe_count":\s*(\d+)/.exec(stdout);
    return reason ? `scamper's JSON record says stop_reason=${reason[1]}, probe_count=${probes?.[1] ?? '?'}` : 'scamper gave no trace record';
  },
};

export function toolsFor(scenario: 'a' | 'b' | 'c' | 'long'): ToolSpec[] {
  // The long path: the fastest peer of the short one only (the others take tens of seconds there already).
  if (scenario === 'long') return [portpath, traceroute];
  // (b) again with a silent router beside the drop: the peers that finish (tcptraceroute waits out its 120 s).
  if (scenario === 'c') return [portpath, traceroute, mtr];
  return scenario === 'a'
    ? [portpath, portpathUnprivileged, traceroute, tcptraceroute, mtr, scamper]
    : [portpath, portpathUnprivileged, traceroute, tcptraceroute, tcptracerouteM12, mtr, scamper];
}
