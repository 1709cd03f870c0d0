// The diamond of a multipath run as hand-made SVG, for the paths HTML report: the client at left, a column per TTL
// with a node per responder (its address and reverse name; '*' where a path's hop stayed silent), the destination
// at right, and between consecutive nodes a line as thick as the share of flows that took it, labelled with their
// count; a hop balanced per packet is one node listing the routers its packets are spread over. Each broken path
// ends in a red node saying how it stops (dropped after hop N, rejected, forged), its last
// line red. Drawn from the paths, not the raw flows: flows that could not be put on a path are not drawn (the report
// counts them apart), and what is drawn is exactly what the table of paths lists.
import type { PathEnd } from '../analyze/paths.js';
import type { PathsReport } from '../trace/paths.js';
import { escapeHtml as escape } from './html-page.js';
import { pathEndWorks } from './path-ends.js';
import { safeText } from './safe-text.js';

type NameOf = (address: string) => string | null | undefined;
type Tone = 'client' | 'router' | 'silent' | 'ok' | 'bad' | 'unsure';

interface Node {
  key: string;
  /** 0: the client; 1…: TTLs from the first one probed. */
  column: number;
  /** What portpath says of it: never cut. */
  lines: string[];
  /** Its reverse name: outside text of any length, cut to SIZE.maxChars characters in the box (whole in its tooltip). */
  name?: string;
  tone: Tone;
  /** Set by the layout: the centre's height. */
  y: number;
}

interface Edge {
  from: string;
  to: string;
  flows: number;
  /** Into a broken path's stop. */
  bad: boolean;
  /** From or into a hop that did not answer. */
  dashed: boolean;
}

const COLOURS: Record<Tone, { fill: string; stroke: string; text: string }> = {
  client: { fill: '#f1f3f4', stroke: '#5f6368', text: '#1d2329' },
  router: { fill: '#e8f0fe', stroke: '#1a73e8', text: '#1d2329' },
  silent: { fill: '#fff', stroke: '#9aa0a6', text: '#5f6368' },
  ok: { fill: '#e6f4ea', stroke: '#1e8e3e', text: '#1d2329' },
  bad: { fill: '#fce8e6', stroke: '#d93025', text: '#b3261e' },
  unsure: { fill: '#fef7e0', stroke: '#f9ab00', text: '#1d2329' },
};

/** The drawing's measures, in px (12px text). */
const SIZE = {
  // A reverse name is drawn to this many characters at most (the rest in its tooltip); the boxes are as wide as the
  // longest line drawn, so a full IPv6 address or an ICMP error's name still fits.
  maxChars: 24,
  charWidth: 6.6,
  lineHeight: 15,
  /** Between the centres of two nodes of a column, at the least. */
  rowPitch: 64,
  /** Room between columns for the lines and their "N flows" labels. */
  gap: 64,
  /** Above the nodes: the column titles. */
  top: 28,
  margin: 8,
};

/** The first TTL probed: column 1. */
const firstTtl = (report: PathsReport) => report.flowsPerHop[0]?.ttl ?? 1;

const cut = (text: string) => (text.length > SIZE.maxChars ? `${text.slice(0, SIZE.maxChars - 1)}…` : text);

/** A node's lines as drawn: what portpath says, its name (cut) second. */
const drawn = (node: Node) => [node.lines[0]!, cut(node.name ?? ''), ...node.lines.slice(1)].filter(Boolean);

/** The destination's node: one per port state, so paths that disagree there stay apart. */
function endNode(end: PathEnd, first: number, nameOf: NameOf): Omit<Node, 'y'> {
  const column = (ttl: number) => ttl - first + 1;
  if (end.kind === 'destination') {
    const tone: Tone = pathEndWorks(end) ? 'ok' : end.state === 'filtered' ? 'bad' : 'unsure';
    return { key: `destination|${end.state}`, column: column(end.ttl), lines: [end.address, `${end.state} at hop ${end.ttl}`], name: safeText(nameOf(end.address) ?? ''), tone };
  }
  if (end.kind === 'rejected') return { key: `rejected|${end.ttl}|${end.address}|${end.reply}`, column: column(end.ttl), lines: [`✕ rejected at hop ${end.ttl}`, end.address, end.reply], tone: 'bad' };
  if (end.kind === 'forged') return { key: `forged|${end.hop}|${end.reply}`, column: column(end.ttl), lines: [`✕ ${end.reply} forged`, `at hop ${end.hop}`, end.by ?? ''], tone: 'bad' };
  const after = end.after?.ttl ?? first - 1;
  return { key: `dropped|${after}|${end.after?.address ?? ''}`, column: column(after + 1), lines: ['✕ dropped', end.after ? `after hop ${after}` : 'no hop answered'], tone: 'bad' };
}

/** The nodes and edges every path passes through, flows summed where paths share an edge. */
function graph(report: PathsReport, nameOf: NameOf): { nodes: Map<string, Node>; edges: Map<string, Edge> } {
  const first = firstTtl(report);
  const nodes = new Map<string, Node>([['client', { key: 'client', column: 0, lines: ['this host', report.source.address], tone: 'client', y: 0 }]]);
  const edges = new Map<string, Edge>();
  const destinationTtls = new Map<string, Set<number>>();
  const add = (node: Omit<Node, 'y'>) => nodes.get(node.key) ?? nodes.set(node.key, { ...node, y: 0 }).get(node.key)!;
  for (const path of report.paths) {
    let previous = nodes.get('client')!;
    // A silent hop is its own node after the last router that answered: silent hops of different branches stay apart.
    let answered = 'client';
    const step = (node: Node, bad: boolean) => {
      const key = `${previous.key}->${node.key}`;
      const edge = edges.get(key) ?? { from: previous.key, to: node.key, flows: 0, bad, dashed: previous.tone === 'silent' || node.tone === 'silent' };
      edge.flows += path.flows;
      edges.set(key, edge);
      previous = node;
    };
    for (const hop of path.hops) {
      const column = hop.ttl - first + 1;
      if (hop.spread) {
        // Per packet: no flow picks one of these routers, so the path passes all of them as one hop.
        answered = `~${hop.spread.join('|')}`;
        step(add({ key: `${hop.ttl}|${answered}`, column, lines: [`per packet over ${hop.spread.length}:`, ...hop.spread], tone: 'router' }), false);
      } else if (hop.address === null) step(add({ key: `${hop.ttl}|*|${answered}`, column, lines: ['*', 'no answer'], tone: 'silent' }), false);
      else {
        step(add({ key: `${hop.ttl}|${hop.address}`, column, lines: [hop.address], name: safeText(nameOf(hop.address) ?? ''), tone: 'router' }), false);
        answered = hop.address;
      }
    }
    const end = endNode(path.end, first, nameOf);
    if (path.end.kind === 'destination') destinationTtls.set(end.key, (destinationTtls.get(end.key) ?? new Set()).add(path.end.ttl));
    step(add(end), end.tone === 'bad');
  }
  // The destination stands at the right whatever the TTL its answers came at (branches of unequal length).
  const last = Math.max(...[...nodes.values()].map((n) => n.column), ...[...destinationTtls.values()].flatMap((ttls) => [...ttls].map((t) => t - first + 1)));
  for (const [key, ttls] of destinationTtls) {
    const node = nodes.get(key)!;
    node.column = last;
    node.lines[1] = `${key.slice('destination|'.length)} at hop ${[...ttls].sort((a, b) => a - b).join(', ')}`;
  }
  return { nodes, edges };
}

/** Each column's nodes top to bottom in the order of the rows they are reached from (fewer crossing lines), centred. */
function layout(nodes: Map<string, Node>, edges: Map<string, Edge>, pitch: number): { columns: Node[][]; rows: number } {
  const columns: Node[][] = Array.from({ length: Math.max(...[...nodes.values()].map((n) => n.column)) + 1 }, () => []);
  for (const node of nodes.values()) columns[node.column]!.push(node);
  const rows = Math.max(...columns.map((c) => c.length));
  const incoming = [...edges.values()];
  for (const column of columns) {
    const from = (node: Node) => {
      const ys = incoming.filter((e) => e.to === node.key).map((e) => nodes.get(e.from)!.y);
      return ys.length === 0 ? 0 : ys.reduce((a, b) => a + b, 0) / ys.length;
    };
    const order = column.map((node, i) => ({ node, i, at: from(node) })).sort((a, b) => a.at - b.at || a.i - b.i);
    const top = SIZE.top + ((rows - column.length) * pitch) / 2;
    order.forEach(({ node }, i) => (node.y = top + i * pitch + pitch / 2));
    column.splice(0, column.length, ...order.map((o) => o.node));
  }
  return { columns, rows };
}

const flowsLabel = (n: number) => `${n} flow${n === 1 ? '' : 's'}`;

export function diamondSvg(report: PathsReport, nameOf: NameOf): string {
  const { nodes, edges } = graph(report, nameOf);
  // Rows as tall as the tallest node needs (a per-packet hop lists all its routers).
  const pitch = Math.max(SIZE.rowPitch, ...[...nodes.values()].map((n) => drawn(n).length * SIZE.lineHeight + 24));
  const { columns, rows } = layout(nodes, edges, pitch);
  const widest = Math.max(...[...nodes.values()].flatMap((n) => drawn(n).map((l) => l.length)));
  const box = Math.max(112, Math.round(widest * SIZE.charWidth + 16));
  const left = (column: number) => SIZE.margin + column * (box + SIZE.gap);
  const width = left(columns.length) - SIZE.gap + SIZE.margin;
  const height = SIZE.top + rows * pitch + SIZE.margin;
  const total = report.paths.reduce((sum, p) => sum + p.flows, 0) || 1;
  const parts: string[] = [];
  columns.forEach((column, i) => {
    if (column.length === 0) return;
    // The destination's column says so when only the destination stands in it (its node says at which hops).
    const title = i === 0 ? 'client' : column.every((n) => n.key.startsWith('destination|')) ? 'destination' : `hop ${i + firstTtl(report) - 1}`;
    parts.push(`<text x="${left(i) + box / 2}" y="16" text-anchor="middle" style="font-size:12px;fill:#5f6368">${title}</text>`);
  });
  // Lines first, so the nodes sit on top of them; the labels last, on a white halo, so no line crosses their text.
  const labels: string[] = [];
  for (const edge of edges.values()) {
    const a = nodes.get(edge.from)!, b = nodes.get(edge.to)!;
    const x1 = left(a.column) + box, x2 = left(b.column), mid = (x1 + x2) / 2;
    const colour = edge.bad ? '#d93025' : edge.dashed ? '#9aa0a6' : '#4285f4';
    const stroke = (1.5 + 8 * (edge.flows / total)).toFixed(1);
    parts.push(`<path d="M${x1} ${a.y} C${mid} ${a.y} ${mid} ${b.y} ${x2} ${b.y}" fill="none" stroke="${colour}" stroke-width="${stroke}" stroke-opacity="0.8"${edge.dashed ? ' stroke-dasharray="5 4"' : ''}/>`);
    labels.push(`<text x="${mid}" y="${(a.y + b.y) / 2 - 4}" text-anchor="middle" style="font-size:11px;fill:${edge.bad ? '#b3261e' : '#3c4043'};stroke:#fff;stroke-width:3px;paint-order:stroke">${flowsLabel(edge.flows)}</text>`);
  }
  for (const node of nodes.values()) {
    const lines = drawn(node);
    const h = 10 + lines.length * SIZE.lineHeight;
    const x = left(node.column), y = node.y - h / 2;
    const colour = COLOURS[node.tone];
    const text = lines.map((line, j) => `<text x="${x + 8}" y="${y + 17 + j * SIZE.lineHeight}" style="fill:${colour.text}${j === 0 ? ';font-weight:600' : ''}">${escape(line)}</text>`);
    parts.push(`<g>${node.name && node.name.length > SIZE.maxChars ? `<title>${escape(node.name)}</title>` : ''}<rect x="${x}" y="${y}" width="${box}" height="${h}" rx="6" fill="${colour.fill}" stroke="${colour.stroke}" stroke-width="${node.tone === 'bad' ? 2 : 1.2}"${node.tone === 'silent' ? ' stroke-dasharray="4 3"' : ''}/>${text.join('')}</g>`);
  }
  // As wide as it is drawn on a large screen; on a phone no narrower than 80% of that (12px text stays readable),
  // the box around it scrolls sideways instead.
  return `<div class="scroll"><svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" style="width:100%;max-width:${width}px;min-width:${Math.round(width * 0.8)}px" role="img" aria-label="Every path from this host to the destination">${parts.join('')}${labels.join('')}</svg></div>`;
}
