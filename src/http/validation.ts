import { Ajv, type Options } from 'ajv';
import * as addFormatsModule from 'ajv-formats';
import type { FastifyInstance } from 'fastify';

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
  return ajv;
}

/**
 * Bodies are checked as sent (a number is not a string); query strings and path
 * parameters arrive as text, so they are coerced to the declared types.
 */
export function setUpValidation(app: FastifyInstance): void {
  const bodyAjv = buildAjv({ coerceTypes: false });
  const paramsAjv = buildAjv({ coerceTypes: 'array' });
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? bodyAjv : paramsAjv).compile(schema as object),
  );
}
