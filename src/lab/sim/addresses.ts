// The simulated Internet's address plan, inside the lab ranges only (198.18.0.0/15, 2001:db8::/32; see
// addressing.ts): the client is 198.18.0.1 / 2001:db8::1, routers count up from 198.18.1.0 (2001:db8:1::1), hosts
// from 198.18.128.0 (2001:db8:2::1) to the end of 198.19.255.255. The client's /24 holds nothing else, so the routes
// the TUN gets (the whole ranges) never shadow it. The chain preset uses the namespace chain's plan instead (same
// addresses as buildChain, so the two labs can be compared hop for hop).
import type { SimAddresses } from './model.js';

export const SIM_CLIENT: { 4: string; 6: string } = { 4: '198.18.0.1', 6: '2001:db8::1' };

const ROUTER_BASE = (198 << 24) | (18 << 16) | (1 << 8);
const HOST_BASE = (198 << 24) | (18 << 16) | (128 << 8);
/** 198.18.1.0 .. 198.18.127.255. */
export const MAX_ROUTERS = (127 << 8) | 0xff;
/** 198.18.128.0 .. 198.19.255.255. */
export const MAX_HOSTS = (128 << 8) + (1 << 16);

function ipv4(value: number): string {
  return [value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff].join('.');
}

/** n ≥ 1 as the last two groups of an IPv6 address (":1", ":1:0"), so every index has its own address. */
function ipv6Tail(n: number): string {
  const high = Math.floor(n / 0x10000);
  return high > 0 ? `${high.toString(16)}:${(n & 0xffff).toString(16)}` : n.toString(16);
}

/** Router `index` (0-based). */
export function routerAddresses(index: number, ipv6: boolean): SimAddresses {
  if (!(index >= 0 && index < MAX_ROUTERS)) throw new RangeError(`the simulated Internet has room for ${MAX_ROUTERS} routers, not ${index + 1}`);
  return { 4: ipv4((ROUTER_BASE + index) >>> 0), 6: ipv6 ? `2001:db8:1::${ipv6Tail(index + 1)}` : null };
}

/**
 * Host `index` (0-based) of the aggregated plan: IPv4 as hostAddresses (its base is aligned to any block), IPv6 in a
 * /48 of its own from 2001:db8:3::1:0, so that an aligned run of indices is an aligned IPv6 block too.
 */
export function alignedHostAddresses(index: number, ipv6: boolean): SimAddresses {
  const v4 = hostAddresses(index, false)[4];
  return { 4: v4, 6: ipv6 ? `2001:db8:3::${ipv6Tail(index + 0x1_0000)}` : null };
}

/** Host `index` (0-based). */
export function hostAddresses(index: number, ipv6: boolean): SimAddresses {
  if (!(index >= 0 && index < MAX_HOSTS)) throw new RangeError(`the simulated Internet has room for ${MAX_HOSTS} hosts, not ${index + 1}`);
  return { 4: ipv4((HOST_BASE + index) >>> 0), 6: ipv6 ? `2001:db8:2::${ipv6Tail(index + 1)}` : null };
}
