// A report as one self-contained HTML file: inline CSS, hand-made SVG, no script and no network access (a Content
// Security Policy forbids it), readable on a phone. The verdict comes first in plain words; then the path as a
// diagram (client, each hop with its address, name, owner and RTT, the point where traffic to the port stops
// marked with who stopped it and how); RTT per hop as a chart (and, for a watch, loss per hop and each hop's RTT
// over its last rounds); the findings, the evidence, and the raw table. SVG by hand rather than a charting
// library: the charts are bars and lines, a few dozen lines of code, and the file stays small and script-free.
import type { DocumentHop, ReportDocument } from './document.js';
import { escapeHtml as escape, htmlPage } from './html-page.js';

function verdictClass(verdict: string): string {
  if (verdict === 'open' || verdict === 'closed' || verdict === 'reachable') return 'ok';
  if (verdict === 'unknown') return 'unsure';
  return 'bad';
}

const avg = (v: readonly number[]) => (v.length === 0 ? null : v.reduce((a, b) => a + b, 0) / v.length);

/** Splits text into lines of at most `width` characters, at spaces. */
function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(' ')) {
    if (line && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  if (line) lines.push(line);
  return lines;
}

/** Runs of silent hops (after the last answer, or between answers) shown as one row: "3-7. no answer". */
function diagramRows(doc: ReportDocument): { label: string; sub: string[]; colour: string; stop: boolean }[] {
  const rows: { label: string; sub: string[]; colour: string; stop: boolean }[] = [{ label: 'This host (client)', sub: [], colour: '#5f6368', stop: false }];
  for (let i = 0; i < doc.hops.length; i++) {
    const hop = doc.hops[i]!;
    if (hop.addresses.length === 0) {
      let last = i;
      while (last + 1 < doc.hops.length && doc.hops[last + 1]!.addresses.length === 0) last++;
      rows.push({ label: `${hop.ttl}${last > i ? `-${doc.hops[last]!.ttl}` : ''}. no answer`, sub: [], colour: '#bdc1c6', stop: false });
      i = last;
      continue;
    }
    const rtt = avg(hop.rtts);
    const extras = [hop.names.filter(Boolean).join(', '), hop.owners.filter(Boolean).join(', '), rtt !== null ? `${rtt.toFixed(2)} ms` : ''].filter(Boolean).join(' · ');
    const stop = hop.marked === 'stop';
    rows.push({
      label: `${hop.ttl}. ${hop.addresses.join(', ')}${hop.marked === 'destination' ? ' (destination)' : ''}`,
      sub: [...wrap(extras, 52), ...(stop && doc.stop ? wrap(`Stops here. ${doc.stop}`, 52) : [])],
      colour: stop ? '#d93025' : hop.marked === 'destination' ? '#1e8e3e' : '#1a73e8',
      stop,
    });
  }
  return rows;
}

/** The path, top to bottom: a node per hop (silent runs folded), the stop point in red. Sized for a phone. */
function pathDiagram(doc: ReportDocument): string {
  let y = 16;
  const parts: string[] = [];
  const rows = diagramRows(doc);
  rows.forEach((row, i) => {
    const height = 30 + row.sub.length * 15;
    if (i < rows.length - 1) parts.push(`<line x1="12" y1="${y + 8}" x2="12" y2="${y + height - 8}" stroke="#bdc1c6" stroke-width="2"/>`);
    parts.push(row.stop ? `<text x="5" y="${y + 5}" style="font-weight:700;fill:#d93025;font-size:15px">✕</text>` : `<circle cx="12" cy="${y}" r="7" fill="${row.colour}"/>`);
    parts.push(`<text x="28" y="${y + 5}" style="font-size:14px;font-weight:600${row.stop ? ';fill:#b3261e' : ''}">${escape(row.label)}</text>`);
    row.sub.forEach((line, j) => parts.push(`<text x="28" y="${y + 22 + j * 15}" style="font-size:12px;fill:${line.startsWith('Stops here') || (row.stop && j > 0) ? '#b3261e' : '#5f6368'}">${escape(line)}</text>`));
    y += height;
  });
  return `<svg viewBox="0 0 420 ${y}" width="420" role="img" aria-label="The path to the destination">${parts.join('')}</svg>`;
}

/** RTT per hop: a bar from the fastest to the slowest answer, a dot at the average. */
function rttChart(hops: readonly DocumentHop[]): string {
  const answered = hops.filter((h) => h.rtts.length > 0);
  if (answered.length === 0) return '<p class="muted">No RTTs: nothing answered.</p>';
  const max = Math.max(...answered.flatMap((h) => h.rtts)) * 1.1 || 1;
  const left = 28, width = 300, rowHeight = 20;
  const x = (ms: number) => left + (ms / max) * width;
  const ms = (v: number) => (v < 1 ? v.toFixed(3) : v < 100 ? v.toFixed(1) : v.toFixed(0));
  const rows = answered.map((hop, i) => {
    const y = 8 + i * rowHeight;
    const lo = Math.min(...hop.rtts), hi = Math.max(...hop.rtts), mean = avg(hop.rtts)!;
    return `<text x="0" y="${y + 12}" style="font-size:12px">${hop.ttl}</text><rect x="${x(lo)}" y="${y + 4}" width="${Math.max(2, x(hi) - x(lo))}" height="10" rx="3" fill="#aecbfa"/><circle cx="${x(mean)}" cy="${y + 9}" r="4" fill="#1a73e8"/><text x="${left + width + 8}" y="${y + 12}" style="font-size:12px;fill:#5f6368">${ms(mean)} ms</text>`;
  });
  const height = 30 + answered.length * rowHeight;
  const axis = `<line x1="${left}" y1="${height - 14}" x2="${left + width}" y2="${height - 14}" stroke="#bdc1c6"/><text x="${left}" y="${height - 2}" style="font-size:11px">0</text><text x="${left + width - 50}" y="${height - 2}" style="font-size:11px">${ms(max)} ms</text>`;
  const silent = hops.length - answered.length;
  return `<svg viewBox="0 0 420 ${height}" width="420" role="img" aria-label="RTT per hop">${rows.join('')}${axis}</svg>${silent > 0 ? `<p class="muted">${silent} hop${silent > 1 ? 's' : ''} gave no answer.</p>` : ''}`;
}

/** A watch: loss per hop as bars, and each hop's RTT over its last rounds as a line (lost rounds as red ticks). */
function watchCharts(doc: ReportDocument): string {
  const watch = doc.watch;
  if (!watch) return '';
  const rowHeight = 24, left = 28, width = 260;
  const loss = watch.hops.map((hop, i) => {
    const y = 10 + i * rowHeight;
    const colour = hop.loss?.label === 'icmp-limit' ? '#f9ab00' : hop.loss?.label === 'forwarded' ? '#d93025' : '#1e8e3e';
    return `<text x="0" y="${y + 13}">${hop.ttl}</text><rect x="${left}" y="${y + 3}" width="${Math.max(1, (hop.lossPct / 100) * width)}" height="12" fill="${colour}"/><text x="${left + Math.max(1, (hop.lossPct / 100) * width) + 6}" y="${y + 13}" style="fill:#5f6368">${hop.lossPct.toFixed(1)}%${hop.loss && hop.loss.label !== 'none' ? ` ${hop.loss.label}` : ''}</text>`;
  });
  const lossSvg = `<svg viewBox="0 0 420 ${20 + watch.hops.length * rowHeight}" width="420" role="img" aria-label="Loss per hop">${loss.join('')}</svg>`;
  const lines = watch.hops.map((hop, i) => {
    const y0 = 10 + i * 40;
    const values = hop.history;
    const answered = values.filter((v): v is number => v !== null);
    const hi = Math.max(...answered, 0.001);
    const step = 340 / Math.max(1, values.length - 1);
    const points = values.flatMap((v, j) => (v === null ? [] : [`${(left + j * step).toFixed(1)},${(y0 + 30 - (v / hi) * 28).toFixed(1)}`]));
    const lost = values.flatMap((v, j) => (v === null ? [`<line x1="${(left + j * step).toFixed(1)}" y1="${y0 + 2}" x2="${(left + j * step).toFixed(1)}" y2="${y0 + 30}" stroke="#d93025" stroke-width="1"/>`] : []));
    return `<text x="0" y="${y0 + 20}">${hop.ttl}</text>${lost.join('')}<polyline fill="none" stroke="#1a73e8" stroke-width="1.5" points="${points.join(' ')}"/><text x="${left + 344}" y="${y0 + 8}" style="fill:#5f6368;font-size:11px">${hi.toFixed(1)}</text>`;
  });
  const history = `<svg viewBox="0 0 420 ${20 + watch.hops.length * 40}" width="420" role="img" aria-label="RTT over the last rounds, per hop">${lines.join('')}</svg>`;
  return `<h2>Loss per hop</h2><p class="muted">Red: loss that continues to the end of the path; amber: the router's own ICMP limit, not lost traffic.</p>${lossSvg}<h2>RTT over the last rounds</h2><p class="muted">Per hop, newest right; red ticks are lost rounds; the number is the highest RTT (ms) on that line.</p>${history}`;
}

function table(doc: ReportDocument): string {
  const head = '<tr><th>Hop</th><th>Address</th><th>Name</th><th>Owner</th><th>RTT min / avg / max (ms)</th><th>Answered</th><th>Answers</th></tr>';
  const rows = doc.hops.map((hop) => {
    const rtt = hop.rtts.length > 0 ? `${Math.min(...hop.rtts).toFixed(3)} / ${avg(hop.rtts)!.toFixed(3)} / ${Math.max(...hop.rtts).toFixed(3)}` : '*';
    const mark = hop.marked === 'stop' ? ' class="stop"' : '';
    return `<tr${mark}><td class="n">${hop.ttl}</td><td>${escape(hop.addresses.join(', ') || '*')}</td><td>${escape(hop.names.filter(Boolean).join(', '))}</td><td>${escape(hop.owners.filter(Boolean).join(', '))}</td><td class="n">${rtt}</td><td class="n">${hop.received}/${hop.sent}</td><td>${escape(hop.note)}</td></tr>`;
  });
  return `<div class="scroll"><table>${head}${rows.join('')}</table></div>`;
}

const list = (items: readonly string[]) => `<ul>${items.map((i) => `<li>${escape(i)}</li>`).join('')}</ul>`;

/** One report's sections, under a heading of `level` (h1 for a report of its own, h2 inside a comparison). */
function sections(doc: ReportDocument, level: 1 | 2, id: string): string {
  const sub = level === 1 ? 'h2' : 'h3';
  return `<h${level}>${escape(doc.title)}</h${level}>
<div class="verdict ${verdictClass(doc.verdict)}" id="${id}">${escape(doc.headline)}</div>
<p><strong>${escape(doc.verdict)}</strong> (${escape(doc.confidence)} confidence). ${escape(doc.explanation)}</p>
${doc.stop ? `<p class="stop">${escape(doc.stop)}</p>` : ''}
<${sub}>The path</${sub}>${pathDiagram(doc)}
<${sub}>Round-trip time per hop</${sub}>${rttChart(doc.hops)}
${watchCharts(doc)}
${doc.findings.length > 0 ? `<${sub}>Findings</${sub}>${list(doc.findings)}` : ''}
${doc.evidence.length > 0 ? `<${sub}>Evidence</${sub}>${list(doc.evidence)}` : ''}
<${sub}>Every hop</${sub}>${table(doc)}`;
}

export function renderHtml(doc: ReportDocument): string {
  return htmlPage(doc.title, sections(doc, 1, 'verdict'), doc.produced);
}

/** --compare: a summary of every method's verdict first, then each method's report. */
export function renderHtmlComparison(docs: readonly ReportDocument[]): string {
  const title = `portpath --compare: ${docs.map((d) => d.produced.method).join(', ')} to ${docs[0]?.produced.target ?? ''}`;
  const rows = docs.map((d) => `<tr><td>${escape(d.produced.method)}</td><td><strong>${escape(d.verdict)}</strong></td><td>${escape(d.headline)}</td></tr>`).join('');
  const summary = `<h1>${escape(title)}</h1><div class="scroll"><table id="verdict"><tr><th>Method</th><th>Verdict</th><th>In words</th></tr>${rows}</table></div>`;
  return htmlPage(title, [summary, ...docs.map((d, i) => `<section>${sections(d, 2, `verdict-${i + 1}`)}</section>`)].join('\n'), docs[0]!.produced);
}
