// A small seeded PRNG (mulberry32): lossy delay links and the fuzz tests look random but repeat exactly, run after run.

export type Random = () => number;

export function mulberry32(seed: number): Random {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** murmur3's 32-bit finaliser: every input bit flips about half the output bits. */
export function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) >>> 0;
}

/**
 * The seed of an independent stream `stream` under `seed` (one per wire direction, say). Hashed, not added:
 * mulberry32 adds a constant to its state at each step, so two seeds that differ by a multiple of it give one
 * sequence, shifted; hashing keeps the streams of related seeds apart. Any safe integer works (high bits count).
 */
export function deriveSeed(seed: number, stream: number): number {
  const high = Math.floor(seed / 4294967296);
  return mix32(mix32(seed >>> 0) ^ mix32(high + 0x9e3779b9) ^ Math.imul(stream + 1, 0x9e3779b1));
}

/** An integer in [0, n). */
export function int(random: Random, n: number): number {
  return Math.floor(random() * n);
}

export function randomBytes(random: Random, length: number): Buffer {
  const out = Buffer.alloc(length);
  for (let i = 0; i < length; i++) out[i] = int(random, 256);
  return out;
}
