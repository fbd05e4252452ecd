/** Reading GOV.UK form inputs: text fields, lists in one field, nested names, and dates that span several fields. */
import type { FieldError } from '../lib/errors.js';

type Form = Record<string, unknown>;

/** A text field, trimmed; undefined when left blank (so the schema can say it is required). */
export function text(form: Form, name: string): string | undefined {
  const value = form[name];
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
}

/** A textarea of one entry a line; undefined when there are none. */
export function lines(form: Form, name: string): string[] | undefined {
  const list = (text(form, name) ?? '').split(/\r?\n/).map((l) => l.trim()).filter(Boolean);
  return list.length > 0 ? list : undefined;
}

/** A field of entries separated by commas; undefined when there are none. */
export function commaList(form: Form, name: string): string[] | undefined {
  const list = (text(form, name) ?? '').split(',').map((l) => l.trim()).filter(Boolean);
  return list.length > 0 ? list : undefined;
}

/** A nested group of fields (`abuse[physical][frequency]`, parsed by qs), or {} when absent or not a group. */
export function objectIn(value: unknown): Form {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Form) : {};
}

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

/**
 * A date input read for a service input: undefined when left empty; a partly filled or
 * impossible date is added to `errors` under `/name`, with an example of a good one.
 */
export function readDate(form: Form, name: string, errors: FieldError[], options: { notFuture?: boolean; example: string }): string | undefined {
  const value = dateInput(form, name, options.notFuture ? { notFuture: true } : {});
  if (value === null) errors.push({ field: `/${name}`, message: `must be a real date${options.notFuture ? ' in the past' : ''}, like ${options.example}` });
  return value || undefined;
}
