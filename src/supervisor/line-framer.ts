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

/** Every line of `lines` (newline-terminated) with `prefix` before it, in one Buffer. */
export function prefixLines(lines: Buffer, prefix: Buffer): Buffer {
  let count = 0;
  for (let at = lines.indexOf(NEWLINE); at !== -1; at = lines.indexOf(NEWLINE, at + 1)) count += 1;
  const out = Buffer.allocUnsafe(lines.length + count * prefix.length);
  let read = 0;
  let write = 0;
  while (read < lines.length) {
    const end = lines.indexOf(NEWLINE, read);
    const stop = end === -1 ? lines.length : end + 1;
    write += prefix.copy(out, write);
    write += lines.copy(out, write, read, stop);
    read = stop;
  }
  return out.subarray(0, write);
}

/** Splits newline-terminated lines into strings, without their newlines. */
export function splitLines(lines: Buffer): string[] {
  const text = lines.toString('utf8');
  const parts = text.split('\n');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}
