import { splitLines } from './line-framer.js';

/**
 * The last lines of a service's output. Whole-line chunks are kept as they arrived (no string
 * per line on the hot path) and only split when someone reads them; the oldest chunks are
 * dropped once more than `capacity` lines are kept.
 */
export class LogRing {
  readonly capacity: number;
  #chunks: { data: Buffer; lines: number }[] = [];
  #lines = 0;
  /** Lines ever added, so readers can ask for what came after a point. */
  #total = 0;

  constructor(capacity = 1000) {
    this.capacity = capacity;
  }

  add(lines: Buffer): void {
    let count = 0;
    for (let at = lines.indexOf(0x0a); at !== -1; at = lines.indexOf(0x0a, at + 1)) count += 1;
    if (count === 0) return;
    this.#chunks.push({ data: lines, lines: count });
    this.#lines += count;
    this.#total += count;
    while (this.#chunks.length > 1 && this.#lines - (this.#chunks[0]?.lines ?? 0) >= this.capacity) {
      this.#lines -= this.#chunks.shift()?.lines ?? 0;
    }
  }

  get total(): number {
    return this.#total;
  }

  /** The last `count` lines (all kept lines when omitted, at most `capacity`). */
  tail(count = this.capacity): string[] {
    const wanted = Math.min(count, this.capacity);
    const lines: string[] = [];
    for (let i = this.#chunks.length - 1; i >= 0 && lines.length < wanted; i--) {
      const chunk = this.#chunks[i];
      if (chunk) lines.unshift(...splitLines(chunk.data));
    }
    return lines.slice(-wanted);
  }
}
