// A run's events as an async iterator (`for await`): events queue until the consumer asks; the run's failure is
// thrown from the loop; leaving the loop early stops the run. Shared by traceEvents and watchEvents.

/**
 * `start(push, signal)` begins the run, pushing events, and settles when it ends; `signal` aborts when the consumer
 * leaves the loop early.
 */
export function eventStream<T>(start: (push: (event: T) => void, signal: AbortSignal) => Promise<unknown>): AsyncIterableIterator<T> {
  const stop = new AbortController();
  const queue: T[] = [];
  let wake: (() => void) | null = null;
  let finished = false;
  let failure: { error: unknown } | null = null;
  const run = start((event) => {
    queue.push(event);
    wake?.();
  }, stop.signal);
  run.then(
    () => {
      finished = true;
      wake?.();
    },
    (error: unknown) => {
      failure = { error };
      finished = true;
      wake?.();
    },
  );
  return {
    async next(): Promise<IteratorResult<T>> {
      for (;;) {
        const event = queue.shift();
        if (event !== undefined) return { value: event, done: false };
        if (finished) {
          const failed = failure as { error: unknown } | null;
          failure = null;
          if (failed) throw failed.error;
          return { value: undefined, done: true };
        }
        await new Promise<void>((resolve) => (wake = resolve));
        wake = null;
      }
    },
    async return(): Promise<IteratorResult<T>> {
      stop.abort();
      await run.catch(() => undefined);
      queue.length = 0;
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return this;
    },
  };
}
