/**
 * Who is signed in to the web app: the session cookie read on every page request. A page
 * that needs a permission sends a signed-out visitor to sign in (and back afterwards).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { can } from '../modules/access/actor.js';
import { pendingStep, sessionActor, type SessionActor } from '../modules/access/sessions.js';
import { Forbidden } from '../lib/errors.js';

export const SESSION_COOKIE = 'spoc_session';

declare module 'fastify' {
  interface FastifyRequest {
    /** The signed-in staff user of a web page, with their name and organisation. */
    staff: SessionActor | null;
  }
}

export function staffOf(request: FastifyRequest): SessionActor {
  if (!request.staff) throw new Forbidden('Sign in first');
  return request.staff;
}

/** A local path to return to after signing in; anything else goes home. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/(?![/\\])[\w\-./?=&%]*$/.test(next) ? next : '/';
}

export function setSessionCookie(reply: FastifyReply, token: string, secure: boolean | 'auto'): void {
  reply.setCookie(SESSION_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'lax', secure });
}

export function setUpSessions(app: FastifyInstance, options: { secureCookies: boolean | 'auto' }): void {
  app.decorateRequest('staff', null);
  const idleMs = app.config.sessionIdleMinutes * 60_000;
  app.addHook('onRequest', async (request, reply) => {
    const config = request.routeOptions.config;
    if (!config.web || request.url.startsWith('/assets/')) return;
    // Pages hold personal data: never cached by the browser or anything between.
    reply.header('cache-control', 'no-store');
    const token = request.cookies[SESSION_COOKIE];
    const staff = token ? await sessionActor(app.database.db, token, idleMs, request.id) : null;
    request.staff = staff;
    request.actor = staff;
    if (config.public) return;
    if (!staff) {
      const next = request.method === 'GET' ? `?next=${encodeURIComponent(request.url)}` : '';
      // Half signed in (the password given, not yet the code): back to the second step.
      const step = token ? await pendingStep(app.database.db, token) : null;
      if (step) return reply.redirect(`/sign-in/${step}${next}`, 303);
      if (token) reply.clearCookie(SESSION_COOKIE, { path: '/', secure: options.secureCookies });
      return reply.redirect(`/sign-in${token ? (next ? `${next}&` : '?') + 'ended=1' : next}`, 303);
    }
    if (config.permission && !can(staff, config.permission)) throw new Forbidden('Your role does not give you this page');
  });
}
