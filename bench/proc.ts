// What /proc says about a process the benchmark watches: its CPU time and resident memory, its open file
// descriptors (and how many are sockets), and its RLIMIT_NOFILE.
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Clock ticks per second of utime and stime (CLK_TCK; 100 on every Linux the lab runs on). */
export const TICKS_PER_SECOND = 100;

export interface Sample {
  atMs: number;
  cpuTicks: number;
  rssKib: number;
}

/** CPU time and RSS now; null once the process is gone. */
export function sample(pid: number): Sample | null {
  try {
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th after it.
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const rss = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return { atMs: performance.now(), cpuTicks: Number(fields[11]) + Number(fields[12]), rssKib: Number(rss?.[1] ?? 0) };
  } catch {
    return null;
  }
}

/** Share of one core, in percent, the process used between two samples. */
export function cpuPercent(from: Sample | undefined, to: Sample | undefined): number {
  if (!from || !to || to.atMs <= from.atMs) return NaN;
  return ((to.cpuTicks - from.cpuTicks) / TICKS_PER_SECOND / ((to.atMs - from.atMs) / 1000)) * 100;
}

export interface OpenFiles {
  total: number;
  sockets: number;
}

/** The process's open descriptors (`ls /proc/PID/fd | wc -l`) and how many of them are sockets. */
export function openFiles(pid: number): OpenFiles | null {
  try {
    const names = readdirSync(`/proc/${pid}/fd`);
    let sockets = 0;
    for (const name of names) {
      try {
        if (readlinkSync(`/proc/${pid}/fd/${name}`).startsWith('socket:')) sockets++;
      } catch {
        // closed between the listing and the look
      }
    }
    return { total: names.length, sockets };
  } catch {
    return null;
  }
}

/** "soft:hard" of the process's RLIMIT_NOFILE ("Max open files" in /proc/PID/limits). */
export function nofileLimit(pid: number): string {
  try {
    const line = /^Max open files\s+(\S+)\s+(\S+)/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'));
    return line ? `${line[1]}:${line[2]}` : '?';
  } catch {
    return '?';
  }
}
