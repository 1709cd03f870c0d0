// A report as CSV for spreadsheets: one row per probe for a trace; one row per hop for a watch (its statistics —
// a watch keeps no per-probe history beyond the last 120 outcomes, so that memory stays bounded). Written with
// csv-stringify, so quoting follows RFC 4180 whatever an address, a name or an AS name holds, and a cell that
// starts like a formula (=, +, -, @, tab, CR) is prefixed with ' so a spreadsheet shows it instead of running it:
// an AS name is whatever its registrant typed, and =HYPERLINK(...) would send the sheet's cells to someone.
import { stringify } from 'csv-stringify/sync';
import type { Options } from 'csv-stringify/sync';
import type { ReportDocument } from './document.js';

const SAFE: Options = { header: true, escape_formulas: true };

export function renderCsv(doc: ReportDocument): string {
  if (doc.kind === 'trace') {
    return stringify(doc.probes, {
      ...SAFE,
      columns: [
        { key: 'ttl', header: 'hop' },
        { key: 'index', header: 'probe' },
        { key: 'address', header: 'address' },
        { key: 'name', header: 'name' },
        { key: 'asn', header: 'asn' },
        { key: 'asName', header: 'as_name' },
        { key: 'rttMs', header: 'rtt_ms' },
        { key: 'reply', header: 'reply' },
        { key: 'replyTtl', header: 'reply_ttl' },
      ],
    });
  }
  const hops = doc.watch?.hops ?? [];
  const figure = (v: number | null) => (v === null ? '' : v.toFixed(3));
  return stringify(
    hops.map((h) => [h.ttl, h.responders.map((r) => r.address).join(' '), h.sent, h.received, h.lossPct.toFixed(2), h.loss?.label ?? '', figure(h.lastMs), figure(h.avgMs), figure(h.bestMs), figure(h.worstMs), figure(h.stdevMs), figure(h.jitterMeanMs), figure(h.jitterMaxMs), figure(h.p50Ms), figure(h.p95Ms)]),
    { ...SAFE, columns: ['hop', 'addresses', 'sent', 'received', 'loss_pct', 'loss_cause', 'last_ms', 'avg_ms', 'best_ms', 'worst_ms', 'stdev_ms', 'jitter_mean_ms', 'jitter_max_ms', 'p50_ms', 'p95_ms'] },
  );
}

/** --compare: every probe of every method, with the method first. */
export function renderCsvComparison(docs: readonly ReportDocument[]): string {
  return stringify(
    docs.flatMap((d) => d.probes.map((p) => [d.produced.method, p.ttl, p.index, p.address, p.name, p.asn, p.asName, p.rttMs, p.reply, p.replyTtl])),
    { ...SAFE, columns: ['method', 'hop', 'probe', 'address', 'name', 'asn', 'as_name', 'rtt_ms', 'reply', 'reply_ttl'] },
  );
}
