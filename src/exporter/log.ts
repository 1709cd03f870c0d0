// The exporter's log: one logfmt line per event on stderr (ts=… level=… msg=… key=value), as Prometheus's own
// exporters write it, so the same log pipelines read it. Values a stranger can choose (query text) are quoted and
// stripped of control characters: they cannot forge a line.
export type Level = 'debug' | 'info' | 'warn' | 'error';
const RANK: Record<Level, number> = { debug: 0, info: 1, warn: 2, error: 3 };

function quote(value: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what must go
  const clean = value.replace(/[\x00-\x1f\x7f]/g, ' ');
  return /^[A-Za-z0-9_.:/@+\-[\]]+$/.test(clean) ? clean : `"${clean.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}

export class Logger {
  constructor(
    private readonly level: Level = 'info',
    private readonly write: (line: string) => void = (line) => process.stderr.write(line),
  ) {}

  log(level: Level, msg: string, fields: Record<string, string | number | boolean | null | undefined> = {}): void {
    if (RANK[level] < RANK[this.level]) return;
    const parts = [`ts=${new Date().toISOString()}`, `level=${level}`, `msg=${quote(msg)}`];
    for (const [key, value] of Object.entries(fields)) if (value !== undefined && value !== null) parts.push(`${key}=${quote(String(value))}`);
    this.write(`${parts.join(' ')}\n`);
  }

  debug(msg: string, fields?: Record<string, string | number | boolean | null | undefined>): void {
    this.log('debug', msg, fields);
  }

  info(msg: string, fields?: Record<string, string | number | boolean | null | undefined>): void {
    this.log('info', msg, fields);
  }

  warn(msg: string, fields?: Record<string, string | number | boolean | null | undefined>): void {
    this.log('warn', msg, fields);
  }

  error(msg: string, fields?: Record<string, string | number | boolean | null | undefined>): void {
    this.log('error', msg, fields);
  }
}
