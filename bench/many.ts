// The library under load, for `npm run bench -- --only many`: 50 traces at once in one process through the public
// API (TCP open/closed/dropped, UDP, ICMP; IPv4 and IPv6, each with its control), on a lab of its own. Measures
// the probes in flight at the peak (sent and not yet answered), the CPU spent per answer with everything included
// (building probes, reading and matching replies through the shared raw sockets, timers, diagnosis) — an upper
// bound on the matching cost — peak RSS (GNU time), and the time from process start to the first probe.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildChain } from '../src/lab/topology.js';
import { runInNode } from './exec.js';
import { peakRss } from './rss.js';

export interface ManyOutcome {
  traces: number;
  probes: number;
  replies: number;
  peakInFlight: number;
  cpuUsPerReply: number;
  /** Packets the shared sockets handed to traces, and the mean time from reading one to the end of its handling. */
  handled: number;
  handlingUsPerPacket: number;
  wallMs: number;
  firstProbeMs: number;
  rssMib: number;
  wrong: number;
}

const INDEX = pathToFileURL(new URL('../src/index.js', import.meta.url).pathname).href;
const RAW = pathToFileURL(new URL('../src/transport/raw.js', import.meta.url).pathname).href;

function script(targets: { family: number; protocol: string; port: number | null; target: string }[]): string {
  return `import { traceEvents } from '${INDEX}';
import { hubStats } from '${RAW}';
hubStats.timing = true;
const jobs = ${JSON.stringify(targets)};
const cpu = process.cpuUsage();
const started = performance.now();
let probes = 0, replies = 0, peak = 0, firstProbe = null;
const reports = await Promise.all(jobs.map(async (j) => {
  for await (const e of traceEvents(j.target, { protocol: j.protocol, port: j.port, mode: 'raw' })) {
    if (e.type === 'probe') { probes++; firstProbe ??= performance.now(); peak = Math.max(peak, probes - replies); }
    else if (e.type === 'reply') replies++;
    else if (e.type === 'result') return e.report;
  }
}));
const used = process.cpuUsage(cpu);
console.log(JSON.stringify({ probes, replies, peak, handled: hubStats.packets, handlingNs: Number(hubStats.handlingNs), cpuUs: used.user + used.system, wallMs: performance.now() - started, firstProbeMs: firstProbe,
  outcomes: reports.map((r) => ({ state: r.destination.state, verdict: r.diagnosis.verdict })) }));
`;
}

export async function measureMany(timeoutSeconds: number): Promise<ManyOutcome> {
  const chain = await buildChain({ routers: 3 });
  const dir = mkdtempSync(join(tmpdir(), 'portpath-many-'));
  try {
    await chain.startServices({ tcp: [443] });
    for (const tool of ['iptables', 'ip6tables']) chain.exec(chain.routers[1]!, tool, ['-A', 'FORWARD', '-p', 'tcp', '--dport', '8443', '-j', 'DROP']);
    for (const family of [4, 6] as const) chain.exec(chain.client, 'ping', ['-c', '1', '-W', '2', chain.serverAddress(family)]);
    const kinds = [
      { protocol: 'tcp', port: 443, want: 'open' },
      { protocol: 'tcp', port: 444, want: 'closed' },
      { protocol: 'tcp', port: 8443, want: 'filtered-in-path' },
      { protocol: 'udp', port: 33434, want: 'closed' },
      { protocol: 'icmp', port: null, want: 'reachable' },
    ];
    const jobs = Array.from({ length: 50 }, (_, i) => {
      const kind = kinds[Math.floor(i / 2) % kinds.length]!;
      const family = i % 2 === 0 ? 4 : 6;
      return { family, protocol: kind.protocol, port: kind.port, target: chain.serverAddress(family as 4 | 6), want: kind.want };
    });
    const file = join(dir, 'many.mjs');
    writeFileSync(file, script(jobs));
    const rss = await peakRss(chain, process.execPath, [file], timeoutSeconds);
    // peakRss keeps stdout to itself: run again for the figures (same lab, same load).
    const run = await runInNode(chain, chain.client, process.execPath, [file], timeoutSeconds);
    const figures = JSON.parse(run.stdout) as { probes: number; replies: number; peak: number; handled: number; handlingNs: number; cpuUs: number; wallMs: number; firstProbeMs: number; outcomes: { verdict: string }[] };
    const wrong = figures.outcomes.filter((o, i) => o.verdict !== jobs[i]!.want).length;
    return {
      traces: jobs.length,
      probes: figures.probes,
      replies: figures.replies,
      peakInFlight: figures.peak,
      cpuUsPerReply: figures.cpuUs / Math.max(1, figures.replies),
      handled: figures.handled,
      handlingUsPerPacket: figures.handlingNs / 1000 / Math.max(1, figures.handled),
      wallMs: figures.wallMs,
      firstProbeMs: figures.firstProbeMs,
      rssMib: rss.mib,
      wrong,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await chain.destroy();
  }
}
