import blessed from 'blessed';
import type { LogRow } from './log-view.js';

/** Text for a blessed box with tags on: escaped (never read as tags), coloured and bold when colour is on. */
export function paint(text: string, color: string | undefined, colorOn: boolean, bold = false): string {
  const escaped = blessed.escape(text);
  if (!colorOn || (!color && !bold)) return escaped;
  return `${bold ? '{bold}' : ''}${color ? `{${color}-fg}` : ''}${escaped}${color ? `{/${color}-fg}` : ''}${bold ? '{/bold}' : ''}`;
}

/** The rows that fit in `height` around the selected one, the selected one shown inverse across the pane. */
export function windowRows(lines: string[], selected: number, height: number, width: number, painted: (line: string, index: number) => string): string[] {
  const first = firstRow(lines.length, selected, height);
  return lines.slice(first, first + height).map((line, at) => (first + at === selected ? `{inverse}${blessed.escape(line.padEnd(width))}{/inverse}` : painted(line, first + at)));
}

/** The first row shown so that the selected one is in a window of `height` rows. */
export function firstRow(count: number, selected: number, height: number): number {
  return Math.max(0, Math.min(selected - height + 1, count - height, selected));
}

/** A log row: the text escaped, matches highlighted, the service's colours kept when colour is on. */
export function paintLogRow(row: LogRow, colorOn: boolean): string {
  const colors = colorOn ? row.colors : [];
  if (row.marks.length === 0 && colors.length === 0) return blessed.escape(row.text);
  const points = [...new Set([0, row.text.length, ...row.marks.flatMap((mark) => [mark.from, mark.to]), ...colors.map((color) => color.at)])].filter((at) => at <= row.text.length).sort((a, b) => a - b);
  let out = '';
  points.forEach((at, index) => {
    for (const color of colors) if (color.at === at) out += color.code;
    const next = points[index + 1];
    if (next === undefined) return;
    const piece = blessed.escape(row.text.slice(at, next));
    const mark = row.marks.find((each) => each.from <= at && at < each.to);
    if (!mark) out += piece;
    else if (!colorOn) out += `{inverse}${piece}{/inverse}`;
    else out += `{${mark.current ? 'red' : 'yellow'}-bg}{black-fg}${piece}{/black-fg}{/${mark.current ? 'red' : 'yellow'}-bg}`;
  });
  return colors.length ? `${out}\x1b[0m` : out;
}
