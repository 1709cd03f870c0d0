// The renderers' last line for text that did not pass through cleanText where it entered (a host name or a
// command line the user typed, sentences built around them): the same unsafe characters as packet/untrusted-text,
// shown escaped rather than removed, since the user may want to see what they typed. Outside text (reverse-DNS
// names, AS names, database strings) was already cleaned where it entered.
import { UNSAFE_CHARACTERS } from '../packet/untrusted-text.js';

export function safeText(text: string): string {
  return text.replace(UNSAFE_CHARACTERS, (c) => {
    const code = c.codePointAt(0)!;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}
