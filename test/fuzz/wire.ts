/**
 * A generated request made concrete (real ids, tokens, signatures) and sent over real HTTP;
 * and printed, token values left out, so a failure can be sent again by hand.
 */
import http from 'node:http';
import twilio from 'twilio';
import type { Caller, FuzzRequest, Operation, PathValue } from './requests.js';
import { pct } from './requests.js';
import { RealId } from './schema.js';

export interface Persona {
  name: string;
  token: string;
}

export interface WireContext {
  baseUrl: URL;
  personas: Persona[];
  /** Ids by kind ('any' is every kind of the partnership; 'foreign' another partnership's). */
  pools: Record<string, string[]>;
  /** Personas a route has let in (not 401/403), by operation key: what a `fit` caller picks from if none has succeeded. */
  admitted: Map<string, Set<number>>;
  /** Personas a route has answered with a 2xx: what a `fit` caller picks from. */
  succeeded: Map<string, Set<number>>;
  twilio: { token: string; publicUrl: string };
}

export interface WireRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[]>;
  body: Buffer | null;
  /** Headers as printed: token values replaced by whose token they are. */
  printableHeaders: Record<string, string | string[]>;
  /** The body as printed (long ones shortened). */
  printableBody: (() => string) | null;
  /** Some path id belongs to another partnership. */
  foreignPath: boolean;
  persona: string;
}

const FALLBACK_ID = (n: number) => `00000000-0000-4000-8000-${String(n % 1_000_000_000_000).padStart(12, '0')}`;

export function resolveId(ctx: WireContext, id: RealId): string {
  const pool = ctx.pools[id.kind]?.length ? ctx.pools[id.kind]! : ctx.pools.any ?? [];
  const plain = pool.length > 0 ? pool[id.n % pool.length]! : FALLBACK_ID(id.n);
  return id.form === 'upper' ? plain.toUpperCase() : id.form === 'urn' ? `urn:uuid:${plain}` : plain;
}

function resolveDeep(ctx: WireContext, value: unknown): unknown {
  if (value instanceof RealId) return resolveId(ctx, value);
  if (Array.isArray(value)) return value.map((v) => resolveDeep(ctx, v));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveDeep(ctx, v)]));
  return value;
}

function pathSegment(ctx: WireContext, v: PathValue): string {
  return v instanceof RealId ? pct(resolveId(ctx, v)) : v.raw;
}

function personaFor(ctx: WireContext, op: Operation, caller: Caller): number | null {
  switch (caller.kind) {
    case 'fit': {
      const succeeded = [...(ctx.succeeded.get(op.key) ?? [])].sort((a, b) => a - b);
      const admitted = [...(ctx.admitted.get(op.key) ?? [])].sort((a, b) => a - b);
      const from = succeeded.length > 0 && caller.n % 4 !== 0 ? succeeded : admitted.length > 0 ? admitted : ctx.personas.map((_, i) => i);
      return from[caller.n % from.length]!;
    }
    case 'persona':
    case 'tampered':
      return caller.n % ctx.personas.length;
    default:
      return null;
  }
}

/** A body as text, a long one shortened (made only when a failure is printed). */
function lazyText(body: Buffer): () => string {
  return () => (body.length > 3000 ? `${body.subarray(0, 1500).toString('utf8')} … (${body.length} bytes in all) … ${body.subarray(-200).toString('utf8')}` : body.toString('utf8'));
}

export function toWire(ctx: WireContext, op: Operation, request: FuzzRequest): WireRequest {
  let path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => {
    const v = request.pathParams[name];
    return v === undefined ? '' : pathSegment(ctx, v);
  });
  const query = request.query
    .map((q) => (q.raw ? q.name : `${pct(q.name)}=${q.value instanceof RealId ? pct(resolveId(ctx, q.value)) : pct(q.value)}`))
    .join('&');
  if (query) path += `?${query}`;

  const headers: Record<string, string | string[]> = {};
  const printable: Record<string, string | string[]> = {};
  const personaIndex = personaFor(ctx, op, request.caller);
  const persona = personaIndex === null ? null : ctx.personas[personaIndex]!;
  const c = request.caller;
  if (persona) {
    const t = persona.token;
    const who = `<token of ${persona.name}>`;
    let header: string | string[] = `Bearer ${t}`;
    let shown: string | string[] = `Bearer ${who}`;
    if (c.kind === 'tampered') {
      const other = ctx.personas[(personaIndex! + 1) % ctx.personas.length]!;
      [header, shown] = {
        'lowercase-scheme': [`bearer ${t}`, `bearer ${who}`],
        truncated: [`Bearer ${t.slice(0, -3)}`, `Bearer ${who} less its last 3 characters`],
        'extra-word': [`Bearer ${t} extra`, `Bearer ${who} extra`],
        'two-spaces': [`Bearer  ${t}`, `Bearer  ${who}`],
        basic: [`Basic ${t}`, `Basic ${who}`],
        'no-scheme': [t, who],
        twice: [[`Bearer ${t}`, `Bearer ${other.token}`], [`Bearer ${who}`, `Bearer <token of ${other.name}>`]],
      }[c.how] as [string | string[], string | string[]];
    }
    headers.authorization = header;
    printable.authorization = shown;
  } else if (c.kind === 'raw') {
    headers.authorization = c.header;
    printable.authorization = c.header.length > 200 ? `${c.header.slice(0, 60)}… (${c.header.length} characters)` : c.header;
  }
  if (request.idempotencyKey.kind === 'value') {
    headers['idempotency-key'] = request.idempotencyKey.value;
    printable['idempotency-key'] = request.idempotencyKey.value;
  }
  for (const [k, v] of Object.entries(request.extraHeaders)) {
    headers[k] = v;
    printable[k] = v;
  }

  let body: Buffer | null = null;
  const b = request.body;
  let contentType: string | null = null;
  switch (b.kind) {
    case 'none':
      break;
    case 'json':
      body = Buffer.from(JSON.stringify(resolveDeep(ctx, b.value)) ?? '', 'utf8');
      contentType = b.contentType;
      break;
    case 'raw':
      body = Buffer.from(b.text, 'utf8');
      contentType = b.contentType;
      break;
    case 'deep':
      body = Buffer.from(`${b.open.repeat(b.depth)}1${(b.open === '[' ? ']' : '}').repeat(b.depth)}`, 'utf8');
      contentType = b.contentType;
      break;
    case 'form': {
      const params = b.params;
      body = Buffer.from(new URLSearchParams(params).toString(), 'utf8');
      contentType = b.contentType;
      const url = `${ctx.twilio.publicUrl}${path}`;
      const signature =
        b.signature === 'valid'
          ? twilio.getExpectedTwilioSignature(ctx.twilio.token, url, params)
          : b.signature === 'wrong-token'
            ? twilio.getExpectedTwilioSignature(`${ctx.twilio.token}x`, url, params)
            : b.signature === 'stale'
              ? twilio.getExpectedTwilioSignature(ctx.twilio.token, url, { ...params, Extra: '1' })
              : b.signature === 'garbage'
                ? 'bm90IGEgc2lnbmF0dXJl'
                : null;
      if (signature) {
        headers['x-twilio-signature'] = signature;
        printable['x-twilio-signature'] = b.signature === 'valid' ? '<valid signature over PUBLIC_URL + path and the form>' : `<${b.signature} signature>`;
      }
      break;
    }
  }
  if (contentType !== null && body !== null) {
    headers['content-type'] = contentType;
    printable['content-type'] = contentType;
  }
  const printableBody = body === null ? null : lazyText(body);
  const foreignPath = Object.values(request.pathParams).some((v) => v instanceof RealId && v.kind === 'foreign' && (ctx.pools.foreign?.length ?? 0) > 0);
  return { method: request.method, path, headers, body, printableHeaders: printable, printableBody, foreignPath, persona: persona?.name ?? (c.kind === 'raw' ? 'garbage' : 'none') };
}

export interface WireAnswer {
  status: number;
  contentType: string;
  text: string;
  ms: number;
}

/** One request over a keep-alive connection; a transport error or a time-out is an answer of status 0. */
export function send(agent: http.Agent, base: URL, w: WireRequest, timeoutMs: number): Promise<WireAnswer> {
  const started = performance.now();
  return new Promise((resolve) => {
    let done = false;
    const finish = (a: Omit<WireAnswer, 'ms'>) => {
      if (done) return;
      done = true;
      resolve({ ...a, ms: performance.now() - started });
    };
    let req: http.ClientRequest;
    try {
      req = http.request({
        agent,
        host: base.hostname,
        port: base.port,
        method: w.method,
        path: w.path,
        headers: { ...w.headers, ...(w.body !== null ? { 'content-length': String(w.body.length) } : {}) },
        timeout: timeoutMs,
      });
    } catch (error) {
      finish({ status: -1, contentType: '', text: `client refused to send: ${(error as Error).message}` });
      return;
    }
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => finish({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', (e) => finish({ status: 0, contentType: '', text: `response error: ${e.message}` }));
    });
    req.on('timeout', () => {
      req.destroy(new Error(`no answer within ${timeoutMs} ms`));
    });
    req.on('error', (e) => finish({ status: 0, contentType: '', text: `transport error: ${e.message}` }));
    if (w.body !== null) req.end(w.body);
    else req.end();
  });
}

/** The request as text: enough to send it again with curl. */
export function describe(w: WireRequest, seedLine: string): string {
  const lines = [`${w.method} ${w.path}`, ...Object.entries(w.printableHeaders).flatMap(([k, v]) => (Array.isArray(v) ? v.map((x) => `${k}: ${x}`) : [`${k}: ${v}`]))];
  if (w.printableBody !== null) lines.push('', w.printableBody());
  lines.push(`(${seedLine}; persona ${w.persona})`);
  return lines.join('\n');
}
