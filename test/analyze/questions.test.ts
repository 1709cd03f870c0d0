// Which TTLs the run owner re-probes: exactly the ones a verdict hinges on, and none on a clean path.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { openQuestions } from '../../src/analyze/questions.js';
import { answers, controlReaching, routers, silent, synAck, tcpTrace, ttlFrom } from './fixtures.js';

const asked = (questions: ReturnType<typeof openQuestions>) => questions.map((q) => `${q.trace}@${q.ttl}`).sort();

describe('openQuestions', () => {
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
    assert.deepEqual(
      openQuestions(main, controlReaching(5)).filter((q) => q.trace === 'main' && q.ttl !== 4),
      [],
    );
  });
});
