import { splitLines } from './line-framer.js';

export type LogStream = 'stdout' | 'stderr';

/** One line of a service's output and the stream it came on. */
export interface LogLine {
  stream: LogStream;
  line: string;
}

/**
 * The recent output of a service. Whole-line chunks are kept as they arrived, each with its
 * stream — no per-line work on the hot path — up to `maxBytes`, oldest dropped first, and split
 * into lines only when read.
 */
export class LogRing {
  readonly maxBytes: number;
  #chunks: Buffer[] = [];
  #streams: LogStream[] = [];
  #bytes = 0;

  constructor(maxBytes = 256 * 1024) {
    this.maxBytes = maxBytes;
  }

  add(lines: Buffer, stream: LogStream = 'stdout'): void {
    if (lines.length === 0) return;
    this.#chunks.push(lines);
    this.#streams.push(stream);
    this.#bytes += lines.length;
    while (this.#chunks.length > 1 && this.#bytes - (this.#chunks[0]?.length ?? 0) >= this.maxBytes) {
      this.#bytes -= this.#chunks.shift()?.length ?? 0;
      this.#streams.shift();
    }
  }

  /** The last `count` lines kept (all of them when omitted), each with its stream. */
  entries(count = Infinity): LogLine[] {
    if (count <= 0) return [];
    const entries: LogLine[] = [];
    for (let i = this.#chunks.length - 1; i >= 0 && entries.length < count; i--) {
      const chunk = this.#chunks[i];
      const stream = this.#streams[i] ?? 'stdout';
      if (chunk) entries.unshift(...splitLines(chunk).map((line) => ({ stream, line })));
    }
    return count === Infinity ? entries : entries.slice(-count);
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
