// Packets that never leave their link: IPv6 from a link-local source or to a link-scope multicast group (MLD
// reports, router solicitations). The kernel sends them on its own timers, a second or so after a link comes up, so
// if they drew from a wire's random stream, whether a trace started before or after them would shift every later
// decision and a seed would no longer replay. The wire carries them with the base delay and draws nothing for them.

export function isLinkScoped(packet: Uint8Array): boolean {
  if (packet.length < 40 || packet[0]! >> 4 !== 6) return false;
  const fromLinkLocal = packet[8] === 0xfe && (packet[9]! & 0xc0) === 0x80;
  // ffXs::/16 with scope s ≤ 2: interface-local or link-local multicast.
  const toLinkScope = packet[24] === 0xff && (packet[25]! & 0x0f) <= 2;
  return fromLinkLocal || toLinkScope;
}
