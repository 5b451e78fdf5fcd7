/**
 * When to restart a service that ended: exponential backoff from `initialMs`, doubling to
 * `maxMs`; a service that stayed up for `resetAfterMs` starts again from the bottom. Pure, with
 * the clock passed in, so it is tested in virtual time.
 */
export interface BackoffOptions {
  initialMs: number;
  maxMs: number;
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { initialMs: 250, maxMs: 10_000, resetAfterMs: 10_000 };

export class RestartBackoff {
  readonly #options: BackoffOptions;
  /** Restarts in a row without a long enough run in between. */
  #streak = 0;

  constructor(options: BackoffOptions = DEFAULT_BACKOFF) {
    this.#options = options;
  }

  get streak(): number {
    return this.#streak;
  }

  /** The delay before the next restart of a run that started at `startedAt` and ended at `endedAt`. */
  next(startedAt: number, endedAt: number): number {
    if (endedAt - startedAt >= this.#options.resetAfterMs) this.#streak = 0;
    const delay = Math.min(this.#options.initialMs * 2 ** this.#streak, this.#options.maxMs);
    this.#streak += 1;
    return delay;
  }

  reset(): void {
    this.#streak = 0;
  }
}
