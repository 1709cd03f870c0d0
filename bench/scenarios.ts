// The two situations the benchmark compares tools in, as firewall rules on the lab's routers.
import type { Chain, LabNode } from '../src/lab/topology.js';
import type { ToolRun } from './run-tool.js';

export interface Scenario {
  key: 'a' | 'b' | 'c' | 'long';
  title: string;
  port: number;
  /** iptables rules (without -A/-D), each on one router. */
  rules(chain: Chain): { node: LabNode; rule: string[] }[];
  /** Who should answer each TTL from 1 on (null: nobody); TTLs past the list should be silent. */
  expectedPath(chain: Chain): (string | null)[];
  /** What portpath's diagnosis (with its default control trace) should say. */
  expectedDiagnosis(chain: Chain): ExpectedDiagnosis;
}

export interface ExpectedDiagnosis {
  verdict: string;
  hop: number;
  by: string;
}

const routerPath = (chain: Chain): string[] => chain.routers.map((_, i) => chain.routerAddress(i + 1, 4));

export const scenarioA: Scenario = {
  key: 'a',
  title: 'open port, hop 4 silent',
  port: 80,
  // Router 4 forwards everything but never says time-exceeded: the classic "* * *" hop in the middle of a path.
  rules: (chain) => [{ node: chain.routers[3]!, rule: ['OUTPUT', '-p', 'icmp', '--icmp-type', 'time-exceeded', '-j', 'DROP'] }],
  expectedPath: (chain) => [...routerPath(chain).map((a, i) => (i === 3 ? null : a)), chain.serverAddress(4)],
  // The server answers at the hop after the last router; a silent router on the way changes nothing.
  expectedDiagnosis: (chain) => ({ verdict: 'open', hop: chain.routers.length + 1, by: chain.serverAddress(4) }),
};

export const scenarioB: Scenario = {
  key: 'b',
  title: "port dropped by hop 3's firewall",
  port: 8443,
  // Router 3 answers for its own TTL but silently drops what it would forward to the port: traffic stops there.
  rules: (chain) => [{ node: chain.routers[2]!, rule: ['FORWARD', '-p', 'tcp', '--dport', '8443', '-j', 'DROP'] }],
  expectedPath: (chain) => routerPath(chain).slice(0, 3),
  // The TCP trace stops after router 3 while the ICMP control gets through to the server: filtered in the path,
  // last seen at router 3.
  expectedDiagnosis: (chain) => ({ verdict: 'filtered-in-path', hop: 3, by: chain.routerAddress(3, 4) }),
};

export const scenarioC: Scenario = {
  key: 'c',
  title: "port dropped by hop 3's firewall, hop 4 silent",
  port: 9443,
  // Both at once: the drop sits next to a router that answers no protocol, so the stop is at hop 3 or hop 4 and no
  // re-probe can tell which (asking hop 4 again only costs seconds).
  rules: (chain) => [...scenarioA.rules(chain), { node: chain.routers[2]!, rule: ['FORWARD', '-p', 'tcp', '--dport', '9443', '-j', 'DROP'] }],
  expectedPath: (chain) => routerPath(chain).slice(0, 3),
  expectedDiagnosis: (chain) => ({ verdict: 'filtered-in-path', hop: 3, by: chain.routerAddress(3, 4) }),
};

/** An Internet-length path (its own lab: 20 routers, 2 ms per link, ~90 ms deep), open port, one silent router. */
export const scenarioLong: Scenario = {
  key: 'long',
  title: 'long path (21 hops), open port, hop 9 silent',
  port: 80,
  rules: (chain) => [{ node: chain.routers[8]!, rule: ['OUTPUT', '-p', 'icmp', '--icmp-type', 'time-exceeded', '-j', 'DROP'] }],
  expectedPath: (chain) => [...routerPath(chain).map((a, i) => (i === 8 ? null : a)), chain.serverAddress(4)],
  expectedDiagnosis: (chain) => ({ verdict: 'open', hop: chain.routers.length + 1, by: chain.serverAddress(4) }),
};

export interface ScenarioOutcome {
  scenario: Scenario;
  runs: ToolRun[];
  portpath: ToolRun;
  /** Every portpath run of the scenario (the repeats too, not only the median one), for the diagnosis check. */
  portpathRuns: ToolRun[];
  /** Fastest peer that produced a trace (a timed-out one counts with its limit, as a lower bound). */
  fastest: ToolRun | null;
  /** fastest peer's wall time / portpath's; null when either is missing. */
  ratio: number | null;
}

export function applyRules(chain: Chain, scenario: Scenario, action: '-A' | '-D'): void {
  for (const { node, rule } of scenario.rules(chain)) {
    const [table, ...rest] = rule;
    chain.exec(node, 'iptables', [action, table!, ...rest]);
  }
}

/** Differences between a trace's responders and the expected path, as short phrases; empty when it matches. */
export function pathDifferences(hops: { ttl: number; addresses: string[] }[], expected: (string | null)[]): string[] {
  const differences: string[] = [];
  for (const hop of hops) {
    const want = expected[hop.ttl - 1] ?? null;
    const got = hop.addresses;
    if (want === null && got.length > 0) differences.push(`hop ${hop.ttl}: answered by ${got.join(',')}, expected silence`);
    else if (want !== null && (got.length !== 1 || got[0] !== want)) {
      differences.push(`hop ${hop.ttl}: ${got.length ? got.join(',') : 'silent'}, expected ${want}`);
    }
  }
  const last = expected.length;
  if (!hops.some((h) => h.ttl === last) && expected[last - 1]) differences.push(`hop ${last} (${expected[last - 1]}) not reported`);
  return differences;
}
