// How a path's end reads in every paths view (text, DOT, HTML): in words, and whether it is a working end (the
// destination answered, open or closed: the path carries the connection's packets) or a stop to show in red.
import type { PathEnd } from '../analyze/paths.js';

export function pathEndText(end: PathEnd): string {
  if (end.kind === 'destination') return `${end.state} at hop ${end.ttl}`;
  if (end.kind === 'rejected') return `rejected at hop ${end.ttl} (${end.reply})`;
  if (end.kind === 'forged') return `${end.reply} forged at hop ${end.hop}`;
  return end.after ? `dropped after hop ${end.after.ttl}` : 'no answer';
}

/** The destination answered the port itself: open, closed, or (ICMP echo) reachable. */
export function pathEndWorks(end: PathEnd): boolean {
  return end.kind === 'destination' && (end.state === 'open' || end.state === 'closed' || end.state === 'reachable');
}
