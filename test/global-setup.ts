/**
 * Prepares one migrated database for the whole run. On PGlite: migrate once and save a
 * dump that every test file loads (a fresh initdb costs seconds). On PostgreSQL
 * (DATABASE_URL set): migrate that database once; test files share it, each in
 * partnerships of its own.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { openDatabase } from '../src/db/connect.js';
import { migrate } from '../src/db/migrate.js';

declare module 'vitest' {
  export interface ProvidedContext {
    pgliteTemplate: string;
  }
}

export default async function setup(project: TestProject): Promise<() => void> {
  const url = process.env.DATABASE_URL;
  if (url) {
    const database = await openDatabase({ kind: 'postgres', url });
    await migrate(database);
    await database.close();
    project.provide('pgliteTemplate', '');
    console.log('tests run on PostgreSQL (DATABASE_URL)');
    return () => undefined;
  }
  const database = await openDatabase({ kind: 'pglite-memory' });
  await migrate(database);
  const dump = await database.dump!();
  await database.close();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spoc-test-'));
  const file = path.join(dir, 'template.tar');
  fs.writeFileSync(file, Buffer.from(await dump.arrayBuffer()));
  project.provide('pgliteTemplate', file);
  console.log('tests run on embedded PGlite');
  return () => fs.rmSync(dir, { recursive: true, force: true });
}
