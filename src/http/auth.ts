import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { Actor } from '../modules/access/actor.js';
import { requirePermission } from '../modules/access/actor.js';
import type { Permission } from '../modules/access/policy.js';
import { authenticate } from '../modules/access/service.js';
import { Unauthorised } from '../lib/errors.js';

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
}
