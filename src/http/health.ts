import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';

const Readiness = Type.Object({ status: Type.String(), database: Type.Object({ kind: Type.String(), ok: Type.Boolean(), ms: Type.Number() }) });

/**
 * Health, truthfully. `GET /health/live`: the process answers (restart it if not).
 * `GET /health/ready` (and `/health`): the database answers too; 503 when it does not, or
 * while the process is stopping, so a load balancer sends requests elsewhere.
 */
export function setUpHealth(app: FastifyInstance): void {
  let stopping = false;
  app.addHook('preClose', async () => {
    stopping = true;
  });

  app.get(
    '/health/live',
    { config: { public: true }, schema: { tags: ['health'], security: [], response: { 200: Type.Object({ status: Type.String() }) } } },
    async () => ({ status: 'ok' }),
  );

  for (const url of ['/health', '/health/ready']) {
    app.get(url, { config: { public: true }, schema: { tags: ['health'], security: [], response: { 200: Readiness, 503: Readiness } } }, async (_request, reply) => {
      const started = performance.now();
      let ok = true;
      try {
        await sql`select 1`.execute(app.database.db);
      } catch {
        ok = false;
      }
      const database = { kind: app.database.kind, ok, ms: Math.round(performance.now() - started) };
      const leaving = stopping || app.draining;
      return reply.code(ok && !leaving ? 200 : 503).send({ status: leaving ? 'stopping' : ok ? 'ok' : 'unavailable', database });
    });
  }
}
