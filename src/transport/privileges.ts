// Least privilege: a root-started (sudo) or capability-holding portpath opens every raw socket it may need first,
// then gives the privileges up — to the invoking user (SUDO_UID/SUDO_GID) or nobody, or by clearing its file
// capabilities — before it resolves names, reads anything or prints. The sockets stay open and usable.
import { readFileSync } from 'node:fs';
import type { Family } from '../probe/method.js';
import { describeSocketError, PortpathError } from './errors.js';
import { loadNative } from './native.js';
import type { NativeBinding } from './native.js';
import { openRawSocket, rawSocketsFor } from './raw-socket.js';

const NOBODY = 65534;

/** Raw sockets opened while privileged, handed out to transports later. */
export class RawSocketPool {
  private readonly free = new Map<string, number[]>();

  private constructor(private readonly native: NativeBinding) {}

  /**
   * Opens one raw socket per (family, protocol) needed, bound to the device when asked. Returns null when raw
   * sockets are not permitted (EPERM/EACCES), so the caller can go unprivileged.
   */
  static tryOpen(needs: { family: Family; protocol: number }[], device?: string): RawSocketPool | null {
    const native = loadNative();
    const pool = new RawSocketPool(native);
    try {
      for (const { family, protocol } of needs) pool.put(family, protocol, openRawSocket(native, family, protocol, device));
      return pool;
    } catch (error) {
      pool.closeAll();
      const code = (error as { code?: string }).code;
      if (code === 'EPERM' || code === 'EACCES') return null;
      throw describeSocketError(error, device ? { interface: device } : {});
    }
  }

  private put(family: Family, protocol: number, fd: number): void {
    const key = `${family}/${protocol}`;
    this.free.set(key, [...(this.free.get(key) ?? []), fd]);
  }

  /** A pre-opened socket for (family, protocol), or undefined when none is left. */
  take(family: Family, protocol: number): number | undefined {
    return this.free.get(`${family}/${protocol}`)?.shift();
  }

  /** Set by forManyRuns(): each run leaves the leftovers for the next; only closeAll(true) closes them. */
  private many = false;

  /**
   * A pool for many runs one after another (a batch): a run takes what it needs and leaves the rest for the runs
   * of other families or protocols, instead of closing it.
   */
  forManyRuns(): this {
    this.many = true;
    return this;
  }

  /** Closes what no transport took (raw sockets left open would queue copies of every packet). */
  closeAll(evenForManyRuns = false): void {
    if (this.many && !evenForManyRuns) return;
    for (const fds of this.free.values()) for (const fd of fds.splice(0)) this.native.close(fd);
  }
}

/** The raw sockets a set of traces needs (each once: traces of a process share them; see rawSocketsFor). */
export function rawSocketNeeds(families: Family[], protocols: ('tcp' | 'udp' | 'icmp')[]): { family: Family; protocol: number }[] {
  const number = { tcp: 6, udp: 17, icmp: 0 } as const;
  const needs = new Map<string, { family: Family; protocol: number }>();
  for (const family of families) {
    for (const protocol of protocols) {
      const ipProtocol = protocol === 'icmp' ? (family === 4 ? 1 : 58) : number[protocol];
      for (const socket of rawSocketsFor(family, ipProtocol)) needs.set(`${family}/${socket}`, { family, protocol: socket });
    }
  }
  return [...needs.values()];
}

/** Whether this process holds privileges to drop: root (real or effective) or a permitted capability. */
export function holdsPrivileges(): boolean {
  return process.getuid?.() === 0 || process.geteuid?.() === 0 || hasCapabilities();
}

/**
 * Whether root itself ran portpath (a root shell or container: real user root, no SUDO_UID naming someone else), so
 * files it names are opened as root, before the drop to nobody (see dropPrivileges for who the process becomes).
 */
export function rootIsTheInvoker(env: NodeJS.ProcessEnv = process.env): boolean {
  return process.getuid?.() === 0 && positive(env.SUDO_UID) === undefined;
}

export interface DroppedTo {
  uid: number;
  gid: number;
}

/**
 * Gives up root (to SUDO_UID/SUDO_GID, else nobody) or, for a non-root process, its capabilities. Returns who the
 * process is afterwards, or null when there was nothing to drop.
 */
export function dropPrivileges(env: NodeJS.ProcessEnv = process.env): DroppedTo | null {
  const realRoot = process.getuid?.() === 0;
  const effectiveRoot = process.geteuid?.() === 0;
  if (realRoot || effectiveRoot) {
    // sudo: the invoking user (SUDO_UID/SUDO_GID, trusted only when the real user is root), else nobody. A
    // setuid-root copy (effective root, real user not): back to that real user.
    const uid = realRoot ? (positive(env.SUDO_UID) ?? NOBODY) : process.getuid!();
    const gid = realRoot ? (positive(env.SUDO_GID) ?? NOBODY) : process.getgid!();
    process.setgroups?.([]);
    process.setgid?.(gid);
    process.setuid?.(uid);
    // setuid() clears the capabilities too, unless the no_setuid_fixup securebit says keep them: clear them anyway.
    lockDown({ uid, gid });
    return { uid, gid };
  }
  if (hasCapabilities()) {
    lockDown(null);
    return { uid: process.getuid?.() ?? -1, gid: process.getgid?.() ?? -1 };
  }
  return null;
}

/** No capability left, no exec that could gain one, and the kernel's account checked (see verifyDropped). */
function lockDown(to: DroppedTo | null): void {
  const native = loadNative();
  native.clearCapabilities();
  native.setNoNewPrivs();
  verifyDropped(to);
}

/**
 * The drop, checked from the kernel's own account (/proc/self/status) rather than trusted: every user and group id
 * (real, effective, saved, filesystem) is the one asked for (none is 0, so setuid(0) cannot succeed), no
 * supplementary groups, no capability left permitted, effective or ambient, and NoNewPrivs set. Going on with root
 * half-kept would be worse than stopping, so a failed check throws (an unreadable /proc counts as failed).
 */
function verifyDropped(to: DroppedTo | null): void {
  let status = '';
  try {
    status = readFileSync('/proc/self/status', 'utf8');
  } catch {
    // unreadable: droppedProblems fails closed on an empty text
  }
  // No uid of 0 left and no capability means setuid(0) must fail (the kernel allows it only with CAP_SETUID or a
  // real, effective or saved uid of 0); trying it is no extra proof, and Node aborts on it in some states.
  const problems = droppedProblems(status, to);
  if (problems.length > 0) {
    throw new PortpathError('ERR_PRIVILEGE_DROP', `Could not give up root's privileges (${problems.join('; ')}): stopping rather than tracing with them.`);
  }
}

/** What in a /proc/<pid>/status text says privileges are still held (empty: none). */
export function droppedProblems(status: string, to: DroppedTo | null): string[] {
  const problems: string[] = [];
  const ids = (field: string) => /^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\d+)/.exec(new RegExp(`^${field}:(.*)$`, 'm').exec(status)?.[1] ?? '')?.slice(1).map(Number);
  const caps = (field: string) => BigInt(`0x${new RegExp(`^${field}:\\s*([0-9a-f]+)$`, 'm').exec(status)?.[1] ?? 'ffffffff'}`);
  const uids = ids('Uid');
  if (!to && (!uids || uids.includes(0))) problems.push(`user ids ${uids?.join('/') ?? '?'}: one is still root`);
  if (to) {
    const gids = ids('Gid');
    if (!uids || uids.some((id) => id !== to.uid)) problems.push(`user ids ${uids?.join('/') ?? '?'}, wanted ${to.uid}`);
    if (!gids || gids.some((id) => id !== to.gid)) problems.push(`group ids ${gids?.join('/') ?? '?'}, wanted ${to.gid}`);
    const groups = /^Groups:(.*)$/m.exec(status)?.[1]?.trim();
    if (groups) problems.push(`supplementary groups ${groups}`);
  }
  for (const field of ['CapPrm', 'CapEff', 'CapAmb']) if (caps(field) !== 0n) problems.push(`${field} ${caps(field).toString(16)}`);
  if (/^NoNewPrivs:\s*(\d+)$/m.exec(status)?.[1] !== '1') problems.push('NoNewPrivs not set');
  return problems;
}

function positive(text: string | undefined): number | undefined {
  const n = Number(text);
  return text && Number.isInteger(n) && n > 0 ? n : undefined;
}

/** Whether the process holds any permitted capability (a setcap'ed binary), from /proc/self/status. */
function hasCapabilities(): boolean {
  try {
    const status = readFileSync('/proc/self/status', 'utf8');
    const match = /^CapPrm:\s*([0-9a-f]+)$/m.exec(status);
    return match !== null && BigInt(`0x${match[1]}`) !== 0n;
  } catch {
    return false;
  }
}
