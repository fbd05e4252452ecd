import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { Type } from 'typebox';
import { inTransaction, type Tx } from '../db/transaction.js';
import type { Actor } from '../modules/access/actor.js';
import { actorOf } from './auth.js';

export type RoutePlugin = FastifyPluginAsyncTypebox;

/** The problem+json answers every authenticated route may give, for OpenAPI. */
export const problemResponses = {
  400: Type.Ref('Problem'),
  401: Type.Ref('Problem'),
  403: Type.Ref('Problem'),
  404: Type.Ref('Problem'),
  422: Type.Ref('Problem'),
};

export const IdParams = Type.Object({ id: Type.String({ format: 'uuid' }) }, { additionalProperties: false });

/** Runs a service operation for the request's actor, in one transaction that carries the actor. */
export function asActor<T>(request: FastifyRequest, operation: (tx: Tx, actor: Actor) => Promise<T>): Promise<T> {
  const actor = actorOf(request);
  return inTransaction(request.server.database.db, actor, (tx) => operation(tx, actor));
}
