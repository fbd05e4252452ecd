/**
 * Reporting periods (SPEC §7): a week (Monday to Sunday), a month, a quarter, a financial
 * year (1 April to 31 March, as councils and the Home Office count), or any span of days.
 * Days are London days; a period is from its first day to its last, both included.
 */

export const PERIODS = ['week', 'month', 'quarter', 'year', 'custom'] as const;
export type PeriodKind = (typeof PERIODS)[number];

export interface Period {
  kind: PeriodKind;
  from: string;
  to: string;
}

const pad = (n: number) => String(n).padStart(2, '0');
const iso = (d: Date) => `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
const parse = (date: string) => new Date(`${date}T00:00:00Z`);
const lastDayOfMonth = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate();

/** The period of a kind that contains `date` (YYYY-MM-DD). */
export function periodContaining(kind: Exclude<PeriodKind, 'custom'>, date: string): Period {
  const day = parse(date);
  const year = day.getUTCFullYear();
  const month = day.getUTCMonth() + 1;
  switch (kind) {
    case 'week': {
      const monday = new Date(day);
      monday.setUTCDate(day.getUTCDate() - ((day.getUTCDay() + 6) % 7));
      const sunday = new Date(monday);
      sunday.setUTCDate(monday.getUTCDate() + 6);
      return { kind, from: iso(monday), to: iso(sunday) };
    }
    case 'month':
      return { kind, from: `${year}-${pad(month)}-01`, to: `${year}-${pad(month)}-${pad(lastDayOfMonth(year, month))}` };
    case 'quarter': {
      const first = Math.floor((month - 1) / 3) * 3 + 1;
      return { kind, from: `${year}-${pad(first)}-01`, to: `${year}-${pad(first + 2)}-${pad(lastDayOfMonth(year, first + 2))}` };
    }
    case 'year': {
      const start = month >= 4 ? year : year - 1;
      return { kind, from: `${start}-04-01`, to: `${start + 1}-03-31` };
    }
  }
}

/** The period before (for "previous" links): the same kind, ending the day before this one starts. */
export function previousPeriod(period: Period): Period {
  const dayBefore = parse(period.from);
  dayBefore.setUTCDate(dayBefore.getUTCDate() - 1);
  if (period.kind !== 'custom') return periodContaining(period.kind, iso(dayBefore));
  const length = daysIn(period);
  const from = new Date(dayBefore);
  from.setUTCDate(dayBefore.getUTCDate() - length + 1);
  return { kind: 'custom', from: iso(from), to: iso(dayBefore) };
}

export function daysIn(period: { from: string; to: string }): number {
  return Math.round((parse(period.to).getTime() - parse(period.from).getTime()) / 86_400_000) + 1;
}

/** A financial quarter's name, e.g. "Q3 2026/27" (Q1 is April to June). */
export function quarterName(from: string): string {
  const [year, month] = from.split('-').map(Number) as [number, number];
  const q = Math.floor(((month + 8) % 12) / 3) + 1;
  const start = month >= 4 ? year : year - 1;
  return `Q${q} ${start}/${String((start + 1) % 100).padStart(2, '0')}`;
}
