/**
 * JSON Schema (as /openapi.json prints it) → fast-check arbitraries: values that satisfy the
 * schema ("valid-looking": they pass validation, but may still break a business rule), and
 * values that do not (a field missing, of the wrong type, out of range, unknown, huge …).
 *
 * Ids are generated as `RealId` placeholders where a real record may be meant: they are
 * resolved to ids of the run's records when the request is sent (the records exist only
 * then), so a seed always yields the same requests.
 */
import fc from 'fast-check';

export type Schema = Record<string, any>;

/** "Some real record of this kind", resolved when the request is sent. */
export class RealId {
  constructor(
    readonly kind: string,
    readonly n: number,
    /** How to write it: as stored, in capitals, or as a `urn:uuid:` URN (both valid per the uuid format). */
    readonly form: 'plain' | 'upper' | 'urn' = 'plain',
  ) {}
}

export interface SchemaContext {
  /** The document, for `$ref`s into `#/components/schemas`. */
  doc: Schema;
  /** The kind of record a uuid field of this name names (`serviceId` → services). */
  kindOfField: (field: string | undefined) => string;
  /** Keys worth trying in a free-form map of this name (`sections` → the safety-plan template's sections). */
  keyHints: Record<string, string[]>;
  /** Values worth trying for a string field (or array of strings) of this name (`needs` → the partnership's needs). */
  valueHints?: Record<string, string[]>;
}

export function resolveRef(ctx: SchemaContext, schema: Schema): Schema {
  let s = schema;
  for (let i = 0; i < 20 && typeof s?.$ref === 'string'; i += 1) {
    const ref = s.$ref as string;
    if (!ref.startsWith('#/')) throw new Error(`cannot resolve ${ref}`);
    s = ref
      .slice(2)
      .split('/')
      .reduce<any>((node, part) => node?.[part.replace(/~1/g, '/').replace(/~0/g, '~')], ctx.doc);
    if (!s) throw new Error(`unresolvable $ref ${ref}`);
  }
  return s;
}

/** Length as Ajv counts it for minLength/maxLength: code points. */
export const codePoints = (s: string) => Array.from(s).length;

function fit(s: string, min: number, max: number): string {
  let chars = Array.from(s);
  if (chars.length > max) chars = chars.slice(0, max);
  while (chars.length < min) chars.push('x');
  return chars.join('');
}

/** Text that is troublesome to store, print or search, but still a string. */
export const NASTY_STRINGS = [
  "'; drop table contacts; --",
  '<script>alert(1)</script>',
  '{{7*7}}',
  '${process.exit()}',
  '../../../../etc/passwd',
  '%s%s%s%n',
  'a\u0000b',
  '\u0000',
  '\ud800',
  'x\udfffy',
  '\u202eevil',
  '\ufeffbom',
  'Ω≈ç√∫˜µ≤≥÷',
  '🙂👩‍👩‍👧‍👦',
  'null',
  'undefined',
  'NaN',
  '__proto__',
  'constructor',
  ' ',
  '\t\r\n',
  '\\',
  '"',
  '%',
  '_',
  '%%',
  'ﬀ',
  'İ',
];

/** Any string: ASCII mostly, sometimes any Unicode, sometimes raw UTF-16 (NUL, lone surrogates), sometimes known trouble. */
export function anyText(min = 0, max = 60): fc.Arbitrary<string> {
  const cap = Math.min(max, 80);
  return fc
    .oneof(
      { weight: 6, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: min, maxLength: cap }) },
      { weight: 2, arbitrary: fc.string({ unit: 'grapheme', minLength: min, maxLength: cap }) },
      { weight: 1, arbitrary: fc.string({ unit: 'binary', minLength: min, maxLength: cap }) },
      { weight: 2, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
      { weight: 1, arbitrary: fc.constant('x'.repeat(Math.max(min, Math.min(max, 5000)))) },
    )
    .map((s) => fit(s, min, max));
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');
const daysIn = (year: number, month: number) => new Date(Date.UTC(year, month, 0)).getUTCDate() || 31;
function daysInMonth(year: number, month: number): number {
  if (month === 2) return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0 ? 29 : 28;
  return daysIn(2001, month);
}

/** A calendar date the `date` format accepts: mostly near now, sometimes any year from 0000 to 9999. */
export const validDate: fc.Arbitrary<string> = fc
  .tuple(
    fc.oneof(
      { weight: 8, arbitrary: fc.integer({ min: 1990, max: 2035 }) },
      { weight: 2, arbitrary: fc.integer({ min: 1900, max: 2100 }) },
      { weight: 1, arbitrary: fc.constantFrom(0, 1, 1000, 1582, 1899, 1970, 2038, 9999) },
    ),
    fc.integer({ min: 1, max: 12 }),
    fc.integer({ min: 1, max: 31 }),
  )
  .map(([y, m, d]) => `${pad(y, 4)}-${pad(m, 2)}-${pad(Math.min(d, daysInMonth(y, m)), 2)}`);

/** An RFC 3339 date-time the `date-time` format accepts (a leap second included). */
export const validDateTime: fc.Arbitrary<string> = fc
  .tuple(
    validDate,
    fc.integer({ min: 0, max: 23 }),
    fc.integer({ min: 0, max: 59 }),
    fc.integer({ min: 0, max: 59 }),
    fc.option(fc.integer({ min: 0, max: 999_999 }), { nil: undefined }),
    fc.oneof(fc.constant('Z'), fc.constant('z'), fc.constantFrom('+00:00', '+01:00', '-05:00', '+14:00', '-12:00', '+05:45')),
    fc.boolean(),
    fc.constantFrom('T', 't', ' '),
  )
  .map(([date, h, mi, s, frac, zone, leap, sep]) => {
    const time = leap ? `23:59:60` : `${pad(h, 2)}:${pad(mi, 2)}:${pad(s, 2)}`;
    return `${date}${sep === ' ' ? 'T' : sep}${time}${frac === undefined ? '' : `.${frac}`}${leap ? 'Z' : zone}`;
  });

function uuidFor(ctx: SchemaContext, field: string | undefined): fc.Arbitrary<unknown> {
  return fc.oneof(
    { weight: 6, arbitrary: fc.nat().map((n) => new RealId(ctx.kindOfField(field), n)) },
    { weight: 1, arbitrary: fc.nat().map((n) => new RealId('any', n)) },
    // Another partnership's record: must never be accepted as this one's.
    { weight: 1, arbitrary: fc.nat().map((n) => new RealId('foreign', n)) },
    { weight: 1, arbitrary: fc.tuple(fc.nat(), fc.constantFrom<'upper' | 'urn'>('upper', 'urn')).map(([n, form]) => new RealId(ctx.kindOfField(field), n, form)) },
    { weight: 2, arbitrary: fc.uuid() },
    { weight: 1, arbitrary: fc.constantFrom('00000000-0000-0000-0000-000000000000', 'ffffffff-ffff-ffff-ffff-ffffffffffff') },
  );
}

function stringFor(ctx: SchemaContext, s: Schema, field: string | undefined): fc.Arbitrary<unknown> {
  const hints = ctx.valueHints?.[field ?? ''];
  if (hints?.length) return fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...hints) }, { weight: 1, arbitrary: stringFor({ ...ctx, valueHints: {} }, s, field) });
  const min = typeof s.minLength === 'number' ? s.minLength : 0;
  const max = typeof s.maxLength === 'number' ? s.maxLength : 4000;
  const withinLength = (v: string) => codePoints(v) >= min && codePoints(v) <= max;
  switch (s.format) {
    case 'uuid':
      return uuidFor(ctx, field);
    case 'date':
      return validDate;
    case 'date-time':
      return validDateTime;
    case 'email':
      return fc.emailAddress().filter(withinLength);
    case 'uri':
    case 'url':
      return fc.webUrl().filter(withinLength);
    default:
      break;
  }
  if (typeof s.pattern === 'string') {
    const regex = new RegExp(s.pattern);
    return fc.stringMatching(regex).filter(withinLength);
  }
  return fc.oneof(
    { weight: 9, arbitrary: anyText(min, max) },
    // At the limit exactly.
    { weight: 1, arbitrary: fc.constant('y'.repeat(Math.max(min, Math.min(max, 20_000)))) },
  );
}

function numberFor(s: Schema, integer: boolean): fc.Arbitrary<number> {
  const min = typeof s.minimum === 'number' ? s.minimum : typeof s.exclusiveMinimum === 'number' ? s.exclusiveMinimum + 1 : -1_000_000_000;
  const max = typeof s.maximum === 'number' ? s.maximum : typeof s.exclusiveMaximum === 'number' ? s.exclusiveMaximum - 1 : 1_000_000_000;
  return integer ? fc.integer({ min, max }) : fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
}

/** Values that satisfy `schema` (as far as fast-check can tell: formats and patterns included). */
export function validValue(ctx: SchemaContext, schema: Schema, field?: string, depth = 0): fc.Arbitrary<unknown> {
  const s = resolveRef(ctx, schema);
  if ('const' in s) return fc.constant(s.const);
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
  if (Array.isArray(s.anyOf)) return fc.oneof(...s.anyOf.map((b: Schema) => validValue(ctx, b, field, depth)));
  if (Array.isArray(s.oneOf)) return fc.oneof(...s.oneOf.map((b: Schema) => validValue(ctx, b, field, depth)));
  if (Array.isArray(s.allOf)) return validValue(ctx, Object.assign({}, ...s.allOf.map((b: Schema) => resolveRef(ctx, b))), field, depth);
  const type = Array.isArray(s.type) ? s.type : s.type ? [s.type] : s.properties ? ['object'] : ['string', 'integer', 'boolean', 'null'];
  if (type.length > 1) return fc.oneof(...type.map((t: string) => validValue(ctx, { ...s, type: t }, field, depth)));
  switch (type[0]) {
    case 'string':
      return stringFor(ctx, s, field);
    case 'integer':
      return numberFor(s, true);
    case 'number':
      return numberFor(s, false);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return arrayFor(ctx, s, field, depth);
    case 'object':
      return objectFor(ctx, s, field, depth);
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
}

function arrayFor(ctx: SchemaContext, s: Schema, field: string | undefined, depth: number): fc.Arbitrary<unknown> {
  const items = s.items ? validValue(ctx, s.items, field, depth + 1) : fc.jsonValue({ maxDepth: 1 });
  const minLength = typeof s.minItems === 'number' ? s.minItems : 0;
  // Short lists: one bad item spoils a whole request, and long ones say little more.
  const maxLength = Math.max(minLength, Math.min(typeof s.maxItems === 'number' ? s.maxItems : 3, depth > 2 ? 2 : 3));
  if (s.uniqueItems) {
    // Unique by content; RealIds count as equal only when they are the same placeholder.
    return fc.uniqueArray(items, { minLength, maxLength, selector: (v) => JSON.stringify(v) });
  }
  return fc.array(items, { minLength, maxLength });
}

function objectFor(ctx: SchemaContext, s: Schema, field: string | undefined, depth: number): fc.Arbitrary<unknown> {
  const properties = (s.properties ?? {}) as Record<string, Schema>;
  const required = new Set<string>(Array.isArray(s.required) ? s.required : []);
  const keys = Object.keys(properties);
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const key of keys) model[key] = validValue(ctx, properties[key]!, key, depth + 1);
  // A patch-like object with minProperties and nothing required: make one property required at random.
  const minProperties = typeof s.minProperties === 'number' ? s.minProperties : 0;
  let base: fc.Arbitrary<Record<string, unknown>>;
  if (keys.length === 0) {
    base = fc.constant({});
  } else if (minProperties > 0 && required.size === 0) {
    base = fc
      .constantFrom(...keys)
      .chain((forced) => fc.record(model, { requiredKeys: [forced] }) as fc.Arbitrary<Record<string, unknown>>);
  } else {
    base = fc.record(model, { requiredKeys: keys.filter((k) => required.has(k)) }) as fc.Arbitrary<Record<string, unknown>>;
  }
  const extra = s.additionalProperties;
  if (extra && typeof extra === 'object') {
    const hints = ctx.keyHints[field ?? ''] ?? [];
    const key = hints.length > 0 ? fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...hints) }, { weight: 1, arbitrary: anyText(1, 40) }) : anyText(1, 40);
    const values = fc.dictionary(key, validValue(ctx, extra, undefined, depth + 1), { maxKeys: 4, minKeys: minProperties });
    return fc.tuple(base, values).map(([known, more]) => ({ ...more, ...known }));
  }
  return base;
}

// ---------------------------------------------------------------------------------------
// Invalid values

/** One value of each JSON type, and some numbers JSON can carry that code may not expect. */
export const ODD_VALUES: unknown[] = [null, true, false, 0, -1, 1.5, -0.0, 1e308, -1e308, 2 ** 53, 2 ** 63, '', 'x', '0', 'true', [], [null], {}, { a: 1 }];

const typeOf = (v: unknown) => (v === null ? 'null' : Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v);

/** A value of some other type than the schema allows. */
function wrongType(ctx: SchemaContext, schema: Schema): fc.Arbitrary<unknown> {
  const s = resolveRef(ctx, schema);
  const branches: Schema[] = s.anyOf ?? s.oneOf ?? [s];
  const allowed = new Set<string>();
  for (const b of branches.map((x) => resolveRef(ctx, x))) {
    const types: string[] = Array.isArray(b.type) ? b.type : b.type ? [b.type] : [];
    for (const t of types) {
      allowed.add(t);
      if (t === 'number') allowed.add('integer');
    }
  }
  const candidates = ODD_VALUES.filter((v) => {
    const t = typeOf(v);
    if (allowed.has(t)) return false;
    if (t === 'integer' && allowed.has('number')) return false;
    if (t === 'number' && allowed.has('number')) return false;
    return true;
  });
  return candidates.length > 0 ? fc.constantFrom(...candidates) : fc.constant(Symbol.for('omit'));
}

/** A value of the right type that breaks a limit of the schema: length, range, enum, pattern, format, items. */
function breaksLimit(ctx: SchemaContext, schema: Schema): fc.Arbitrary<unknown> {
  const s = resolveRef(ctx, schema);
  const options: fc.Arbitrary<unknown>[] = [];
  if (Array.isArray(s.enum)) {
    const first = String(s.enum[0] ?? '');
    options.push(fc.constantFrom('not_a_value', first.toUpperCase(), ` ${first}`, `${first} `, `${first}\u0000`, ''));
  }
  const types: string[] = Array.isArray(s.type) ? s.type : s.type ? [s.type] : [];
  if (types.includes('string')) {
    if (typeof s.maxLength === 'number') options.push(fc.constant('z'.repeat(s.maxLength + 1)));
    if (typeof s.minLength === 'number' && s.minLength > 0) options.push(fc.constant('z'.repeat(s.minLength - 1)));
    if (s.format === 'uuid') options.push(fc.constantFrom('not-a-uuid', '1234', '{00000000-0000-0000-0000-000000000000}', '00000000000000000000000000000000', 'zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz'));
    if (s.format === 'date') options.push(fc.constantFrom('2024-02-30', '2023-02-29', '2024-13-01', '24-01-01', '2024-1-1', 'today', '2024-01-01T00:00:00Z', '+02024-01-01', '-0001-01-01'));
    if (s.format === 'date-time') options.push(fc.constantFrom('yesterday', '2024-01-01', '2024-01-01T25:00:00Z', '2024-01-01T10:00:00', '1e10', '2024-02-30T10:00:00Z'));
    if (s.format === 'email') options.push(fc.constantFrom('not an email', '@', 'a@', 'a@b@c'));
    if (typeof s.pattern === 'string') options.push(anyText(1, 30).filter((v) => !new RegExp(s.pattern).test(v)));
    options.push(fc.constant('q'.repeat(70_000)));
  }
  if (types.includes('integer') || types.includes('number')) {
    if (typeof s.maximum === 'number') options.push(fc.constantFrom(s.maximum + 1, s.maximum + 0.5, 2 ** 31, 2 ** 63));
    if (typeof s.minimum === 'number') options.push(fc.constantFrom(s.minimum - 1, s.minimum - 0.5, -(2 ** 31), -(2 ** 63)));
    if (types.includes('integer')) options.push(fc.constantFrom(0.5, 1.0000001, 1e21));
  }
  if (types.includes('array')) {
    const item = s.items ? validValue(ctx, s.items, undefined, 3) : fc.constant(1);
    const max = typeof s.maxItems === 'number' ? s.maxItems : 50;
    options.push(fc.array(item, { minLength: Math.min(max + 1, 250), maxLength: Math.min(max + 1, 250) }));
    if (typeof s.minItems === 'number' && s.minItems > 0) options.push(fc.constant([]));
    if (s.uniqueItems) options.push(item.map((v) => [v, v]));
  }
  if (types.includes('object')) options.push(fc.constant({}), fc.constant({ unexpected: true }));
  return options.length > 0 ? fc.oneof(...options) : wrongType(ctx, s);
}

type PathPart = string | number;

interface Site {
  path: PathPart[];
  schema: Schema | null;
  /** The object holding the field: for removing a key or adding an unknown one. */
  parentRequired: string[];
}

/** Every place in a value the schema describes: object fields and array items, recursively. */
function sites(ctx: SchemaContext, schema: Schema, value: unknown, path: PathPart[] = [], out: Site[] = []): Site[] {
  const s = resolveRef(ctx, schema);
  if (Array.isArray(s.anyOf)) {
    const branch = (s.anyOf as Schema[]).map((b) => resolveRef(ctx, b)).find((b) => typeOf(value) === b.type || (b.type === 'object' && typeOf(value) === 'object'));
    if (branch) sites(ctx, branch, value, path, out);
    return out;
  }
  if (value && typeof value === 'object' && !Array.isArray(value) && !(value instanceof RealId)) {
    const properties = (s.properties ?? {}) as Record<string, Schema>;
    const required = Array.isArray(s.required) ? (s.required as string[]) : [];
    for (const [key, child] of Object.entries(value as Record<string, unknown>)) {
      const childSchema = properties[key] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : null);
      out.push({ path: [...path, key], schema: childSchema, parentRequired: required });
      if (childSchema) sites(ctx, childSchema, child, [...path, key], out);
    }
    // Properties not present: they can be given wrongly too.
    for (const key of Object.keys(properties)) {
      if (!(key in (value as object))) out.push({ path: [...path, key], schema: properties[key]!, parentRequired: required });
    }
  } else if (Array.isArray(value) && s.items) {
    value.forEach((item, i) => {
      out.push({ path: [...path, i], schema: s.items, parentRequired: [] });
      sites(ctx, s.items, item, [...path, i], out);
    });
  }
  return out;
}

const clone = <T>(v: T): T => structuredCloneWithIds(v) as T;
function structuredCloneWithIds(v: unknown): unknown {
  if (v instanceof RealId) return v;
  if (Array.isArray(v)) return v.map(structuredCloneWithIds);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, structuredCloneWithIds(x)]));
  return v;
}

function setAt(root: unknown, path: PathPart[], value: unknown): unknown {
  if (path.length === 0) return value;
  const copy = clone(root) as any;
  let node = copy;
  for (const part of path.slice(0, -1)) node = node[part];
  const last = path[path.length - 1]!;
  if (value === Symbol.for('omit')) {
    if (Array.isArray(node)) node.splice(Number(last), 1);
    else delete node[last];
  } else {
    node[last] = value;
  }
  return copy;
}

/** A valid value made wrong in one place (sometimes two). */
export function invalidValue(ctx: SchemaContext, schema: Schema): fc.Arbitrary<{ value: unknown; mutation: string }> {
  const s = resolveRef(ctx, schema);
  const mutateOnce = (value: unknown): fc.Arbitrary<{ value: unknown; mutation: string }> => {
    const found = sites(ctx, s, value);
    const objectPaths: PathPart[][] = [[], ...found.filter((x) => x.schema && resolveRef(ctx, x.schema).type === 'object').map((x) => x.path)];
    const atSite = found.length === 0
      ? fc.constant({ value: null as unknown, mutation: 'null body' })
      : fc.constantFrom(...found).chain((site) => {
          const where = `/${site.path.join('/')}`;
          const schemaOf = site.schema ?? {};
          return fc.oneof(
            { weight: 3, arbitrary: fc.constant({ value: setAt(value, site.path, Symbol.for('omit')), mutation: `remove ${where}` }) },
            { weight: 3, arbitrary: wrongType(ctx, schemaOf).map((v) => ({ value: setAt(value, site.path, v), mutation: `wrong type at ${where}` })) },
            { weight: 3, arbitrary: breaksLimit(ctx, schemaOf).map((v) => ({ value: setAt(value, site.path, v), mutation: `limit broken at ${where}` })) },
            { weight: 1, arbitrary: fc.constant({ value: setAt(value, site.path, null), mutation: `null at ${where}` }) },
            { weight: 1, arbitrary: fc.constantFrom(...NASTY_STRINGS).map((v) => ({ value: setAt(value, site.path, v), mutation: `nasty text at ${where}` })) },
          );
        });
    const unknownField = fc
      .tuple(fc.constantFrom(...objectPaths), fc.constantFrom('unknown', 'id', 'partnershipId', 'organisation_id', 'createdAt', 'isAdmin', 'constructor', 'toString', 'hasOwnProperty'), fc.jsonValue({ maxDepth: 1 }))
      .map(([path, key, v]) => {
        const target = path.reduce<any>((node, part) => node?.[part], value);
        if (!target || typeof target !== 'object' || Array.isArray(target)) return { value: { ...(value as object), [key]: v }, mutation: `unknown field /${key}` };
        return { value: setAt(value, [...path, key], v), mutation: `unknown field /${[...path, key].join('/')}` };
      });
    return fc.oneof({ weight: 8, arbitrary: atSite }, { weight: 2, arbitrary: unknownField });
  };
  return validValue(ctx, s).chain((v) =>
    fc.oneof(
      { weight: 4, arbitrary: mutateOnce(v) },
      { weight: 1, arbitrary: mutateOnce(v).chain((m) => mutateOnce(m.value).map((m2) => ({ value: m2.value, mutation: `${m.mutation}; ${m2.mutation}` }))) },
    ),
  );
}
