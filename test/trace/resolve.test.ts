// The target a library caller passes: literals need no lookup, and a wrong type is a PortpathError, not a TypeError
// from deep inside the address parser.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveHost } from '../../src/trace/resolve.js';

test('literals resolve to themselves, canonical; a target that is not a string is a usage error', async () => {
  assert.deepEqual(await resolveHost('198.18.0.1', null), { address: '198.18.0.1', family: 4 });
  assert.deepEqual(await resolveHost('2001:DB8:0::1', null), { address: '2001:db8::1', family: 6 });
  for (const bad of [123, undefined, null, '']) {
    await assert.rejects(resolveHost(bad as unknown as string, null), (error: Error & { code?: string }) => error.code === 'ERR_USAGE' && /target/.test(error.message));
  }
});
