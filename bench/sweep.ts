// `npm run bench:sweep`: the diagnosis on bad paths, counted. For each loss level, a fresh lab per seed (4 routers;
// that loss each way on links 2 and 5, jitter on link 3, Linux's ICMP rate limits on every router), and on it
// every scenario once — open, closed, dropped by r3, forged RST by r3, proxy on r3, dropped at the server — traced
// by portpath, then by traceroute -T and tcptraceroute on the same lab (their port state beside portpath's
// verdict). Runs follow each other with no pause, as a person re-running a trace would. Prints, per loss level and
// scenario: portpath's right verdicts (verdict, hop and culprit), false in-path claims for ports the server
// answered, median time; what the peers said; and how the rate-limit test classified the hops it looked at, against
// the truth of a second lab kind (rate limits off, loss on). A report, not a test: exits 0 whatever the figures.
//
// Options: --runs N (seeds per loss level, default 100), --loss 0,2,5,10,20 (percent each way per lossy link),
// --seed S (first seed, default 1), --peer-runs N (seeds per level on which traceroute -T and tcptraceroute run
// too, default 10: a filtered port costs each of them seconds per hop), --parallel N (labs at once, default 3: a
// trace mostly waits, so labs side by side do not slow each other; each has its own namespaces and wire),
// --keep DIR (writes the JSON of every miss there, named by loss, seed and scenario, to read why), --scenarios
// open,closed,… (a subset, by the names in the table), --loss-test (portpath runs its rate-limit test, so its calls
// are counted; without it the loss-cause table is empty and the times are what a user gets by default).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildChain } from '../src/lab/topology.js';
import type { Chain } from '../src/lab/topology.js';
import { findCommand, runInNode } from './exec.js';
import { parsePortpathJson, parseTracerouteText } from './parse.js';
import type { PortpathResult } from './parse.js';
import { PORTPATH_CLI } from './peers.js';
import { median, table } from './report.js';

interface Expected {
  verdict: string;
  /** Hop and culprit: the server at hop 5, or r3 (hop 3). */
  at: 'server' | 'r3';
  /** The true state of the port as the server would answer it (peers' port state is compared with this). */
  truth: 'open' | 'closed' | 'filtered';
}

const SCENARIOS: Record<string, Expected & { port: number }> = {
  open: { port: 443, verdict: 'open', at: 'server', truth: 'open' },
  closed: { port: 444, verdict: 'closed', at: 'server', truth: 'closed' },
  'dropped at r3': { port: 8443, verdict: 'filtered-in-path', at: 'r3', truth: 'filtered' },
  'forged RST at r3': { port: 9443, verdict: 'reset-in-path', at: 'r3', truth: 'filtered' },
  'proxy on r3': { port: 8080, verdict: 'terminated-in-path', at: 'r3', truth: 'filtered' },
  'dropped at server': { port: 7443, verdict: 'filtered-at-destination', at: 'server', truth: 'filtered' },
};
const IN_PATH = new Set(['reset-in-path', 'terminated-in-path', 'filtered-in-path', 'rejected-in-path']);
const ROUTERS = 4;

const out = (line = ''): void => void process.stdout.write(`${line}\n`);

async function lab(seed: number, lossPct: number, rateLimits: boolean): Promise<Chain> {
  const loss = lossPct / 100;
  const chain = await buildChain({
    routers: ROUTERS,
    ipv6: false,
    seed,
    icmpRateLimit: rateLimits,
    links: { 2: { lossToServer: loss, lossToClient: loss }, 3: { delayMs: 2, jitterMs: 10 }, 5: { lossToServer: loss, lossToClient: loss } },
  });
  try {
    await chain.startServices({ tcp: [443, 8443, 9443, 7443] });
    await chain.startServices({ tcp: [9999] }, chain.routers[2]!);
    const r3 = chain.routers[2]!;
    chain.exec(r3, 'iptables', ['-A', 'FORWARD', '-p', 'tcp', '--dport', '8443', '-j', 'DROP']);
    chain.exec(r3, 'iptables', ['-A', 'FORWARD', '-p', 'tcp', '--dport', '9443', '-j', 'REJECT', '--reject-with', 'tcp-reset']);
    chain.exec(r3, 'iptables', ['-t', 'nat', '-A', 'PREROUTING', '-p', 'tcp', '--dport', '8080', '-j', 'REDIRECT', '--to-ports', '9999']);
    chain.exec(chain.server, 'iptables', ['-A', 'INPUT', '-p', 'tcp', '--dport', '7443', '-j', 'DROP']);
  } catch (error) {
    await chain.destroy();
    throw error;
  }
  return chain;
}

interface Tally {
  runs: number;
  right: number;
  falseInPath: number;
  unknown: number;
  seconds: number[];
  wrong: string[];
  peers: Map<string, Map<string, number>>;
}

function count(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** --loss-test on portpath's runs: the rate-limit test's calls are counted (its seconds then count in the times). */
let lossTest = false;

async function portpath(chain: Chain, port: number): Promise<{ result: PortpathResult | null; seconds: number; json: string }> {
  const args = [PORTPATH_CLI, '-n', '--json', ...(lossTest ? ['--loss-test'] : []), chain.serverAddress(4), String(port)];
  const run = await runInNode(chain, chain.client, process.execPath, args, 120);
  const parsed = parsePortpathJson(run.stdout);
  return { result: parsed.ok ? (parsed.result ?? null) : null, seconds: run.seconds, json: run.stdout };
}

/** Runs `work` on each item, at most `limit` at once. */
async function pooled<T>(items: T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  const worker = async (): Promise<void> => {
    for (let item = queue.shift(); item !== undefined; item = queue.shift()) await work(item);
  };
  await Promise.all(Array.from({ length: Math.max(1, limit) }, worker));
}

/** What a peer says about the port: tcptraceroute's [open]/[closed] mark, or whether traceroute -T got to the server. */
async function peer(chain: Chain, tool: 'traceroute -T' | 'tcptraceroute', port: number): Promise<string> {
  const command = tool === 'traceroute -T' ? 'traceroute' : 'tcptraceroute';
  const path = findCommand(command);
  if (!path) return 'not installed';
  // Capped at 8 hops and 1 s waits so a filtered port costs each peer seconds, not minutes (the path is 5 hops).
  const args = tool === 'traceroute -T' ? ['-n', '-T', '-m', '8', '-w', '1', '-p', String(port), chain.serverAddress(4)] : ['-n', '-m', '8', '-w', '1', chain.serverAddress(4), String(port)];
  const run = await runInNode(chain, chain.client, path, args, 60);
  const parsed = parseTracerouteText(run.stdout);
  if (!parsed.ok) return 'no output';
  if (parsed.trace.portState) return parsed.trace.portState;
  const reached = parsed.trace.hops.some((h) => h.addresses.includes(chain.serverAddress(4)));
  return reached ? 'reached' : 'not reached';
}

function isRight(result: PortpathResult | null, want: Expected, chain: Chain): boolean {
  const d = result?.diagnosis;
  if (!d) return false;
  const hop = want.at === 'server' ? 5 : 3;
  const by = want.at === 'server' ? chain.serverAddress(4) : chain.routerAddress(3, 4);
  // filtered-at-destination names the last answering hop (r4 at 4) and the server as culprit.
  const wantHop = want.verdict === 'filtered-at-destination' ? 4 : hop;
  return d.verdict === want.verdict && d.hop === wantHop && d.by === by;
}

/** The rate-limit test's calls over a run's hops, keyed by cause. */
function lossCalls(result: PortpathResult | null, into: Map<string, number>): void {
  for (const hop of result?.hops ?? []) if (hop.loss) count(into, hop.loss.cause);
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      runs: { type: 'string', default: '100' },
      loss: { type: 'string', default: '0,2,5,10,20' },
      seed: { type: 'string', default: '1' },
      'peer-runs': { type: 'string', default: '10' },
      parallel: { type: 'string', default: '3' },
      keep: { type: 'string' },
      scenarios: { type: 'string' },
      'loss-test': { type: 'boolean', default: false },
    },
  });
  const runs = Number(values.runs);
  const firstSeed = Number(values.seed);
  const levels = values.loss.split(',').map(Number);
  if (!Number.isInteger(runs) || runs < 1 || levels.some((l) => !(l >= 0 && l < 100))) throw new Error('--runs N ≥ 1, --loss a list of percents');
  const peerRuns = Number(values['peer-runs']);
  const withPeers = peerRuns > 0;
  const parallel = Number(values.parallel);
  const keep = values.keep;
  lossTest = values['loss-test'] === true;
  if (keep) mkdirSync(keep, { recursive: true });
  const chosen = values.scenarios ? values.scenarios.split(',').map((n) => n.trim()) : Object.keys(SCENARIOS);
  const unknownScenario = chosen.find((n) => !(n in SCENARIOS));
  if (unknownScenario) throw new Error(`--scenarios takes a comma list of ${Object.keys(SCENARIOS).join(', ')}; not ${unknownScenario}`);
  const scenarios = Object.entries(SCENARIOS).filter(([name]) => chosen.includes(name));
  out(`Sweep: ${runs} seeds per loss level (peers on the first ${Math.min(peerRuns, runs)}); loss ${levels.join(', ')}% each way on links 2 and 5; first seed ${firstSeed}; jitter 0-10 ms on link 3; ICMP rate limits on.`);
  const rows: string[][] = [];
  const peerRows: string[][] = [];
  const rateLimitCalls = new Map<string, number>();
  for (const lossPct of levels) {
    const tallies = new Map<string, Tally>(scenarios.map(([name]) => name).map((name) => [name, { runs: 0, right: 0, falseInPath: 0, unknown: 0, seconds: [], wrong: [], peers: new Map() }]));
    const seeds = Array.from({ length: runs }, (_, i) => i);
    await pooled(seeds, parallel, async (i) => {
      const seed = firstSeed + i;
      const chain = await lab(seed, lossPct, true);
      try {
        for (const [name, want] of scenarios) {
          const tally = tallies.get(name)!;
          const { result, seconds, json } = await portpath(chain, want.port);
          tally.runs++;
          tally.seconds.push(seconds);
          if (isRight(result, want, chain)) tally.right++;
          else {
            tally.wrong.push(`seed ${seed}: ${result?.diagnosis ? `${result.diagnosis.verdict}@${result.diagnosis.hop}` : 'no result'}`);
            if (keep) writeFileSync(join(keep, `loss${lossPct}-seed${seed}-${name.replace(/ /g, '-')}.json`), json);
          }
          if (result?.diagnosis?.verdict === 'unknown') tally.unknown++;
          if (want.at === 'server' && want.truth !== 'filtered' && IN_PATH.has(result?.diagnosis?.verdict ?? '')) tally.falseInPath++;
          if (lossPct === 0) lossCalls(result, rateLimitCalls);
          if (i < peerRuns) {
            for (const tool of ['traceroute -T', 'tcptraceroute'] as const) {
              if (!tally.peers.has(tool)) tally.peers.set(tool, new Map());
              count(tally.peers.get(tool)!, await peer(chain, tool, want.port));
            }
          }
        }
      } finally {
        await chain.destroy();
      }
      process.stderr.write(`  … loss ${lossPct}%: seed ${seed} done\n`);
    });
    for (const [name, t] of tallies) {
      rows.push([`${lossPct}%`, name, `${t.right}/${t.runs} (${((100 * t.right) / t.runs).toFixed(1)}%)`, String(t.falseInPath), String(t.unknown), `${median(t.seconds).toFixed(2)} s`, t.wrong.slice(0, 3).join('; ')]);
      if (withPeers) {
        const say = (tool: string) => [...(t.peers.get(tool) ?? new Map<string, number>())].map(([k, n]) => `${k} ${n}`).join(', ');
        peerRows.push([`${lossPct}%`, name, SCENARIOS[name]!.truth, say('traceroute -T'), say('tcptraceroute')]);
      }
    }
  }
  out();
  out(table(['loss', 'scenario', 'portpath right', 'false in-path', 'unknown', 'median time', 'first misses'], rows));
  if (withPeers) {
    out();
    out(table(['loss', 'scenario', 'true port state', 'traceroute -T says', 'tcptraceroute says'], peerRows));
  }
  // The rate-limit test's truth: on the 0% labs every partial hop is a rate limiter; on labs with loss and no rate
  // limit, every partial hop is loss.
  const lossCallsNoLimit = new Map<string, number>();
  const lossRuns = Math.max(1, Math.ceil(runs / 4));
  await pooled(Array.from({ length: lossRuns }, (_, i) => i), parallel, async (i) => {
    const chain = await lab(firstSeed + 10_000 + i, 10, false);
    try {
      for (const [, want] of scenarios) lossCalls((await portpath(chain, want.port)).result, lossCallsNoLimit);
    } finally {
      await chain.destroy();
    }
  });
  const say = (m: Map<string, number>) => `rate-limit ${m.get('rate-limit') ?? 0}, loss ${m.get('loss') ?? 0}, unknown ${m.get('unknown') ?? 0}`;
  out();
  out(`Rate-limit test, rate limits on and no loss (truth: rate-limit): ${say(rateLimitCalls)}`);
  out(`Rate-limit test, 10% loss each way on two links and no rate limits, ${lossRuns} labs (truth: loss): ${say(lossCallsNoLimit)}`);
}

main().catch((error: unknown) => {
  process.stderr.write(`sweep failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(2);
});
