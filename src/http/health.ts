import { sql } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';

/** `GET /health`: the process and its database, truthfully. 503 when the database does not answer. */
export function setUpHealth(app: FastifyInstance): void {
  app.get(
    '/health',
    {
      config: { public: true },
      schema: {
        tags: ['health'],
        security: [],
        response: {
          200: Type.Object({ status: Type.String(), database: Type.Object({ kind: Type.String(), ok: Type.Boolean(), ms: Type.Number() }) }),
          503: Type.Object({ status: Type.String(), database: Type.Object({ kind: Type.String(), ok: Type.Boolean(), ms: Type.Number() }) }),
        },
      },
    },
    async (_request, reply) => {
      const started = performance.now();
      let ok = true;
      try {
        await sql`select 1`.execute(app.database.db);
      } catch {
        ok = false;
      }
      const database = { kind: app.database.kind, ok, ms: Math.round(performance.now() - started) };
      return reply.code(ok ? 200 : 503).send({ status: ok ? 'ok' : 'unavailable', database });
    },
  );
}
