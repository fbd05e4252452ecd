import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../modules/access/actor.js';
import { requirePermission } from '../modules/access/actor.js';
import type { Permission } from '../modules/access/policy.js';
import { authenticate, settleTokenCheck } from '../modules/access/token-holders.js';
import { Unauthorised } from '../lib/errors.js';
import { problemBody } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The permission a caller needs; every route declares this or `public`. */
    permission?: Permission;
    /** Open without sign-in (health, API docs, the Open Referral UK feed). */
    public?: boolean;
    /** A page of the staff web app: signed in by session cookie (src/web/session.ts), not bearer token. */
    web?: boolean;
  }
  interface FastifyRequest {
    actor: Actor | null;
  }
}

/** The signed-in actor of a route that declared a permission. */
export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new Unauthorised();
  return request.actor;
}

/**
 * Deny by default: a route that declares neither a permission nor `public` is refused at
 * start-up. Callers are identified by bearer token before their input is even read.
 */
export function setUpAuth(app: FastifyInstance): void {
  app.decorateRequest('actor', null);

  app.addHook('onRoute', (route) => {
    // Static files of the web app (stylesheets, scripts, images): public by nature.
    if (route.url.startsWith('/assets/')) {
      route.config = { ...route.config, public: true, web: true };
      return;
    }
    const config = route.config ?? {};
    if (!config.permission && !config.public) {
      throw new Error(`Route ${String(route.method)} ${route.url} declares neither a permission nor public`);
    }
  });

  app.addHook('onRequest', async (request) => {
    if (request.is404) return;
    const config = request.routeOptions.config;
    if (config.public || config.web) return;
    const header = request.headers.authorization ?? '';
    const match = /^Bearer\s+(\S+)$/i.exec(header);
    if (!match) throw new Unauthorised();
    const actor = await authenticate(request.server.database.db, match[1]!, request.id);
    requirePermission(actor, config.permission!);
    request.actor = actor;
  });

  // A remembered token holder is confirmed by the request's first transaction; a request that
  // opened none (bad input, say) confirms it here, and answers 401 instead if it is not. A
  // failure of ours (5xx: the database away, say) tells nothing, and is answered as it is.
  app.addHook('onSend', async (request, reply, payload) => {
    if (!request.actor?.tokenCheck?.pending || reply.statusCode >= 500) return payload;
    try {
      await settleTokenCheck(request.server.database.db, request.actor);
      return payload;
    } catch (error) {
      const refusal = error instanceof Unauthorised ? error : null;
      const status = refusal ? 401 : 503;
      reply.code(status).type('application/problem+json');
      return JSON.stringify(
        problemBody(request, status, refusal ? { title: refusal.title, detail: refusal.message } : { title: 'Service unavailable', detail: 'The sign-in could not be checked just now. Try again in a few seconds.' }),
      );
    }
  });
}
