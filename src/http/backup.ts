import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { inTransaction } from '../db/transaction.js';
import { Conflict } from '../lib/errors.js';
import { audit } from '../modules/access/audit.js';
import { actorOf } from './auth.js';
import { problemResponses } from './route-kit.js';

/**
 * A consistent copy of the embedded database while spoc runs (issue 10), for `spoc backup
 * --url`: only the process holding the data folder can make one. System administrators
 * only; every backup is audited. PostgreSQL is backed up with pg_dump instead.
 */
export function setUpBackup(app: FastifyInstance): void {
  app.get(
    '/api/v1/admin/backup',
    {
      config: { permission: 'database:backup' },
      schema: {
        tags: ['admin'],
        summary: 'A gzipped tarball of the embedded database, taken while it runs (PGlite only; use pg_dump for PostgreSQL)',
        produces: ['application/gzip'],
        response: { ...problemResponses, 409: Type.Ref('Problem') },
      },
    },
    async (request, reply) => {
      const backup = app.database.backup;
      if (!backup) throw new Conflict('This spoc runs on PostgreSQL: back it up with pg_dump (docs/operations.md)');
      const actor = actorOf(request);
      const blob = await backup();
      await inTransaction(app.database.db, actor, (tx) => audit(tx, actor, { action: 'database.backup', details: { bytes: blob.size } }));
      return reply
        .header('content-type', 'application/gzip')
        .header('content-disposition', 'attachment; filename="spoc-backup.tgz"')
        .send(Buffer.from(await blob.arrayBuffer()));
    },
  );
}
