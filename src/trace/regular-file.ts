// Files named on the command line (databases to read, a report to write) are opened here, because such a path may
// be hostile: a FIFO whose open or read never ends, a device (/dev/zero never ends), a directory, or, where a
// report will be written, a symbolic link planted to send it elsewhere. O_NONBLOCK keeps the open of a FIFO from
// waiting for its other end, O_NOCTTY keeps a terminal from becoming ours, and fstat of what was opened (not a
// stat of the path, which could change in between) lets only a regular file through.
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import type { Stats } from 'node:fs';
import { errnoOf } from '../transport/errors.js';

/** Why a named file cannot be used, as the end of a sentence: "... : it is a FIFO, not a regular file". */
export class FileRefused extends Error {
  constructor(
    reason: string,
    /** The errno of a failed open, if that was the problem. */
    readonly code?: string,
  ) {
    super(reason);
  }
}

export interface OpenedFile {
  fd: number;
  stat: Stats;
}

/** Opens `path` with `flags` (O_RDONLY, O_WRONLY|O_CREAT, ...); throws FileRefused unless it is a regular file. */
export function openRegularFile(path: string, flags: number, mode = 0o666): OpenedFile {
  let fd: number;
  try {
    fd = openSync(path, flags | constants.O_NONBLOCK | constants.O_NOCTTY, mode);
  } catch (error) {
    throw new FileRefused(openProblem(error, flags), errnoOf(error));
  }
  const stat = fstatSync(fd);
  if (!stat.isFile()) {
    closeSync(fd);
    throw new FileRefused(`it is ${kindOf(stat)}, not a regular file`);
  }
  return { fd, stat };
}

/** A whole regular file, refused when it is larger than `maxBytes` (before anything is read). */
export function readRegularFile(path: string, maxBytes: number): Buffer {
  const { fd, stat } = openRegularFile(path, constants.O_RDONLY);
  try {
    if (stat.size > maxBytes) throw new FileRefused(`it is ${mebibytes(stat.size)}, more than the ${mebibytes(maxBytes)} portpath reads`);
    const bytes = Buffer.allocUnsafe(stat.size);
    let filled = 0;
    // A file that shrinks meanwhile ends early; one that grows is read only as far as it was.
    for (let n = -1; filled < bytes.length && n !== 0; filled += n) n = readSync(fd, bytes, filled, bytes.length - filled, null);
    return bytes.subarray(0, filled);
  } finally {
    closeSync(fd);
  }
}

function openProblem(error: unknown, flags: number): string {
  switch (errnoOf(error)) {
    case 'ENOENT':
      return flags & constants.O_CREAT ? 'no such directory' : 'no such file';
    case 'ELOOP':
      return flags & constants.O_NOFOLLOW ? 'it is a symbolic link, and portpath does not write through one' : 'too many symbolic links';
    case 'ENXIO':
      return 'it is a FIFO or socket, not a regular file';
    case 'EISDIR':
      return 'it is a directory, not a regular file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    default:
      return (error as Error).message;
  }
}

function kindOf(stat: Stats): string {
  if (stat.isDirectory()) return 'a directory';
  if (stat.isFIFO()) return 'a FIFO';
  if (stat.isCharacterDevice() || stat.isBlockDevice()) return 'a device';
  if (stat.isSocket()) return 'a socket';
  return 'a special file';
}

function mebibytes(bytes: number): string {
  return `${Math.round(bytes / 2 ** 20)} MiB`;
}
