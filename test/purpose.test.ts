/** Purposes (src/db/transaction.ts, 0021_row_security.sql) open for one piece of work and close after it, nested or not. */
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { forPurpose, inTransaction, type Tx } from '../src/db/transaction.js';
import { actorForUser } from '../src/modules/access/actor.js';
import { createPartnership, testDatabase, type Partnership } from './harness.js';
import type { Database } from '../src/db/connect.js';

let database: Database;
let p: Partnership;
beforeAll(async () => {
  database = await testDatabase();
  p = await createPartnership(database);
});
afterAll(() => database.close());

const setting = async (tx: Tx) =>
  (await sql<{ purpose: string; subject: string; role: string }>`select current_setting('app.purpose', true) as purpose, current_setting('app.subject', true) as subject, current_user as role`.execute(tx)).rows[0]!;

it('runs as spoc_app, opens a purpose for its work only, and goes back to the one open before', async () => {
  const user = p.users.coordinator;
  const actor = actorForUser({ id: user.id, partnership_id: p.id, organisation_id: user.organisationId, roles: ['spoc_coordinator'] });
  const seen = await inTransaction(database.db, actor, async (tx) => {
    const start = await setting(tx);
    const inner = await forPurpose(tx, 'aggregate', async () => {
      const outer = await setting(tx);
      const nested = await forPurpose(tx, 'subject_access', () => setting(tx), '6d1f1b56-1c1f-4b5e-9c3e-0a1b2c3d4e5f');
      return { outer, nested, back: await setting(tx) };
    });
    const failed = await forPurpose(tx, 'caseload', async () => {
      throw new Error('the work failed');
    }).catch((error: Error) => error.message);
    return { start, ...inner, failed, end: await setting(tx) };
  });
  expect(seen.start.role).toBe('spoc_app');
  expect(seen.start.purpose ?? '').toBe('');
  expect(seen.outer.purpose).toBe('aggregate');
  expect(seen.nested).toMatchObject({ purpose: 'subject_access', subject: '6d1f1b56-1c1f-4b5e-9c3e-0a1b2c3d4e5f' });
  expect(seen.back).toMatchObject({ purpose: 'aggregate', subject: '' });
  expect(seen.failed).toBe('the work failed');
  expect(seen.end.purpose).toBe('');
  expect(seen.end.subject).toBe('');
});
