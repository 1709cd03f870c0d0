// What a report file says, whatever its format: the verdict in plain words, the path hop by hop (address, name,
// owner, RTTs, what answered), where traffic to the port stops and who stopped it, the evidence, and what produced
// it (portpath version, command line, time, mode) so a reader can run it again. The HTML, Markdown and CSV
// renderers all read this one model.
import type { Candidate } from '../analyze/diagnose.js';
import { reprobeAnswersShown } from '../analyze/path-facts.js';
import type { HopResult } from '../engine/types.js';
import type { TraceReport } from '../trace/trace.js';
import type { WatchReport } from '../trace/watch.js';
import type { OwnerInfo } from '../trace/owners.js';
import { ownerSummary, targetLabel } from './text.js';
import { safeText } from './safe-text.js';
import { methodLabel } from './services.js';
import { causeText, changeText, watchFindings } from './watch-text.js';

export interface ReportContext {
  version: string;
  commandLine: string;
  generatedAt: Date;
  nameOf: (address: string) => string | null | undefined;
  ownerOf: (address: string) => OwnerInfo | null;
}

export interface DocumentHop {
  ttl: number;
  /** Responders, most answers first ('' when nobody answered). */
  addresses: string[];
  names: string[];
  owners: string[];
  /** Every answered RTT (a trace's probes, a watch's recent history). */
  rtts: number[];
  sent: number;
  received: number;
  /** What the answers were ("time exceeded", "SYN-ACK"), or the watch's loss cause. */
  note: string;
  /** This is where traffic to the port stops (or the destination's hop). */
  marked: 'stop' | 'destination' | null;
}

export interface ReportDocument {
  title: string;
  /** The verdict in one plain sentence, first in every format. */
  headline: string;
  verdict: string;
  confidence: string;
  explanation: string;
  /** "Traffic to TCP/443 stops after hop 2 (198.18.2.2): dropped" or null when it gets through. */
  stop: string | null;
  hops: DocumentHop[];
  findings: string[];
  evidence: string[];
  /** One row per probe (trace) or per hop (watch) for the CSV. */
  kind: 'trace' | 'watch';
  probes: { ttl: number; index: number; address: string; name: string; asn: string; asName: string; rttMs: string; reply: string; replyTtl: string }[];
  watch: WatchReport | null;
  produced: { version: string; commandLine: string; generatedAt: string; mode: string; target: string; method: string };
}

const PLAIN: Record<string, string> = {
  open: 'The port is open: the destination answers on it.',
  closed: 'The port is closed: the destination answers that nothing listens on it.',
  reachable: 'The destination answers ICMP echo.',
  'filtered-at-destination': 'Traffic to the port is dropped at the destination or by the last router before it: a firewall on the server or right before it.',
  'filtered-in-path': 'Traffic to the port is dropped on the way, before the destination.',
  'rejected-in-path': 'A device on the way rejects traffic to the port.',
  'reset-in-path': 'A device on the way answers for the destination with a reset (a forged reset).',
  'terminated-in-path': 'A device on the way answers for the destination (a proxy or load balancer).',
  'no-route': 'There is no route to the destination.',
  unreachable: 'The destination was reached before and cannot be reached now: the path broke.',
  'no-answer': 'Nothing past the last hop answers any method tried: the destination drops everything, is down, or the path breaks there.',
  unknown: 'The evidence does not settle where traffic stops.',
};

const ownerText = (info: OwnerInfo | null) => ownerSummary(info, true);

/** A single trace's report. */
export function traceDocument(report: TraceReport, context: ReportContext): ReportDocument {
  const d = report.diagnosis;
  const method = methodLabel(report.protocol, report.port);
  const target = targetLabel(report.target);
  const stopsAt = !['open', 'closed', 'reachable'].includes(d.verdict) && d.hop !== null ? d.hop : null;
  // A hop's own probes, and the follow-ups that answered where none of them did (see reprobeAnswersShown).
  const shown = (hop: HopResult) => [...hop.probes, ...reprobeAnswersShown(hop)];
  const hops: DocumentHop[] = report.hops.map((hop) => {
    const probes = shown(hop);
    const addresses = [...new Set(probes.flatMap((p) => (p.from ? [p.from] : [])))];
    const kinds = [...new Set(probes.flatMap((p) => (p.reply ? [p.reply.name ?? p.reply.kind] : [])))];
    return {
      ttl: hop.ttl,
      addresses,
      names: addresses.map((a) => safeText(context.nameOf(a) ?? '')),
      owners: addresses.map((a) => ownerText(context.ownerOf(a))),
      rtts: probes.flatMap((p) => (p.rtt !== null ? [p.rtt] : [])),
      sent: probes.length,
      received: probes.filter((p) => p.from !== null).length,
      note: [...kinds, ...(probes.length > hop.probes.length ? ['re-probed'] : [])].join(', '),
      marked: hop.ttl === stopsAt ? 'stop' : hop.ttl === report.destination.hop && report.destination.reached ? 'destination' : null,
    };
  });
  const probes = report.hops.flatMap((hop) =>
    shown(hop).map((p, index) => {
      const owner = p.from ? context.ownerOf(p.from)?.owner : null;
      return {
        ttl: hop.ttl,
        index: index + 1,
        address: p.from ?? '',
        name: p.from ? safeText(context.nameOf(p.from) ?? '') : '',
        asn: owner?.asn !== null && owner?.asn !== undefined ? String(owner.asn) : '',
        asName: owner?.asName ? safeText(owner.asName) : '',
        rttMs: p.rtt !== null ? p.rtt.toFixed(3) : '',
        reply: p.reply ? (p.reply.name ?? p.reply.kind) : 'no answer',
        replyTtl: p.reply?.ttl !== null && p.reply?.ttl !== undefined ? String(p.reply.ttl) : '',
      };
    }),
  );
  const who = (address: string) => `${address}${ownerText(context.ownerOf(address)) ? `, ${ownerText(context.ownerOf(address))}` : ''}`;
  const candidate = (c: Candidate) => (c.role === 'destination' ? `the destination${c.by ? ` (${who(c.by)})` : ''}` : `hop ${c.hop}${c.by ? ` (${who(c.by)})` : ' (answers no protocol)'}`);
  // Where the evidence cannot split the stop, every device seen is named (what lies past the last answer is not).
  const named = d.candidates.filter((c) => c.role !== 'unseen');
  const where = named.length > 1 ? `at ${named.map(candidate).join(' or ')} — they cannot be told apart from here` : `at hop ${stopsAt}${d.by ? ` (${who(d.by)})` : ''}`;
  const stop = stopsAt !== null ? `Traffic to ${method} stops ${where}: ${d.verdict.replaceAll('-', ' ')}.` : null;
  return {
    title: `portpath: ${method} to ${target}`,
    headline: PLAIN[d.verdict] ?? d.verdict,
    verdict: d.verdict,
    confidence: d.confidence,
    explanation: safeText(d.explanation),
    stop,
    hops,
    findings: [...d.notes, ...(report.ownerNotes ?? [])].map(safeText),
    evidence: d.evidence.map(safeText),
    kind: 'trace',
    probes,
    watch: null,
    produced: { version: context.version, commandLine: safeText(context.commandLine), generatedAt: context.generatedAt.toISOString(), mode: report.mode, target, method },
  };
}

/** A watch's report: its statistics per hop, the loss reading, the changes, and the latest diagnosis. */
export function watchDocument(report: WatchReport, context: ReportContext): ReportDocument {
  const method = methodLabel(report.protocol, report.port);
  const target = targetLabel(report.target);
  const d = report.diagnosis;
  const from = report.forwardedLoss?.fromTtl ?? null;
  const hops: DocumentHop[] = report.hops.map((hop) => {
    const addresses = hop.responders.map((r) => r.address);
    return {
      ttl: hop.ttl,
      addresses,
      names: addresses.map((a) => safeText(context.nameOf(a) ?? '')),
      owners: addresses.map((a) => ownerText(context.ownerOf(a))),
      rtts: hop.history.filter((v): v is number => v !== null),
      sent: hop.sent,
      received: hop.received,
      note: `${hop.lossPct.toFixed(1)}% lost${causeText(hop.loss, from) ? `: ${causeText(hop.loss, from)}` : ''}`,
      marked: hop.ttl === report.distance ? 'destination' : null,
    };
  });
  return {
    title: `portpath watch: ${method} to ${target}, ${report.rounds} rounds`,
    headline: d ? (PLAIN[d.verdict] ?? d.verdict) : 'Watched without a diagnosis.',
    verdict: d?.verdict ?? 'unknown',
    confidence: d?.confidence ?? 'low',
    explanation: d ? safeText(d.explanation) : '',
    stop: null,
    hops,
    findings: [...watchFindings(report), ...report.changes.map(changeText)].map(safeText),
    evidence: d ? d.evidence.map(safeText) : [],
    kind: 'watch',
    probes: [],
    watch: report,
    produced: { version: context.version, commandLine: safeText(context.commandLine), generatedAt: context.generatedAt.toISOString(), mode: report.mode, target, method },
  };
}
