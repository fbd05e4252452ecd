/**
 * The staff web app: server-rendered pages (Nunjucks, GOV.UK Frontend and MOJ Frontend)
 * served by the same process and calling the same module services as the API. Signed in
 * by a session cookie; every form carries a CSRF token; strict Content-Security-Policy.
 */
import path from 'node:path';
import { createRequire } from 'node:module';
import cookie from '@fastify/cookie';
import csrf from '@fastify/csrf-protection';
import formbody from '@fastify/formbody';
import helmet from '@fastify/helmet';
import fastifyStatic from '@fastify/static';
import view from '@fastify/view';
import type { FastifyInstance } from 'fastify';
import nunjucks from 'nunjucks';
import qs from 'qs';
import { ROOT, stylesheet } from './assets.js';
import { mojDateInLondon, setUpWebErrors } from './render.js';
import { setUpSessions } from './session.js';
import { accountPages } from './pages/account.js';
import { accommodationPages } from './pages/accommodation.js';
import { callPages } from './pages/calls.js';
import { casePages } from './pages/cases.js';
import { contactPages } from './pages/contacts.js';
import { referralPages } from './pages/referrals.js';
import { coordinatorPages } from './pages/coordinator.js';
import { directoryPages } from './pages/directory.js';
import { doorPages } from './door/pages.js';
import { livePages } from './pages/live.js';
import { maracMeetingPages } from './pages/marac-meeting.js';
import { maracPages } from './pages/marac.js';
import { programmePages } from './pages/programmes.js';
import { reportPages } from './pages/reports.js';
import { subjectAccessPages } from './pages/subject-access.js';
import { accessReviewPages } from './pages/access-review.js';

const require = createRequire(import.meta.url);
const GOVUK = path.dirname(require.resolve('govuk-frontend/package.json'));
const MOJ = path.dirname(require.resolve('@ministryofjustice/frontend/package.json'));

export async function webApp(app: FastifyInstance): Promise<void> {
  // Pages are not part of the API: kept out of /openapi.json.
  app.addHook('onRoute', (route) => {
    route.schema = { ...route.schema, hide: true };
  });
  const secureCookies = app.config.publicUrl?.startsWith('https:') ? true : ('auto' as const);

  await app.register(helmet, {
    enableCSPNonces: true,
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        fontSrc: ["'self'"],
        connectSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        objectSrc: ["'none'"],
        baseUri: ["'none'"],
      },
    },
    // A page of a person's case never goes to another site in a Referer header.
    referrerPolicy: { policy: 'no-referrer' },
  });
  await app.register(cookie);
  await app.register(formbody, { parser: (body) => qs.parse(body, { depth: 3, arrayLimit: 50, parameterLimit: 500 }) });
  await app.register(csrf, { sessionPlugin: '@fastify/cookie', cookieOpts: { path: '/', httpOnly: true, sameSite: 'lax', secure: secureCookies } });

  await app.register(view, {
    engine: { nunjucks },
    templates: [path.join(ROOT, 'src/web/views'), path.join(GOVUK, 'dist'), MOJ],
    options: {
      onConfigure: (env: nunjucks.Environment) => {
        const filters = require('@ministryofjustice/frontend/moj/filters/all.js')() as Record<string, (...args: unknown[]) => unknown>;
        for (const [name, filter] of Object.entries(filters)) env.addFilter(name, filter);
        // Times on the timeline as people in the partnership read them (the server runs in UTC).
        env.addFilter('mojDate', mojDateInLondon);
      },
    },
    production: process.env.NODE_ENV !== 'development',
  });

  await app.register(fastifyStatic, { root: path.join(GOVUK, 'dist/govuk'), prefix: '/assets/govuk/', index: false, allowedPath: (p) => /\.(js|mjs|svg|png|ico)$/.test(p) });
  await app.register(fastifyStatic, { root: path.join(MOJ, 'moj'), prefix: '/assets/moj/', index: false, decorateReply: false, allowedPath: (p) => /\.(mjs|js|svg|png)$/.test(p) });
  await app.register(fastifyStatic, { root: path.join(ROOT, 'src/web/public'), prefix: '/assets/spoc/', index: false, decorateReply: false });
  // Compiled while the process starts, so the first page does not wait for it.
  void stylesheet().catch((error: unknown) => app.log.error({ err: error }, 'the stylesheet did not compile'));
  app.get('/assets/app.css', { config: { public: true, web: true } }, async (_request, reply) => {
    const { css } = await stylesheet();
    return reply.type('text/css; charset=utf-8').header('cache-control', 'public, max-age=3600').send(css);
  });

  setUpSessions(app, { secureCookies });
  // Every form post carries the CSRF token (checked once the form body is parsed).
  app.addHook('preHandler', (request, reply, done) => {
    if (request.method === 'POST' && request.routeOptions.config.web) return app.csrfProtection(request, reply, done);
    done();
  });
  setUpWebErrors(app);
  await app.register(accountPages);
  await app.register(callPages);
  await app.register(contactPages);
  await app.register(referralPages);
  await app.register(casePages);
  await app.register(accommodationPages);
  await app.register(programmePages);
  await app.register(maracPages);
  await app.register(maracMeetingPages);
  await app.register(coordinatorPages);
  await app.register(directoryPages);
  await app.register(reportPages);
  await app.register(subjectAccessPages);
  await app.register(accessReviewPages);
  await app.register(doorPages);
  await app.register(livePages);
}
