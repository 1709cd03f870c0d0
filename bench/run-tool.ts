// One tool, one trace: check it is installed, run it in the client namespace under a timeout, parse what it printed.
import type { Chain } from '../src/lab/topology.js';
import { findCommand, runInNode } from './exec.js';
import type { ChildRun } from './exec.js';
import type { ParsedTrace, PortpathResult } from './parse.js';
import type { ToolSpec } from './peers.js';

export type RunStatus = 'ok' | 'timeout' | 'failed' | 'not installed';

export interface ToolRun {
  tool: ToolSpec;
  status: RunStatus;
  /** Wall time (s); for a timeout, the limit it hit. */
  seconds: number | null;
  trace: ParsedTrace | null;
  /** portpath's own result, for the checks that need more than hops. */
  result?: PortpathResult;
  /** Why it failed, or what was odd. */
  note?: string;
  raw?: ChildRun;
}

export interface RunSettings {
  timeoutSeconds: number;
  verbose: boolean;
}

export async function runTool(chain: Chain, tool: ToolSpec, host: string, port: number, settings: RunSettings): Promise<ToolRun> {
  const path = findCommand(tool.command);
  if (!path) return { tool, status: 'not installed', seconds: null, trace: null, note: `${tool.command} not found on PATH` };
  const raw = await runInNode(chain, chain.client, path, tool.args(host, port), settings.timeoutSeconds);
  const parsed = tool.parse(raw.stdout);
  if (raw.timedOut) {
    // Keep whatever hops it printed before we stopped it: they show how far it got in the time.
    return { tool, status: 'timeout', seconds: settings.timeoutSeconds, trace: parsed.ok ? parsed.trace : null, raw, note: `no result within ${settings.timeoutSeconds} s` };
  }
  if (!parsed.ok) {
    const stderr = raw.stderr.trim().split('\n').slice(-1)[0] ?? '';
    let note = `unparseable output (${parsed.why}); exit ${raw.code ?? raw.signal}${stderr ? `; stderr: ${stderr}` : ''}`;
    if (tool.diagnoseArgs && tool.diagnose) {
      const probe = await runInNode(chain, chain.client, path, tool.diagnoseArgs(host, port), settings.timeoutSeconds);
      note += `; ${tool.diagnose(probe.stdout)}`;
    }
    return { tool, status: 'failed', seconds: raw.seconds, trace: null, raw, note };
  }
  const run: ToolRun = { tool, status: 'ok', seconds: raw.seconds, trace: parsed.trace, raw };
  if (parsed.result) run.result = parsed.result;
  const skipped = parsed.trace.skipped;
  // portpath's own JSON should always be understood: say what was not, rather than only how much.
  if (skipped.length > 0) run.note = `${skipped.length} output line(s)/token(s) not understood${tool.isPortpath ? `: ${skipped.join('; ')}` : ''}`;
  if (tool.isPortpath && raw.code !== 0) run.note = `exit ${raw.code}: ${raw.stderr.trim()}`;
  return run;
}

/** The raw output of a run, for --verbose when a peer's output could not be parsed. */
export function rawOutput(run: ToolRun): string {
  if (!run.raw) return '';
  const indent = (text: string): string => text.trimEnd().split('\n').map((l) => `      | ${l}`).join('\n');
  const parts = [`    raw output of ${run.tool.label} (exit ${run.raw.code ?? run.raw.signal}):`];
  if (run.raw.stdout.trim()) parts.push('    stdout:', indent(run.raw.stdout));
  if (run.raw.stderr.trim()) parts.push('    stderr:', indent(run.raw.stderr));
  return parts.join('\n');
}
