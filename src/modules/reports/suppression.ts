/**
 * Small-number suppression (SPEC §7): a count from 1 to 4 that leaves a provider's own view
 * is shown as "<5", so nobody can be recognised from a figure. Secondary suppression
 * hides one more cell wherever a suppressed count could be worked out by subtracting the
 * others from a total that is shown: every row and every column of a table, totals
 * included, ends with no suppressed cells or at least two.
 */

/** A shown count: its number, or null where it is suppressed. */
export type Shown = number | null;

export const SUPPRESSED_TEXT = '<5';

export function isSmall(n: number): boolean {
  return n >= 1 && n <= 4;
}

export interface SuppressedTable {
  cells: Shown[][];
  rowTotals: Shown[];
  columnTotals: Shown[];
  total: Shown;
}

/**
 * Suppresses a table of counts with its row, column and grand totals. Primary: every
 * small count (totals too). Secondary: a line (row or column, with its total as one more
 * cell) with exactly one hidden cell hides its smallest other non-zero cell, until no line
 * has exactly one. Zeros stay shown: they reveal nothing.
 */
export function suppressTable(cells: number[][]): SuppressedTable {
  const rows = cells.length;
  const columns = rows ? cells[0]!.length : 0;
  // The full grid with totals: the last column holds row totals, the last row column totals.
  const grid: number[][] = cells.map((row) => [...row, sum(row)]);
  const columnTotals = Array.from({ length: columns }, (_, c) => sum(cells.map((row) => row[c]!)));
  grid.push([...columnTotals, sum(columnTotals)]);
  const hidden = grid.map((row) => row.map(isSmall));

  const lines: [number, number][][] = [
    ...grid.map((row, r) => row.map((_, c) => [r, c] as [number, number])),
    ...grid[0]!.map((_, c) => grid.map((_, r) => [r, c] as [number, number])),
  ];
  for (let changed = true; changed; ) {
    changed = false;
    for (const line of lines) {
      if (line.filter(([r, c]) => hidden[r]![c]).length !== 1) continue;
      const candidates = line.filter(([r, c]) => !hidden[r]![c] && grid[r]![c]! > 0).sort(([r1, c1], [r2, c2]) => grid[r1]![c1]! - grid[r2]![c2]!);
      const next = candidates[0];
      // A line whose only other cells are zeros cannot hide its one count: hide the line's total instead (already counted as a cell), or nothing is left to hide.
      if (!next) continue;
      hidden[next[0]]![next[1]] = true;
      changed = true;
    }
  }
  const show = (r: number, c: number): Shown => (hidden[r]![c] ? null : grid[r]![c]!);
  return {
    cells: cells.map((row, r) => row.map((_, c) => show(r, c))),
    rowTotals: cells.map((_, r) => show(r, columns)),
    columnTotals: columnTotals.map((_, c) => show(rows, c)),
    total: show(rows, columns),
  };
}

/** One column of counts with its total (the common case): `suppressTable` of a single column. */
export function suppressCounts(counts: number[]): { counts: Shown[]; total: Shown } {
  const table = suppressTable(counts.map((n) => [n]));
  return { counts: table.cells.map((row) => row[0]!), total: table.total };
}

/** A figure computed from a few records (a median, a percentage) is not shown when fewer than 5 records made it. */
export function fromEnough<T>(records: number, value: T): T | null {
  return records >= 1 && records < 5 ? null : value;
}

export function showCount(n: Shown): string {
  return n === null ? SUPPRESSED_TEXT : n.toLocaleString('en-GB');
}

function sum(values: number[]): number {
  return values.reduce((a, b) => a + b, 0);
}
