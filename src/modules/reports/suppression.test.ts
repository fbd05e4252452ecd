import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { periodContaining, previousPeriod, quarterName } from './periods.js';
import { suppressCounts, suppressTable } from './suppression.js';

describe('small-number suppression', () => {
  it('hides counts from 1 to 4, keeps 0 and 5 and over', () => {
    expect(suppressCounts([0, 5, 12, 7]).counts).toEqual([0, 5, 12, 7]);
    expect(suppressCounts([4, 5, 12, 7]).counts[0]).toBeNull();
  });

  it('secondary: one hidden count beside a shown total hides the next smallest, so subtraction cannot reveal it', () => {
    // 3 + 10 + 20 = 33: with only the 3 hidden, 33 − 10 − 20 would give it away.
    expect(suppressCounts([3, 10, 20])).toEqual({ counts: [null, null, 20], total: 33 });
    // Two small counts hide each other; the total stays.
    expect(suppressCounts([3, 2, 20])).toEqual({ counts: [null, null, 20], total: 25 });
    // A small total hides itself; nothing else is needed.
    expect(suppressCounts([3, 0, 0])).toEqual({ counts: [null, 0, 0], total: null });
  });

  it('secondary across rows and columns of a two-way table', () => {
    const table = suppressTable([
      [2, 10, 30],
      [8, 12, 40],
    ]);
    // The 2 is hidden; its row and its column then each need a second hidden cell, and so on until none is alone.
    expect(table.cells[0]![0]).toBeNull();
    const grid = [...table.cells.map((row, r) => [...row, table.rowTotals[r]]), [...table.columnTotals, table.total]];
    for (const line of [...grid, ...grid[0]!.map((_, c) => grid.map((row) => row[c]))]) {
      expect(line.filter((v) => v === null).length).not.toBe(1);
    }
  });

  it('property: in any table, no line (row or column, totals included) has exactly one hidden cell, every small count is hidden, and shown values are the true ones', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }).chain((columns) => fc.array(fc.array(fc.oneof(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 0, max: 500 })), { minLength: columns, maxLength: columns }), { minLength: 1, maxLength: 6 })),
        (cells) => {
          const table = suppressTable(cells);
          const truth = [...cells.map((row) => [...row, row.reduce((a, b) => a + b, 0)])];
          const columnTotals = cells[0]!.map((_, c) => cells.reduce((a, row) => a + row[c]!, 0));
          truth.push([...columnTotals, columnTotals.reduce((a, b) => a + b, 0)]);
          const shown = [...table.cells.map((row, r) => [...row, table.rowTotals[r]!]), [...table.columnTotals, table.total]];
          const lines = [...shown.map((_, r) => shown[r]!.map((_, c) => [r, c] as const)), ...shown[0]!.map((_, c) => shown.map((_, r) => [r, c] as const))];
          for (const line of lines) expect(line.filter(([r, c]) => shown[r]![c] === null).length).not.toBe(1);
          truth.forEach((row, r) =>
            row.forEach((value, c) => {
              if (value >= 1 && value <= 4) expect(shown[r]![c]).toBeNull();
              if (shown[r]![c] !== null) expect(shown[r]![c]).toBe(value);
            }),
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('reporting periods', () => {
  it('weeks run Monday to Sunday, years are financial (April to March), quarters are named as the financial year counts them', () => {
    expect(periodContaining('week', '2026-12-06')).toMatchObject({ from: '2026-11-30', to: '2026-12-06' });
    expect(periodContaining('week', '2026-11-30')).toMatchObject({ from: '2026-11-30', to: '2026-12-06' });
    expect(periodContaining('month', '2028-02-15')).toMatchObject({ from: '2028-02-01', to: '2028-02-29' });
    expect(periodContaining('quarter', '2026-12-01')).toMatchObject({ from: '2026-10-01', to: '2026-12-31' });
    expect(periodContaining('year', '2026-04-01')).toMatchObject({ from: '2026-04-01', to: '2027-03-31' });
    expect(periodContaining('year', '2026-03-31')).toMatchObject({ from: '2025-04-01', to: '2026-03-31' });
    expect(quarterName('2026-04-01')).toBe('Q1 2026/27');
    expect(quarterName('2027-01-01')).toBe('Q4 2026/27');
    expect(previousPeriod(periodContaining('quarter', '2026-01-15'))).toMatchObject({ from: '2025-10-01', to: '2025-12-31' });
    expect(previousPeriod({ kind: 'custom', from: '2026-03-10', to: '2026-03-19' })).toMatchObject({ from: '2026-02-28', to: '2026-03-09' });
  });
});
