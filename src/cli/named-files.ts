// The files named on the command line (--asn-db, --geoip, --report-file, a batch's targets and --resume), opened
// with the permissions of whoever
// ran portpath: from a root shell as root (before the privilege drop, which goes to nobody there), under sudo or
// from a setuid copy as the invoking user (after it). Opened as root on a sudo user's behalf, a database path would
// tell them whether a file only root can read exists, and a report path would let them write where they may not.
import type { OwnerLookups } from '../trace/owners.js';
import type { CliOptions } from './args.js';
import { openOwners } from './owners.js';
import { closeReportFile, openReportFile } from './report-file.js';
import type { ReportFile } from './report-file.js';
import { openBatchFiles } from './batch-files.js';
import type { BatchFiles } from './batch-files.js';

export interface NamedFiles {
  owners: OwnerLookups | null;
  report: ReportFile | null;
  batch: BatchFiles | null;
}

/** The databases first: one that cannot be used stops the run before a report file is made for it. */
export function openNamedFiles(cli: CliOptions): NamedFiles {
  const owners = openOwners(cli);
  const batch = cli.batch ? openBatchFiles(cli.batch) : null;
  return { owners, report: openReportFile(cli), batch };
}

export function closeNamedFiles(files: NamedFiles | null): void {
  closeReportFile(files?.report ?? null);
}
