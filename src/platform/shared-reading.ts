/**
 * One costly reading of the system (the process table, the listening sockets), shared by every
 * caller that accepts it up to `maxAgeMs` old (0: always a fresh one). It is aged from when the
 * read ended: a read that takes longer than `maxAgeMs` (thousands of sockets in TIME_WAIT,
 * hundreds of processes on a loaded machine, lsof) is still shared, or every caller of a stack
 * of 200 stopping at once reads again and the stop takes seconds.
 */
export class SharedReading<T> {
  readonly #read: () => T;
  #last: { endedAt: number; value: T } | null = null;

  constructor(read: () => T) {
    this.#read = read;
  }

  get(maxAgeMs: number): T {
    if (this.#last && maxAgeMs > 0 && Date.now() - this.#last.endedAt <= maxAgeMs) return this.#last.value;
    const value = this.#read();
    this.#last = { endedAt: Date.now(), value };
    return value;
  }
}
