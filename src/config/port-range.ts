/** An inclusive range of ports, named in ports.yaml or written as a literal `6000-6099`. */
export interface PortRange {
  /** The name under `ranges:`, or the literal text for a literal range. */
  name: string;
  first: number;
  last: number;
}

export const LITERAL_RANGE = /^\s*(\d+)\s*(?:-\s*(\d+)\s*)?$/;

export type RangeParse = { ok: true; first: number; last: number } | { ok: false; message: string };

/** Parses `5001-5099`, `"5001"` or `5001`, checking bounds and order. */
export function parseRangeText(value: unknown): RangeParse {
  const text = typeof value === 'number' ? String(value) : value;
  if (typeof text !== 'string') return { ok: false, message: `a range is written FIRST-LAST (e.g. 5001-5099), not ${describe(value)}` };
  const match = LITERAL_RANGE.exec(text);
  if (!match) return { ok: false, message: `"${text}" is not a port range: write FIRST-LAST, e.g. 5001-5099` };
  const first = Number(match[1]);
  const last = match[2] === undefined ? first : Number(match[2]);
  for (const port of [first, last]) {
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      return { ok: false, message: `port ${port} in range "${text}" is outside 1-65535` };
    }
  }
  if (first > last) return { ok: false, message: `range "${text}" is reversed: ${first} is above ${last}` };
  return { ok: true, first, last };
}

export function rangeSize(range: { first: number; last: number }): number {
  return range.last - range.first + 1;
}

export function rangesOverlap(a: { first: number; last: number }, b: { first: number; last: number }): boolean {
  return a.first <= b.last && b.first <= a.last;
}

export function formatRange(range: PortRange): string {
  const span = range.first === range.last ? `${range.first}` : `${range.first}-${range.last}`;
  return range.name === span ? span : `${range.name} (${span})`;
}

export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${typeof value} ${JSON.stringify(value)}`;
}
