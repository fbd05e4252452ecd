/**
 * "Sign in with your council account" (issue 9): the two legs of OpenID Connect sign-in.
 * `/sign-in/oidc` sends the browser to the council's identity provider, keeping the state,
 * nonce and PKCE verifier in a short-lived cookie sent back only to this path; the
 * callback checks the provider's answer, finds the spoc user, and opens the same kind of
 * session a password does (then the code step, unless the provider proved a second factor).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestHookHandler } from 'fastify';
import { CouncilSignIn, IdpRefused, IdpUnavailable, type PendingSignIn } from '../../modules/access/oidc-client.js';
import { auditIdpRefusal, signInWithIdp, type IdpRefusal } from '../../modules/access/oidc.js';
import { londonTime, render } from '../render.js';
import { safeNext, setSessionCookie } from '../session.js';

const FLOW_COOKIE = 'spoc_oidc';
const FLOW_PATH = '/sign-in/oidc';
/** How long the identity provider has to send the person back. */
const FLOW_SECONDS = 10 * 60;

const REFUSALS: Record<IdpRefusal | 'state' | 'expired' | 'idp_error' | 'invalid_response' | 'unavailable', { status: number; text: string }> = {
  no_account: { status: 403, text: 'There is no spoc account for the council account you signed in with. Ask your spoc administrator to add you, or sign in with your spoc email address and password.' },
  linked_to_another: { status: 403, text: 'Your spoc account is linked to a different council account. Ask your spoc administrator to check it.' },
  disabled: { status: 403, text: 'Your spoc account is switched off. Ask your spoc administrator.' },
  locked: { status: 403, text: 'Your spoc account is locked after too many attempts.' },
  state: { status: 400, text: 'This sign-in did not match the one started in this browser. Start again.' },
  expired: { status: 400, text: 'This sign-in has expired or was started in another browser. Start again.' },
  idp_error: { status: 401, text: 'The council sign-in did not complete. Start again, or sign in with your spoc email address and password.' },
  invalid_response: { status: 401, text: 'spoc could not confirm who you are with the council sign-in. Start again, or sign in with your spoc email address and password.' },
  unavailable: { status: 503, text: 'The council sign-in is not answering at the moment. Try again in a few minutes, or sign in with your spoc email address and password.' },
};

function encodeFlow(pending: PendingSignIn): string {
  return Buffer.from(JSON.stringify(pending)).toString('base64url');
}

function decodeFlow(value: string | undefined): PendingSignIn | null {
  if (!value) return null;
  try {
    const parsed = JSON.parse(Buffer.from(value, 'base64url').toString('utf8')) as Record<string, unknown>;
    const { state, nonce, codeVerifier, next } = parsed;
    if ([state, nonce, codeVerifier, next].every((v) => typeof v === 'string' && v.length > 0 && v.length <= 2048)) {
      return { state, nonce, codeVerifier, next } as PendingSignIn;
    }
  } catch {
    // not ours: treated as missing
  }
  return null;
}

export function councilSignInPages(app: FastifyInstance, options: { signInLimit: onRequestHookHandler; secure: boolean | 'auto' }): void {
  const settings = app.config.oidc;
  if (!settings) return;
  const council = new CouncilSignIn(settings);
  const cookieOptions = { path: FLOW_PATH, httpOnly: true, sameSite: 'lax' as const, secure: options.secure };

  async function refuse(request: FastifyRequest, reply: FastifyReply, reason: keyof typeof REFUSALS, lockedUntil?: Date) {
    const { status, text } = REFUSALS[reason];
    const message = lockedUntil ? `${text} Try again after ${londonTime(lockedUntil.toISOString())}, or ask an administrator.` : text;
    return render(request, reply.code(status), 'pages/sign-in-refused.njk', { title: 'You could not be signed in', message });
  }

  app.get(FLOW_PATH, { config: { web: true, public: true }, onRequest: options.signInLimit }, async (request, reply) => {
    const next = safeNext((request.query as { next?: unknown }).next);
    if (request.staff) return reply.redirect(next, 303);
    try {
      const { url, pending } = await council.start(next);
      reply.setCookie(FLOW_COOKIE, encodeFlow(pending), { ...cookieOptions, maxAge: FLOW_SECONDS });
      return reply.redirect(url.href, 303);
    } catch (error) {
      if (!(error instanceof IdpUnavailable)) throw error;
      request.log.warn({ err: error.cause }, 'council sign-in: the identity provider did not answer');
      return refuse(request, reply, 'unavailable');
    }
  });

  app.get(`${FLOW_PATH}/callback`, { config: { web: true, public: true }, onRequest: options.signInLimit }, async (request, reply) => {
    const pending = decodeFlow(request.cookies[FLOW_COOKIE]);
    // One return per start: the cookie goes whatever happens next.
    reply.clearCookie(FLOW_COOKIE, cookieOptions);
    const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?')) : '';
    if (!pending) {
      await auditIdpRefusal(app.database.db, 'expired', undefined, request.id);
      return refuse(request, reply, 'expired');
    }
    let identity;
    try {
      identity = await council.finish(query, pending);
    } catch (error) {
      if (error instanceof IdpRefused) {
        await auditIdpRefusal(app.database.db, error.reason, error.code, request.id);
        return refuse(request, reply, error.reason);
      }
      if (!(error instanceof IdpUnavailable)) throw error;
      request.log.warn({ err: error.cause }, 'council sign-in: the identity provider did not answer');
      await auditIdpRefusal(app.database.db, 'unavailable', undefined, request.id);
      return refuse(request, reply, 'unavailable');
    }
    const result = await signInWithIdp(app.database.db, identity, request.id);
    if ('refused' in result) return refuse(request, reply, result.refused, result.lockedUntil);
    setSessionCookie(reply, result.token, options.secure);
    const next = safeNext(pending.next);
    if (result.next === 'done') return reply.redirect(next, 303);
    return reply.redirect(`/sign-in/${result.next}?next=${encodeURIComponent(next)}`, 303);
  });
}
