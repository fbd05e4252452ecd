/**
 * Backups of the embedded database (issue 10): a gzipped tarball of the data folder taken
 * while spoc runs (through its admin API, so the one process that holds the folder makes
 * it) or while it is stopped, and a restore into a new, empty folder. PostgreSQL is backed
 * up with its own tools (pg_dump / pg_restore: see docs/operations.md).
 */
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { lockDataDir } from './lockfile.js';

export class RestoreRefused extends Error {}

/** Restores a backup into `dataDir`, which must not exist or be empty; returns counts of what it holds. */
export async function restoreBackup(file: string, dataDir: string): Promise<Record<string, number>> {
  if (!fs.existsSync(file)) throw new RestoreRefused(`--from: ${file} does not exist`);
  if (fs.existsSync(dataDir) && fs.readdirSync(dataDir).length > 0) {
    throw new RestoreRefused(`--data-dir: ${dataDir} is not empty; restore into a new folder, then point SPOC_DATA_DIR at it`);
  }
  const unlock = lockDataDir(dataDir);
  try {
    const blob = new Blob([fs.readFileSync(file)]);
    const pglite = await PGlite.create({ dataDir, loadDataDir: blob, extensions: { pg_trgm } });
    try {
      const counts: Record<string, number> = {};
      for (const table of ['partnerships', 'users', 'contacts', 'risk_assessments', 'referrals', 'cases', 'audit_events']) {
        const { rows } = await pglite.query<{ n: number }>(`select count(*)::int as n from ${table}`);
        counts[table] = rows[0]!.n;
      }
      return counts;
    } finally {
      await pglite.close();
    }
  } finally {
    // The backup carries the lock file of the process that made it: not ours to keep.
    unlock();
    fs.rmSync(path.join(dataDir, 'spoc.lock'), { force: true });
  }
}
