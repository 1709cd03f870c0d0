// `npm run bench:sweep`: the diagnosis on bad paths, counted. For each loss level, a fresh lab per seed (4 routers;
// that loss each way on links 2 and 5, jitter on link 3, Linux's ICMP rate limits on every router), and on it
// every scenario once, traced by portpath, then by traceroute -T and tcptraceroute on the same lab (their port state
// beside portpath's verdict). Runs follow each other with no pause, as a person re-running a trace would.
//
// The scenarios. Six whose rules stand for the lab's whole life (each on its own port): open, closed, dropped by r3,
// forged RST by r3, proxy on r3, dropped at the server. Then nine where ping does not tell the whole story, each with
// its own rules, added just before its runs (portpath's and the peers') and removed just after, also when a run
// fails, so the scenarios stay independent on the shared lab (the harness checks each node's rules are back as they
// were): the server drops echo requests and the port is open, closed, dropped by the server, by r4 or by r3; r2
// drops forwarded echo requests and the server drops the port; r4 drops the port with ping allowed (a boundary no
// probe can split: r4 or the server); r4 sends no time-exceeded and r3 drops the port; the server drops everything
// (verdict 'no-answer').
//
// Prints, per loss level and scenario: portpath's right verdicts, false in-path claims for ports the server
// answered, false 'unreachable' verdicts (every scenario's path delivers other traffic to the server, so each one is
// false), median time; what the peers said; and how the rate-limit test classified the hops it looked at, against
// the truth of a second lab kind (rate limits off, loss on). "Right" for the first six and for ping-blocked open and
// closed is the verdict, hop and culprit; for the other seven, the verdict and, among the diagnosis's candidates
// (every device where traffic to the port may stop), the true one, by address (the server also as the 'destination'
// candidate). A report, not a test: exits 0 whatever the figures.
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
import type { Chain, LabNode } from '../src/lab/topology.js';
import { findCommand, runInNode } from './exec.js';
import { parsePortpathJson, parseTracerouteText } from './parse.js';
import type { PortpathResult } from './parse.js';
import { PORTPATH_CLI } from './peers.js';
import { median, table } from './report.js';

/** Where the truth puts the answer or the stop: the server (hop 5), or router 3 or 4 (hops 3 and 4). */
type Place = 'server' | 'r3' | 'r4';

/** An iptables rule on one lab node: the chain, then the match and target (added with -A, removed with -D). */
interface Rule {
  node: LabNode;
  rule: string[];
}

interface Expected {
  verdict: string;
  at: Place;
  /** The true state of the port as the server would answer it (peers' port state is compared with this). */
  truth: 'open' | 'closed' | 'filtered';
  /**
   * How a run is judged right: 'exact', the verdict with its hop and culprit (`at`; filtered-at-destination names r4
   * at hop 4 as the last answering hop); 'candidates', the verdict and a candidate that is `at`.
   */
  judge: 'exact' | 'candidates';
  /** Rules for this scenario only, on while its runs last. */
  rules?: (chain: Chain) => Rule[];
}

const router = (chain: Chain, i: number): LabNode => chain.routers[i - 1]!;
const serverDropsEcho = (chain: Chain): Rule => ({ node: chain.server, rule: ['INPUT', '-p', 'icmp', '--icmp-type', 'echo-request', '-j', 'DROP'] });
const serverDropsPort = (chain: Chain, port: number): Rule => ({ node: chain.server, rule: ['INPUT', '-p', 'tcp', '--dport', String(port), '-j', 'DROP'] });
const routerDropsPort = (chain: Chain, i: number, port: number): Rule => ({ node: router(chain, i), rule: ['FORWARD', '-p', 'tcp', '--dport', String(port), '-j', 'DROP'] });

const SCENARIOS: Record<string, Expected & { port: number }> = {
  open: { port: 443, verdict: 'open', at: 'server', truth: 'open', judge: 'exact' },
  closed: { port: 444, verdict: 'closed', at: 'server', truth: 'closed', judge: 'exact' },
  'dropped at r3': { port: 8443, verdict: 'filtered-in-path', at: 'r3', truth: 'filtered', judge: 'exact' },
  'forged RST at r3': { port: 9443, verdict: 'reset-in-path', at: 'r3', truth: 'filtered', judge: 'exact' },
  'proxy on r3': { port: 8080, verdict: 'terminated-in-path', at: 'r3', truth: 'filtered', judge: 'exact' },
  'dropped at server': { port: 7443, verdict: 'filtered-at-destination', at: 'server', truth: 'filtered', judge: 'exact' },
  // The server answers no ping: the ICMP control cannot reach it, whatever happens to the port. When the port
  // answers, nothing stops it, so these two are judged like open and closed (the server at hop 5), not by candidates.
  'ping-blocked open': { port: 6443, verdict: 'open', at: 'server', truth: 'open', judge: 'exact', rules: (c) => [serverDropsEcho(c)] },
  'ping-blocked closed': { port: 6444, verdict: 'closed', at: 'server', truth: 'closed', judge: 'exact', rules: (c) => [serverDropsEcho(c)] },
  'ping-blocked dropped at server': {
    port: 6445, verdict: 'filtered-at-destination', at: 'server', truth: 'filtered', judge: 'candidates',
    rules: (c) => [serverDropsEcho(c), serverDropsPort(c, 6445)],
  },
  'ping-blocked dropped by last router': {
    port: 6446, verdict: 'filtered-at-destination', at: 'r4', truth: 'filtered', judge: 'candidates',
    rules: (c) => [serverDropsEcho(c), routerDropsPort(c, 4, 6446)],
  },
  'ping-blocked dropped mid-path': {
    port: 6447, verdict: 'filtered-in-path', at: 'r3', truth: 'filtered', judge: 'candidates',
    rules: (c) => [serverDropsEcho(c), routerDropsPort(c, 3, 6447)],
  },
  // r2 drops the echo requests it forwards (so ping stops after r2, not at the server), the server drops the port.
  'echo dropped by r2': {
    port: 6448, verdict: 'filtered-at-destination', at: 'server', truth: 'filtered', judge: 'candidates',
    rules: (c) => [{ node: router(c, 2), rule: ['FORWARD', '-p', 'icmp', '--icmp-type', 'echo-request', '-j', 'DROP'] }, serverDropsPort(c, 6448)],
  },
  // Ping reaches the server, the port stops right after r4: no probe tells r4 from the server.
  'last router filters port': { port: 6449, verdict: 'filtered-at-destination', at: 'r4', truth: 'filtered', judge: 'candidates', rules: (c) => [routerDropsPort(c, 4, 6449)] },
  // r4 never says time-exceeded and r3 drops the port: the stop is at r3, next to a hop that cannot be seen — and r4
  // is the last router, so the server is the next device: a drop at r3, at r4 or at the server looks the same. The
  // true claim is 'unknown' with all three named (a filtered-in-path claim would be false were the server dropping it).
  'silent router after boundary': {
    port: 6450, verdict: 'unknown', at: 'r3', truth: 'filtered', judge: 'candidates',
    rules: (c) => [{ node: router(c, 4), rule: ['OUTPUT', '-p', 'icmp', '--icmp-type', 'time-exceeded', '-j', 'DROP'] }, routerDropsPort(c, 3, 6450)],
  },
  // The path works up to the server, which drops every packet of every protocol.
  'server drops everything': { port: 6451, verdict: 'no-answer', at: 'server', truth: 'filtered', judge: 'candidates', rules: (c) => [{ node: c.server, rule: ['INPUT', '-j', 'DROP'] }] },
};
/** Ports the server listens on: every scenario's but the two closed ones (444, 6444) and 8080 (r3's proxy answers it). */
const LISTENING = [443, 8443, 9443, 7443, 6443, 6445, 6446, 6447, 6448, 6449, 6450, 6451];
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
    await chain.startServices({ tcp: LISTENING });
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
  falseUnreachable: number;
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

const HOP: Record<Place, number> = { r3: 3, r4: 4, server: ROUTERS + 1 };
const address = (chain: Chain, at: Place): string => (at === 'server' ? chain.serverAddress(4) : chain.routerAddress(HOP[at], 4));

function isRight(result: PortpathResult | null, want: Expected, chain: Chain): boolean {
  const d = result?.diagnosis;
  if (!d || d.verdict !== want.verdict) return false;
  const by = address(chain, want.at);
  if (want.judge === 'candidates') return (d.candidates ?? []).some((c) => c.by === by || (want.at === 'server' && c.role === 'destination'));
  // filtered-at-destination names the last answering hop (r4 at 4) and the server as culprit.
  const wantHop = want.verdict === 'filtered-at-destination' ? ROUTERS : HOP[want.at];
  return d.hop === wantHop && d.by === by;
}

/** A lab address as its node's name (r1..r4, server), for the misses column. */
function nodeName(chain: Chain, addr: string | null): string {
  if (addr === null) return '?';
  if (addr === chain.serverAddress(4)) return 'server';
  const i = chain.routers.findIndex((_, k) => chain.routerAddress(k + 1, 4) === addr);
  return i >= 0 ? `r${i + 1}` : addr;
}

/** "filtered-at-destination@4", and for candidate-judged scenarios the candidates: "{4 r4, 5 destination}". */
function describeMiss(result: PortpathResult | null, want: Expected, chain: Chain): string {
  const d = result?.diagnosis;
  if (!d) return 'no result';
  const said = `${d.verdict}@${d.hop}`;
  if (want.judge !== 'candidates') return said;
  if (!d.candidates) return `${said} (no candidates)`;
  const candidate = (c: { hop: number | null; by: string | null; role: string }): string =>
    `${c.hop ?? '?'} ${c.role === 'router' ? nodeName(chain, c.by) : c.by ? `${c.role} ${nodeName(chain, c.by)}` : c.role}`;
  return `${said} {${d.candidates.map(candidate).join(', ')}}`;
}

/** Each node's filter table (iptables -S), to check that a scenario's rules left it as it was. */
function filterTables(chain: Chain, nodes: LabNode[]): Map<LabNode, string> {
  return new Map(nodes.map((node) => [node, chain.exec(node, 'iptables', ['-w', '-S'])]));
}

/**
 * Runs `work` with a scenario's own rules on: added just before, removed just after, whether `work` succeeded or
 * not, so the next scenario on the lab starts from the lab's standing rules. Throws (failing the sweep rather than
 * measuring the wrong lab) when a rule cannot be removed or a node's rules are not back as they were.
 */
async function withRules<T>(chain: Chain, rules: Rule[], work: () => Promise<T>): Promise<T> {
  if (rules.length === 0) return work();
  const nodes = [...new Set(rules.map((r) => r.node))];
  const before = filterTables(chain, nodes);
  const added: Rule[] = [];
  const restore = (): void => {
    const failures: string[] = [];
    for (const { node, rule } of added.reverse()) {
      try {
        chain.exec(node, 'iptables', ['-w', '-D', ...rule]);
      } catch (error) {
        failures.push(error instanceof Error ? error.message : String(error));
      }
    }
    const after = filterTables(chain, nodes);
    for (const node of nodes) if (after.get(node) !== before.get(node)) failures.push(`${node.role}'s rules are not back as they were:\n${after.get(node)}`);
    if (failures.length > 0) throw new Error(`a scenario's rules were not removed: ${failures.join('; ')}`);
  };
  let result: T;
  try {
    for (const r of rules) {
      chain.exec(r.node, 'iptables', ['-w', '-A', ...r.rule]);
      added.push(r);
    }
    result = await work();
  } catch (error) {
    try {
      restore();
    } catch (restoreError) {
      throw new AggregateError([error, restoreError], 'a scenario failed and its rules were not removed', { cause: restoreError });
    }
    throw error;
  }
  restore();
  return result;
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
    const tallies = new Map<string, Tally>(scenarios.map(([name]) => name).map((name) => [name, { runs: 0, right: 0, falseInPath: 0, falseUnreachable: 0, unknown: 0, seconds: [], wrong: [], peers: new Map() }]));
    const seeds = Array.from({ length: runs }, (_, i) => i);
    await pooled(seeds, parallel, async (i) => {
      const seed = firstSeed + i;
      const chain = await lab(seed, lossPct, true);
      try {
        for (const [name, want] of scenarios) {
          const tally = tallies.get(name)!;
          await withRules(chain, want.rules?.(chain) ?? [], async () => {
            const { result, seconds, json } = await portpath(chain, want.port);
            tally.runs++;
            tally.seconds.push(seconds);
            if (isRight(result, want, chain)) tally.right++;
            else {
              tally.wrong.push(`seed ${seed}: ${describeMiss(result, want, chain)}`);
              if (keep) writeFileSync(join(keep, `loss${lossPct}-seed${seed}-${name.replace(/ /g, '-')}.json`), json);
            }
            const verdict = result?.diagnosis?.verdict;
            if (verdict === 'unknown') tally.unknown++;
            if (want.at === 'server' && want.truth !== 'filtered' && IN_PATH.has(verdict ?? '')) tally.falseInPath++;
            // Every scenario's path delivers other traffic to the server: 'unreachable' is always false here.
            if (verdict === 'unreachable') tally.falseUnreachable++;
            if (lossPct === 0) lossCalls(result, rateLimitCalls);
            if (i < peerRuns) {
              for (const tool of ['traceroute -T', 'tcptraceroute'] as const) {
                if (!tally.peers.has(tool)) tally.peers.set(tool, new Map());
                count(tally.peers.get(tool)!, await peer(chain, tool, want.port));
              }
            }
          });
        }
      } finally {
        await chain.destroy();
      }
      process.stderr.write(`  … loss ${lossPct}%: seed ${seed} done\n`);
    });
    for (const [name, t] of tallies) {
      rows.push([`${lossPct}%`, name, `${t.right}/${t.runs} (${((100 * t.right) / t.runs).toFixed(1)}%)`, String(t.falseInPath), String(t.falseUnreachable), String(t.unknown), `${median(t.seconds).toFixed(2)} s`, t.wrong.slice(0, 3).join('; ')]);
      if (withPeers) {
        const say = (tool: string) => [...(t.peers.get(tool) ?? new Map<string, number>())].map(([k, n]) => `${k} ${n}`).join(', ');
        peerRows.push([`${lossPct}%`, name, SCENARIOS[name]!.truth, say('traceroute -T'), say('tcptraceroute')]);
      }
    }
  }
  out();
  out(table(['loss', 'scenario', 'portpath right', 'false in-path', 'false unreachable', 'unknown', 'median time', 'first misses'], rows));
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
      for (const [, want] of scenarios) lossCalls((await withRules(chain, want.rules?.(chain) ?? [], () => portpath(chain, want.port))).result, lossCallsNoLimit);
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
