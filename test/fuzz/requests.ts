/**
 * The operations of /openapi.json (and the Twilio webhooks, which it hides), and a
 * fast-check arbitrary of requests to each: path parameters, query strings, bodies, headers
 * and a caller, each valid most of the time and wrong in some way otherwise.
 */
import fc from 'fast-check';
import { anyText, invalidValue, NASTY_STRINGS, RealId, resolveRef, validValue, type Schema, type SchemaContext } from './schema.js';

export interface Param {
  name: string;
  in: 'path' | 'query' | 'header';
  required: boolean;
  schema: Schema;
}

export interface Operation {
  /** `POST /api/v1/contacts/{id}/referrals` */
  key: string;
  method: string;
  path: string;
  params: Param[];
  body: Schema | null;
  bodyRequired: boolean;
  kind: 'api' | 'twilio';
  /** How often it is picked, against 50 for most (an expensive route by design less often). */
  weight?: number;
}

export function operationsOf(doc: Schema): Operation[] {
  const out: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, Schema>>)) {
    for (const [method, op] of Object.entries(item)) {
      if (!['get', 'post', 'put', 'patch', 'delete'].includes(method)) continue;
      const params = ((op.parameters ?? []) as Schema[]).map((p) => ({ name: p.name, in: p.in, required: Boolean(p.required), schema: p.schema ?? {} }) as Param);
      const content = op.requestBody?.content as Record<string, Schema> | undefined;
      const body = content?.['application/json']?.schema ?? null;
      out.push({ key: `${method.toUpperCase()} ${path}`, method: method.toUpperCase(), path, params, body, bodyRequired: Boolean(op.requestBody?.required), kind: 'api' });
    }
  }
  return out;
}

/** The Twilio voice webhooks: form posts signed with the auth token (routes hidden from /openapi.json). */
export const TWILIO_PATHS = ['voice', 'gather', 'whisper', 'wait', 'dial-result', 'queue-result', 'options', 'callback-safe', 'callback-time', 'status'];
export function twilioOperations(): Operation[] {
  return TWILIO_PATHS.map((name) => ({
    key: `POST /telephony/twilio/${name}`,
    method: 'POST',
    path: `/telephony/twilio/${name}`,
    params: name === 'whisper' ? [{ name: 'user', in: 'query', required: false, schema: { type: 'string', format: 'uuid' } }] : [],
    body: null,
    bodyRequired: false,
    kind: 'twilio' as const,
  }));
}

// ---------------------------------------------------------------------------------------

/** Who calls: a persona's token (one that this route has let in before, or any), nobody, or a bad header. */
export type Caller =
  | { kind: 'fit'; n: number }
  | { kind: 'persona'; n: number }
  | { kind: 'none' }
  | { kind: 'raw'; header: string; note: string }
  | { kind: 'tampered'; n: number; how: 'lowercase-scheme' | 'truncated' | 'extra-word' | 'two-spaces' | 'basic' | 'no-scheme' | 'twice' };

export type PathValue = RealId | { raw: string; note: string };

export type Body =
  | { kind: 'none' }
  | { kind: 'json'; value: unknown; contentType: string; note: string }
  | { kind: 'raw'; text: string; contentType: string | null; note: string }
  | { kind: 'deep'; depth: number; open: '[' | '{"a":'; contentType: string; note: string }
  | { kind: 'form'; params: Record<string, string>; signature: 'valid' | 'wrong-token' | 'none' | 'garbage' | 'stale'; contentType: string; note: string };

export interface QueryPart {
  name: string;
  value: string | RealId;
  /** Sent exactly as given (already a query-string fragment, possibly malformed). */
  raw?: boolean;
}

export interface FuzzRequest {
  op: number;
  method: string;
  pathParams: Record<string, PathValue>;
  query: QueryPart[];
  caller: Caller;
  idempotencyKey: { kind: 'none' } | { kind: 'value'; value: string | string[]; note: string };
  extraHeaders: Record<string, string>;
  body: Body;
  /** What this request gets wrong on purpose ('' when nothing). */
  notes: string[];
}

const JUNK_PATH_VALUES: Array<{ raw: string; note: string }> = [
  { raw: 'not-a-uuid', note: 'junk id' },
  { raw: '0', note: 'junk id' },
  { raw: '-1', note: 'junk id' },
  { raw: 'null', note: 'junk id' },
  { raw: 'undefined', note: 'junk id' },
  { raw: '..', note: 'dot-dot id' },
  { raw: '.', note: 'dot id' },
  { raw: '%2e%2e', note: 'encoded dot-dot id' },
  { raw: '%2F', note: 'encoded slash id' },
  { raw: '%00', note: 'NUL id' },
  { raw: '%', note: 'bad escape id' },
  { raw: '%zz', note: 'bad escape id' },
  { raw: '%E0%A4%A', note: 'truncated UTF-8 id' },
  { raw: '%C0%AE', note: 'overlong UTF-8 id' },
  { raw: '%ED%A0%80', note: 'surrogate UTF-8 id' },
  { raw: '00000000-0000-0000-0000-000000000000', note: 'nil uuid' },
  { raw: '{00000000-0000-4000-8000-000000000000}', note: 'braced uuid' },
  { raw: '000000000000400080000000000000000', note: 'unhyphenated uuid' },
  { raw: 'urn:uuid:00000000-0000-4000-8000-000000000000', note: 'urn uuid' },
  { raw: 'x'.repeat(2000), note: 'long id' },
  { raw: "1'%20or%20'1'='1", note: 'sql in id' },
  { raw: '__proto__', note: 'proto id' },
  { raw: 'constructor', note: 'constructor id' },
  { raw: '%F0%9F%99%82', note: 'emoji id' },
];

/** Percent-encodes a string as UTF-8 (a lone surrogate becomes U+FFFD, as any client would send it). */
export function pct(s: string): string {
  let out = '';
  for (const byte of Buffer.from(s, 'utf8')) {
    const c = String.fromCharCode(byte);
    out += /[A-Za-z0-9\-._~]/.test(c) ? c : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

function pathValue(kind: string): fc.Arbitrary<PathValue> {
  return fc.oneof(
    { weight: 14, arbitrary: fc.nat().map((n) => new RealId(kind, n)) },
    { weight: 2, arbitrary: fc.nat().map((n) => new RealId('any', n)) },
    { weight: 1, arbitrary: fc.nat().map((n) => new RealId('foreign', n)) },
    { weight: 1, arbitrary: fc.tuple(fc.nat(), fc.constantFrom<'upper' | 'urn'>('upper', 'urn')).map(([n, form]) => new RealId(kind, n, form)) },
    { weight: 2, arbitrary: fc.uuid().map((u) => ({ raw: u, note: 'random uuid' })) },
    { weight: 2, arbitrary: fc.constantFrom(...JUNK_PATH_VALUES) },
    { weight: 1, arbitrary: anyText(0, 40).map((s) => ({ raw: pct(s), note: 'random text id' })) },
  );
}

/** Query values that look right (as text, as a browser would send them). */
function queryValue(ctx: SchemaContext, schema: Schema, name: string): fc.Arbitrary<string | RealId> {
  const s = resolveRef(ctx, schema);
  return validValue(ctx, s, name).map((v) => (v instanceof RealId ? v : typeof v === 'string' ? v : JSON.stringify(v)));
}

const BAD_QUERY_VALUES = ['', 'abc', '1.5', '-1', '0', '1e3', '99999999999999999999', 'true', 'null', '[]', '{}', 'x'.repeat(5000), ...NASTY_STRINGS];
const RAW_QUERY_FRAGMENTS = ['%', '%zz', '%00', '%E0%A4%A', '&&&', '=', '==', '&=x', '%26%3D', '__proto__[admin]=1', 'constructor[prototype][admin]=1', 'page[]=1', 'a=1;b=2', '+'.repeat(50)];

function validQuery(ctx: SchemaContext, params: Param[]): fc.Arbitrary<QueryPart[]> {
  const query = params.filter((p) => p.in === 'query');
  return fc.tuple(
    ...query.map((p) =>
      fc.option(queryValue(ctx, p.schema, p.name).map((value) => ({ name: p.name, value }) as QueryPart), { freq: 2, nil: null }),
    ),
  ).map((parts) => parts.filter((x): x is QueryPart => x !== null));
}

function queryParts(ctx: SchemaContext, params: Param[]): fc.Arbitrary<{ parts: QueryPart[]; notes: string[] }> {
  const valid = validQuery(ctx, params);
  const known = params.filter((p) => p.in === 'query').map((p) => p.name);
  const wrong: fc.Arbitrary<{ part: QueryPart; note: string }>[] = [
    fc.tuple(fc.constantFrom('colour', 'q2', 'PAGE', 'partnershipId', 'debug', '__proto__', 'constructor', 'per_page', 'sort', ''), fc.constantFrom(...BAD_QUERY_VALUES)).map(([name, value]) => ({ part: { name, value }, note: `unknown query ${name || '(empty name)'}` })),
    fc.constantFrom(...RAW_QUERY_FRAGMENTS).map((raw) => ({ part: { name: raw, value: '', raw: true }, note: `raw query ${raw}` })),
  ];
  if (known.length > 0) {
    wrong.push(
      fc.tuple(fc.constantFrom(...known), fc.constantFrom(...BAD_QUERY_VALUES)).map(([name, value]) => ({ part: { name, value }, note: `bad query ${name}` })),
      fc.tuple(fc.constantFrom(...known), anyText(0, 30)).map(([name, value]) => ({ part: { name, value }, note: `random query ${name}` })),
      fc.tuple(fc.constantFrom(...known), fc.nat()).map(([name, n]) => ({ part: { name, value: new RealId('any', n, 'urn') }, note: `urn uuid in query ${name}` })),
    );
  }
  return fc.tuple(valid, fc.option(fc.array(fc.oneof(...wrong), { minLength: 1, maxLength: 3 }), { freq: 5, nil: null }), fc.boolean()).map(([parts, bad, repeat]) => {
    if (!bad) return { parts, notes: [] };
    const extra = bad.map((b) => b.part);
    // A known parameter given twice is also a way of being wrong.
    const doubled = repeat && parts.length > 0 ? [parts[0]!] : [];
    return { parts: [...parts, ...extra, ...doubled], notes: [...bad.map((b) => b.note), ...(doubled.length ? [`query ${parts[0]!.name} twice`] : [])] };
  });
}

const CONTENT_TYPES_WRONG = [
  'text/plain',
  'text/plain; charset=utf-8',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=xyz',
  'application/xml',
  'application/octet-stream',
  'application/json; charset=utf-16',
  'application/json; charset=latin1',
  'APPLICATION/JSON',
  'application/vnd.api+json',
  'application/merge-patch+json',
  'application/json;;;',
  'application/jsonx',
  '*/*',
  'json',
  '',
];
const RAW_BODIES = [
  '',
  ' ',
  '{',
  '{"a":',
  'not json',
  '{"a":1}{"b":2}',
  '\u0000',
  'null',
  '[]',
  '"a string"',
  '12',
  '1e999',
  'true',
  '{"__proto__":{"isAdmin":true}}',
  '{"constructor":{"prototype":{"isAdmin":true}}}',
  '\ufeff{}',
  "{'single':'quotes'}",
  '{"a":1,}',
  '{"a":NaN}',
  '{"a":"\\ud800"}',
  '{"a":"\\u0000"}',
  '{"dup":1,"dup":2}',
  'a=1&b=2',
  '--xyz\r\nContent-Disposition: form-data; name="a"\r\n\r\n1\r\n--xyz--',
  '<xml/>',
];

function bodyOf(ctx: SchemaContext, op: Operation): fc.Arbitrary<Body> {
  if (op.kind === 'twilio') return twilioBody();
  if (!op.body) {
    // No body expected: usually none, sometimes one anyway.
    return fc.oneof(
      { weight: 12, arbitrary: fc.constant<Body>({ kind: 'none' }) },
      { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((value): Body => ({ kind: 'json', value, contentType: 'application/json', note: 'unexpected body' })) },
      { weight: 1, arbitrary: fc.constantFrom(...RAW_BODIES).map((text): Body => ({ kind: 'raw', text, contentType: 'application/json', note: 'unexpected raw body' })) },
    );
  }
  const schema = op.body;
  return fc.oneof(
    { weight: 13, arbitrary: validValue(ctx, schema).map((value): Body => ({ kind: 'json', value, contentType: 'application/json', note: '' })) },
    { weight: 7, arbitrary: invalidValue(ctx, schema).map(({ value, mutation }): Body => ({ kind: 'json', value, contentType: 'application/json', note: `body: ${mutation}` })) },
    {
      weight: 1,
      arbitrary: fc.constantFrom(...ODD_BODIES).map((value): Body => ({ kind: 'json', value, contentType: 'application/json', note: `body: ${JSON.stringify(value)?.slice(0, 20)}` })),
    },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_BODIES).map((text): Body => ({ kind: 'raw', text, contentType: 'application/json', note: 'raw body' })) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(validValue(ctx, schema), fc.constantFrom(...CONTENT_TYPES_WRONG))
        .map(([value, contentType]): Body => ({ kind: 'raw', text: JSON.stringify(value) ?? '', contentType, note: `content-type ${JSON.stringify(contentType)}` })),
    },
    { weight: 1, arbitrary: validValue(ctx, schema).map((value): Body => ({ kind: 'raw', text: JSON.stringify(value) ?? '', contentType: null, note: 'no content-type' })) },
    { weight: 1, arbitrary: fc.constant<Body>({ kind: 'none' }).map((b) => b) },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.integer({ min: 100, max: 60_000 }), fc.constantFrom<'[' | '{"a":'>('[', '{"a":'))
        .map(([depth, open]): Body => ({ kind: 'deep', depth, open, contentType: 'application/json', note: `nested ${depth} deep` })),
    },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 200 * 1024, max: 400 * 1024 }).map((n): Body => ({ kind: 'json', value: { huge: 'h'.repeat(n) }, contentType: 'application/json', note: `huge body ${n} bytes` })),
    },
  );
}

const ODD_BODIES: unknown[] = [null, [], [{}], 0, 'text', true, {}, { '': '' }];

// Twilio's own parameter names, with the values it sends and some it never would.
const CALL_SID = fc.oneof(
  fc.stringMatching(/^CA[0-9a-f]{32}$/),
  fc.constantFrom('CA00000000000000000000000000000001', 'CA00000000000000000000000000000002', ''),
  anyText(0, 60),
);
const TWILIO_FIELDS: Record<string, fc.Arbitrary<string>> = {
  CallSid: CALL_SID,
  ParentCallSid: CALL_SID,
  AccountSid: fc.constantFrom('AC00000000000000000000000000000000', 'AC', ''),
  From: fc.oneof(fc.constantFrom('+447700900321', '+441632960000', 'anonymous', 'client:alice', '', '266696687'), anyText(0, 30)),
  To: fc.constantFrom('+441632960000', ''),
  Digits: fc.oneof(fc.constantFrom('1', '2', '3', '4', '9', '0', '*', '#', '', '11', 'timeout', 'hangup'), anyText(0, 20)),
  CallStatus: fc.oneof(fc.constantFrom('queued', 'ringing', 'in-progress', 'completed', 'busy', 'failed', 'no-answer', 'canceled'), anyText(0, 20)),
  DialCallStatus: fc.constantFrom('completed', 'answered', 'busy', 'no-answer', 'failed', 'canceled', ''),
  QueueResult: fc.constantFrom('bridged', 'leave', 'hangup', 'redirected', 'error', 'system-shutdown', ''),
  QueueTime: fc.oneof(fc.nat({ max: 600 }).map(String), fc.constantFrom('', '-1', 'NaN', '1e309', 'abc', '99999999999999999999')),
  QueuePosition: fc.oneof(fc.nat({ max: 50 }).map(String), fc.constantFrom('', '-1', 'NaN', 'abc')),
  CallDuration: fc.nat({ max: 3600 }).map(String),
  Direction: fc.constantFrom('inbound', 'outbound-dial'),
  ApiVersion: fc.constant('2010-04-01'),
};

function twilioBody(signedOnly = false): fc.Arbitrary<Body> {
  const params = fc.record(TWILIO_FIELDS, { requiredKeys: [] }).chain((known) =>
    fc.option(fc.dictionary(anyText(1, 12), anyText(0, 30), { maxKeys: 2 }), { freq: 4, nil: undefined }).map((extra) => ({ ...(extra ?? {}), ...known }) as Record<string, string>),
  );
  if (signedOnly) return params.map((p): Body => ({ kind: 'form', params: p, signature: 'valid', contentType: 'application/x-www-form-urlencoded', note: '' }));
  return fc.oneof(
    {
      weight: 12,
      arbitrary: fc
        .tuple(params, fc.constantFrom<'valid' | 'wrong-token' | 'none' | 'garbage' | 'stale'>('valid', 'wrong-token', 'none', 'garbage', 'stale'))
        .map(([p, signature]): Body => ({ kind: 'form', params: p, signature, contentType: 'application/x-www-form-urlencoded', note: signature === 'valid' ? '' : `signature ${signature}` })),
    },
    { weight: 1, arbitrary: params.map((p): Body => ({ kind: 'json', value: p, contentType: 'application/json', note: 'json instead of form, unsigned' })) },
    { weight: 1, arbitrary: fc.constantFrom(...RAW_BODIES).map((text): Body => ({ kind: 'raw', text, contentType: 'application/x-www-form-urlencoded', note: 'raw form body, unsigned' })) },
    { weight: 1, arbitrary: fc.constant<Body>({ kind: 'none' }) },
  );
}

function callerOf(personaCount: number): fc.Arbitrary<{ caller: Caller; note: string | null }> {
  return fc.oneof(
    { weight: 10, arbitrary: fc.nat().map((n) => ({ caller: { kind: 'fit', n } as Caller, note: null })) },
    { weight: 8, arbitrary: fc.nat({ max: personaCount - 1 }).map((n) => ({ caller: { kind: 'persona', n } as Caller, note: null })) },
    { weight: 1, arbitrary: fc.constant({ caller: { kind: 'none' } as Caller, note: 'no Authorization' }) },
    {
      weight: 1,
      arbitrary: fc
        .oneof(
          fc.constantFrom('Bearer', 'Bearer ', 'Bearer null', 'Bearer undefined', 'Basic dXNlcjpwYXNz', 'Token abc', 'bearer', '', ' ', 'Bearer spoc_', `Bearer spoc_${'A'.repeat(200)}`),
          fc.string({ unit: 'grapheme-ascii', maxLength: 80 }).map((s) => `Bearer spoc_${s.replace(/[^\x21-\x7e]/g, 'x')}${'0'.repeat(24)}`),
          fc.string({ unit: 'grapheme-ascii', maxLength: 80 }).map((s) => `Bearer ${s.replace(/[^\x20-\x7e]/g, '')}`),
          fc.string({ unit: 'binary-ascii', maxLength: 40 }).map((s) => s.replace(/[^\t\x20-\x7e]/g, '')),
          fc.constant(`Bearer ${'é'.repeat(30)}`),
          fc.constant(`Bearer ${'x'.repeat(4000)}`),
        )
        .map((header) => ({ caller: { kind: 'raw', header, note: 'garbage Authorization' } as Caller, note: 'garbage Authorization' })),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.nat({ max: personaCount - 1 }), fc.constantFrom('lowercase-scheme', 'truncated', 'extra-word', 'two-spaces', 'basic', 'no-scheme', 'twice') as fc.Arbitrary<Extract<Caller, { kind: 'tampered' }>['how']>)
        .map(([n, how]) => ({ caller: { kind: 'tampered', n, how } as Caller, note: `token ${how}` })),
    },
  );
}

const idempotency = fc.oneof(
  { weight: 10, arbitrary: fc.constant({ kind: 'none' as const }) },
  { weight: 4, arbitrary: fc.stringMatching(/^[\x21-\x7e]{1,200}$/).map((value) => ({ kind: 'value' as const, value, note: '' })) },
  { weight: 2, arbitrary: fc.constantFrom('fuzz-key-1', 'fuzz-key-2', 'fuzz-key-3').map((value) => ({ kind: 'value' as const, value, note: 'reused idempotency key' })) },
  {
    weight: 1,
    arbitrary: fc
      .constantFrom<string | string[]>('', ' ', 'has space', 'k'.repeat(201), 'tab\there', 'é', ['twice-a', 'twice-b'], 'x'.repeat(4000))
      .map((value) => ({ kind: 'value' as const, value, note: 'bad idempotency key' })),
  },
);

const extraHeaders = fc.oneof(
  { weight: 12, arbitrary: fc.constant({} as Record<string, string>) },
  {
    weight: 1,
    arbitrary: fc
      .subarray([
        ['accept', 'application/xml'],
        ['accept', 'text/html'],
        ['accept-encoding', 'gzip, deflate, br'],
        ['accept-language', 'cy-GB'],
        ['x-forwarded-for', '1.2.3.4, not-an-ip'],
        ['x-forwarded-proto', 'gopher'],
        ['x-request-id', '../../x'],
        ['x-http-method-override', 'DELETE'],
        ['origin', 'https://evil.example'],
        ['cookie', 'spoc_session=garbage; _csrf=x'],
        ['if-none-match', '*'],
        ['range', 'bytes=0-1'],
        ['expect', '100-continue'],
      ] as Array<[string, string]>, { minLength: 1 })
      .map((pairs) => Object.fromEntries(pairs)),
  },
);

const WRONG_METHODS = ['DELETE', 'PUT', 'PATCH', 'POST', 'GET', 'OPTIONS', 'HEAD', 'TRACE'];

export interface RequestContext extends SchemaContext {
  ops: Operation[];
  personaCount: number;
  /** The kind of record a path's `{id}` names. */
  kindOfPath: (path: string, param: string) => string;
}

/** A request that gets nothing wrong on purpose: real ids, a persona the route has let in, a body of the schema, signed if a webhook. */
function validRequest(ctx: RequestContext, op: Operation, index: number): fc.Arbitrary<FuzzRequest> {
  const pathParams = op.params.filter((p) => p.in === 'path');
  const path = fc.tuple(...pathParams.map((p) => fc.nat().map((n) => new RealId(ctx.kindOfPath(op.path, p.name), n)))).map((values) => Object.fromEntries(pathParams.map((p, i) => [p.name, values[i]!])));
  const takesKey = op.params.some((p) => p.in === 'header' && p.name === 'idempotency-key');
  const body: fc.Arbitrary<Body> =
    op.kind === 'twilio'
      ? twilioBody(true)
      : op.body
        ? validValue(ctx, op.body).map((value): Body => ({ kind: 'json', value, contentType: 'application/json', note: '' }))
        : fc.constant<Body>({ kind: 'none' });
  return fc
    .record({
      pathParams: path,
      query: validQuery(ctx, op.params),
      n: fc.nat(),
      key: takesKey ? fc.option(fc.stringMatching(/^[\x21-\x7e]{1,200}$/), { freq: 3, nil: null }) : fc.constant(null),
      body,
    })
    .map(
      (r): FuzzRequest => ({
        op: index,
        method: op.method,
        pathParams: r.pathParams,
        query: r.query,
        caller: op.kind === 'twilio' ? { kind: 'none' } : { kind: 'fit', n: r.n },
        idempotencyKey: r.key === null ? { kind: 'none' } : { kind: 'value', value: r.key, note: '' },
        extraHeaders: {},
        body: r.body,
        notes: [],
      }),
    );
}

export function requestArbitrary(ctx: RequestContext): fc.Arbitrary<FuzzRequest> {
  const perOp = ctx.ops.map((op, index) => fc.oneof({ weight: 2, arbitrary: validRequest(ctx, op, index) }, { weight: 3, arbitrary: mutatedRequest(ctx, op, index) }));
  // Every operation equally often, but for the few weighted down; unbiased (fast-check favours the ends of a range).
  const cumulative: number[] = [];
  let total = 0;
  for (const op of ctx.ops) cumulative.push((total += op.weight ?? 50));
  return fc.noBias(fc.nat({ max: total - 1 })).chain((n) => perOp[cumulative.findIndex((c) => n < c)]!);
}

/** A request with each part wrong now and then: path, query, caller, headers, body, method. */
function mutatedRequest(ctx: RequestContext, op: Operation, index: number): fc.Arbitrary<FuzzRequest> {
  const pathParams = op.params.filter((p) => p.in === 'path');
  const pathArb = fc.tuple(...pathParams.map((p) => pathValue(ctx.kindOfPath(op.path, p.name)))).map((values) => Object.fromEntries(pathParams.map((p, i) => [p.name, values[i]!])));
  const method = fc.oneof({ weight: 40, arbitrary: fc.constant(op.method) }, { weight: 1, arbitrary: fc.constantFrom(...WRONG_METHODS.filter((m) => m !== op.method)) });
  return fc
    .record({
      pathParams: pathArb,
      query: queryParts(ctx, op.params),
      caller: op.kind === 'twilio' ? fc.constant({ caller: { kind: 'none' } as Caller, note: null }) : callerOf(ctx.personaCount),
      idempotencyKey: op.params.some((p) => p.in === 'header' && p.name === 'idempotency-key') ? idempotency : fc.oneof({ weight: 20, arbitrary: fc.constant({ kind: 'none' as const }) }, { weight: 1, arbitrary: idempotency }),
      extraHeaders,
      body: bodyOf(ctx, op),
      method,
    })
    .map((r): FuzzRequest => {
      const notes: string[] = [];
      if (r.method !== op.method) notes.push(`method ${r.method}`);
      for (const v of Object.values(r.pathParams)) if (!(v instanceof RealId)) notes.push(v.note);
      for (const v of Object.values(r.pathParams)) if (v instanceof RealId && v.form !== 'plain') notes.push(`${v.form} id`);
      notes.push(...r.query.notes);
      if (r.caller.note) notes.push(r.caller.note);
      if (r.idempotencyKey.kind === 'value' && r.idempotencyKey.note) notes.push(r.idempotencyKey.note);
      if (Object.keys(r.extraHeaders).length) notes.push(`headers ${Object.keys(r.extraHeaders).join(',')}`);
      if ('note' in r.body && r.body.note) notes.push(r.body.note);
      return {
        op: index,
        method: r.method,
        pathParams: r.pathParams,
        query: r.query.parts,
        caller: r.caller.caller,
        idempotencyKey: r.idempotencyKey,
        extraHeaders: r.extraHeaders,
        body: r.body,
        notes,
      };
    });
}

