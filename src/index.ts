// portpath as a library: `import { trace } from 'portpath'`. Everything public is exported from here; docs/api.md
// describes it. The library never prints, exits, handles signals or drops privileges on its own.
export { compare, openRawSockets, trace, traceEvents } from './trace/api.js';
export { DEFAULT_PORTS, parseMethod } from './trace/method-spec.js';
export { startWatch, watchEvents, WATCH_SCHEMA } from './trace/watch.js';
export type { WatchEvent, WatchHandle, WatchHop, WatchOptions, WatchReport } from './trace/watch.js';
export type { RoundProbe, RoundResult } from './trace/watch-rounds.js';
export type { RoundPortState, WatchChange } from './analyze/watch-events.js';
export type { ForwardedLoss, HopLoss, LossLabel } from './analyze/watch-loss.js';
export type { HopStatsSnapshot, Responder } from './analyze/hop-stats.js';
export type { RawSocketRequest } from './trace/api.js';
export type { CompareOptions, CompareReport, ComparedTrace } from './trace/compare.js';
export type { RunOptions as TraceOptions, TraceEvent, TraceReport, TraceRole } from './trace/trace.js';
export type { TraceMeta } from './trace/meta.js';
export type { ProbeSpec, TransportMode } from './trace/session.js';
export { diagnose } from './analyze/diagnose.js';
export type { Confidence, Diagnosis, Verdict } from './analyze/diagnose.js';
export { parseReason } from './packet/icmp-meaning.js';
export type { IcmpReason, Reason } from './packet/icmp-meaning.js';
export type { DestinationReason, DestinationResult, HopResult, PortState, ProbeResult, TraceResult, WaitOptions } from './engine/types.js';
export type { Family, Protocol, ProbeReply, ReplyKind } from './probe/method.js';
export { EXIT_CODES, PortpathError } from './transport/errors.js';
export type { PortpathErrorCode } from './transport/errors.js';
export { dropPrivileges, RawSocketPool } from './transport/privileges.js';
export type { DroppedTo } from './transport/privileges.js';
