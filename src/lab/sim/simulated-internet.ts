// Starting a simulated Internet for a test: one network namespace for the client, a TUN device in it that carries the
// lab ranges (198.18.0.0/15 and 2001:db8::/32; the client's own address is local, so it stays on this side), and the
// simulator process behind the TUN playing every router and host of the topology. The test runs its tools inside the
// namespace (exec, spawn, or `ip netns exec` with `namespace`) and checks them against the ground truth and the log
// of what the simulator answered. Cleanup follows the lab's rules (cleanup.ts): stop(), at exit, on a signal, and a
// sweep of what a dead process left. With front: 'veth' the TUN moves to a namespace of its own behind a veth link
// (veth-front.ts), for tools that need a link layer; the paths, the truth and the log stay the same.
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LAB_SUPERNET } from '../addressing.js';
import { sweepStaleLabs } from '../cleanup.js';
import { run } from '../exec.js';
import type { RunOptions } from '../exec.js';
import { startHelper } from '../helper-process.js';
import { baseSysctls, createNamespace, ipBatch, labNodes, startLab } from '../lab-runtime.js';
import type { LabNode } from '../lab-runtime.js';
import type { AnswerRecord } from './answer-log.js';
import type { EngineCounters } from './engine.js';
import type { FlowTuple } from './flow-hash.js';
import { groundTruth, pathFor, truthFor } from './ground-truth.js';
import type { GroundTruth } from './ground-truth.js';
import type { InternetOptions } from './internet.js';
import type { Family, SimTarget, SimTopology } from './model.js';
import { SimNetwork } from './network.js';
import { buildTopology } from './topology.js';
import type { TopologySpec } from './topology.js';
import { addVethFront } from './veth-front.js';

/** The TUN's name inside its namespace (one per namespace, so it needs nothing unique). */
export const SIM_TUN = 'sim0';
/** Packets the TUN holds for the simulator (see below). */
const TUN_QUEUE = 10_000;

export interface SimulatedInternetOptions {
  /** What to simulate: a preset and its options. Default: the generated Internet with `seed`, `targets`, `ipv6`. */
  topology?: TopologySpec;
  /** Shorthands for the generated Internet when `topology` is not given. */
  seed?: number;
  targets?: number;
  ipv6?: boolean;
  internet?: Omit<InternetOptions, 'seed' | 'targets' | 'ipv6'>;
  /** The seed of the links' losses (default: the topology's seed). */
  lossSeed?: number;
  /** Log every answer (default true). */
  log?: boolean;
  /**
   * What the client's routes point at: 'tun' (default) the simulator's TUN in the client's namespace; 'veth' a veth
   * link to a forwarding namespace that holds the TUN and hides its own hop (veth-front.ts).
   */
  front?: 'tun' | 'veth';
}

export interface SimulatedInternet {
  /** The client's namespace: run tools in it (`ip netns exec <namespace> …`). */
  namespace: string;
  client: LabNode;
  clientAddress(family: Family): string;
  topology: SimTopology;
  targets: SimTarget[];
  truth: GroundTruth;
  network: SimNetwork;
  /** Who answers time exceeded at each TTL for this flow (null: silent), the destination last. */
  path(target: SimTarget, flow: FlowTuple): (string | null)[];
  /** The truth for one flow (where balanced branches could make flows differ). */
  truthFor(target: SimTarget, flow: FlowTuple): ReturnType<typeof truthFor>;
  /** Every answer sent so far, in the order sent (empty when started with log: false). */
  log(): Promise<AnswerRecord[]>;
  /** What the engine did with the packets so far. */
  counters(): Promise<EngineCounters>;
  /** How long start took, ms. */
  startMs: number;
  /** The simulator process's id (for its CPU and memory in /proc). */
  simulatorPid: number | null;
  exec(command: string, args: string[], options?: RunOptions): string;
  spawn(command: string, args: string[]): ChildProcess;
  stop(): Promise<void>;
  /** The same as stop(), for the lab harness (withLab). */
  destroy(): Promise<void>;
}

const here = (file: string): string => fileURLToPath(new URL(file, import.meta.url));

function specOf(options: SimulatedInternetOptions): TopologySpec {
  if (options.topology) return options.topology;
  return { preset: 'internet', ...options.internet, seed: options.seed ?? 1, targets: options.targets ?? 100, ipv6: options.ipv6 ?? false };
}

/** Waits until the TUN can transmit (see lab-runtime's waitForLinks: a device whose queue is not active drops). */
async function waitForTun(node: LabNode): Promise<void> {
  const deadline = performance.now() + 5000;
  for (;;) {
    const line = run('ip', ['-n', node.namespace, '-o', 'link', 'show', 'dev', SIM_TUN]);
    if (line.includes('LOWER_UP') && !line.includes('qdisc noop')) return;
    if (performance.now() > deadline) throw new Error(`the simulator's TUN did not come up: ${line.trim()}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

export async function startSimulatedInternet(options: SimulatedInternetOptions = {}): Promise<SimulatedInternet> {
  const started = performance.now();
  const spec = specOf(options);
  sweepStaleLabs();
  const { nodes, add } = labNodes();
  const client = add('sim');
  const front = options.front ?? 'tun';
  // The namespace the TUN and the simulator live in: the client's own, or the forwarder behind the veth.
  const tunNode = front === 'veth' ? add('simnet') : client;
  const runtime = startLab(nodes);
  const logDir = options.log === false ? null : mkdtempSync(join(tmpdir(), 'portpath-sim-'));
  const logFile = logDir ? join(logDir, 'answers.jsonl') : null;
  // The namespace and the simulator go at exit and on a signal (cleanup.ts); the log's directory with them.
  const removeLog = (): void => {
    if (logDir) rmSync(logDir, { recursive: true, force: true });
  };
  process.once('exit', removeLog);
  const stop = async (): Promise<void> => {
    await runtime.destroy();
    removeLog();
    process.off('exit', removeLog);
  };
  try {
    createNamespace(client, baseSysctls(false, false));
    if (tunNode !== client) createNamespace(tunNode, baseSysctls(true, false));
    const args = [here('./simulator-process.js'), '--tun', SIM_TUN, '--spec', JSON.stringify(spec)];
    if (options.lossSeed !== undefined) args.push('--seed', String(options.lossSeed));
    if (logFile) args.push('--log', logFile);
    const child = runtime.spawn(tunNode, process.execPath, args);
    const ready = startHelper(child, 'simulated Internet');
    // The simulator builds its copy of the topology meanwhile, on the other core.
    const topology = buildTopology(spec);
    const network = new SimNetwork(topology);
    const truth = groundTruth(topology, network);
    await ready;
    // A deep queue: a burst of probes waits for the simulator rather than being dropped at the TUN (500 by default),
    // which would look like loss on the path.
    // On the bare TUN the client's addresses are the TUN's; behind the veth they are on the client's end of it.
    const families: Family[] = topology.client[6] ? [4, 6] : [4];
    const lines = ['link set dev lo up'];
    if (front === 'tun') lines.push(...families.map((f) => `addr add ${topology.client[f]}/${f === 4 ? 32 : 128} dev ${SIM_TUN}${f === 6 ? ' nodad' : ''}`));
    lines.push(`link set dev ${SIM_TUN} txqueuelen ${TUN_QUEUE} up`, ...families.map((f) => `route add ${LAB_SUPERNET[f]} dev ${SIM_TUN}`));
    ipBatch(tunNode, lines);
    await waitForTun(tunNode);
    if (tunNode !== client) await addVethFront(client, tunNode, topology.client);

    // The simulator writes out its log and counters on a "flush" line and says so on stdout.
    const flush = (): Promise<EngineCounters> =>
      new Promise((resolve, reject) => {
        let seen = '';
        const onExit = (): void => reject(new Error('the simulator exited'));
        const onData = (chunk: Buffer): void => {
          seen += chunk.toString();
          const match = /flushed (.*)\n/.exec(seen);
          if (!match) return;
          child.stdout?.off('data', onData);
          child.off('exit', onExit);
          resolve(JSON.parse(match[1]!) as EngineCounters);
        };
        child.stdout?.on('data', onData);
        child.once('exit', onExit);
        child.stdin?.write('flush\n');
      });

    return {
      namespace: client.namespace,
      client,
      clientAddress: (family) => {
        const address = topology.client[family];
        if (address === null) throw new RangeError('this simulated Internet has no IPv6');
        return address;
      },
      topology,
      targets: topology.targets,
      truth,
      network,
      path: (target, flow) => pathFor(network, target, flow),
      truthFor: (target, flow) => truthFor(network, target, flow),
      log: async () => {
        await flush();
        if (!logFile) return [];
        const text = readFileSync(logFile, 'utf8');
        return text.split('\n').filter(Boolean).map((line) => JSON.parse(line) as AnswerRecord);
      },
      counters: flush,
      startMs: performance.now() - started,
      // `ip netns exec` execs the simulator in place: the child's pid is the simulator's.
      simulatorPid: child.pid ?? null,
      exec: (command, commandArgs, runOptions) => runtime.exec(client, command, commandArgs, runOptions),
      spawn: (command, commandArgs) => runtime.spawn(client, command, commandArgs),
      stop,
      destroy: stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
