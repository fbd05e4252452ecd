/** Reading GOV.UK form inputs that span several fields. */

/**
 * A GOV.UK date input (name-day, name-month, name-year) as YYYY-MM-DD: '' when left empty,
 * null when partly filled or not a real date (or, with `notFuture`, a date still to come).
 */
export function dateInput(form: Record<string, unknown>, name: string, options: { notFuture?: boolean } = {}): string | null {
  const parts = ['day', 'month', 'year'].map((part) => (typeof form[`${name}-${part}`] === 'string' ? (form[`${name}-${part}`] as string).trim() : ''));
  if (parts.every((part) => part === '')) return '';
  const [d, m, y] = parts.map(Number) as [number, number, number];
  const date = new Date(Date.UTC(y, m - 1, d));
  const real = Number.isInteger(d) && Number.isInteger(m) && Number.isInteger(y) && y >= 1900 && date.getUTCDate() === d && date.getUTCMonth() === m - 1;
  if (!real || (options.notFuture && date > new Date())) return null;
  return date.toISOString().slice(0, 10);
}
