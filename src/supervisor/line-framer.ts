import { type PrefixKernel, prefixKernel } from './prefix-kernel.js';

const NEWLINE = 0x0a;
/** The smallest chunk LinePrefix gives to the WebAssembly loop. */
const KERNEL_FROM = 4096;

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
 * Puts one prefix before every line of newline-terminated chunks. The work is done by a small
 * WebAssembly loop (prefix-kernel.ts) that moves 16 bytes a step and makes no garbage but its
 * result. Where WebAssembly is off, the bytes pass through as latin1 — one char per byte, so
 * UTF-8 (or anything else) is carried unchanged — and the engine's native replaceAll does the
 * per-line work; the loop takes a third of its time (bench/prefix-lines.mjs). Chunks of a few
 * lines take the string path too: the loop is made on the first big chunk, so a supervisor
 * whose services say little never holds it (it costs ~0.8 MiB of RSS).
 */
export class LinePrefix {
  readonly #prefix: Buffer;
  readonly #head: string;
  readonly #replacement: string;
  #kernel: PrefixKernel | null | undefined;

  /** `kernel`: the loop to use, null for the string path; by default the process's one. */
  constructor(prefix: Buffer, kernel?: PrefixKernel | null) {
    this.#prefix = prefix;
    this.#kernel = kernel;
    this.#head = prefix.toString('latin1');
    // `$` is special in a replacement string (`$&`, `$'`…); `$$` is a literal one.
    this.#replacement = `\n${this.#head.replaceAll('$', '$$$$')}`;
  }

  /** Every line of `lines` (newline-terminated) with the prefix before it, in one Buffer. */
  apply(lines: Buffer): Buffer {
    if (lines.length >= KERNEL_FROM) {
      if (this.#kernel === undefined) this.#kernel = prefixKernel();
      if (this.#kernel) {
        try {
          return this.#kernel.apply(lines, this.#prefix);
        } catch {
          this.#kernel = null; // its memory could not grow: the string path from now on
        }
      }
    }
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
