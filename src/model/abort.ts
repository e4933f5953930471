// Waiting on an AbortSignal. An 'abort' listener added to a signal that has already aborted never
// runs, so every wait here first looks at the signal: a stop that lands while its target is busy
// elsewhere (a query, a cycle) must still end the next wait at once, not a whole period later.

/**
 * Runs `fn` when `signal` aborts — at once when it already has. Returns what stops listening
 * (a no-op after `fn` ran).
 */
export function onAbort(signal: AbortSignal, fn: () => void): () => void {
  if (signal.aborted) {
    fn();
    return () => undefined;
  }
  signal.addEventListener('abort', fn, { once: true });
  return () => signal.removeEventListener('abort', fn);
}

/** Resolves true after `ms`, or false as soon as `signal` aborts (at once when it has). Never rejects. */
export function sleep(ms: number, signal: AbortSignal): Promise<boolean> {
  // Written out rather than node:timers/promises: the console's browser code waits with it too.
  if (signal.aborted) return Promise.resolve(false);
  return new Promise((resolve) => {
    const done = (elapsed: boolean): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', aborted);
      resolve(elapsed);
    };
    const aborted = (): void => done(false);
    const timer = setTimeout(() => done(true), ms);
    signal.addEventListener('abort', aborted, { once: true });
  });
}
