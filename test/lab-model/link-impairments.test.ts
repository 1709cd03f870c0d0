import assert from 'node:assert/strict';
import { test } from 'node:test';
import { NO_IMPAIRMENT } from '../../src/lab/impairment.js';
import { checkLinkImpairments, linkSeed, linkWire } from '../../src/lab/link-impairments.js';

test('nothing set: no wire, the link stays a veth pair', () => {
  assert.equal(linkWire({}, undefined, 1), undefined);
  assert.equal(linkWire({ delayMs: 0 }, { jitterMs: 0 }, 1), undefined);
});

test('the chain-wide delay and loss apply to every link, both ways', () => {
  const wire = linkWire({ delayMs: 5, lossRate: 0.1 }, undefined, 2);
  assert.deepEqual(wire, { toServer: { ...NO_IMPAIRMENT, delayMs: 5, loss: 0.1 }, toClient: { ...NO_IMPAIRMENT, delayMs: 5, loss: 0.1 } });
});

test("a link's own settings override the chain's; losses are per direction", () => {
  const wire = linkWire({ delayMs: 5, lossRate: 0.1 }, { delayMs: 2, jitterMs: 40, lossToServer: 0.3, reorder: 0.05, spikeMs: 55, spikeRate: 0.2 }, 3);
  const shared = { ...NO_IMPAIRMENT, delayMs: 2, jitterMs: 40, reorder: 0.05, spikeMs: 55, spikeRate: 0.2 };
  assert.deepEqual(wire, { toServer: { ...shared, loss: 0.3 }, toClient: { ...shared, loss: 0.1 } });
});

test('loss alone, with no delay, still makes a wire', () => {
  assert.deepEqual(linkWire({}, { lossToClient: 0.2 }, 1), {
    toServer: NO_IMPAIRMENT,
    toClient: { ...NO_IMPAIRMENT, loss: 0.2 },
  });
});

test('bad settings name the link and the direction', () => {
  assert.throws(() => linkWire({}, { lossToServer: 2 }, 4), /lab link 4 toward the server: loss must be a fraction/);
  assert.throws(() => linkWire({}, { spikeMs: -3 }, 1), /lab link 1 toward the server: spikeMs/);
  assert.throws(() => checkLinkImpairments({ 0: {} }, 3), /lab link 0 does not exist: a chain with 2 routers has links 1..3/);
  assert.throws(() => checkLinkImpairments({ 4: {} }, 3), /lab link 4 does not exist/);
  checkLinkImpairments({ 1: {}, 3: {} }, 3);
});

test('link seeds read as seed and link', () => {
  assert.equal(linkSeed(7, 3), 7003);
});
