import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { Conflict, DomainError, Invalid, type FieldError } from '../lib/errors.js';

interface AjvError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
  parentSchema?: { description?: string };
}

const PART_PREFIX: Record<string, string> = { body: '', querystring: 'query', params: 'path', headers: 'header' };

/** Turns Ajv's errors into one entry per field, named as a JSON pointer. */
export function fieldErrors(errors: AjvError[], context: string | undefined): FieldError[] {
  const prefix = PART_PREFIX[context ?? 'body'] ?? '';
  const seen = new Set<string>();
  const out: FieldError[] = [];
  for (const error of errors) {
    let field = error.instancePath;
    let message = error.message ?? 'is invalid';
    if (error.keyword === 'required') {
      field = `${field}/${String(error.params.missingProperty)}`;
      message = 'is required';
    } else if (error.keyword === 'additionalProperties') {
      field = `${field}/${String(error.params.additionalProperty)}`;
      message = 'is not a known field';
    } else if (error.keyword === 'enum') {
      message = `must be one of: ${(error.params.allowedValues as unknown[]).join(', ')}`;
    } else if (error.keyword === 'format') {
      message = `must be a valid ${String(error.params.format)}`;
    } else if (error.keyword === 'pattern') {
      const expected = error.parentSchema?.description;
      message = expected ? `is not in the expected format: ${expected}` : 'is not in the expected format';
    }
    const name = prefix ? `${prefix}${field || ''}` : field || '/';
    const key = `${name}|${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ field: name, message });
  }
  return out;
}

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', '57P01', '57P02', '57P03', '08000', '08001', '08003', '08004', '08006']);

/** Whether an error means the database cannot be reached (a restart, a network break), not that the request was wrong. */
export function isDatabaseUnavailable(error: { code?: string; message?: string }): boolean {
  if (error.code && UNAVAILABLE_CODES.has(error.code)) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error|connection is closed/i.test(error.message ?? '');
}

function problem(reply: FastifyReply, request: FastifyRequest, status: number, body: Record<string, unknown>): FastifyReply {
  return reply.code(status).type('application/problem+json').send(problemBody(request, status, body));
}

/** A problem+json body (RFC 9457) with the request's id, as every error answer gives. */
export function problemBody(request: FastifyRequest, status: number, body: Record<string, unknown>): Record<string, unknown> {
  return { type: 'about:blank', status, requestId: request.id, ...body };
}

/** One error handler: domain errors and bad input become problem+json; 5xx hide their detail. */
export function setUpErrors(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof DomainError) {
      return problem(reply, request, error.status, {
        title: error.title,
        detail: error.message,
        ...(error instanceof Invalid ? { errors: error.errors } : {}),
        ...(error instanceof Conflict && error.allowed.length > 0 ? { allowed: [...error.allowed] } : {}),
      });
    }
    if (error.validation) {
      const errors = fieldErrors(error.validation as AjvError[], error.validationContext);
      return problem(reply, request, 400, {
        title: 'Invalid request',
        detail: errors.map((e) => `${e.field} ${e.message}`).join('; '),
        errors,
      });
    }
    const status = error.statusCode ?? 500;
    if (status === 413) {
      return problem(reply, request, 413, {
        title: 'Request too large',
        detail: 'The request body is larger than this server accepts',
        errors: [{ field: 'body', message: 'is too large' }],
      });
    }
    if (status >= 400 && status < 500) {
      const isBodyError = error.code?.startsWith('FST_ERR_CTP') || error instanceof SyntaxError;
      return problem(reply, request, status, {
        title: status === 415 ? 'Unsupported media type' : 'Invalid request',
        detail: isBodyError ? 'The request body could not be read as JSON' : 'The request could not be processed',
        ...(isBodyError ? { errors: [{ field: 'body', message: status === 415 ? 'must be application/json' : 'is not valid JSON' }] } : {}),
      });
    }
    if (isDatabaseUnavailable(error)) {
      // Nothing was changed (the transaction never committed); the pool reconnects by itself.
      request.log.warn({ err: error }, 'database unavailable');
      reply.header('retry-after', '5');
      return problem(reply, request, 503, {
        title: 'Service unavailable',
        detail: 'The database is not answering just now, so nothing was saved. Try again in a few seconds.',
      });
    }
    request.log.error({ err: error }, 'request failed');
    return problem(reply, request, 500, {
      title: 'Something went wrong',
      detail: 'The request failed. Nothing about it was shown here; quote the request id to an administrator.',
    });
  });

  app.setNotFoundHandler((request, reply) =>
    problem(reply, request, 404, { title: 'Not found', detail: 'There is nothing at this address' }),
  );
}
