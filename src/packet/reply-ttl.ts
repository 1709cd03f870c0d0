// How far a packet travelled, from the IP TTL / hop limit it arrived with.

/**
 * How many hops away a reply's sender is: senders start from 64 (Linux, macOS), 128 (Windows) or 255 (many
 * routers), and every router on the way back takes one off. Assumes a symmetric path, so it is evidence, not proof.
 */
export function hopsAway(replyTtl: number): number {
  const initial = [64, 128, 255].find((start) => start >= replyTtl) ?? 255;
  return initial - replyTtl + 1;
}
