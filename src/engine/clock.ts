// Time for the engine comes from here, never from Date.now(), so the same state machine runs on a fake clock in tests.

export interface Clock {
  /** Milliseconds on a monotonic clock. */
  now(): number;
  /** Calls fn after ms; returns a function that cancels it. */
  setTimer(ms: number, fn: () => void): () => void;
}

/**
 * Node's clock. A timer's callback runs only after the I/O already waiting has been read: Node runs due timers
 * before it polls sockets, so when the process was busy (many traces at once, a slow machine) a wait could run out
 * while its answer sat unread in a socket buffer, and the probe would be called lost. setImmediate runs after the
 * poll phase of the same loop turn.
 */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimer(ms, fn) {
    let immediate: NodeJS.Immediate | null = null;
    const handle = setTimeout(() => (immediate = setImmediate(fn)), Math.max(0, ms));
    return () => {
      clearTimeout(handle);
      if (immediate) clearImmediate(immediate);
    };
  },
};
