// Text that came from outside (reverse-DNS names, later AS names and database strings) is printed with control
// characters escaped: a PTR record is whatever its owner typed, and a terminal acts on ESC sequences, C1 controls
// and bidirectional overrides. Whatever the resolver library lets through, none of it reaches the terminal raw.

/** C0 and C1 controls, DEL, and the Unicode bidi embedding/override/isolate marks. */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/gu;

export function safeText(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.codePointAt(0)!;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`;
  });
}
