// The privilege drop checks itself against the kernel's account of the process (/proc/self/status).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { droppedProblems } from '../../src/transport/privileges.js';

const status = (uid: string, gid: string, groups: string, prm: string, eff: string, amb = '0000000000000000') =>
  `Name:\tnode\nUid:\t${uid}\nGid:\t${gid}\nGroups:\t${groups}\nCapInh:\t0000000000000000\nCapPrm:\t${prm}\nCapEff:\t${eff}\nCapBnd:\t000001ffffffffff\nCapAmb:\t${amb}\nNoNewPrivs:\t1\n`;
const NONE = '0000000000000000';

test('a clean drop to the invoking user passes', () => {
  assert.deepEqual(droppedProblems(status('1000\t1000\t1000\t1000', '1000\t1000\t1000\t1000', '', NONE, NONE), { uid: 1000, gid: 1000 }), []);
});

test('a saved root uid, a kept group, a leftover capability are each named', () => {
  const problems = droppedProblems(status('1000\t1000\t0\t1000', '1000\t1000\t1000\t1000', '0 27', '0000000000002000', NONE), { uid: 1000, gid: 1000 });
  assert.equal(problems.length, 3, problems.join('; '));
  assert.match(problems.join('; '), /user ids 1000\/1000\/0\/1000/);
  assert.match(problems.join('; '), /supplementary groups 0 27/);
  assert.match(problems.join('; '), /CapPrm 2000/);
});

test('clearing file capabilities: only the capability sets are checked; an unreadable status fails closed', () => {
  assert.deepEqual(droppedProblems(status('1000\t1000\t1000\t1000', '1000\t1000\t1000\t1000', '4', NONE, NONE), null), []);
  assert.ok(droppedProblems('Name:\tnode\n', { uid: 1000, gid: 1000 }).length > 0);
});

test('NoNewPrivs unset is named', () => {
  const text = status('1000\t1000\t1000\t1000', '1000\t1000\t1000\t1000', '', NONE, NONE).replace('NoNewPrivs:\t1', 'NoNewPrivs:\t0');
  assert.deepEqual(droppedProblems(text, { uid: 1000, gid: 1000 }), ['NoNewPrivs not set']);
});
