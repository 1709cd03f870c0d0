// A batch's files, opened once with the permissions of whoever ran portpath (see named-files.ts): the targets (a
// file descriptor, read as a stream so a huge list is never held whole; standard input for '-'), a second
// descriptor to count the targets for the progress line, and the --resume output read whole.
import { closeSync, openSync, readFileSync } from 'node:fs';
import { errnoOf, PortpathError } from '../transport/errors.js';
import type { BatchCli } from './args.js';

export interface BatchFiles {
  /** The targets: an open file descriptor, or null for standard input. */
  input: number | null;
  /** The targets' text, for counting them (null: standard input, which cannot be read twice). */
  countText: string | null;
  /** The --resume file's text. */
  resumeText: string | null;
}

function why(error: unknown): string {
  const code = errnoOf(error);
  return code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : code === 'EISDIR' ? 'it is a directory' : (error as Error).message;
}

export function openBatchFiles(batch: BatchCli): BatchFiles {
  let resumeText: string | null = null;
  if (batch.resume) {
    try {
      resumeText = readFileSync(batch.resume, 'utf8');
    } catch (error) {
      throw new PortpathError('ERR_USAGE', `Cannot read --resume ${batch.resume}: ${why(error)}.`);
    }
  }
  if (batch.input === '-') return { input: null, countText: null, resumeText };
  let fd: number | null = null;
  try {
    fd = openSync(batch.input, 'r');
    // Counting reads a second descriptor, so the stream's starts at the beginning.
    const countText = readFileSync(batch.input, 'utf8');
    return { input: fd, countText, resumeText };
  } catch (error) {
    if (fd !== null) closeSync(fd);
    throw new PortpathError('ERR_USAGE', `Cannot read ${batch.input}: ${why(error)}.`);
  }
}
