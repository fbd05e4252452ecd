import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { completeEnrolment, enrolment, pendingStep, secondFactor, signIn, signOut } from '../../modules/access/sessions.js';
import { londonTime, render } from '../render.js';
import { safeNext, SESSION_COOKIE, setSessionCookie, staffOf } from '../session.js';
import { councilSignInPages } from './account-oidc.js';
import { homeFor } from './home.js';

export async function accountPages(app: FastifyInstance): Promise<void> {
  // Sign-in steps per address: enough for a person, too few for guessing (and lockout stops guessing one account).
  await app.register(rateLimit, { global: false });
  const signInLimit = app.rateLimit({ max: 60, timeWindow: 60_000, keyGenerator: (request) => `sign-in:${request.ip}` });
  const secure = app.config.publicUrl?.startsWith('https:') ? true : ('auto' as const);
  // "Sign in with your council account", when an identity provider is configured (SPOC_OIDC_*).
  const councilSignIn = Boolean(app.config.oidc);
  councilSignInPages(app, { signInLimit, secure });

  app.get('/sign-in', { config: { web: true, public: true } }, async (request, reply) => {
    const query = request.query as { next?: string; ended?: string };
    if (request.staff) return reply.redirect(safeNext(query.next), 303);
    // Half signed in: on to the second step.
    const token = request.cookies[SESSION_COOKIE];
    const step = token ? await pendingStep(app.database.db, token) : null;
    if (step) return reply.redirect(`/sign-in/${step}?next=${encodeURIComponent(safeNext(query.next))}`, 303);
    return render(request, reply, 'pages/sign-in.njk', { title: 'Sign in', councilSignIn, next: safeNext(query.next), ended: query.ended === '1' });
  });

  const signInErrors = (list: Array<{ text: string; href: string }>) => ({ list, byField: Object.fromEntries(list.map((e) => [e.href.slice(1), { text: e.text }])) });
  const lockedText = (until: Date) => `This account is locked after too many attempts. Try again after ${londonTime(until.toISOString())}, or ask an administrator.`;

  app.post('/sign-in', { config: { web: true, public: true }, onRequest: signInLimit }, async (request, reply) => {
    const body = (request.body ?? {}) as { email?: string; password?: string; next?: string };
    const email = typeof body.email === 'string' ? body.email : '';
    const password = typeof body.password === 'string' ? body.password : '';
    const list = [];
    if (!email.trim()) list.push({ text: 'Enter your email address', href: '#email' });
    if (!password) list.push({ text: 'Enter your password', href: '#password' });
    const result = list.length === 0 ? await signIn(app.database.db, email, password, request.id) : null;
    if (!result || 'lockedUntil' in result) {
      reply.code(list.length === 0 ? 401 : 422);
      if (result) list.push({ text: lockedText(result.lockedUntil), href: '#email' });
      else if (list.length === 0) list.push({ text: 'The email address or password is not right', href: '#email' });
      return render(request, reply, 'pages/sign-in.njk', { title: 'Sign in', councilSignIn, next: safeNext(body.next), email, errors: signInErrors(list) });
    }
    // Half signed in: the session counts only once the second factor is given.
    setSessionCookie(reply, result.token, secure);
    const next = encodeURIComponent(safeNext(body.next));
    return reply.redirect(`/sign-in/${result.next}?next=${next}`, 303);
  });

  /** First sign-in: enrol an authenticator app from a QR code, then confirm with a code. */
  async function enrolPage(request: FastifyRequest, reply: FastifyReply, errors?: ReturnType<typeof signInErrors>) {
    const token = request.cookies[SESSION_COOKIE];
    const step = token ? await pendingStep(app.database.db, token) : null;
    if (step !== 'enrol') return reply.redirect('/sign-in', 303);
    const setup = (await enrolment(app.database.db, token!))!;
    const next = safeNext((request.query as { next?: string }).next ?? (request.body as { next?: string } | undefined)?.next);
    return render(request, reply, 'pages/sign-in-enrol.njk', { title: 'Set up sign-in codes', qrSvg: setup.qrSvg, secret: setup.secret.replace(/(.{4})/g, '$1 ').trim(), next, errors });
  }

  app.get('/sign-in/enrol', { config: { web: true, public: true } }, async (request, reply) => enrolPage(request, reply));

  app.post('/sign-in/enrol', { config: { web: true, public: true }, onRequest: signInLimit }, async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    const body = (request.body ?? {}) as { code?: string; next?: string };
    const code = typeof body.code === 'string' ? body.code.trim() : '';
    if (!token) return reply.redirect('/sign-in', 303);
    if (!code) return enrolPage(request, reply.code(422), signInErrors([{ text: 'Enter the 6-digit code your authenticator app shows', href: '#code' }]));
    const result = await completeEnrolment(app.database.db, token, code, request.id);
    if (!result.ok) {
      if (result.lockedUntil) return render(request, reply.code(401), 'pages/sign-in.njk', { title: 'Sign in', councilSignIn, next: '/', errors: signInErrors([{ text: lockedText(result.lockedUntil), href: '#email' }]) });
      return enrolPage(request, reply.code(401), signInErrors([{ text: 'That code is not right: check the time on your phone, and enter the code it shows now', href: '#code' }]));
    }
    return render(request, reply, 'pages/sign-in-recovery.njk', { title: 'Your recovery codes', recoveryCodes: result.recoveryCodes, next: safeNext(body.next) });
  });

  async function codePage(request: FastifyRequest, reply: FastifyReply, errors?: ReturnType<typeof signInErrors>) {
    const token = request.cookies[SESSION_COOKIE];
    const step = token ? await pendingStep(app.database.db, token) : null;
    if (step !== 'code') return reply.redirect(step === 'enrol' ? '/sign-in/enrol' : '/sign-in', 303);
    const next = safeNext((request.query as { next?: string }).next ?? (request.body as { next?: string } | undefined)?.next);
    return render(request, reply, 'pages/sign-in-code.njk', { title: 'Enter your sign-in code', next, errors });
  }

  app.get('/sign-in/code', { config: { web: true, public: true } }, async (request, reply) => codePage(request, reply));

  app.post('/sign-in/code', { config: { web: true, public: true }, onRequest: signInLimit }, async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE];
    const body = (request.body ?? {}) as { code?: string; next?: string };
    const code = typeof body.code === 'string' ? body.code.trim() : '';
    if (!token) return reply.redirect('/sign-in', 303);
    if (!code) return codePage(request, reply.code(422), signInErrors([{ text: 'Enter the 6-digit code from your authenticator app, or a recovery code', href: '#code' }]));
    const result = await secondFactor(app.database.db, token, code, request.id);
    if (!result.ok) {
      if (result.lockedUntil) return render(request, reply.code(401), 'pages/sign-in.njk', { title: 'Sign in', councilSignIn, next: '/', errors: signInErrors([{ text: lockedText(result.lockedUntil), href: '#email' }]) });
      const text = result.reused
        ? 'That code has been used already: wait for your authenticator app to show a new code, and enter that'
        : 'That code is not right: enter the code your authenticator app shows now';
      return codePage(request, reply.code(401), signInErrors([{ text, href: '#code' }]));
    }
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
