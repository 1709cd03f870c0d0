// Text that comes from outside — reverse-DNS names, Team Cymru's TXT answers, .mmdb database fields, the interface
// names routers put in their ICMP errors — is whatever someone else typed. It is made safe once, where it enters,
// so no renderer (terminal, JSON, CSV, Markdown, HTML) can forget to: characters that steer a terminal or reorder
// the text around them are removed, and its length is capped. Each format still escapes its own syntax on top.

/**
 * What is removed: C0 controls (ESC starts the terminal's sequences: OSC 52 writes the clipboard, CSI moves the
 * cursor and erases lines), DEL and the C1 controls U+0080–U+009F (U+009B is a one-character CSI on some
 * terminals); bidi embeddings, overrides, isolates and marks (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F,
 * U+061C), which reorder a line so it reads other than it is; zero-width marks (U+200B–U+200D, U+2060, U+FEFF),
 * which hide characters inside a name; and the Unicode line and paragraph separators U+2028, U+2029.
 */
// eslint-disable-next-line no-control-regex -- matching control characters is the point
export const UNSAFE_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060\u2066-\u2069\ufeff]/gu;

/** Controls that only separate words: they become a space, so "a\tb" does not read as "ab". */
const SPACING_CONTROLS = /[\t\n\v\f\r\u2028\u2029]+/gu;

/**
 * How long outside text may be, in characters (code points). A cap keeps a hostile answer from filling a terminal
 * line or a report cell and bounds what the caches hold; each sits well above what real data needs.
 */
export const TEXT_CAPS = {
  /** A DNS name's text is at most 253 characters (255 octets on the wire, RFC 1035 §2.3.4). */
  hostName: 253,
  /** Registries' AS names run to about 100 characters ("TEAM-CYMRU - Team Cymru Inc., US" is 32). */
  asName: 128,
  /** The longest place names in use are about 85 characters. */
  city: 100,
  /** Team Cymru's registries are short words: arin, ripencc, apnic, lacnic, afrinic. */
  registry: 16,
  /** RFC 5837 §4.5: an interface name is at most 63 octets. */
  interfaceName: 63,
  /** How much of an unreadable answer a note quotes: enough to recognise it, not enough to carry a payload. */
  quote: 60,
} as const;

/**
 * `text` without unsafe characters (spacing controls become one space), trimmed, and at most `max` characters
 * (a cut one ends in '…', counted in `max`). Letters of every script pass unchanged ("Telefónica", "中国电信").
 */
export function cleanText(text: string, max: number): string {
  const clean = text.replace(SPACING_CONTROLS, ' ').replace(UNSAFE_CHARACTERS, '').trim();
  const characters = [...clean];
  return characters.length <= max ? clean : `${characters.slice(0, Math.max(0, max - 1)).join('').trimEnd()}…`;
}

/** cleanText, or null when nothing printable is left (a name of only control characters is no name). */
export function cleanTextOrNull(text: string, max: number): string | null {
  const clean = cleanText(text, max);
  return clean === '' ? null : clean;
}
