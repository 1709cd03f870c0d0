// Time for the engine comes from here, never from Date.now(), so the same state machine runs on a fake clock in tests.

export interface Clock {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /** Calls fn after ms; returns a function that cancels it. */
  setTimer(ms: number, fn: () => void): () => void;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer(ms, fn) {
    const handle = setTimeout(fn, Math.max(0, ms));
    return () => clearTimeout(handle);
  },
};
