import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseBatchLine, targetPort } from '../../src/trace/batch-input.js';

const target = (text: string) => {
  const parsed = parseBatchLine(text, 7);
  assert.ok(parsed && 'target' in parsed, `${text}: ${JSON.stringify(parsed)}`);
  const { host, port, protocol } = parsed.target;
  return [host, port, protocol];
};

test('target lines as people write them', () => {
  assert.deepEqual(target('db.example.com'), ['db.example.com', null, null]);
  assert.deepEqual(target('  db.example.com:5432   # the primary'), ['db.example.com', 5432, null]);
  assert.deepEqual(target('198.18.0.1 53 udp'), ['198.18.0.1', 53, 'udp']);
  assert.deepEqual(target('[2001:db8::1]:443'), ['2001:db8::1', 443, null]);
  assert.deepEqual(target('2001:db8::1 tcp:8443'), ['2001:db8::1', 8443, 'tcp']);
  assert.deepEqual(target('h ICMP'), ['h', null, 'icmp']);
  assert.equal(parseBatchLine('   # only a comment', 1), null);
  assert.equal(parseBatchLine('', 1), null);
});

test('bad lines are named by number and say what is wrong', () => {
  const error = (text: string) => {
    const parsed = parseBatchLine(text, 12);
    assert.ok(parsed && 'error' in parsed, text);
    return parsed.error;
  };
  assert.match(error('h 99999'), /^line 12: '99999' is not a port/);
  assert.match(error('h:80 81'), /port is given twice/);
  assert.match(error('h icmp 80'), /ICMP echo has no port/);
  assert.match(error('h tcp udp'), /two methods/);
  assert.match(error('a b c d'), /too many words/);
  assert.match(error('bad!host'), /not a host name/);
  assert.match(error('-rf'), /not a host name/);
});

test("a target's port: its own, else the batch's for the batch's method, else the method's usual one", () => {
  const t = (text: string) => (parseBatchLine(text, 1) as { target: Parameters<typeof targetPort>[0] }).target;
  assert.equal(targetPort(t('h'), 'tcp', 443), 443);
  assert.equal(targetPort(t('h:22'), 'tcp', 443), 22);
  assert.equal(targetPort(t('h udp'), 'tcp', 443), 53);
  assert.equal(targetPort(t('h icmp'), 'tcp', 443), null);
  assert.equal(targetPort(t('h'), 'tcp', null), 80);
});
