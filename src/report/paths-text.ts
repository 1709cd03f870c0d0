// A multipath run as people read it: each hop with the responders its flows met and how many flows met each, then
// the table of paths (share, hops, where each ends, the source port that reproduces it), then the one-line summary
// and the stopping rule's figures.
import type { PathsReport } from '../trace/paths.js';
import { pathEndText } from './path-ends.js';
import { safeText } from './safe-text.js';

type NameOf = (address: string) => string | null;

const shown = (address: string, nameOf: NameOf) => {
  const name = nameOf(address);
  return name ? `${safeText(name)} (${address})` : address;
};

export function formatPathsHeader(report: Pick<PathsReport, 'target' | 'protocol' | 'port' | 'confidence'>): string {
  const what = report.protocol === 'icmp' || report.port === null ? 'ICMP echo' : `${report.protocol.toUpperCase()} port ${report.port}`;
  return `Paths to ${report.target.address} on ${what}: flows differing in source port, ${report.confidence}% confidence per hop that no other next hop exists\n`;
}

export function formatPaths(report: PathsReport, nameOf: NameOf = () => null): string {
  const lines: string[] = [];
  const total = report.flows.length;
  const depth = Math.max(0, ...report.flows.map((f) => f.hops.length));
  const first = report.flowsPerHop[0]?.ttl ?? 1;
  for (let i = 0; i < depth; i++) {
    const counts = new Map<string, number>();
    for (const flow of report.flows) {
      if (i >= flow.hops.length) continue;
      const address = flow.hops[i] ?? '*';
      counts.set(address, (counts.get(address) ?? 0) + 1);
    }
    [...counts].sort((a, b) => b[1] - a[1]).forEach(([address, n], j) => {
      const ttl = j === 0 ? String(first + i).padStart(2) : '  ';
      const who = address === '*' ? '*' : shown(address, nameOf);
      lines.push(`${ttl}  ${who.padEnd(44)} ${n}/${total} flows`);
    });
  }
  lines.push('');
  lines.push('Path  Flows    Hops' + ' '.repeat(44) + 'Ends                      Reproduce');
  for (const path of report.paths) {
    const hops = path.hops.map((h) => (h.spread ? `{${h.spread.join(' | ')}}` : (h.address ?? '*'))).join(' > ') || '(none)';
    lines.push(`${String(path.id).padStart(4)}  ${`${path.flows}/${total}`.padEnd(7)}  ${hops.padEnd(47)} ${pathEndText(path.end).padEnd(25)} ${path.reproduceWith ?? '(per packet: none)'}`);
  }
  lines.push('');
  lines.push(report.summary);
  const perHop = report.flowsPerHop.map((f) => `${f.ttl}:${f.flows}`).join(' ');
  const budget = report.ruleMet ? '' : ' (the flow budget ran out before every hop\'s rule was met: raise --max-flows)';
  lines.push(`${report.probes} probes, flows per hop ${perHop}, ${(report.durationMs / 1000).toFixed(2)} s${budget}.`);
  return lines.join('\n') + '\n';
}
