// Outside text made safe where it enters: every class of character a terminal acts on or that reorders a line is
// removed, word-separating controls become spaces, the length is capped, and ordinary names of any script pass.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cleanText, cleanTextOrNull, TEXT_CAPS, UNSAFE_CHARACTERS } from '../../src/packet/untrusted-text.js';

const code = (c: number) => String.fromCodePoint(c);
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);

test('every C0 control, DEL and every C1 control is removed (spacing controls become one space)', () => {
  for (const c of [...range(0x00, 0x1f), 0x7f, ...range(0x80, 0x9f)]) {
    const spacing = [0x09, 0x0a, 0x0b, 0x0c, 0x0d].includes(c);
    assert.equal(cleanText(`a${code(c)}b`, 100), spacing ? 'a b' : 'ab', `U+${c.toString(16).padStart(4, '0')}`);
  }
});

test('bidi controls and zero-width marks are removed; line and paragraph separators become a space', () => {
  for (const c of [...range(0x202a, 0x202e), ...range(0x2066, 0x2069), 0x200e, 0x200f, 0x061c, ...range(0x200b, 0x200d), 0x2060, 0xfeff]) {
    assert.equal(cleanText(`a${code(c)}b`, 100), 'ab', `U+${c.toString(16).padStart(4, '0')}`);
  }
  assert.equal(cleanText('a\u2028b\u2029c', 100), 'a b c');
});

test('terminal attacks lose their teeth: OSC 52 (clipboard), CSI erase, an 8-bit CSI, a right-to-left override', () => {
  const osc52 = '\x1b]52;c;ZWNobyBwd25lZA==\x07AS64500';
  const erase = '\x1b[4A\x1b[JAll good: port open';
  const c1 = '\u009b2J';
  const rlo = 'evil\u202egpj.exe';
  for (const hostile of [osc52, erase, c1, rlo]) {
    const clean = cleanText(hostile, 100);
    // eslint-disable-next-line no-control-regex -- finding control characters is the point
    assert.doesNotMatch(clean, /[\u0000-\u001f\u007f-\u009f\u202a-\u202e]/, JSON.stringify(hostile));
  }
  assert.equal(cleanText(erase, 100), '[4A[JAll good: port open');
  assert.equal(cleanText(rlo, 100), 'evilgpj.exe');
});

test('ordinary names are unchanged, whatever their script', () => {
  for (const name of ['TEAM-CYMRU - Team Cymru Inc., US', 'Telefónica de España', '中国电信', 'Ростелеком', 'שלום', 'مدينة', 'São Paulo', 'r1.lab.example']) {
    assert.equal(cleanText(name, 100), name);
  }
});

test('the cap counts characters (not UTF-16 units), and a cut is marked with … inside the cap', () => {
  assert.equal(cleanText('x'.repeat(10), 10), 'x'.repeat(10));
  assert.equal(cleanText('x'.repeat(11), 10), `${'x'.repeat(9)}…`);
  const emoji = '😀'.repeat(20);
  const cut = cleanText(emoji, 5);
  assert.equal([...cut].length, 5);
  assert.equal(cut, `${'😀'.repeat(4)}…`, 'no surrogate pair split in half');
  // Removed characters do not count: a name padded with controls is not cut short.
  assert.equal(cleanText(`${'\x1b'.repeat(500)}name`, 10), 'name');
  assert.equal([...cleanText('a'.repeat(10_000), TEXT_CAPS.hostName)].length, TEXT_CAPS.hostName);
});

test('nothing printable left is no text at all', () => {
  assert.equal(cleanTextOrNull('\x1b\x07\u202e  ', 10), null);
  assert.equal(cleanTextOrNull(' r1 ', 10), 'r1');
});

test('the shared character class is the one the renderers escape with', () => {
  assert.equal('a\x1bb\u200bc'.replace(UNSAFE_CHARACTERS, '?'), 'a?b?c');
});
