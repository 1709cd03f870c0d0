// The one owner of a multipath run (`portpath paths`, the library's paths()): open the session, give each flow a
// source port of its own (reserved, so the kernel leaves its answers to us), let the Multipath Detection Algorithm
// (engine/multipath) ask for probes flow by flow and TTL by TTL, then read the flows as paths with a verdict each
// (analyze/paths). With raw sockets: TCP and UDP flows differ only in their source port, echo flows in their identifier
// and checksum (what routers hash of ICMP), none of which the unprivileged transport can choose.
import { setMaxListeners } from 'node:events';
import { pathsVerdict } from '../analyze/paths.js';
import type { FoundPath } from '../analyze/paths.js';
import { systemClock } from '../engine/clock.js';
import { exploreMultipath } from '../engine/multipath.js';
import type { TtlFigures } from '../engine/multipath.js';
import { fanOut, reprobe } from '../engine/reprober.js';
import type { ProbeResult, TraceOptions } from '../engine/types.js';
import { PortpathError } from '../transport/errors.js';
import type { Family } from '../probe/method.js';
import type { TraceMeta } from './meta.js';
import { timeoutAfter } from './follow-up.js';
import { checkRun } from './run-checks.js';
import { methodOf, withRun } from './run-skeleton.js';
import type { RunOptions } from './run-types.js';

export interface PathsOptions extends Pick<RunOptions, 'protocol' | 'port' | 'family' | 'mode' | 'firstTtl' | 'maxTtl' | 'wait' | 'source' | 'interface' | 'signal' | 'pool' | 'packetLog'> {
  /** How sure each hop's "no other next hop" is: 95 (default) or 99 (percent). */
  confidence?: 95 | 99;
  /** Flows at most (default 64): the probe budget. */
  maxFlows?: number;
}

export interface PathsReport {
  version: 1;
  target: { host: string; address: string; family: Family };
  protocol: TraceMeta['protocol'];
  port: number | null;
  source: { address: string; interface: string | null };
  mode: 'raw' | 'unprivileged';
  /** The stopping rule: confidence per hop, and per TTL the flows it asked for and tried. */
  confidence: number;
  flowsPerHop: TtlFigures[];
  /** False where the flow budget ran out before a hop's rule was met. */
  ruleMet: boolean;
  probes: number;
  /**
   * Each flow: its source port (TCP, UDP) or echo identifier (ICMP; the other is null), its answers from the first
   * TTL on (null: silent there; the last is its end), and its path's id (0: on no path).
   */
  flows: { sourcePort: number | null; icmpId: number | null; hops: (string | null)[]; path: number }[];
  /** Every router seen and the links between them, with how many flows took each. */
  nodes: { ttl: number; address: string; flows: number }[];
  links: { ttl: number; from: string | null; to: string; flows: number }[];
  paths: FoundPath[];
  /** Hops where packets are balanced per packet, not per flow, with the routers they are spread over. */
  perPacket: { ttl: number; routers: string[] }[];
  /** Flows silent at a hop where flows met different routers, though they answered farther on: on no path. */
  unresolved: number;
  agree: boolean;
  summary: string;
  startedAt: string;
  durationMs: number;
  interrupted: boolean;
}

export const DEFAULT_MAX_FLOWS = 64;

/** Finds every path from here to `target`'s port that flows differing in source port take, and a verdict for each. */
export async function runPaths(target: string, options: PathsOptions = {}): Promise<PathsReport> {
  checkRun(options);
  const confidence = (options.confidence ?? 95) / 100;
  if (confidence !== 0.95 && confidence !== 0.99) throw new PortpathError('ERR_USAGE', `The confidence is 95 or 99 (percent), not ${options.confidence}.`);
  const maxFlows = options.maxFlows ?? DEFAULT_MAX_FLOWS;
  const spec = methodOf(options);
  const plan = { methods: [spec], probesPerHop: 1, control: false as const };
  // Every flow's probe waits on the caller's signal: dozens at once are expected, not a leak.
  const signal = options.signal ? AbortSignal.any([options.signal]) : undefined;
  if (signal) setMaxListeners(4 * (options.maxFlows ?? DEFAULT_MAX_FLOWS), signal);
  return withRun(target, { ...options, sourcePort: null }, plan, async ({ sessions: [session] }) => {
    const started = performance.now();
    const meta = session!.meta;
    if (meta.mode !== 'raw') {
      const flow = meta.protocol === 'icmp' ? 'an echo identifier and checksum' : 'a source port';
      throw new PortpathError('ERR_NO_PRIVILEGE', `portpath paths needs raw sockets (root or CAP_NET_RAW): each flow is ${flow} of its own, which unprivileged sockets cannot choose.`);
    }
    const echo = meta.protocol === 'icmp';
    const subscribe = fanOut(session!.network);
    const flows: { options: TraceOptions; release(): void }[] = [];
    const rtts: number[] = [];
    const probe = async (flow: number, ttl: number): Promise<ProbeResult> => {
      while (flows.length <= flow) flows.push(session!.freshFlow());
      const { options: flowOptions } = flows[flow]!;
      const timeout = timeoutAfter(rtts, flowOptions.wait);
      const [answer] = await reprobe(flowOptions, session!.method, session!.network, subscribe, systemClock, session!.tracer.ids, [{ ttl, atMs: 0 }], timeout, signal);
      if (answer!.result.rtt !== null) rtts.push(answer!.result.rtt);
      return answer!.result;
    };
    try {
      const outcome = await exploreMultipath(
        probe,
        { confidence, firstTtl: meta.firstTtl, maxTtl: meta.maxTtl, maxFlows, gapLimit: 3, destination: meta.address },
        systemClock,
        signal,
      );
      // Each flow's handle: what tells it apart to a balancer, and what reproduces it.
      const handles = flows.map((f) => (echo ? f.options.icmpId : f.options.sourcePort));
      const verdict = pathsVerdict(outcome, handles, { protocol: meta.protocol, port: meta.port, family: meta.family, destination: meta.address }, confidence);
      const pathOf = new Map(verdict.paths.flatMap((p) => [...p.sourcePorts, ...p.icmpIds].map((handle) => [handle, p.id] as const)));
      // Each flow's answers from the first TTL to the last it was asked at (null: silent there).
      const flowHops = [...outcome.flows].map(([flow, o]) => {
        const last = Math.max(meta.firstTtl - 1, ...o.keys());
        return {
          sourcePort: echo ? null : handles[flow]!,
          icmpId: echo ? handles[flow]! : null,
          hops: Array.from({ length: last - meta.firstTtl + 1 }, (_, i) => {
            const at = o.get(meta.firstTtl + i);
            return at && at.kind !== 'silent' ? at.address : null;
          }),
          path: pathOf.get(handles[flow]!) ?? 0,
        };
      });
      const nodes = new Map<string, { ttl: number; address: string; flows: number }>();
      const links = new Map<string, { ttl: number; from: string | null; to: string; flows: number }>();
      for (const f of flowHops) {
        let previous: string | null = null;
        f.hops.forEach((address, i) => {
          if (address === null) return void (previous = null);
          const ttl = meta.firstTtl + i;
          const node = nodes.get(`${ttl}|${address}`) ?? { ttl, address, flows: 0 };
          node.flows++;
          nodes.set(`${ttl}|${address}`, node);
          const link = links.get(`${ttl}|${previous}|${address}`) ?? { ttl, from: previous, to: address, flows: 0 };
          link.flows++;
          links.set(`${ttl}|${previous}|${address}`, link);
          previous = address;
        });
      }
      return {
        version: 1,
        target: { host: meta.host, address: meta.address, family: meta.family },
        protocol: meta.protocol,
        port: meta.port,
        source: { address: meta.source, interface: meta.interface },
        mode: meta.mode,
        confidence: Math.round(confidence * 100),
        flowsPerHop: outcome.figures,
        ruleMet: outcome.ruleMet,
        probes: outcome.probes,
        flows: flowHops,
        nodes: [...nodes.values()],
        links: [...links.values()],
        paths: verdict.paths,
        perPacket: verdict.perPacket,
        unresolved: verdict.unresolved,
        agree: verdict.agree,
        summary: verdict.summary,
        startedAt: meta.startedAt.toISOString(),
        durationMs: Math.round(performance.now() - started),
        interrupted: options.signal?.aborted === true,
      };
    } finally {
      for (const flow of flows) flow.release();
    }
  });
}
