// One firewalled trace with owners (r2 drops TCP/8443, hops 3-7 silent), for the report-file tests: its result,
// diagnosis, owners and the context a report is written in.
import { diagnose } from '../../src/analyze/diagnose.js';
import type { HopResult, ProbeResult } from '../../src/engine/types.js';
import type { ReportContext } from '../../src/report/document.js';
import { buildTraceResult } from '../../src/trace/result.js';
import type { TraceMeta } from '../../src/trace/meta.js';
import type { OwnerInfo } from '../../src/trace/owners.js';
import type { TraceReport } from '../../src/trace/trace.js';

const meta: TraceMeta = {
  host: 'web.example', address: '198.18.4.2', family: 4, protocol: 'tcp', port: 8443, source: '198.18.1.1', sourcePort: 40123,
  interface: 'eth0', firstTtl: 1, maxTtl: 30, probesPerHop: 3, mode: 'raw', startedAt: new Date('2026-11-29T08:00:00Z'),
};
export const expired = (from: string, rtt: number, ttl: number): ProbeResult => ({ from, rtt, reply: { kind: 'time-exceeded', icmpType: 11, icmpCode: 0, name: 'time exceeded', ttl } });
export const silent: ProbeResult = { from: null, rtt: null, reply: null };
const hops: HopResult[] = [
  { ttl: 1, probes: [expired('198.18.1.2', 0.41, 64), expired('198.18.1.2', 0.38, 64), expired('198.18.1.2', 0.4, 64)] },
  { ttl: 2, probes: [expired('198.18.2.2', 1.21, 63), expired('198.18.2.2', 1.19, 63), expired('198.18.2.2', 1.3, 63)] },
  ...[3, 4, 5, 6, 7].map((ttl) => ({ ttl, probes: [silent, silent, silent] })),
];

export function report(): TraceReport {
  const result = buildTraceResult(meta, { hops, destination: { reached: false, hop: null, state: 'filtered', reason: 'timeout', by: null }, unmatchedPackets: 0, interrupted: false, stoppedBy: 'gap-limit' }, 512);
  return { ...result, diagnosis: diagnose(result, null) };
}

export const OWNERS: Record<string, OwnerInfo> = {
  '198.18.1.2': { special: null, owner: { asn: 64500, asName: 'LAB-EDGE - Lab edge, "quoted" | piped', prefix: '198.18.1.0/24', country: 'ZZ', city: null, registry: 'lab', source: ['dns'] }, lookup: 'ok' },
  '198.18.2.2': { special: null, owner: { asn: 64501, asName: 'LAB-CORE', prefix: '198.18.2.0/24', country: 'ZZ', city: 'Labville', registry: 'lab', source: ['dns', 'geoip'] }, lookup: 'ok' },
};

export const context: ReportContext = {
  version: '0.1.0',
  commandLine: "portpath -z --report-file 'trace.md' web.example 8443",
  generatedAt: new Date('2026-11-29T08:00:01Z'),
  nameOf: (a) => (a === '198.18.1.2' ? 'gw.lab.example' : null),
  ownerOf: (a) => OWNERS[a] ?? null,
};
