// Naming of everything the lab creates. Namespaces carry the creating process's pid so a later run can tell
// leftovers of a dead process (safe to delete) from a lab that another live process is still using.

export const NAMESPACE_PREFIX = 'pplab-';

/** `pplab-<pid>-<lab>-<role>`, e.g. pplab-4242-1-r3. */
export function namespaceName(pid: number, lab: number, role: string): string {
  return `${NAMESPACE_PREFIX}${pid}-${lab}-${role}`;
}

/** The pid that created a lab namespace, or undefined for names that are not ours. */
export function namespaceOwner(name: string): number | undefined {
  const match = /^pplab-(\d+)-\d+-[a-z0-9]+$/.exec(name);
  return match ? Number(match[1]) : undefined;
}

/**
 * Interface for link k on its left (a) or right (b) side. Both ends of every link live only inside the lab's
 * namespaces (veths are created directly there, TUNs are opened inside the left namespace), so the names only
 * have to be unique within one namespace: the link number is enough, and it stays far below the 15-character
 * limit on interface names whatever the pid or lab number.
 */
export function interfaceName(link: number, side: 'left' | 'right'): string {
  return `pp${link}${side === 'left' ? 'a' : 'b'}`;
}

/** Role of node index i in a chain with `routers` routers: client = 0, r1..rN, server = N+1. */
export function roleOf(index: number, routers: number): string {
  if (index === 0) return 'client';
  if (index === routers + 1) return 'server';
  return `r${index}`;
}

/** Role of router `index` (0-based) on branch `branch` (0-based) of a diamond lab: b0r0, b0r1, b1r0, … */
export function branchRouterRole(branch: number, index: number): string {
  return `b${branch}r${index}`;
}

/**
 * Roles in a lab with two vantage points (vantage.ts): each vantage's client (clienta, clientb) and its first router
 * (ra, rb). Lower case, as namespaceOwner() reads them, so the stale-lab sweep finds them like any other.
 */
export function vantageRole(node: 'client' | 'router', vantage: 'A' | 'B'): string {
  return `${node === 'client' ? 'client' : 'r'}${vantage.toLowerCase()}`;
}

/** Role of core router `index` (0-based) of a lab with two vantage points: core1, core2, … */
export function coreRouterRole(index: number): string {
  return `core${index + 1}`;
}
