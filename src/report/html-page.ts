// The frame every HTML report shares: escaping, the stylesheet, and the page around a body (charset, viewport for
// phones, a Content Security Policy that forbids scripts and every fetch, the footer that says what produced it).
// One copy, so the trace report and the paths report cannot drift apart in what they allow.

/** Text as HTML character data or a double-quoted attribute value. */
export const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const STYLE = `
body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;margin:0;padding:16px;color:#1d2329;background:#fff;max-width:980px}
h1{font-size:1.25em;margin:0 0 8px}h2{font-size:1.05em;margin:24px 0 8px}
.verdict{padding:12px 14px;border-radius:8px;margin:8px 0 4px;font-size:1.1em;font-weight:600}
.ok{background:#e6f4ea;border-left:6px solid #1e8e3e}.bad{background:#fce8e6;border-left:6px solid #d93025}.unsure{background:#fef7e0;border-left:6px solid #f9ab00}
.stop{color:#b3261e;font-weight:600}.muted{color:#5f6368;font-size:.9em}
.scroll{overflow-x:auto}table{border-collapse:collapse;font-size:.9em;min-width:100%}
th,td{border-bottom:1px solid #e0e0e0;padding:4px 8px;text-align:left;white-space:nowrap}th{background:#f5f5f5}
td.n{text-align:right;font-variant-numeric:tabular-nums}
svg{max-width:100%;height:auto;display:block}svg text{font:12px system-ui,sans-serif;fill:#1d2329}
ul{padding-left:20px}code{font-size:.9em;word-break:break-all}
`;

/** Who produced a report, for its footer: enough to run it again. */
export interface Producer {
  version: string;
  mode: string;
  generatedAt: string;
  commandLine: string;
}

export function htmlPage(title: string, body: string, produced: Producer): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body>
${body}
<p class="muted">portpath ${escapeHtml(produced.version)}, ${escapeHtml(produced.mode)} sockets, ${escapeHtml(produced.generatedAt)}<br>to run it again: <code>${escapeHtml(produced.commandLine)}</code></p>
</body></html>
`;
}
