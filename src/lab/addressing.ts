// The lab's address plan. Link k (1-based) joins node k-1 (left) and node k (right) and gets its own /24 and
// /64, so every address says which link it is on: 198.18.k.1 / 2001:db8:k::1 on the left, .2 / ::2 on the
// right. Everything stays inside the benchmarking range 198.18.0.0/15 (RFC 2544) and the documentation range
// 2001:db8::/32 (RFC 3849), which no real network routes.

export type Family = 4 | 6;
export type Side = 'left' | 'right';

/** One /24 per link in 198.18.0.0/24..198.18.255.0/24 leaves room for links 1..255. */
export const MAX_LINKS = 255;

export const LAB_SUPERNET: Record<Family, string> = { 4: '198.18.0.0/15', 6: '2001:db8::/32' };

function checkLink(link: number): void {
  if (!Number.isInteger(link) || link < 1 || link > MAX_LINKS) {
    throw new RangeError(`lab link number must be an integer in 1..${MAX_LINKS}, got ${link}`);
  }
}

/** The link's prefix (network address/length). The IPv6 group is the link number in decimal digits, read as hex. */
export function linkPrefix(link: number, family: Family): string {
  checkLink(link);
  return family === 4 ? `198.18.${link}.0/24` : `2001:db8:${link}::/64`;
}

export function linkAddress(link: number, side: Side, family: Family): string {
  checkLink(link);
  const host = side === 'left' ? 1 : 2;
  return family === 4 ? `198.18.${link}.${host}` : `2001:db8:${link}::${host}`;
}

/** Address with prefix length, as `ip addr add` wants it. */
export function linkInterfaceAddress(link: number, side: Side, family: Family): string {
  return `${linkAddress(link, side, family)}/${family === 4 ? 24 : 64}`;
}

/**
 * Link 0 is never a path link (those are 1..MAX_LINKS), so 198.18.0.0/24 is free: a lab with two vantage points
 * (vantage.ts) joins its two clients there by a management link with a /30 of it, IPv4 only. No route covers it but
 * the /30 itself, which is more specific than the supernet routes, so only traffic between the two clients uses it.
 */
export const MANAGEMENT_LINK = 0;

/** The management link's address on its left (.1) or right (.2) end, without the /30. */
export function managementAddress(side: Side): string {
  return `198.18.0.${side === 'left' ? 1 : 2}`;
}
