// A multipath run as a Graphviz graph (`portpath paths --dot | dot -Tsvg`): one node per responder and hop, the
// destination and the places flows went silent as their own nodes, edges labelled with the flows that took them,
// and the edges into a path's failing end drawn red.
import type { PathsReport } from '../trace/paths.js';
import { pathEndWorks } from './path-ends.js';
import { safeText } from './safe-text.js';

/** A double-quoted DOT string: control characters shown as escapes (safeText), then quotes and backslashes escaped. */
function quoted(text: string): string {
  return `"${safeText(text).replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

export function formatPathsDot(report: PathsReport): string {
  const lines = ['digraph paths {', '  rankdir=LR;', '  node [shape=box, fontname="monospace"];'];
  const id = (ttl: number, address: string) => quoted(`${ttl}|${address}`);
  lines.push(`  src [label=${quoted(report.source.address)}, shape=ellipse];`);
  const nodes = new Map<string, string>();
  const edges = new Map<string, { from: string; to: string; flows: number; bad: boolean }>();
  for (const path of report.paths) {
    let previous = 'src';
    const bad = !pathEndWorks(path.end);
    const steps = path.hops.map((h) => {
      // A per-packet hop is one node for all its routers: no flow picks one of them.
      const who = h.spread ? `${h.spread.join(' | ')} (per packet)` : (h.address ?? '*');
      return { key: id(h.ttl, h.spread ? h.spread.join('|') : (h.address ?? '*')), label: `${h.ttl}  ${who}` };
    });
    const end = path.end;
    const last =
      end.kind === 'destination'
        ? { key: id(end.ttl, end.address), label: `${end.ttl}  ${end.address}  [${end.state}]` }
        : end.kind === 'rejected'
          ? { key: id(end.ttl, `${end.address} rejects`), label: `${end.ttl}  ${end.address}: ${end.reply}` }
          : end.kind === 'forged'
            ? { key: id(end.ttl, `forged at ${end.hop}`), label: `${end.reply} forged at hop ${end.hop}` }
          : { key: quoted(`silent after ${end.after?.ttl ?? 0} ${end.after?.address ?? ''}`), label: `dropped after hop ${end.after?.ttl ?? 0}` };
    for (const [i, step] of [...steps, last].entries()) {
      nodes.set(step.key, step.label);
      const into = i === steps.length;
      const key = `${previous}->${step.key}`;
      const edge = edges.get(key) ?? { from: previous, to: step.key, flows: 0, bad: into && bad };
      edge.flows += path.flows;
      edges.set(key, edge);
      previous = step.key;
    }
  }
  for (const [key, label] of nodes) lines.push(`  ${key} [label=${quoted(label)}];`);
  for (const e of edges.values()) lines.push(`  ${e.from} -> ${e.to} [label=${quoted(`${e.flows} flows`)}${e.bad ? ', color=red, fontcolor=red' : ''}];`);
  lines.push('}');
  return lines.join('\n') + '\n';
}
