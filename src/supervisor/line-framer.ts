const NEWLINE = 0x0a;

/**
 * Cuts a child's output into whole lines. `push` returns the complete lines of everything
 * received so far (as one Buffer, newline-terminated) and keeps a partial last line for later;
 * `end` returns that partial line with a newline added. A line is never split between two
 * results, so whatever writes the results out can never tear it.
 */
export class LineFramer {
  #partial: Buffer | null = null;

  push(chunk: Buffer): Buffer | null {
    const lastNewline = chunk.lastIndexOf(NEWLINE);
    if (lastNewline === -1) {
      this.#partial = this.#partial ? Buffer.concat([this.#partial, chunk]) : chunk;
      return null;
    }
    const complete = chunk.subarray(0, lastNewline + 1);
    const rest = lastNewline + 1 < chunk.length ? chunk.subarray(lastNewline + 1) : null;
    const lines = this.#partial ? Buffer.concat([this.#partial, complete]) : complete;
    this.#partial = rest ? Buffer.from(rest) : null;
    return lines;
  }

  end(): Buffer | null {
    if (!this.#partial) return null;
    const line = Buffer.concat([this.#partial, Buffer.from('\n')]);
    this.#partial = null;
    return line;
  }
}

/**
 * Every line of `lines` (newline-terminated) with `prefix` before it, in one Buffer. The bytes
 * pass through as latin1 — one char per byte, so UTF-8 (or anything else) is carried unchanged —
 * which lets the engine's native replaceAll do the work instead of a copy per line.
 */
export function prefixLines(lines: Buffer, prefix: Buffer): Buffer {
  const head = prefix.toString('latin1');
  const text = lines.toString('latin1');
  return Buffer.from(`${head}${text.slice(0, -1).replaceAll('\n', `\n${head}`)}\n`, 'latin1');
}

/** Splits newline-terminated lines into strings, without their newlines. */
export function splitLines(lines: Buffer): string[] {
  const text = lines.toString('utf8');
  const parts = text.split('\n');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}
