// The result of every decoder. Decoders never throw on bad bytes (they run on whatever the network sends us); they
// say what was wrong instead, so a caller can count and log the packet and carry on.

export type Decoded<T> = { ok: true; value: T } | DecodeFailure;

export interface DecodeFailure {
  ok: false;
  /** What made the bytes undecodable, for logs ("IPv4 header needs 20 bytes, have 12"). */
  error: string;
}

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

export function fail(error: string): DecodeFailure {
  return { ok: false, error };
}
