/**
 * Domain errors: values with names, mapped to application/problem+json (RFC 9457) in one
 * place (src/http/errors.ts). Their messages never carry personal data.
 */

export interface FieldError {
  /** JSON pointer to the field in the request, e.g. `/person/postcode` or `query/from`. */
  field: string;
  message: string;
}

export abstract class DomainError extends Error {
  abstract readonly status: number;
  abstract readonly title: string;
}

export class NotFound extends DomainError {
  readonly status = 404;
  readonly title = 'Not found';
  constructor(what: string) {
    super(`${what} not found`);
  }
}

/**
 * A refusal to show or change a record the actor may not reach. It answers exactly as
 * NotFound does (telling the caller nothing), and its audit entry outlives the rollback.
 */
export class Refused extends NotFound {
  constructor(
    what: string,
    readonly audit: { action: string; recordType: string; recordId: string },
  ) {
    super(what);
  }
}

export class Unauthorised extends DomainError {
  readonly status = 401;
  readonly title = 'Sign-in required';
  constructor(detail = 'A valid bearer token is required') {
    super(detail);
  }
}

export class Forbidden extends DomainError {
  readonly status = 403;
  readonly title = 'Not allowed';
  constructor(detail: string) {
    super(detail);
  }
}

export class Conflict extends DomainError {
  readonly status = 409;
  readonly title = 'Conflict';
  constructor(
    detail: string,
    readonly allowed: readonly string[] = [],
  ) {
    super(detail);
  }
}

/** Input that is well-formed but breaks a rule: names every field at fault. */
export class Invalid extends DomainError {
  readonly status: number;
  readonly title = 'Invalid request';
  constructor(
    readonly errors: FieldError[],
    status: 400 | 422 = 422,
  ) {
    super(errors.map((e) => `${e.field}: ${e.message}`).join('; '));
    this.status = status;
  }

  static field(field: string, message: string, status: 400 | 422 = 422): Invalid {
    return new Invalid([{ field, message }], status);
  }
}
