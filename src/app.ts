import { randomUUID } from 'node:crypto';
import swagger from '@fastify/swagger';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import type { Logger } from 'pino';
import type { Config } from './config.js';
import type { Database } from './db/connect.js';
import { setUpAuth } from './http/auth.js';
import { setUpErrors } from './http/errors.js';
import { setUpBackup } from './http/backup.js';
import { setUpDrain } from './http/drain.js';
import { setUpHealth } from './http/health.js';
import { createLogger } from './http/logger.js';
import { setUpOpenApi } from './http/openapi.js';
import { setUpValidation } from './http/validation.js';
import { Problem } from './lib/schema.js';
import { accessRoutes } from './modules/access/routes.js';
import { accommodationRoutes } from './modules/accommodation/routes.js';
import { caseRoutes } from './modules/cases/routes.js';
import { maracRoutes } from './modules/marac/routes.js';
import { reportRoutes } from './modules/reports/routes.js';
import { programmeRoutes } from './modules/programmes/routes.js';
import { contactRoutes } from './modules/contacts/routes.js';
import { directoryRoutes } from './modules/directory/routes.js';
import { orukRoutes } from './modules/directory/oruk-routes.js';
import { riskRoutes } from './modules/risk/routes.js';
import { pathwayRoutes } from './modules/pathways/routes.js';
import { referralRoutes } from './modules/referrals/routes.js';
import { restrictionRoutes } from './modules/restriction/routes.js';
import { rightsRoutes } from './modules/rights/routes.js';
import { startJobs } from './jobs/runner.js';
import { webApp } from './web/plugin.js';
import { twilioRoutes } from './modules/telephony/twilio-routes.js';

declare module 'fastify' {
  interface FastifyInstance {
    database: Database;
    config: Config;
    now: () => Date;
  }
}

export interface AppOptions {
  config: Config;
  database: Database;
  logger?: Logger;
  /** The time (tests set it to check opening hours on a given day); the clock by default. */
  now?: () => Date;
}

/** The spoc HTTP application, assembled but not listening (tests use it through inject or listen). */
export async function buildApp({ config, database, logger, now = () => new Date() }: AppOptions): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: (logger ?? createLogger(config.logLevel)) as FastifyBaseLogger,
    genReqId: () => randomUUID(),
    bodyLimit: config.bodyLimit,
    // Our own request log below carries the route pattern, never the URL's query string.
    logController: new LogController({ disableRequestLogging: true }),
    routerOptions: { ignoreTrailingSlash: true },
    // A URL the router cannot read (bad percent-encoding, a parameter too long) is bad input too.
    frameworkErrors: (error, request, reply) => {
      const status = error.statusCode && error.statusCode >= 400 && error.statusCode < 500 ? error.statusCode : 400;
      void (reply as unknown as FastifyReply)
        .code(status)
        .type('application/problem+json')
        .send({ type: 'about:blank', status, requestId: request.id, title: 'Invalid request', detail: 'The address could not be read', errors: [{ field: 'path', message: 'is not a readable address' }] });
    },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.decorate('database', database);
  app.decorate('now', now);
  app.decorate('config', config);
  app.addHook('onResponse', async (request, reply) => {
    request.log.info(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status: reply.statusCode,
        ms: Math.round(reply.elapsedTime),
      },
      'request',
    );
  });

  setUpValidation(app);
  setUpErrors(app);
  setUpAuth(app);
  await app.register(swagger, setUpOpenApi());
  app.addSchema(Problem);

  setUpDrain(app);
  setUpHealth(app);
  setUpBackup(app);
  app.get('/openapi.json', { config: { public: true }, schema: { hide: true } }, async () => app.swagger());
  await app.register(accessRoutes, { prefix: '/api/v1' });
  await app.register(directoryRoutes, { prefix: '/api/v1' });
  await app.register(contactRoutes, { prefix: '/api/v1' });
  await app.register(riskRoutes, { prefix: '/api/v1' });
  await app.register(pathwayRoutes, { prefix: '/api/v1' });
  await app.register(referralRoutes, { prefix: '/api/v1' });
  await app.register(caseRoutes, { prefix: '/api/v1' });
  await app.register(accommodationRoutes, { prefix: '/api/v1' });
  await app.register(programmeRoutes, { prefix: '/api/v1' });
  await app.register(maracRoutes, { prefix: '/api/v1' });
  await app.register(reportRoutes, { prefix: '/api/v1' });
  await app.register(rightsRoutes, { prefix: '/api/v1' });
  await app.register(restrictionRoutes, { prefix: '/api/v1' });
  await app.register(orukRoutes, { prefix: '/oruk' });
  await app.register(webApp);
  await app.register(twilioRoutes);
  if (config.jobIntervalMs > 0) {
    const stopJobs = startJobs(database.db, app.log as unknown as Logger, config.jobIntervalMs, config.auditKey);
    app.addHook('onClose', stopJobs);
  }
  await app.ready();
  return app;
}
