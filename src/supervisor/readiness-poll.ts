import type { Clock } from './clock.js';

/** Pauses that start at `firstMs` and double up to `capMs`. */
export function* backoffIntervals(firstMs: number, capMs: number): Generator<number, never> {
  for (let ms = firstMs; ; ms = Math.min(ms * 2, capMs)) yield ms;
}

/** Resolves after `ms` on the clock, or at once when `signal` aborts. */
export function pause(ms: number, clock: Clock, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = clock.setTimeout(done, ms);
    function done() {
      clock.clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Runs `attempt` until it reports success or `signal` aborts, pausing between attempts for the
 * next of `intervals`. The first attempt runs at once. An attempt is expected to end promptly
 * once `signal` aborts (it gets the signal for that).
 */
export async function pollUntil(
  attempt: (signal: AbortSignal) => Promise<boolean>,
  intervals: Iterator<number>,
  clock: Clock,
  signal: AbortSignal,
): Promise<boolean> {
  while (!signal.aborted) {
    if (await attempt(signal)) return true;
    if (signal.aborted) break;
    await pause(intervals.next().value as number, clock, signal);
  }
  return false;
}
