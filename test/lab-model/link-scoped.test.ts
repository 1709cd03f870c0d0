import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isLinkScoped } from '../../src/lab/link-scoped.js';

function ipv6(source: string, destination: string): Buffer {
  const packet = Buffer.alloc(48);
  packet[0] = 0x60;
  Buffer.from(source, 'hex').copy(packet, 8);
  Buffer.from(destination, 'hex').copy(packet, 24);
  return packet;
}

const LINK_LOCAL = 'fe8000000000000080e82f30c04c3cee';
const GLOBAL = '20010db8000100000000000000000001';
const OTHER_GLOBAL = '20010db8000200000000000000000002';

test('an MLD report (link-local source, ff02::16) is link-scoped', () => {
  assert.equal(isLinkScoped(ipv6(LINK_LOCAL, 'ff020000000000000000000000000016')), true);
});

test('a global source to link-scope multicast (ff02::1) is link-scoped', () => {
  assert.equal(isLinkScoped(ipv6(GLOBAL, 'ff020000000000000000000000000001')), true);
});

test('global to global, and global to site-scope multicast, cross the wire as traffic', () => {
  assert.equal(isLinkScoped(ipv6(GLOBAL, OTHER_GLOBAL)), false);
  assert.equal(isLinkScoped(ipv6(GLOBAL, 'ff050000000000000000000000000002')), false);
});

test('IPv4 and truncated packets are never link-scoped', () => {
  const v4 = Buffer.alloc(48);
  v4[0] = 0x45;
  v4[24] = 0xff;
  v4[25] = 0x02;
  assert.equal(isLinkScoped(v4), false);
  assert.equal(isLinkScoped(ipv6(LINK_LOCAL, 'ff020000000000000000000000000016').subarray(0, 39)), false);
});
