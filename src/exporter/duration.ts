// Durations as Prometheus writes them ("500ms", "10s", "1m30s", "1h"), so an operator writes the exporter's config
// as they write Prometheus's own.
const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };
/** Units largest first, each at most once, as Prometheus's model.ParseDuration accepts them. */
const SHAPE = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const ORDER = ['y', 'w', 'd', 'h', 'm', 's', 'ms'] as const;

/** Milliseconds, or null when `text` is not a Prometheus duration (an empty string, "0" alone and "1.5s" are not). */
export function parseDuration(text: string): number | null {
  if (text === '0') return 0;
  const match = SHAPE.exec(text);
  if (!match || text === '') return null;
  let ms = 0;
  ORDER.forEach((unit, i) => {
    if (match[i + 1] !== undefined) ms += Number(match[i + 1]) * UNITS[unit]!;
  });
  return Number.isSafeInteger(ms) ? ms : null;
}
