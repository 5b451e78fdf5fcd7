import { splitLines } from './line-framer.js';

/**
 * The recent output of a service. Whole-line chunks are kept as they arrived — no per-line work
 * on the hot path — up to `maxBytes`, oldest dropped first, and split into lines only when read.
 */
export class LogRing {
  readonly maxBytes: number;
  #chunks: Buffer[] = [];
  #bytes = 0;

  constructor(maxBytes = 256 * 1024) {
    this.maxBytes = maxBytes;
  }

  add(lines: Buffer): void {
    if (lines.length === 0) return;
    this.#chunks.push(lines);
    this.#bytes += lines.length;
    while (this.#chunks.length > 1 && this.#bytes - (this.#chunks[0]?.length ?? 0) >= this.maxBytes) {
      this.#bytes -= this.#chunks.shift()?.length ?? 0;
    }
  }

  /** The last `count` lines kept (all of them when omitted). */
  tail(count = Infinity): string[] {
    if (count <= 0) return [];
    const lines: string[] = [];
    for (let i = this.#chunks.length - 1; i >= 0 && lines.length < count; i--) {
      const chunk = this.#chunks[i];
      if (chunk) lines.unshift(...splitLines(chunk));
    }
    return count === Infinity ? lines : lines.slice(-count);
  }
}
