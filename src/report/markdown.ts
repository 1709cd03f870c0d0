// A report as Markdown, for tickets and chat: the verdict first, the hops as a table, what was found, the evidence,
// and what produced it. Every piece of text is escaped (md), so a name, an AS name or a city from outside can
// neither break the table nor become markup: a link, an image (a tracking pixel where the file is rendered),
// emphasis, raw HTML or an entity such as &#x202e; (a bidi override the source never held).
import type { ReportDocument } from './document.js';

/**
 * Text as literal Markdown: backslash-escapes the characters that start inline markup in CommonMark and GFM
 * (links and images need '[', raw HTML and autolinks '<', entities '&'; '|' ends a table cell) and turns line
 * breaks into spaces. Block markup ('#', '-', '1.') only counts at a line's start, where this text never stands.
 */
const md = (text: string) => text.replace(/[\\`*_[\]<>&|~]/g, '\\$&').replace(/[\r\n]+/g, ' ');
const cell = (text: string) => md(text) || ' ';

function rttSummary(rtts: readonly number[]): string {
  if (rtts.length === 0) return '*';
  const min = Math.min(...rtts);
  const max = Math.max(...rtts);
  const avg = rtts.reduce((a, b) => a + b, 0) / rtts.length;
  return rtts.length === 1 ? `${avg.toFixed(3)}` : `${min.toFixed(3)} / ${avg.toFixed(3)} / ${max.toFixed(3)}`;
}

export function renderMarkdown(doc: ReportDocument): string {
  const lines = [`# ${md(doc.title)}`, '', `**${md(doc.headline)}**`, '', `Verdict: \`${doc.verdict}\` (${doc.confidence} confidence). ${md(doc.explanation)}`];
  if (doc.stop) lines.push('', `**${md(doc.stop)}**`);
  lines.push('', '| Hop | Address | Name | Owner | RTT ms (min / avg / max) | Answered | Answers |', '|---:|---|---|---|---|---:|---|');
  for (const hop of doc.hops) {
    const mark = hop.marked === 'stop' ? ' (stops here)' : hop.marked === 'destination' ? ' (destination)' : '';
    lines.push(
      `| ${hop.ttl}${mark} | ${hop.addresses.length > 0 ? cell(hop.addresses.join(', ')) : '*'} | ${cell(hop.names.filter(Boolean).join(', '))} | ${cell(hop.owners.filter(Boolean).join(', '))} | ${rttSummary(hop.rtts)} | ${hop.received}/${hop.sent} | ${cell(hop.note)} |`,
    );
  }
  if (doc.findings.length > 0) lines.push('', '## Findings', '', ...doc.findings.map((f) => `- ${cell(f)}`));
  if (doc.evidence.length > 0) lines.push('', '## Evidence', '', ...doc.evidence.map((e) => `- ${cell(e)}`));
  const p = doc.produced;
  lines.push('', '---', '', `portpath ${p.version}, ${p.mode} sockets, ${p.generatedAt}: \`${p.commandLine.replace(/`/g, "'")}\``, '');
  return lines.join('\n');
}

/** --compare: the verdicts side by side first, then each method's report one level down. */
export function renderMarkdownComparison(docs: readonly ReportDocument[]): string {
  const title = `# portpath --compare: ${md(`${docs.map((d) => d.produced.method).join(', ')} to ${docs[0]?.produced.target ?? ''}`)}`;
  const summary = ['| Method | Verdict | In words |', '|---|---|---|', ...docs.map((d) => `| ${cell(d.produced.method)} | \`${d.verdict}\` | ${cell(d.headline)} |`)];
  return [title, '', ...summary, '', ...docs.map((d) => renderMarkdown(d).replace(/^# /, '## '))].join('\n');
}
