/** A column of a dashboard table: its header and how important it is when the width runs short. */
export interface Column {
  header: string;
  /** 0 is kept longest; higher numbers are dropped first. */
  priority: number;
  /** Right-aligned (numbers). */
  right?: boolean;
}

export const GAP = 2;

/**
 * Which columns fit in `width`, every cell whole: columns are dropped from the highest
 * priority number up (the last one added first) until the rest fits; never cut. The
 * columns kept stay in table order. Returns their indexes and widths.
 */
export function fitColumns(columns: readonly Column[], rows: readonly string[][], width: number): { index: number; width: number }[] {
  const widths = columns.map((column, index) => Math.max(column.header.length, ...rows.map((row) => (row[index] ?? '').length)));
  const order = columns.map((column, index) => ({ index, priority: column.priority })).sort((a, b) => a.priority - b.priority || a.index - b.index);
  const kept: number[] = [];
  let used = 0;
  for (const { index } of order) {
    const need = (widths[index] as number) + (kept.length ? GAP : 0);
    if (used + need > width) {
      if (kept.length === 0) kept.push(index); // the first column always shows
      continue;
    }
    kept.push(index);
    used += need;
  }
  return kept.sort((a, b) => a - b).map((index) => ({ index, width: widths[index] as number }));
}

/** A row's cells padded to the fitted columns (the last one not padded on its right). */
export function layoutCells(cells: readonly string[], fitted: readonly { index: number; width: number }[], columns: readonly Column[]): string[] {
  return fitted.map(({ index, width }, at) => {
    const cell = cells[index] ?? '';
    if (columns[index]?.right) return cell.padStart(width);
    return at === fitted.length - 1 ? cell : cell.padEnd(width);
  });
}

/** A row laid out in the fitted columns. */
export function layoutRow(cells: readonly string[], fitted: readonly { index: number; width: number }[], columns: readonly Column[]): string {
  return layoutCells(cells, fitted, columns).join(' '.repeat(GAP));
}
