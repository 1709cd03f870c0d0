// Bounds-tolerant big-endian readers over Uint8Array. Decoders check lengths before reading; these return 0 for
// bytes past the end instead of undefined, so a missed check yields a wrong number, never a thrown TypeError or NaN.

export function u8(b: Uint8Array, offset: number): number {
  return b[offset] ?? 0;
}

export function u16(b: Uint8Array, offset: number): number {
  return ((b[offset] ?? 0) << 8) | (b[offset + 1] ?? 0);
}

export function u32(b: Uint8Array, offset: number): number {
  return (((b[offset] ?? 0) << 24) | ((b[offset + 1] ?? 0) << 16) | ((b[offset + 2] ?? 0) << 8) | (b[offset + 3] ?? 0)) >>> 0;
}

/** Lower-case hex of the first `max` bytes, with "..." when there are more (for log lines). */
export function hexPrefix(b: Uint8Array, max = 32): string {
  const shown = Buffer.from(b.buffer, b.byteOffset, Math.min(b.length, max)).toString('hex');
  return b.length > max ? `${shown}...` : shown;
}
