// Which TTLs the run owner re-probes: exactly the ones a verdict hinges on, and none on a clean path.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openQuestions } from '../../src/analyze/questions.js';
import { answers, controlReaching, echoReply, echoTrace, routerAt, routers, rst, SERVER, silent, synAck, tcpTrace, timeExceeded, ttlFrom } from './fixtures.js';

const asked = (questions: ReturnType<typeof openQuestions>) => questions.map((q) => `${q.trace}@${q.ttl}`).sort();

describe('openQuestions', () => {
  test("a stop right after hops taken as known (a batch's shared hops) asks the last of them on our own flow, once", () => {
    const main = tcpTrace(routers(1, 4), silent(5, 9));
    for (const hop of main.hops.slice(0, 3)) hop.shared = true;
    assert.ok(!asked(openQuestions(main, controlReaching(10))).includes('main@3'), 'hop 4 is our own answer');
    main.hops[3]!.shared = true;
    assert.ok(asked(openQuestions(main, controlReaching(10))).includes('main@4'));
    main.hops[3]!.reprobes = [{ from: main.hops[3]!.probes[0]!.from, rtt: 1, reply: main.hops[3]!.probes[0]!.reply }];
    assert.ok(!asked(openQuestions(main, controlReaching(10))).includes('main@4'), 'answered on our flow');
  });

  test('a stop among the shared hops: the last three of them are asked together until one answers our own flow', () => {
    const main = tcpTrace(routers(1, 6), silent(7, 11));
    for (const hop of main.hops.slice(0, 6)) hop.shared = true;
    const sharedAsked = () => openQuestions(main, controlReaching(12)).filter((q) => q.trace === 'main' && q.ttl <= 6).map((q) => q.ttl).sort();
    assert.deepEqual(sharedAsked(), [4, 5, 6]);
    // The router at 5 answered our own flow: the question is settled there, whatever 6 does.
    main.hops[4]!.reprobes = [{ from: main.hops[4]!.probes[0]!.from, rtt: 1, reply: main.hops[4]!.probes[0]!.reply }];
    assert.deepEqual(sharedAsked(), [6]);
  });

  test("an answer in the destination's name right after the shared hops asks the router before it on our own flow", () => {
    // A forged RST, or a destination nearer than the hops taken reach: where it sits rests on the shared hop before.
    const main = tcpTrace(routers(1, 4), answers(5, rst(SERVER, ttlFrom(3))));
    for (const hop of main.hops.slice(0, 4)) hop.shared = true;
    assert.ok(asked(openQuestions(main, controlReaching(6))).includes('main@4'));
    main.hops[3]!.reprobes = [{ from: main.hops[3]!.probes[0]!.from, rtt: 1, reply: main.hops[3]!.probes[0]!.reply }];
    assert.ok(!asked(openQuestions(main, controlReaching(6))).includes('main@4'), 'answered on our flow');
    // A SYN-ACK whose reply TTL puts its sender right at TTL 5 is placed by itself: nothing to ask.
    const placed = tcpTrace(routers(1, 4), answers(5, synAck(SERVER, ttlFrom(5))));
    for (const hop of placed.hops.slice(0, 4)) hop.shared = true;
    assert.ok(!asked(openQuestions(placed, controlReaching(5))).includes('main@4'));
  });

  test('follow-up answers up to the last TTL the trace probed: the TTL past it is asked, never taken as silent', () => {
    // A batch's drained routers left the trace silent from TTL 4 to its gap limit; re-probes then heard 7 and 8.
    const main = tcpTrace(routers(1, 3), silent(4, 8));
    for (const ttl of [7, 8]) main.hops[ttl - 1]!.reprobes = [{ from: routerAt(ttl), rtt: 1, reply: timeExceeded(routerAt(ttl), ttlFrom(ttl)) }];
    assert.ok(asked(openQuestions(main, controlReaching(12))).includes('main@9'));
    // A trace that ended on an answer has nothing past its end to ask.
    const ended = tcpTrace(routers(1, 4), answers(5, synAck()));
    assert.ok(!asked(openQuestions(ended, controlReaching(5))).some((q) => q.endsWith('@6')));
  });

  test('a clean path asks nothing', () => {
    const main = tcpTrace(routers(1, 4), answers(5, synAck()));
    assert.deepEqual(openQuestions(main, controlReaching(5)), []);
  });

  test('a SYN-ACK whose reply TTL says hop 5 but which came at TTL 7 asks the silent TTLs 5 and 6 again', () => {
    // The answers of TTL 5 and 6 were lost on the last links, which the routers' answers never cross: the loss
    // measured on routers says their silence is settled, the reply TTL says it is not.
    const main = tcpTrace(routers(1, 4), silent(5, 6), answers(7, synAck(undefined, ttlFrom(5))));
    assert.deepEqual(asked(openQuestions(main, controlReaching(5))), ['main@5', 'main@6']);
  });

  test('a silent router before the destination is not asked when the reply TTL agrees with the hop', () => {
    const main = tcpTrace(routers(1, 3), silent(4), answers(5, synAck()));
    assert.deepEqual(openQuestions(main, controlReaching(5)), []);
  });

  test("the control's echo reply at TTL 6 from 5 hops away asks the control's silent TTL 5 again", () => {
    // The main trace stops after hop 4 (a port dropped at the server); where the control places the destination
    // decides between 'filtered at the destination' and 'a silent router, then the destination'.
    const main = tcpTrace(routers(1, 4), silent(5, 9));
    const control = echoTrace(routers(1, 4), silent(5), answers(6, echoReply(SERVER, ttlFrom(5)), 1));
    assert.ok(asked(openQuestions(main, control)).includes('control@5'));
  });

  test('spent ICMP budgets: our probes got no router at all while the control got every one: TTL 1 is asked again', () => {
    const main = tcpTrace(silent(1, 5));
    assert.ok(asked(openQuestions(main, controlReaching(5))).includes('main@1'));
  });

  test('a clean filter (every router answered us up to it) asks nothing about budgets', () => {
    const main = tcpTrace(routers(1, 3), silent(4, 8));
    assert.deepEqual(openQuestions(main, controlReaching(5)), []);
  });

  test('a boundary router silent to both traces while the control goes on: a silent router, not a question', () => {
    // Asking it again changes nothing: the stop is at hop 3 or hop 4 either way (the diagnosis names both).
    const main = tcpTrace(routers(1, 3), silent(4, 8));
    const control = echoTrace(routers(1, 3), silent(4), answers(5, echoReply(SERVER, ttlFrom(5)), 1));
    assert.deepEqual(openQuestions(main, control), []);
  });

  test('every router silent to both traces (budgets spent by runs back to back): TTL 1 is asked, not skipped past', () => {
    const main = tcpTrace(silent(1, 5));
    const control = echoTrace(silent(1, 4), answers(5, echoReply(SERVER, ttlFrom(5)), 1));
    assert.deepEqual(asked(openQuestions(main, control)).filter((q) => q.endsWith('@1')), ['control@1', 'main@1']);
  });

  test('past a router silent to both traces, the first TTL the control answers is the one whose silence is asked', () => {
    const main = tcpTrace(routers(1, 3), silent(4, 8));
    main.hops.find((h) => h.ttl === 5)!.probes = [{ from: null, rtt: null, reply: null }];
    const control = echoTrace(routers(1, 3), silent(4), routers(5, 6), answers(7, echoReply(SERVER, ttlFrom(7)), 1));
    assert.deepEqual(asked(openQuestions(main, control)), ['main@5']);
  });

  test('silent from the TTL where the target answers the control: asked once more (a forwarder there may be out of budget)', () => {
    const main = tcpTrace(routers(1, 4), silent(5, 9));
    assert.deepEqual(asked(openQuestions(main, controlReaching(5))), ['main@5']);
    main.hops.find((h) => h.ttl === 5)!.reprobes = [{ from: null, rtt: null, reply: null }];
    assert.deepEqual(openQuestions(main, controlReaching(5)), []);
  });

  test("a boundary router that answered the control only on a follow-up: our silence there is asked again", () => {
    const main = tcpTrace(routers(1, 2), silent(3, 7));
    const control = echoTrace(routers(1, 2), silent(3, 4), answers(5, echoReply(SERVER, ttlFrom(5)), 1));
    const lost = { from: null, rtt: null, reply: null };
    main.hops.find((h) => h.ttl === 3)!.reprobes = [lost];
    control.hops.find((h) => h.ttl === 3)!.reprobes = [{ from: '198.18.3.2', rtt: 3, reply: { kind: 'time-exceeded', ttl: ttlFrom(3) } }];
    assert.ok(asked(openQuestions(main, control)).includes('main@3'));
  });
});
