import { LinePrefix } from '../supervisor/line-framer.js';
import { colorWanted } from './color.js';
import type { OutputStream } from './io.js';

const COLORS = [36, 33, 32, 35, 34, 91, 96, 93, 92, 95, 94];

/**
 * Writes every service's lines as `name │ line` (names padded to one width, coloured per
 * service when colour is on) and berth's own lines as `berth │ ...`. Each write holds whole
 * lines only, so lines of different services never tear each other.
 */
export class PrefixedOutput {
  readonly #stream: OutputStream;
  readonly #prefixes = new Map<string, LinePrefix>();
  readonly #width: number;
  readonly #color: boolean;

  constructor(stream: OutputStream, names: string[], color: boolean) {
    this.#stream = stream;
    this.#color = color;
    this.#width = Math.max(5, ...names.map((name) => name.length));
    names.forEach((name, index) => this.#prefixes.set(name, this.#prefix(name, COLORS[index % COLORS.length] ?? 36)));
    this.#prefixes.set('berth', this.#prefix('berth', 2));
  }

  #prefix(name: string, color: number): LinePrefix {
    const text = `${name.padEnd(this.#width)} │ `;
    return new LinePrefix(Buffer.from(this.#color ? `\u001b[${color}m${text}\u001b[0m` : text));
  }

  /** Whole, newline-terminated lines of a service; false when the stream asks to wait. */
  lines(service: string, lines: Buffer): boolean {
    let prefix = this.#prefixes.get(service);
    if (!prefix) this.#prefixes.set(service, (prefix = this.#prefix(service, 37)));
    return this.#stream.write(prefix.apply(lines));
  }

  note(message: string): void {
    this.lines('berth', Buffer.from(`${message}\n`));
  }
}

/** Colour on this stream, by berth's one rule (see colorWanted: FORCE_COLOR beats NO_COLOR, as in Node). */
export function useColor(stream: OutputStream, env: Readonly<Record<string, string | undefined>>): boolean {
  return colorWanted(env, stream.isTTY === true);
}
