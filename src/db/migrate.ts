import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Database } from './connect.js';

const MIGRATIONS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'migrations');
// Any fixed number: two processes starting at once queue on it, so only one applies migrations.
const MIGRATION_LOCK = 740_417_001;

export interface MigrationResult {
  applied: string[];
  alreadyApplied: number;
}

export function listMigrations(): string[] {
  return fs
    .readdirSync(MIGRATIONS_DIR)
    .filter((file) => /^\d{4}_[a-z0-9_]+\.sql$/.test(file))
    .sort();
}

/** Applies the numbered .sql migrations not yet applied, each in its own transaction. Forward only. */
export async function migrate(database: Database, onApply?: (name: string) => void): Promise<MigrationResult> {
  return database.session(async (session) => {
    await session.query('select pg_advisory_lock($1)', [MIGRATION_LOCK]);
    try {
      await session.exec(
        'create table if not exists schema_migrations (name text primary key, applied_at timestamptz not null default now())',
      );
      const done = new Set(
        (await session.query<{ name: string }>('select name from schema_migrations')).map((row) => row.name),
      );
      const applied: string[] = [];
      for (const file of listMigrations()) {
        if (done.has(file)) continue;
        const script = fs.readFileSync(path.join(MIGRATIONS_DIR, file), 'utf8');
        await session.exec('begin');
        try {
          await session.exec(script);
          await session.query('insert into schema_migrations (name) values ($1)', [file]);
          await session.exec('commit');
        } catch (error) {
          await session.exec('rollback');
          throw new Error(`Migration ${file} failed: ${(error as Error).message}`, { cause: error });
        }
        applied.push(file);
        onApply?.(file);
      }
      return { applied, alreadyApplied: done.size };
    } finally {
      await session.query('select pg_advisory_unlock($1)', [MIGRATION_LOCK]);
    }
  });
}
