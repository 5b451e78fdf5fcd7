import type { Clock } from '../../src/supervisor/clock.js';

/** A clock whose time only moves when the test says so. */
export class VirtualClock implements Clock {
  time = 0;
  timers: { at: number; fn: () => void; id: number }[] = [];
  #next = 0;

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = ++this.#next;
    this.timers.push({ at: this.time + ms, fn, id });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.timers = this.timers.filter((timer) => timer.id !== handle);
  }

  /** Moves to the next timer and fires it; its delay from now. */
  fireNext(): number {
    this.timers.sort((a, b) => a.at - b.at || a.id - b.id);
    const timer = this.timers.shift();
    if (!timer) throw new Error('no timer');
    const delay = timer.at - this.time;
    this.time = timer.at;
    timer.fn();
    return delay;
  }

  /**
   * Runs the event loop and the virtual timers, earliest first, until `done` holds: each round
   * lets pending callbacks run, then fires the next timer. Bounded.
   */
  async runUntil(done: () => boolean, maxRounds = 20_000): Promise<void> {
    for (let round = 0; round < maxRounds; round++) {
      for (let turn = 0; turn < 3; turn++) await new Promise((resolve) => setImmediate(resolve));
      if (done()) return;
      if (this.timers.length > 0) this.fireNext();
    }
    throw new Error(`condition never held (virtual time ${this.time} ms)`);
  }
}
