import { Ajv, type Options } from 'ajv';
import * as addFormatsModule from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { Invalid } from '../lib/errors.js';

// ajv-formats is CommonJS; its default export arrives wrapped under ESM.
const addFormats = (addFormatsModule as unknown as { default: (ajv: Ajv) => Ajv }).default;

export function buildAjv(options: Options): Ajv {
  const ajv = new Ajv({
    // Name every bad field, not only the first; refuse unknown fields instead of dropping them.
    allErrors: true,
    removeAdditional: false,
    useDefaults: true,
    strict: false,
    // Errors carry their schema, so a message can quote the field's description.
    verbose: true,
    ...options,
  });
  addFormats(ajv);
  // Stricter than ajv-formats where PostgreSQL is: a uuid without the urn:uuid: prefix, dates
  // from year 1000 (not 0000), date-times without leap seconds (which no Date can hold).
  ajv.addFormat('uuid', /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i);
  ajv.addFormat('date', { type: 'string', validate: isRealDate });
  ajv.addFormat('date-time', { type: 'string', validate: isRealDateTime });
  return ajv;
}

function isRealDate(value: string): boolean {
  if (!/^[1-9]\d{3}-\d{2}-\d{2}$/.test(value)) return false;
  const date = new Date(`${value}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === value;
}

function isRealDateTime(value: string): boolean {
  const match = /^([1-9]\d{3}-\d{2}-\d{2})[Tt ]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d{1,9})?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/.exec(value);
  return match !== null && isRealDate(match[1]!) && !Number.isNaN(Date.parse(value));
}

/** Text PostgreSQL cannot store: a NUL character, or half of a surrogate pair. */
function unstorable(value: string): boolean {
  return value.includes('\u0000') || /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(value);
}

/** The first string in a parsed body or query (keys included) that PostgreSQL could not store, as a JSON pointer. Iterative: bodies may nest deeply. */
export function unstorableField(value: unknown): string | null {
  const stack: Array<[unknown, string]> = [[value, '']];
  while (stack.length > 0) {
    const [item, pointer] = stack.pop()!;
    if (typeof item === 'string') {
      if (unstorable(item)) return pointer || '/';
    } else if (Array.isArray(item)) {
      item.forEach((child, i) => stack.push([child, `${pointer}/${i}`]));
    } else if (item && typeof item === 'object') {
      for (const [key, child] of Object.entries(item)) {
        if (unstorable(key)) return `${pointer}/${key.replace(/[^\x20-\x7e]/g, '?')}`;
        stack.push([child, `${pointer}/${key}`]);
      }
    }
  }
  return null;
}

/**
 * Bodies are checked as sent (a number is not a string); query strings and path
 * parameters arrive as text, so they are coerced to the declared types.
 */
export function setUpValidation(app: FastifyInstance): void {
  // Before any schema: text with a NUL or a lone surrogate is refused by name (PostgreSQL cannot store it).
  app.addHook('preValidation', async (request) => {
    for (const [part, prefix] of [[request.body, ''], [request.query, 'query'], [request.params, 'path']] as const) {
      const field = unstorableField(part);
      if (field) throw new Invalid([{ field: `${prefix}${field === '/' && prefix ? '' : field}`, message: 'contains characters that cannot be stored (a NUL, or half of a surrogate pair)' }], 400);
    }
  });
  const bodyAjv = buildAjv({ coerceTypes: false });
  const paramsAjv = buildAjv({ coerceTypes: 'array' });
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? bodyAjv : paramsAjv).compile(schema as object),
  );
}
