import type { FastifyInstance } from 'fastify';
import { signIn, signOut } from '../../modules/access/sessions.js';
import { render } from '../render.js';
import { safeNext, SESSION_COOKIE, setSessionCookie, staffOf } from '../session.js';
import { homeFor } from './home.js';

export async function accountPages(app: FastifyInstance): Promise<void> {
  const secure = app.config.publicUrl?.startsWith('https:') ? true : ('auto' as const);

  app.get('/sign-in', { config: { web: true, public: true } }, async (request, reply) => {
    const query = request.query as { next?: string; ended?: string };
    if (request.staff) return reply.redirect(safeNext(query.next), 303);
    return render(request, reply, 'pages/sign-in.njk', { title: 'Sign in', next: safeNext(query.next), ended: query.ended === '1' });
  });

  app.post('/sign-in', { config: { web: true, public: true } }, async (request, reply) => {
    const body = (request.body ?? {}) as { email?: string; password?: string; next?: string };
    const email = typeof body.email === 'string' ? body.email : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const list = [];
    if (!email.trim()) list.push({ text: 'Enter your email address', href: '#email' });
    if (!password) list.push({ text: 'Enter your password', href: '#password' });
    const session = list.length === 0 ? await signIn(app.database.db, email, password, request.id) : null;
    if (!session) {
      reply.code(list.length === 0 ? 401 : 422);
      if (list.length === 0) list.push({ text: 'The email address or password is not right', href: '#email' });
      return render(request, reply, 'pages/sign-in.njk', {
        title: 'Sign in',
        next: safeNext(body.next),
        email,
        errors: { list, byField: Object.fromEntries(list.map((e) => [e.href.slice(1), { text: e.text }])) },
      });
    }
    setSessionCookie(reply, session.token, secure);
    return reply.redirect(safeNext(body.next), 303);
  });

  app.post('/sign-out', { config: { web: true, public: true } }, async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    if (token) await signOut(app.database.db, token, request.staff);
    reply.clearCookie(SESSION_COOKIE, { path: '/', secure });
    return reply.redirect('/sign-in?signedOut=1', 303);
  });

  /** The idle warning's "stay signed in": any signed-in request renews the session (every role may read the directory). */
  app.post('/session/keep-alive', { config: { web: true, permission: 'directory:read' } }, async (request, reply) => {
    staffOf(request);
    return reply.code(204).send();
  });

  app.get('/', { config: { web: true, public: true } }, async (request, reply) => {
    if (!request.staff) return reply.redirect('/sign-in', 303);
    return render(request, reply, 'pages/home.njk', { title: 'Home', ...(await homeFor(app, request.staff)) });
  });
}
