// What one direction of a lab wire does to each packet: drop it, or hold it for a delay made of a base, jitter and
// an occasional spike, and sometimes let its successor overtake it. Pure and seeded: the same parameters and the
// same random stream give the same fates in the same order, so a failing lab run replays.
import type { Random } from './seeded-random.js';

/**
 * How the jitter is spread over [0, jitterMs]: `uniform`, or `queue`, a truncated exponential like the wait in a
 * router's queue (most packets barely wait, a few wait nearly the whole jitter).
 */
export type JitterShape = 'uniform' | 'queue';

export interface Impairment {
  /** Every packet's base one-way delay, ms. */
  delayMs: number;
  /** Each packet gets a random extra in [0, jitterMs] on top of the base; independent per packet, so jitter reorders. */
  jitterMs: number;
  jitterShape: JitterShape;
  /** Fraction of packets dropped (0..1). */
  loss: number;
  /** Fraction of packets held back until the next packet has gone ahead of them (0..1). */
  reorder: number;
  /** Extra delay of a spiking packet, ms: a path whose RTT jumps between two levels. */
  spikeMs: number;
  /** Fraction of packets that get spikeMs (0..1). */
  spikeRate: number;
}

export const NO_IMPAIRMENT: Impairment = {
  delayMs: 0,
  jitterMs: 0,
  jitterShape: 'uniform',
  loss: 0,
  reorder: 0,
  spikeMs: 0,
  spikeRate: 0,
};

/** The `queue` shape's exponential rate over the unit interval: the mean extra is about 0.23 of the jitter. */
const QUEUE_TAIL_RATE = 4;

export function isImpaired(impairment: Impairment): boolean {
  const { delayMs, jitterMs, loss, reorder, spikeMs, spikeRate } = impairment;
  return delayMs > 0 || jitterMs > 0 || loss > 0 || reorder > 0 || (spikeMs > 0 && spikeRate > 0);
}

/** Throws a RangeError naming the first bad parameter (what = where it came from, for the message). */
export function checkImpairment(impairment: Impairment, what: string): void {
  const fractions = ['loss', 'reorder', 'spikeRate'] as const;
  const durations = ['delayMs', 'jitterMs', 'spikeMs'] as const;
  for (const key of fractions) {
    const value = impairment[key];
    if (!(value >= 0 && value <= 1)) throw new RangeError(`${what}: ${key} must be a fraction in 0..1, got ${value}`);
  }
  for (const key of durations) {
    const value = impairment[key];
    if (!(value >= 0 && Number.isFinite(value))) throw new RangeError(`${what}: ${key} must be ≥ 0 ms, got ${value}`);
  }
  if (impairment.jitterShape !== 'uniform' && impairment.jitterShape !== 'queue') {
    throw new RangeError(`${what}: jitterShape must be uniform or queue, got ${String(impairment.jitterShape)}`);
  }
}

export type PacketFate = { drop: true } | { drop: false; delayMs: number; reorder: boolean };

/**
 * One packet's fate. It always takes exactly four numbers from `random`, dropped or not and whatever the
 * parameters, so the loss pattern of a seed stays the same when only the jitter or the spikes change.
 */
export function packetFate(impairment: Impairment, random: Random): PacketFate {
  const lossDraw = random();
  const jitterDraw = random();
  const spikeDraw = random();
  const reorderDraw = random();
  if (lossDraw < impairment.loss) return { drop: true };
  const spike = spikeDraw < impairment.spikeRate ? impairment.spikeMs : 0;
  return {
    drop: false,
    delayMs: impairment.delayMs + jitterExtra(impairment, jitterDraw) + spike,
    reorder: reorderDraw < impairment.reorder,
  };
}

function jitterExtra({ jitterMs, jitterShape }: Impairment, draw: number): number {
  if (jitterShape === 'uniform') return draw * jitterMs;
  // Inverse CDF of an exponential truncated to [0, 1]: stays inside the jitter however unlucky the draw.
  const k = QUEUE_TAIL_RATE;
  return (jitterMs * -Math.log(1 - draw * (1 - Math.exp(-k)))) / k;
}

const SPEC_KEYS = Object.keys(NO_IMPAIRMENT) as (keyof Impairment)[];

/** The command-line form the wire process takes: `delayMs=5,loss=0.1,…`, only the parameters that differ from none. */
export function formatImpairment(impairment: Impairment): string {
  const parts = SPEC_KEYS.filter((key) => impairment[key] !== NO_IMPAIRMENT[key]).map((key) => `${key}=${impairment[key]}`);
  return parts.join(',') || 'none';
}

export function parseImpairment(spec: string): Impairment {
  const impairment: Impairment = { ...NO_IMPAIRMENT };
  if (spec === 'none') return impairment;
  for (const part of spec.split(',')) {
    const [key, value, extra] = part.split('=');
    if (value === undefined || extra !== undefined || !SPEC_KEYS.includes(key as keyof Impairment)) {
      throw new RangeError(`bad impairment "${part}" in "${spec}" (want key=value, keys ${SPEC_KEYS.join(', ')})`);
    }
    if (key === 'jitterShape') impairment.jitterShape = value as JitterShape;
    else impairment[key as Exclude<keyof Impairment, 'jitterShape'>] = value === '' ? NaN : Number(value);
  }
  checkImpairment(impairment, `impairment "${spec}"`);
  return impairment;
}
