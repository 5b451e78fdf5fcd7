import { stripVTControlCharacters } from 'node:util';

/** Lines the log pane keeps; older ones are dropped. */
export const LOG_SCROLLBACK = 5000;

interface Line {
  text: string;
  /** The service's colour codes (SGR) and where in `text` each came. */
  colors: Color[] | null;
  /** When the dashboard received it; null for the history it was given on opening. */
  at: number | null;
}

/** An SGR sequence (`\x1b[31m`) of a service's output, at a position of the line's text. */
export interface Color {
  at: number;
  code: string;
}

/**
 * One row of the pane: plain text, the ranges of it to highlight (`current`: the match n/N went
 * to), and the service's colours in it (those before the row's start at 0, so a wrapped row keeps its colour).
 */
export interface LogRow {
  text: string;
  marks: { from: number; to: number; current: boolean }[];
  colors: Color[];
}

/**
 * The log pane's text, apart from blessed: lines kept verbatim (a service's ANSI colours and
 * other control sequences are stripped, tabs become spaces — so every line shows, and is
 * searched, as the same text), bounded scrollback, follow or a fixed position, wrap or cut,
 * timestamps, search with n/N. Only the rows on screen are laid out, however long the log.
 */
export class LogView {
  readonly #max: number;
  #lines: Line[] = [];
  #partial = '';
  /** Index of the first line shown when not following. */
  #top = 0;
  follow = true;
  wrap = true;
  timestamps = false;
  #search = '';
  /** The line the last n/N went to. */
  #match: number | null = null;

  constructor(max = LOG_SCROLLBACK) {
    this.#max = max;
  }

  get length(): number {
    return this.#lines.length;
  }

  get search(): string {
    return this.#search;
  }

  /** Text as it arrives: split into lines (the last partial line is kept until its newline). */
  write(text: string, at: number | null): void {
    const parts = (this.#partial + text).split('\n');
    this.#partial = parts.pop() ?? '';
    for (const part of parts) this.#lines.push({ ...clean(part), at });
    // Trimmed in batches, so a flood does not move the whole array on every chunk.
    if (this.#lines.length > this.#max + (this.#max >> 3)) {
      const over = this.#lines.length - this.#max;
      this.#lines.splice(0, over);
      this.#top = Math.max(0, this.#top - over);
      if (this.#match !== null) this.#match = this.#match - over >= 0 ? this.#match - over : null;
    }
  }

  clear(): void {
    this.#lines = [];
    this.#partial = '';
    this.#top = 0;
    this.#match = null;
    this.follow = true;
  }

  /** The lines as shown (with their times when timestamps are on), for saving to a file. */
  text(): string[] {
    return this.#lines.map((line) => this.#prefix(line) + line.text);
  }

  setSearch(text: string): void {
    this.#search = text;
    this.#match = null;
  }

  /** Lines that hold the search text. */
  matches(): number[] {
    if (!this.#search) return [];
    const found: number[] = [];
    this.#lines.forEach((line, index) => {
      if (line.text.includes(this.#search)) found.push(index);
    });
    return found;
  }

  /** Goes to the next (1) or previous (-1) matching line, wrapping around; pauses following. Returns `k/n`, or null with no match. */
  jump(direction: 1 | -1, height: number): { index: number; count: number } | null {
    const found = this.matches();
    if (found.length === 0) return null;
    const from = this.#match ?? (direction === 1 ? this.#firstShown(height) - 1 : this.#firstShown(height) + height);
    let at = direction === 1 ? found.findIndex((line) => line > from) : findLastIndex(found, (line) => line < from);
    if (at === -1) at = direction === 1 ? 0 : found.length - 1;
    this.#match = found[at] as number;
    this.follow = false;
    // Show the match a third of the way down the pane.
    this.#top = Math.max(0, Math.min(this.#match - Math.floor(height / 3), this.#lines.length - 1));
    return { index: at + 1, count: found.length };
  }

  scroll(lines: number, height: number): void {
    const first = this.#firstShown(height);
    this.follow = false;
    this.#top = Math.max(0, Math.min(first + lines, Math.max(0, this.#lines.length - height)));
    if (lines > 0 && this.#top >= this.#lines.length - height) this.follow = true;
  }

  toTop(): void {
    this.follow = false;
    this.#top = 0;
  }

  toBottom(): void {
    this.follow = true;
  }

  /** `first-last/total` of the lines on screen. */
  position(height: number): string {
    if (this.#lines.length === 0) return '0/0';
    const first = this.#firstShown(height);
    return `${first + 1}-${Math.min(this.#lines.length, first + height)}/${this.#lines.length}`;
  }

  /** The rows that fill a pane of `width` × `height`: each fits in `width` (wrapped, or cut with `›`). */
  rows(width: number, height: number): LogRow[] {
    if (width <= 0 || height <= 0) return [];
    const rows: LogRow[] = [];
    if (this.follow) {
      // From the end backwards, until the pane is full.
      for (let index = this.#lines.length - 1; index >= 0 && rows.length < height; index--) rows.unshift(...this.#layout(index, width).slice(-(height - rows.length)));
      return rows;
    }
    for (let index = this.#top; index < this.#lines.length && rows.length < height; index++) rows.push(...this.#layout(index, width));
    return rows.slice(0, height);
  }

  #firstShown(height: number): number {
    return this.follow ? Math.max(0, this.#lines.length - height) : this.#top;
  }

  #prefix(line: Line): string {
    if (!this.timestamps) return '';
    return line.at === null ? ' '.repeat(9) : `${clockTime(line.at)} `;
  }

  #layout(index: number, width: number): LogRow[] {
    const line = this.#lines[index] as Line;
    const prefix = this.#prefix(line);
    const text = prefix + line.text;
    const marks: LogRow['marks'] = [];
    const colors = (line.colors ?? []).map((color) => ({ at: color.at + prefix.length, code: color.code }));
    if (this.#search) {
      for (let at = line.text.indexOf(this.#search); at !== -1; at = line.text.indexOf(this.#search, at + this.#search.length)) {
        marks.push({ from: prefix.length + at, to: prefix.length + at + this.#search.length, current: index === this.#match });
      }
    }
    if (!this.wrap) {
      const cut = text.length > width;
      const shown = cut ? `${text.slice(0, width - 1)}›` : text;
      return [{ text: shown, marks: clip(marks, 0, cut ? width - 1 : width), colors: colorsIn(colors, 0, cut ? width - 1 : width) }];
    }
    const rows: LogRow[] = [];
    for (let from = 0; from < text.length || from === 0; from += width) {
      rows.push({ text: text.slice(from, from + width), marks: clip(marks, from, from + width), colors: colorsIn(colors, from, from + width) });
      if (text.length === 0) break;
    }
    return rows;
  }
}

// eslint-disable-next-line no-control-regex
const SGR = /\x1b\[[0-9;:]*m/g;

/**
 * A service's line as the pane shows it: the text without control sequences (cursor moves, \r,
 * other escapes), tabs as spaces; its colour codes (SGR) apart, with where they were.
 */
export function clean(line: string): { text: string; colors: Color[] | null } {
  // eslint-disable-next-line no-control-regex
  const tidy = (part: string) => stripVTControlCharacters(part).replace(/\t/g, '    ').replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '');
  if (!line.includes('\x1b[')) return { text: tidy(line), colors: null };
  const colors: Color[] = [];
  let text = '';
  let from = 0;
  for (const match of line.matchAll(SGR)) {
    text += tidy(line.slice(from, match.index));
    colors.push({ at: text.length, code: match[0] });
    from = match.index + match[0].length;
  }
  text += tidy(line.slice(from));
  return { text, colors: colors.length ? colors : null };
}

/** The colours that apply within [from, to), relative to from: those before it move to 0. */
function colorsIn(colors: Color[], from: number, to: number): Color[] {
  return colors.filter((color) => color.at < to).map((color) => ({ at: Math.max(0, color.at - from), code: color.code }));
}

function clip(marks: LogRow['marks'], from: number, to: number): LogRow['marks'] {
  return marks.filter((mark) => mark.to > from && mark.from < to).map((mark) => ({ from: Math.max(mark.from, from) - from, to: Math.min(mark.to, to) - from, current: mark.current }));
}

function clockTime(at: number): string {
  const date = new Date(at);
  return [date.getHours(), date.getMinutes(), date.getSeconds()].map((part) => String(part).padStart(2, '0')).join(':');
}

function findLastIndex<T>(items: T[], test: (item: T) => boolean): number {
  for (let index = items.length - 1; index >= 0; index--) if (test(items[index] as T)) return index;
  return -1;
}
