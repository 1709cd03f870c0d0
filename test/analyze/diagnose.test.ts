// diagnose(): for every verdict a clear case, and an ambiguous one where it must lower its confidence or say 'unknown'.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ReachAttempt, ReachCheck, ReachMethod, TraceResult } from '../../src/engine/types.js';
import { diagnose } from '../../src/analyze/diagnose.js';
import type { Diagnosis } from '../../src/analyze/diagnose.js';
import type { Reply } from './fixtures.js';
import {
  answers,
  controlReaching,
  controlStopping,
  echoReply,
  echoTrace,
  timeExceeded,
  routerAt,
  routers,
  rst,
  SERVER,
  SERVER6,
  silent,
  synAck,
  tcpTrace,
  trace,
  ttlFrom,
  udpReply,
  udpTrace,
  unreachable,
} from './fixtures.js';

type Expected = Pick<Diagnosis, 'verdict' | 'hop' | 'by' | 'confidence'>;

/** The verdict, hop, device and confidence exactly; the explanation by its key words. */
function expectDiagnosis(d: Diagnosis, expected: Expected, ...words: string[]): void {
  assert.deepEqual({ verdict: d.verdict, hop: d.hop, by: d.by, confidence: d.confidence }, expected, d.explanation);
  for (const word of words) assert.ok(d.explanation.includes(word), `explanation lacks "${word}": ${d.explanation}`);
}

/** A reach attempt that was sent, and what it drew (nothing when no reply is given). */
function attempt(method: ReachMethod, reply?: Reply): ReachAttempt {
  const answer = reply ? { from: reply.from, rtt: 1, reply: { kind: reply.kind, ttl: reply.ttl, ...(reply.icmpType !== undefined ? { icmpType: reply.icmpType, icmpCode: reply.icmpCode! } : {}), ...(reply.kind === 'unreachable' && reply.icmpCode === 1 ? { name: 'host unreachable' } : {}) } } : null;
  return { method, sent: true, answer };
}

function reachCheck(trace: TraceResult | null, attempts: ReachAttempt[]): ReachCheck {
  const found = trace ? (attempts.find((a) => a.answer?.from === SERVER)?.method ?? null) : null;
  return { fromTtl: trace?.hops[0]?.ttl ?? 3, attempts, found, trace, probes: attempts.length, durationMs: 10 };
}

const R2 = routerAt(2);
const R3 = routerAt(3);

describe('open', () => {
  test('a SYN-ACK from the destination, confirmed by a control that reaches it', () => {
    const d = diagnose(tcpTrace(routers(1, 4), answers(5, synAck())), controlReaching());
    expectDiagnosis(d, { verdict: 'open', hop: 5, by: SERVER, confidence: 'high' }, 'TCP/443 is open', SERVER, 'SYN-ACK', 'hop 5');
    assert.deepEqual(d.control, { protocol: 'icmp', port: null, reached: true, hop: 5, lastHop: 5 });
    assert.equal(d.evidence[0], `trace TCP/443: routers answered at TTL 1-4; final answer syn-ack from ${SERVER} at TTL 5 (reply IP TTL 60)`);
    assert.match(d.evidence[1] ?? '', /^control ICMP echo: routers answered at TTL 1-4; final answer echo-reply/);
  });

  test('without a control the same answer is only medium confidence', () => {
    const d = diagnose(tcpTrace(routers(1, 4), answers(5, synAck())), null);
    expectDiagnosis(d, { verdict: 'open', hop: 5, by: SERVER, confidence: 'medium' }, 'open');
    assert.equal(d.control, null);
  });

  test('ambiguous: the reply TTL says 3 hops away, no control to check: open, low confidence', () => {
    const d = diagnose(tcpTrace(routers(1, 4), answers(5, synAck(SERVER, ttlFrom(3)))), null);
    expectDiagnosis(d, { verdict: 'open', hop: 5, by: SERVER, confidence: 'low' }, 'closer than the destination', '--control');
    assert.ok(d.evidence.includes('its IP TTL says it was sent 3 hops away, closer than TTL 5 where it appeared'));
  });

  test('the control\'s echo replies arrive with the same short TTL: only the return path is short', () => {
    const d = diagnose(tcpTrace(routers(1, 4), answers(5, synAck(SERVER, ttlFrom(3)))), controlReaching(5, ttlFrom(3)));
    assert.equal(d.verdict, 'open');
    assert.notEqual(d.confidence, 'low');
    assert.doesNotMatch(d.explanation, /--control/);
  });

  test('a control that was run does not lead to advice to run with --control', () => {
    const d = diagnose(tcpTrace(routers(1, 4), answers(5, synAck(SERVER, ttlFrom(3)))), controlStopping(3));
    assert.equal(d.verdict, 'open');
    assert.equal(d.confidence, 'low');
    assert.doesNotMatch(d.explanation, /run with --control/);
  });
});

describe('closed', () => {
  test('an RST from the destination, confirmed by the control', () => {
    const d = diagnose(tcpTrace(routers(1, 4), answers(5, rst())), controlReaching());
    expectDiagnosis(d, { verdict: 'closed', hop: 5, by: SERVER, confidence: 'high' }, 'TCP/443 is closed', 'RST', 'hop 5');
  });

  test('UDP: the destination\'s own port unreachable (IPv4 and IPv6)', () => {
    const v4 = diagnose(udpTrace(routers(1, 4), answers(5, unreachable(SERVER, 3, ttlFrom(5)))), controlReaching());
    expectDiagnosis(v4, { verdict: 'closed', hop: 5, by: SERVER, confidence: 'high' }, 'UDP/53 is closed', 'ICMP port unreachable');
    const v6 = diagnose(trace([routers(1, 4, 6), answers(5, unreachable(SERVER6, 4, ttlFrom(5)))], { protocol: 'udp', family: 6 }), null);
    expectDiagnosis(v6, { verdict: 'closed', hop: 5, by: SERVER6, confidence: 'medium' }, 'ICMPv6 port unreachable');
  });

  test('ambiguous: an RST at TTL 3 whose TTL says 2 hops away, no control: closed, low, no cry of forgery', () => {
    const d = diagnose(tcpTrace(routers(1, 2), answers(3, rst(SERVER, ttlFrom(2)))), null);
    expectDiagnosis(d, { verdict: 'closed', hop: 3, by: SERVER, confidence: 'low' }, 'closer than the destination');
    assert.doesNotMatch(d.explanation, /forges/);
  });
});

describe('reachable', () => {
  test('an ICMP echo reply is its own proof', () => {
    const d = diagnose(echoTrace(routers(1, 4), answers(5, echoReply())), null);
    expectDiagnosis(d, { verdict: 'reachable', hop: 5, by: SERVER, confidence: 'high' }, 'ICMP echo is reachable', 'answers echo requests', 'hop 5');
  });

  test('ambiguous: an echo reply whose TTL says it came from 3 hops away', () => {
    const d = diagnose(echoTrace(routers(1, 4), answers(5, echoReply(SERVER, ttlFrom(3)))), null);
    expectDiagnosis(d, { verdict: 'reachable', hop: 5, by: SERVER, confidence: 'low' }, 'closer than the destination');
  });
});

describe('filtered-at-destination', () => {
  test('the destination itself answers with admin-prohibited', () => {
    const d = diagnose(tcpTrace(routers(1, 4), answers(5, unreachable(SERVER, 13, ttlFrom(5)))), null);
    expectDiagnosis(d, { verdict: 'filtered-at-destination', hop: 5, by: SERVER, confidence: 'high' }, 'itself rejects TCP/443', 'ICMP 3/13', 'administratively prohibited');
  });

  test('every router answers, the destination is silent for TCP but answers the control', () => {
    const d = diagnose(tcpTrace(routers(1, 4), silent(5, 7)), controlReaching());
    // hop is the last answering hop (the routers'), by the destination the control found.
    expectDiagnosis(d, { verdict: 'filtered-at-destination', hop: 4, by: SERVER, confidence: 'high' }, `dropped by hop 4 (${routerAt(4)}) or by the destination ${SERVER}`, 'cannot be told apart', 'reaches the destination at hop 5');
    // The last router and the destination: a probe either drops looks the same from here.
    assert.deepEqual(d.candidates, [{ hop: 4, by: routerAt(4), role: 'router' }, { hop: 5, by: SERVER, role: 'destination' }]);
  });

  test('the destination one hop away: nothing stands between, so it is the destination', () => {
    const d = diagnose(tcpTrace(silent(1, 3)), controlReaching(1));
    assert.equal(d.verdict, 'filtered-at-destination');
    assert.match(d.explanation, /the port is filtered at the destination/);
    assert.deepEqual(d.candidates, [{ hop: 1, by: SERVER, role: 'destination' }]);
  });

  // Documented convention (README): for the filtered verdicts `hop` is the last hop that answered; `by` names who
  // filters, here the destination that answers the control but not the port.
  test('hop is the last answering hop, by the destination that filters', () => {
    const d = diagnose(tcpTrace(routers(1, 4), silent(5, 7)), controlReaching());
    assert.equal(d.by, SERVER);
    assert.equal(d.hop, 4);
  });

  test('ambiguous: UDP silence at the destination may be an open port that ignores the probe', () => {
    const d = diagnose(udpTrace(routers(1, 4), silent(5, 7)), controlReaching());
    expectDiagnosis(d, { verdict: 'filtered-at-destination', hop: 4, by: SERVER, confidence: 'low' }, 'UDP cannot tell');
  });
});

describe('filtered-in-path', () => {
  test('TCP stops after hop 2 while the control passes hops 3-4 to the destination', () => {
    const d = diagnose(tcpTrace(routers(1, 2), silent(3, 5)), controlReaching());
    expectDiagnosis(d, { verdict: 'filtered-in-path', hop: 2, by: R2, confidence: 'high' }, `dropped between hop 2 (${R2}) and hop 3`);
  });

  test('the control gets further but not to the destination: medium', () => {
    const d = diagnose(tcpTrace(routers(1, 2), silent(3, 5)), controlStopping(4));
    expectDiagnosis(d, { verdict: 'filtered-in-path', hop: 2, by: R2, confidence: 'medium' }, `gets as far as hop 4 (${routerAt(4)})`);
  });

  test('a router silent to every protocol right after the last answer: the drop is at hop 2 or hop 3, both named', () => {
    const control = echoTrace(routers(1, 2), silent(3), routers(4, 4), answers(5, echoReply(SERVER, ttlFrom(5))));
    const d = diagnose(tcpTrace(routers(1, 2), silent(3, 7)), control);
    expectDiagnosis(d, { verdict: 'filtered-in-path', hop: 2, by: R2, confidence: 'high' }, `dropped at hop 2 (${R2}) or at hop 3, which answers no protocol`);
    assert.equal(d.upTo, 3);
    assert.ok(!d.evidence.some((e) => /too few/.test(e)), d.evidence.join('\n'));
  });

  test('routers out of budget: hops silent to both traces however often asked are named with the last answer, medium', () => {
    // Hop 1 answered one probe of three (budgets spent on this path); hops 3-4 answered neither trace, asked twice each.
    const main = tcpTrace(routers(1, 2), silent(3, 7));
    main.hops[0]!.probes = [main.hops[0]!.probes[0]!, { from: null, rtt: null, reply: null }, { from: null, rtt: null, reply: null }];
    const control = echoTrace(routers(1, 2), silent(3, 4), routers(5, 5), answers(6, echoReply(SERVER, ttlFrom(6))));
    const asked = (trace: TraceResult, ttl: number) => (trace.hops.find((h) => h.ttl === ttl)!.reprobes = [{ from: null, rtt: null, reply: null }, { from: null, rtt: null, reply: null }]);
    for (const ttl of [3, 4]) for (const trace of [main, control]) asked(trace, ttl);
    const d = diagnose(main, control);
    expectDiagnosis(d, { verdict: 'filtered-in-path', hop: 2, by: R2, confidence: 'medium' }, `dropped at hop 2 (${R2}) or at hops 3-4, which answered neither it nor the control`);
    assert.equal(d.upTo, 4);
    assert.ok(d.evidence.some((e) => /the control got no answer there either/.test(e)), d.evidence.join('\n'));
    assert.ok(!d.evidence.some((e) => /under 1% chance/.test(e)), d.evidence.join('\n'));
    // Asked only once in the control: not yet a candidate, the stop stays right after hop 2.
    control.hops.find((h) => h.ttl === 4)!.reprobes = [{ from: null, rtt: null, reply: null }];
    assert.equal(diagnose(main, control).upTo, 3);
  });

  test('ambiguous: silence after hop 2 and no control: low', () => {
    const d = diagnose(tcpTrace(routers(1, 2), silent(3, 5)), null);
    expectDiagnosis(d, { verdict: 'filtered-in-path', hop: 2, by: R2, confidence: 'low' }, 'Without a control trace');
  });
});

describe('rejected-in-path', () => {
  test('a router answers admin-prohibited (IPv4 3/13, IPv6 1/1): high even without a control', () => {
    const v4 = diagnose(tcpTrace(routers(1, 2), answers(3, unreachable(R3, 13, ttlFrom(3)))), null);
    expectDiagnosis(v4, { verdict: 'rejected-in-path', hop: 3, by: R3, confidence: 'high' }, `hop 3 (${R3}) rejects TCP/443`, 'administratively prohibited');
    const r6 = routerAt(3, 6);
    const v6 = diagnose(trace([routers(1, 2, 6), answers(3, unreachable(r6, 1, ttlFrom(3)))], { family: 6 }), null);
    expectDiagnosis(v6, { verdict: 'rejected-in-path', hop: 3, by: r6, confidence: 'high' }, 'ICMPv6 1/1');
  });

  test('ambiguous: a router\'s port unreachable is medium alone, high once the control passes that router', () => {
    const main = tcpTrace(routers(1, 2), answers(3, unreachable(R3, 3, ttlFrom(3))));
    expectDiagnosis(diagnose(main, null), { verdict: 'rejected-in-path', hop: 3, by: R3, confidence: 'medium' }, 'port unreachable');
    expectDiagnosis(diagnose(main, controlReaching()), { verdict: 'rejected-in-path', hop: 3, by: R3, confidence: 'high' }, 'reaches the destination at hop 5');
  });

  test('host unreachable for TCP while the control passes that router: a reject, not a broken path', () => {
    const main = tcpTrace(routers(1, 2), answers(3, unreachable(R3, 1, ttlFrom(3))));
    expectDiagnosis(diagnose(main, controlStopping(4)), { verdict: 'rejected-in-path', hop: 3, by: R3, confidence: 'high' }, 'host unreachable', 'gets no further than hop 4');
    expectDiagnosis(diagnose(main, controlReaching()), { verdict: 'rejected-in-path', hop: 3, by: R3, confidence: 'high' }, 'reaches the destination at hop 5');
  });
});

describe('no-route', () => {
  test('host unreachable from a router, and the control gets the same there', () => {
    const d = diagnose(tcpTrace(routers(1, 2), answers(3, unreachable(R3, 1, ttlFrom(3)))), echoTrace(routers(1, 2), answers(3, unreachable(R3, 1, ttlFrom(3)))));
    expectDiagnosis(d, { verdict: 'no-route', hop: 3, by: R3, confidence: 'high' }, 'no route onward', 'host unreachable', `gets no further than hop 3 (${R3})`, 'path itself is broken');
  });

  test('ambiguous: no control to tell a broken path from a reject: medium (IPv4 host/net, IPv6 address unreachable)', () => {
    const host = diagnose(tcpTrace(routers(1, 2), answers(3, unreachable(R3, 1, ttlFrom(3)))), null);
    expectDiagnosis(host, { verdict: 'no-route', hop: 3, by: R3, confidence: 'medium' }, 'host unreachable');
    const v4 = diagnose(tcpTrace(routers(1, 2), answers(3, unreachable(R3, 0, ttlFrom(3)))), null);
    expectDiagnosis(v4, { verdict: 'no-route', hop: 3, by: R3, confidence: 'medium' }, 'network unreachable');
    const r6 = routerAt(3, 6);
    const v6 = diagnose(trace([routers(1, 2, 6), answers(3, unreachable(r6, 3, ttlFrom(3)))], { family: 6 }), null);
    expectDiagnosis(v6, { verdict: 'no-route', hop: 3, by: r6, confidence: 'medium' }, 'address unreachable');
  });

  test('a control that got no answer at all adds no confidence', () => {
    const d = diagnose(tcpTrace(routers(1, 2), answers(3, unreachable(R3, 1, ttlFrom(3)))), controlStopping(0));
    assert.equal(d.verdict, 'no-route');
    assert.equal(d.confidence, 'medium');
  });
});

describe('reset-in-path', () => {
  test('RSTs at TTL 3 in the destination\'s name, sent 2 hops away; the control finds the destination at hop 5', () => {
    const d = diagnose(tcpTrace(routers(1, 2), answers(3, rst(SERVER, 63))), controlReaching(5, 60));
    expectDiagnosis(d, { verdict: 'reset-in-path', hop: 2, by: R2, confidence: 'high' }, `hop 2 (${R2}) forges an RST`, `never reaches ${SERVER}`, 'reaches the destination at hop 5');
    assert.ok(d.evidence.includes('the rst came at TTL 3, but ICMP echo probes expired at a router at TTL 3-4: the destination is farther for them'), d.evidence.join('\n'));
    assert.ok(d.evidence.includes('its IP TTL says it was sent 2 hops away; the destination\'s own replies come from 5 hops away'));
  });

  test('ambiguous: only the TTL says forged, the RST comes at the destination\'s own hop: medium', () => {
    const d = diagnose(tcpTrace(routers(1, 4), answers(5, rst(SERVER, ttlFrom(3)))), controlReaching());
    assert.equal(d.verdict, 'reset-in-path');
    assert.equal(d.confidence, 'medium');
  });

  test('the forger cannot sit before routers that forwarded later probes', () => {
    const d = diagnose(tcpTrace(routers(1, 4), answers(5, rst(SERVER, ttlFrom(3)))), controlReaching());
    assert.ok(d.hop === null || d.hop >= 4, `hop ${d.hop}`);
    assert.notEqual(d.by, R3);
  });
});

describe('terminated-in-path', () => {
  test('SYN-ACKs at TTL 3 in the destination\'s name, sent 2 hops away; the control finds the destination at hop 5', () => {
    const d = diagnose(tcpTrace(routers(1, 2), answers(3, synAck(SERVER, 63))), controlReaching(5, 60));
    expectDiagnosis(d, { verdict: 'terminated-in-path', hop: 2, by: R2, confidence: 'high' }, `hop 2 (${R2})`, 'SYN-ACK', 'transparent proxy', `never reaches ${SERVER}`);
  });

  test('ambiguous: only the TTL says it was not the destination: medium', () => {
    const d = diagnose(tcpTrace(routers(1, 4), answers(5, synAck(SERVER, ttlFrom(3)))), controlReaching());
    assert.equal(d.verdict, 'terminated-in-path');
    assert.equal(d.confidence, 'medium');
  });

  test('unprivileged mode (no reply TTLs): a SYN-ACK before the destination\'s hop alone says terminated, medium', () => {
    const main = trace([routers(1, 2), answers(3, synAck(SERVER, null))], { mode: 'unprivileged' });
    expectDiagnosis(diagnose(main, controlReaching()), { verdict: 'terminated-in-path', hop: 3, by: R3, confidence: 'medium' }, 'SYN-ACK');
    // Without a control there is no evidence against the destination: open, as a plain answer.
    expectDiagnosis(diagnose(main, null), { verdict: 'open', hop: 3, by: SERVER, confidence: 'medium' }, 'open');
  });

  test('a UDP answer forged in path (DNS interception) is a terminated flow, not an RST', () => {
    const d = diagnose(udpTrace(routers(1, 2), answers(3, udpReply(SERVER, 63))), controlReaching());
    assert.equal(d.verdict, 'terminated-in-path');
    assert.doesNotMatch(d.explanation, /RST/);
  });

  test('an echo reply answered in path for the destination is not an RST', () => {
    const d = diagnose(echoTrace(routers(1, 2), answers(3, echoReply(SERVER, 63))), tcpTrace(routers(1, 4), answers(5, synAck())));
    assert.notEqual(d.verdict, 'reset-in-path');
    assert.doesNotMatch(d.explanation, /RST/);
  });
});

describe('no-answer: nothing past the same hop answers any method', () => {
  test('neither TCP nor the control gets past hop 2: not called a broken path without evidence', () => {
    const d = diagnose(tcpTrace(routers(1, 2), silent(3, 5)), controlStopping(2));
    expectDiagnosis(d, { verdict: 'no-answer', hop: 2, by: R2, confidence: 'medium' }, `Nothing answers past hop 2 (${R2})`, 'neither TCP/443 nor ICMP echo', 'security group', '--control tcp:PORT');
    assert.deepEqual(d.candidates, [{ hop: 2, by: R2, role: 'router' }, { hop: 3, by: null, role: 'unseen' }, { hop: null, by: SERVER, role: 'destination' }]);
  });

  test('the reach check tried more methods and found nothing: high, and they are named', () => {
    const reach = reachCheck(null, [attempt({ protocol: 'tcp', port: 80 }), attempt({ protocol: 'udp', port: 33434 })]);
    const d = diagnose(tcpTrace(routers(1, 2), silent(3, 5)), controlStopping(2), { reach });
    expectDiagnosis(d, { verdict: 'no-answer', hop: 2, by: R2, confidence: 'high' }, 'none of TCP/443, ICMP echo, TCP/80 or UDP/33434');
    assert.deepEqual(d.reach?.tried.map((t) => t.method), ['tcp:80', 'udp:33434']);
    assert.equal(d.reach?.found, null);
  });

  test('nothing answers either trace: low, no hop', () => {
    const d = diagnose(tcpTrace(silent(1, 3)), controlStopping(0));
    expectDiagnosis(d, { verdict: 'no-answer', hop: null, by: null, confidence: 'low' }, 'at any hop');
  });

  test('a control that got no answer from any hop says nothing about hop 2', () => {
    const d = diagnose(tcpTrace(routers(1, 2), silent(3, 5)), controlStopping(0));
    assert.equal(d.confidence, 'low');
  });
});

describe('unreachable needs positive evidence', () => {
  test('a router answers a reach probe with host unreachable: no-route there', () => {
    const reach = reachCheck(null, [attempt({ protocol: 'tcp', port: 80 }, unreachable(R2, 1, ttlFrom(2)))]);
    const d = diagnose(tcpTrace(routers(1, 2), silent(3, 5)), controlStopping(2), { reach });
    expectDiagnosis(d, { verdict: 'no-route', hop: 2, by: R2, confidence: 'high' }, 'host unreachable', 'broken');
  });

  test('a watch reached the destination earlier and now nothing passes hop 2: unreachable', () => {
    const reachedBefore = { hop: 5, method: 'TCP/443', at: '2026-12-06T10:00:00.000Z' };
    const d = diagnose(tcpTrace(routers(1, 2), silent(3, 5)), controlStopping(2), { reachedBefore });
    expectDiagnosis(d, { verdict: 'unreachable', hop: 2, by: R2, confidence: 'medium' }, 'TCP/443 reached the destination at hop 5', 'broke after hop 2');
  });
});

describe('the reach check finds a destination that drops ICMP echo', () => {
  test('TCP/443 reaches it at hop 5 where echo stops at hop 4: filtered at the destination or the last router, not a broken path', () => {
    const found = trace([routers(3, 4), answers(5, synAck())], { protocol: 'tcp', port: 443 });
    const reach = reachCheck(found, [attempt({ protocol: 'tcp', port: 443 }, synAck())]);
    const d = diagnose(trace([routers(1, 4), silent(5, 7)], { protocol: 'tcp', port: 5432 }), controlStopping(4), { reach });
    expectDiagnosis(d, { verdict: 'filtered-at-destination', hop: 4, by: SERVER, confidence: 'high' }, 'ICMP echo gets no further than hop 4', 'but TCP/443 reaches the destination at hop 5', 'security group');
    assert.deepEqual(d.candidates, [{ hop: 4, by: routerAt(4), role: 'router' }, { hop: 5, by: SERVER, role: 'destination' }]);
    assert.deepEqual({ found: d.reach?.found, hop: d.reach?.hop, by: d.reach?.by }, { found: 'tcp:443', hop: 5, by: SERVER });
  });

  test('a router drops forwarded echo (after hop 2) and the port stops after hop 3: the reach trace shows routers past the echo', () => {
    const found = trace([routers(3, 4), answers(5, synAck())], { protocol: 'tcp', port: 443 });
    const reach = reachCheck(found, [attempt({ protocol: 'tcp', port: 443 }, synAck())]);
    const d = diagnose(trace([routers(1, 3), silent(4, 6)], { protocol: 'tcp', port: 9443 }), controlStopping(2), { reach });
    expectDiagnosis(d, { verdict: 'filtered-in-path', hop: 3, by: R3, confidence: 'high' }, `dropped between hop 3 (${R3}) and hop 4`, 'TCP/443 reaches the destination at hop 5');
    assert.deepEqual(d.candidates, [{ hop: 3, by: R3, role: 'router' }, { hop: 4, by: routerAt(4), role: 'router' }]);
  });
});

describe('unknown', () => {
  test('nothing answered and no control: unknown, not a guess', () => {
    const d = diagnose(tcpTrace(silent(1, 3)), null);
    expectDiagnosis(d, { verdict: 'unknown', hop: null, by: null, confidence: 'low' }, 'no answer from any hop');
  });

  test('hops 3-4 silent for the control too: a silent router or the destination may drop TCP', () => {
    const control = echoTrace(routers(1, 2), silent(3, 4), answers(5, echoReply()));
    const d = diagnose(tcpTrace(routers(1, 2), silent(3, 5)), control);
    expectDiagnosis(d, { verdict: 'unknown', hop: 2, by: R2, confidence: 'low' }, 'hops 3-4 answer no protocol', 'silent router');
  });

  test('one silent hop reads "hop 3", not "hops 3-3"', () => {
    const control = echoTrace(routers(1, 2), silent(3), answers(4, echoReply(SERVER, ttlFrom(4))));
    const d = diagnose(tcpTrace(routers(1, 2), silent(3, 5)), control);
    assert.equal(d.verdict, 'unknown');
    assert.doesNotMatch(d.explanation, /3-3/);
  });
});

describe('lossy paths: a lost probe is not evidence', () => {
  // The control's one echo at TTL 4 was lost, so it "reaches the destination at hop 5"; the SYN-ACK came at TTL 4.
  const lostControl = () => echoTrace(routers(1, 3), silent(4, 4, 1), answers(5, echoReply(SERVER, ttlFrom(4)), 1));

  test('a SYN-ACK at TTL 4 with the destination\'s own reply TTL stays open when the control\'s TTL 4 was lost', () => {
    const d = diagnose(tcpTrace(routers(1, 3), answers(4, synAck(SERVER, ttlFrom(4)))), lostControl());
    assert.equal(d.verdict, 'open', d.evidence.join('\n'));
    assert.equal(d.hop, 4);
  });

  test('the same for an RST: closed, not reset-in-path', () => {
    const d = diagnose(tcpTrace(routers(1, 3), answers(4, rst(SERVER, ttlFrom(4)))), lostControl());
    assert.equal(d.verdict, 'closed', d.evidence.join('\n'));
  });

  test('evidence that disagrees (control expired past the answer, same reply-TTL distance): the destination\'s verdict, medium, with the reason', () => {
    const control = echoTrace(routers(1, 4), answers(5, echoReply(SERVER, ttlFrom(4))));
    const d = diagnose(tcpTrace(routers(1, 3), answers(4, synAck(SERVER, ttlFrom(4)))), control);
    assert.equal(d.verdict, 'open');
    assert.equal(d.confidence, 'medium');
    assert.ok(d.evidence.some((e) => e.startsWith('not taken as forged')), d.evidence.join('\n'));
  });

  test('a re-probe that finds the hop answering settles it: routers read reprobes too', () => {
    const control = lostControl();
    control.hops.find((h) => h.ttl === 4)!.reprobes = [{ from: SERVER, rtt: 1, reply: { kind: 'echo-reply', ttl: ttlFrom(4) } }];
    const d = diagnose(tcpTrace(routers(1, 3), answers(4, synAck(SERVER, ttlFrom(4)))), control);
    assert.equal(d.verdict, 'open');
    assert.equal(d.confidence, 'high');
  });

  test('filtered-in-path on a lossy path: the first silent TTL must be tried enough, else confidence drops', () => {
    // 1 in 3 probes lost on answering hops: three silent tries at TTL 3 are not conclusive (needs 5 at that rate).
    const lossy = (ttl: number) => ({ ...answers(ttl, timeExceeded(routerAt(ttl), ttlFrom(ttl))), probes: [...answers(ttl, timeExceeded(routerAt(ttl), ttlFrom(ttl))).probes.slice(0, 2), { from: null, rtt: null, reply: null }] });
    const main = tcpTrace(lossy(1), lossy(2), silent(3, 7));
    const d = diagnose(main, controlReaching());
    assert.equal(d.verdict, 'filtered-in-path');
    assert.equal(d.confidence, 'medium');
    assert.ok(d.evidence.some((e) => /too few to rule out loss/.test(e)), d.evidence.join('\n'));
    main.hops.find((h) => h.ttl === 3)!.reprobes = Array.from({ length: 4 }, () => ({ from: null, rtt: null, reply: null }));
    assert.equal(diagnose(main, controlReaching()).confidence, 'high');
  });
});

describe('port forwarding: the target address forwards the port to a host behind it', () => {
  const FORWARDER = routerAt(4);
  test('time-exceeded from the target itself at hop 4, the SYN-ACK from hop 5: open, the forwarder named', () => {
    const main = tcpTrace(routers(1, 3), answers(4, timeExceeded(FORWARDER, ttlFrom(4))), answers(5, synAck(FORWARDER, ttlFrom(5))));
    main.target.address = FORWARDER;
    const control = echoTrace(routers(1, 3), answers(4, echoReply(FORWARDER, ttlFrom(4))));
    control.target.address = FORWARDER;
    const d = diagnose(main, control);
    assert.equal(d.verdict, 'open', d.evidence.join('\n'));
    assert.deepEqual(d.forwarder, { hop: 4, address: FORWARDER, serviceHop: 5, stops: null });
    assert.match(d.explanation, /forwards TCP\/443 at hop 4 .*the service answers from hop 5, behind it/);
  });

  test('filtered behind the forwarder: traffic passes it and stops behind it', () => {
    const main = tcpTrace(routers(1, 3), answers(4, timeExceeded(FORWARDER, ttlFrom(4))), silent(5, 9));
    main.target.address = FORWARDER;
    const d = diagnose(main, null);
    assert.deepEqual(d.forwarder, { hop: 4, address: FORWARDER, serviceHop: null, stops: 'behind' });
    assert.match(d.explanation, /stops behind it, not at it/);
  });
});

describe('a port state the trace itself doubts', () => {
  test('RSTs that may reset our own half-open connection: unknown (low), the doubt said, not closed', () => {
    const main = tcpTrace(routers(1, 4), answers(5, rst()));
    main.destination.doubt = 'own-half-open';
    const d = diagnose(main, controlReaching());
    assert.equal(d.verdict, 'unknown');
    assert.equal(d.confidence, 'low');
    assert.match(d.explanation, /went unanswered around every RST/);
  });
});
