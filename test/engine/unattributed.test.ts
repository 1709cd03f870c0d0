// The one rule for answers that name no probe, as the tracer and the follow-up probes both apply it.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ownerOfUnattributed } from '../../src/engine/unattributed.js';

test('an answer naming no probe goes to the oldest open probe past every router that answered', () => {
  const open = [
    { ttl: 2, sentAtMs: 0 },
    { ttl: 5, sentAtMs: 12 },
    { ttl: 4, sentAtMs: 10 },
  ];
  assert.deepEqual(ownerOfUnattributed(open, 3), { ttl: 4, sentAtMs: 10 });
  // No router yet: the oldest open probe of all.
  assert.deepEqual(ownerOfUnattributed(open, 0), { ttl: 2, sentAtMs: 0 });
  // Every open probe expired short of the routers that answered: nobody's.
  assert.equal(ownerOfUnattributed(open, 5), undefined);
});
