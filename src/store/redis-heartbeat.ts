import { backgroundTimeout, systemClock, type Clock } from '../supervisor/clock.js';
import type { Lease } from './lease.js';

export type BeatResult = 'present' | 'restored' | 'conflict';

export interface HeartbeatOptions {
  clock?: Clock;
  /** Between two beats when all is well (TTL / 3: 5 s of 15 s). */
  intervalMs: number;
  /** First retry after a failed beat; doubles up to `intervalMs`. */
  retryMs?: number;
  /** Refreshes (or puts back) one lease. */
  beat: (lease: Lease) => Promise<BeatResult>;
  /** Told of each outcome: a result, or the error of a failed beat. */
  onBeat?: (lease: Lease, outcome: BeatResult | Error) => void;
}

/**
 * Keeps the leases this process owns alive in Redis: every `intervalMs` each one's heartbeat
 * key is set again with its TTL, and a lease found missing (Redis restarted empty) is written
 * back. While Redis cannot be reached, beats are retried with a backoff (0.5 s, 1 s, 2 s… up to
 * the interval), so a lease is back within about a second of Redis. Its timer never keeps the
 * process alive, and nothing waits on it.
 */
export class LeaseHeartbeat {
  readonly #options: HeartbeatOptions;
  readonly #clock: Clock;
  readonly #leases = new Map<string, Lease>();
  #timer: unknown = null;
  #failures = 0;
  #beating = false;

  constructor(options: HeartbeatOptions) {
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
  }

  get size(): number {
    return this.#leases.size;
  }

  has(id: string): boolean {
    return this.#leases.has(id);
  }

  /** Starts beating for `lease` (the same object: later changes to it are what gets restored). */
  add(lease: Lease): void {
    this.#leases.set(lease.id, lease);
    if (this.#timer === null && !this.#beating) this.#schedule(this.#options.intervalMs);
  }

  remove(id: string): void {
    this.#leases.delete(id);
    if (this.#leases.size === 0) this.stop();
  }

  /** Beats at once (the connection is back): a lease missing after a restart is written again now. */
  nudge(): void {
    if (this.#leases.size > 0 && !this.#beating) this.#schedule(0);
  }

  stop(): void {
    if (this.#timer !== null) this.#clock.clearTimeout(this.#timer);
    this.#timer = null;
  }

  #schedule(ms: number): void {
    this.stop();
    this.#timer = backgroundTimeout(this.#clock, () => {
      this.#timer = null;
      void this.#tick();
    }, ms);
  }

  async #tick(): Promise<void> {
    this.#beating = true;
    let failed = false;
    for (const lease of [...this.#leases.values()]) {
      let outcome: BeatResult | Error;
      try {
        outcome = await this.#options.beat(lease);
      } catch (error) {
        outcome = error instanceof Error ? error : new Error(String(error));
        failed = true;
      }
      if (this.#leases.has(lease.id)) this.#options.onBeat?.(lease, outcome);
    }
    this.#beating = false;
    if (this.#leases.size === 0) return;
    this.#failures = failed ? this.#failures + 1 : 0;
    const retry = this.#options.retryMs ?? 500;
    this.#schedule(failed ? Math.min(retry * 2 ** (this.#failures - 1), this.#options.intervalMs) : this.#options.intervalMs);
  }
}
