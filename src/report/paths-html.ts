// A multipath run (`portpath paths --report-file FILE.html`) as one self-contained HTML file, framed like the trace
// report (html-page.ts: inline CSS, no script, no network, a Content Security Policy): the one-line summary first as
// the verdict, then the diamond drawn (paths-diamond.ts), the table of paths with a command that reproduces each,
// and the stopping rule's figures that say how sure "no other path" is.
import type { FoundPath } from '../analyze/paths.js';
import type { PathsReport } from '../trace/paths.js';
import type { ReportContext } from './document.js';
import { escapeHtml as escape, htmlPage } from './html-page.js';
import { pathEndText, pathEndWorks } from './path-ends.js';
import { diamondSvg } from './paths-diamond.js';
import { safeText } from './safe-text.js';
import { methodLabel } from './services.js';
import { targetLabel } from './text.js';

export type PathsContext = Pick<ReportContext, 'version' | 'commandLine' | 'generatedAt' | 'nameOf'>;

/**
 * The banner's colour. Red: a path does not carry the connection (dropped, rejected, forged, filtered at the
 * destination), or the paths reach the destination but disagree on the port (one in N connections fails). Amber:
 * nothing contradicts the paths, but the run cannot vouch for all of them (flows left off a path, the flow budget
 * spent before the rule was met, interrupted, a state like open|filtered). Green: every path reaches, and agrees.
 */
function tone(report: PathsReport): 'ok' | 'bad' | 'unsure' {
  const broken = report.paths.some((p) => !pathEndWorks(p.end) && !(p.end.kind === 'destination' && p.end.state === 'open|filtered'));
  if (broken || !report.agree) return 'bad';
  if (report.paths.length === 0 || report.paths.some((p) => !pathEndWorks(p.end)) || report.unresolved > 0 || !report.ruleMet || report.interrupted) return 'unsure';
  return 'ok';
}

/**
 * The command that traces exactly this path. The address rather than the name: the balancers hash the destination
 * address too, and a name may resolve to another one next time. None where packets are balanced per packet.
 */
function reproduce(report: PathsReport, path: FoundPath): string {
  if (!path.reproduceWith) return 'none: balanced per packet';
  const method = report.protocol === 'udp' ? '-U ' : report.protocol === 'icmp' ? '-I ' : '';
  return `portpath ${method}${path.reproduceWith} ${report.target.address}${report.port !== null && report.protocol !== 'icmp' ? ` ${report.port}` : ''}`;
}

function pathsTable(report: PathsReport): string {
  const total = report.paths.reduce((sum, p) => sum + p.flows, 0);
  const head = '<tr><th>Path</th><th>Flows</th><th>Hops</th><th>Ends</th><th>Reproduce with</th></tr>';
  const rows = report.paths.map((path) => {
    const hops = path.hops.map((h) => (h.spread ? `{${h.spread.join(' | ')}}` : (h.address ?? '*'))).join(' › ') || '(none)';
    const share = `${path.flows}/${total} (${Math.round(path.share * 100)}%)`;
    return `<tr${pathEndWorks(path.end) ? '' : ' class="stop"'}><td class="n">${path.id}</td><td class="n">${share}</td><td>${escape(hops)}</td><td>${escape(pathEndText(path.end))}</td><td><code>${escape(reproduce(report, path))}</code></td></tr>`;
  });
  return `<div class="scroll"><table id="paths">${head}${rows.join('')}</table></div>`;
}

function figures(report: PathsReport): string {
  const facts = [
    `${report.confidence}% confidence per hop that no other next hop exists (the Multipath Detection Algorithm's stopping rule).`,
    `${report.probes} probes over ${report.flows.length} flows differing only in ${report.protocol === 'icmp' ? 'echo identifier' : 'source port'}, in ${(report.durationMs / 1000).toFixed(2)} s.`,
    ...(report.ruleMet ? [] : ['The flow budget ran out before every hop\'s rule was met: a path may be missing (raise --max-flows).']),
    ...(report.unresolved > 0 ? [`${report.unresolved} ${report.unresolved === 1 ? 'flow' : 'flows'} could not be put on a path and ${report.unresolved === 1 ? 'is' : 'are'} not drawn.`] : []),
    ...(report.interrupted ? ['Interrupted: what was found before the stop.'] : []),
  ];
  const head = '<tr><th>Hop</th><th>Flows probed</th><th>Different answers (silence is one)</th><th>Flows the rule asked for</th></tr>';
  const rows = report.flowsPerHop.map((f) => `<tr><td class="n">${f.ttl}</td><td class="n">${f.flows}</td><td class="n">${f.outcomes}</td><td class="n">${f.needed}</td></tr>`);
  return `<ul>${facts.map((f) => `<li>${escape(f)}</li>`).join('')}</ul><div class="scroll"><table id="figures">${head}${rows.join('')}</table></div>`;
}

export function renderPathsHtml(report: PathsReport, context: PathsContext): string {
  const title = `portpath paths: ${methodLabel(report.protocol, report.port)} to ${targetLabel(report.target)}`;
  const broken = report.paths.filter((p) => !pathEndWorks(p.end)).length;
  const count = `${report.paths.length} ${report.paths.length === 1 ? 'path' : 'paths'} found${broken > 0 ? `, ${broken} of them broken (red)` : ''}.`;
  const body = `<h1>${escape(title)}</h1>
<div class="verdict ${tone(report)}" id="verdict">${escape(safeText(report.summary))}</div>
<p>${escape(count)}</p>
<h2>The paths</h2><p class="muted">Columns are hops (TTLs); the numbers on the lines are the flows that took them, and a line's width their share. * : a hop that did not answer on that path.</p>
${diamondSvg(report, context.nameOf)}
<h2>Every path</h2>${pathsTable(report)}
<h2>How sure</h2>${figures(report)}`;
  return htmlPage(title, body, { version: context.version, mode: report.mode, generatedAt: context.generatedAt.toISOString(), commandLine: safeText(context.commandLine) });
}
