import { Type, type TSchema, type TUnsafe } from 'typebox';

/** A string from a fixed list, as a plain JSON Schema `enum` (clearer errors than anyOf of literals). */
export function StringEnum<const T extends readonly string[]>(values: T, options: Record<string, unknown> = {}): TUnsafe<T[number]> {
  return Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });
}

export function Nullable<T extends TSchema>(schema: T) {
  return Type.Union([schema, Type.Null()]);
}

export const Uuid = Type.String({ format: 'uuid' });

/** UK postcode, loosely: outward code, optional space, inward code. */
export const POSTCODE_PATTERN = /^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$/;
export const Postcode = Type.String({
  pattern: POSTCODE_PATTERN.source,
  maxLength: 8,
  description: 'A UK postcode, e.g. XB1 2AB',
});

export const PHONE_PATTERN = /^\+?[0-9][0-9 ()-]{5,19}$/;
export const PhoneNumber = Type.String({ pattern: PHONE_PATTERN.source, description: 'A phone number' });

export const IsoDate = Type.String({ format: 'date', description: 'YYYY-MM-DD' });
export const IsoDateTime = Type.String({ format: 'date-time' });

/** Problem details (RFC 9457) as every error is answered. */
export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.Optional(Type.String()),
    instance: Type.Optional(Type.String()),
    requestId: Type.Optional(Type.String()),
    errors: Type.Optional(Type.Array(Type.Object({ field: Type.String(), message: Type.String() }))),
    allowed: Type.Optional(Type.Array(Type.String())),
  },
  { $id: 'Problem', description: 'application/problem+json (RFC 9457)' },
);

export function normalisePostcode(postcode: string): string {
  const compact = postcode.replace(/\s+/g, '').toUpperCase();
  return `${compact.slice(0, -3)} ${compact.slice(-3)}`;
}

/** The postcode district (outward code), e.g. "XB1" of "XB1 2AB". */
export function postcodeDistrict(postcode: string): string {
  return normalisePostcode(postcode).split(' ')[0]!;
}

/** A UK or international phone number as E.164 digits without the plus (07700 900123 → 447700900123). */
export function phoneDigits(number: string): string {
  const digits = number.replace(/\D/g, '');
  return digits.startsWith('00') ? digits.slice(2) : digits.startsWith('0') ? `44${digits.slice(1)}` : digits;
}

/** Whether `value` is a real calendar date written YYYY-MM-DD (2026-13-01 is not). */
export function isIsoDate(value: string | undefined): value is string {
  if (!value || !/^\d{4}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}
