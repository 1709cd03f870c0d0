// The simulated Internet at work: run inside the client's namespace, it opens the TUN the client's routes point at,
// rebuilds the topology from its spec (the same one the test built its ground truth from), and answers every packet
// the client sends with what the engine says, when it says. It logs every answer (JSON lines, batched off the packet
// path) for the test to read. Prints "ready" once the TUN exists; on a "flush" line on stdin it writes out the log
// and the counters and prints "flushed <counters>"; exits when stdin closes, so it never outlives its lab.
import { closeSync, openSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { loadNative } from '../../transport/native.js';
import { DueTimer } from '../due-timer.js';
import { AnswerLog } from './answer-log.js';
import { SimEngine } from './engine.js';
import { SimNetwork } from './network.js';
import { buildTopology } from './topology.js';
import type { TopologySpec } from './topology.js';

const MAX_PACKET = 65_535;
const USAGE = 'usage: simulator-process --tun NAME --spec JSON [--seed N] [--log FILE]';
/** How often the log is written out: rarely enough to cost nothing per packet, often enough to bound its memory. */
const LOG_EVERY_MS = 250;

function main(): void {
  const { values } = parseArgs({ options: { tun: { type: 'string' }, spec: { type: 'string' }, seed: { type: 'string' }, log: { type: 'string' } } });
  if (!values.tun || !values.spec) throw new Error(USAGE);
  const topology = buildTopology(JSON.parse(values.spec) as TopologySpec);
  const seed = values.seed === undefined ? topology.seed : Number(values.seed);
  if (!Number.isSafeInteger(seed)) throw new Error(`--seed must be an integer, got ${values.seed}\n${USAGE}`);
  const engine = new SimEngine(new SimNetwork(topology), seed);
  const native = loadNative();
  const tun = native.tunOpen(values.tun);

  const answers = new AnswerLog(topology, performance.timeOrigin);
  const logFd = values.log ? openSync(values.log, 'a') : null;
  let pending: string[] = [];
  const writeLog = (): void => {
    if (logFd === null || pending.length === 0) return;
    writeSync(logFd, pending.join(''));
    pending = [];
  };
  setInterval(writeLog, LOG_EVERY_MS).unref();

  const deliverDue = (): void => {
    const now = performance.now();
    for (let answer = engine.popDue(now); answer; answer = engine.popDue(now)) {
      try {
        native.write(tun, answer.packet);
      } catch {
        continue; // the TUN is going away (teardown): nobody is listening
      }
      if (logFd !== null) pending.push(JSON.stringify(answers.record(answer.facts, performance.now())) + '\n');
    }
  };
  const timer = new DueTimer(deliverDue, () => engine.nextDue() ?? Infinity);

  const poller = native.poll(tun, (status) => {
    if (status < 0) return;
    for (let packet = native.read(tun, MAX_PACKET); packet; packet = native.read(tun, MAX_PACKET)) engine.handle(packet, performance.now());
    deliverDue();
    timer.schedule();
  });
  poller.start(1);

  const exit = (): never => {
    writeLog();
    if (logFd !== null) closeSync(logFd);
    process.exit(0);
  };
  createInterface({ input: process.stdin }).on('line', (line) => {
    if (line.trim() !== 'flush') return;
    writeLog();
    process.stdout.write(`flushed ${JSON.stringify(engine.counters)}\n`);
  });
  process.stdin.on('end', exit);
  process.on('SIGTERM', exit);
  process.stdout.write('ready\n');
}

main();
