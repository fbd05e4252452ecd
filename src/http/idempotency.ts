import { createHash } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import type { Tx } from '../db/transaction.js';
import { Invalid } from '../lib/errors.js';
import { toJson } from '../lib/json.js';
import type { Actor } from '../modules/access/actor.js';
import { audit } from '../modules/access/audit.js';
import { asActor } from './route-kit.js';

const KEY = /^[\x21-\x7e]{1,200}$/;

/** The `Idempotency-Key` header of a creating route, for its schema (and so for OpenAPI). */
export const IdempotencyHeader = Type.Object({
  'idempotency-key': Type.Optional(Type.String({ description: 'Retry safely: a retry with the same key returns the first answer' })),
});

/**
 * Runs a creating operation at most once per `Idempotency-Key` (per user): the key is
 * claimed in the same transaction as the work, so a retry, even one racing the first
 * request, gets the first answer and never a second record.
 */
export async function idempotent<T extends object>(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  operation: (tx: Tx, actor: Actor) => Promise<T>,
  location?: (created: T) => string,
): Promise<FastifyReply> {
  const send = (code: number, body: T) => {
    if (location) reply.header('location', location(body));
    return reply.code(code).send(body);
  };
  const header = request.headers['idempotency-key'];
  if (header === undefined) return send(status, await asActor(request, operation));
  const key = Array.isArray(header) ? header[0]! : header;
  if (!KEY.test(key)) throw new Invalid([{ field: 'header/idempotency-key', message: 'must be 1–200 printable characters' }], 400);
  const hash = createHash('sha256').update(`${request.method} ${request.url}\n${JSON.stringify(request.body ?? null)}`).digest('hex');
  const result = await asActor(request, async (tx, actor) => {
    const claimed = await tx
      .insertInto('idempotency_keys')
      .values({ user_id: actor.userId, key, request_hash: hash })
      .onConflict((oc) => oc.columns(['user_id', 'key']).doNothing())
      .returning('key')
      .executeTakeFirst();
    if (!claimed) {
      const first = await tx.selectFrom('idempotency_keys').selectAll().where('user_id', '=', actor.userId).where('key', '=', key).executeTakeFirstOrThrow();
      if (first.request_hash !== hash) {
        throw new Invalid([{ field: 'header/idempotency-key', message: 'was already used for a different request' }]);
      }
      await audit(tx, actor, { action: 'request.replay', details: { route: request.routeOptions.url } });
      return { replayed: true, status: first.status ?? status, body: first.body as T };
    }
    const body = await operation(tx, actor);
    await tx.updateTable('idempotency_keys').set({ status, body: toJson(body) }).where('user_id', '=', actor.userId).where('key', '=', key).execute();
    return { replayed: false, status, body };
  });
  reply.header('idempotent-replayed', String(result.replayed));
  return send(result.status, result.body);
}
