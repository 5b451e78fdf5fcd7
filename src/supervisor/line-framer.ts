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
 * Puts one prefix before every line of newline-terminated chunks. The bytes pass through as
 * latin1 — one char per byte, so UTF-8 (or anything else) is carried unchanged — which lets the
 * engine's native replaceAll do the per-line work instead of a call (or a copy) per line from
 * JS. On 64-byte lines a global RegExp replace is no faster (its rope is walked again when
 * written) and Buffers only (a native search and a move per line) are slower, the strings'
 * garbage included: bench/prefix-lines.mjs. The prefix's strings are made once, not per chunk.
 */
export class LinePrefix {
  readonly #head: string;
  readonly #replacement: string;

  constructor(prefix: Buffer) {
    this.#head = prefix.toString('latin1');
    // `$` is special in a replacement string (`$&`, `$'`…); `$$` is a literal one.
    this.#replacement = `\n${this.#head.replaceAll('$', '$$$$')}`;
  }

  /** Every line of `lines` (newline-terminated) with the prefix before it, in one Buffer. */
  apply(lines: Buffer): Buffer {
    const text = lines.toString('latin1');
    return Buffer.from(`${this.#head}${text.slice(0, -1).replaceAll('\n', this.#replacement)}\n`, 'latin1');
  }
}

/** Every line of `lines` (newline-terminated) with `prefix` before it, in one Buffer. */
export function prefixLines(lines: Buffer, prefix: Buffer): Buffer {
  return new LinePrefix(prefix).apply(lines);
}

/** Splits newline-terminated lines into strings, without their newlines. */
export function splitLines(lines: Buffer): string[] {
  const text = lines.toString('utf8');
  const parts = text.split('\n');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts;
}
