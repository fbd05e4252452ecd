/**
 * The report reader (0024_report_reader.sql, asReportReader in src/modules/reports/measures.ts):
 * the role a report's measures count as sees what spoc_app sees under the aggregate purpose —
 * every row of the actor's own partnership, for the roles that purpose is for — and nothing
 * else: no other partnership, no purpose no rows, no table the measures do not count, no writes.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { inTransaction, type Tx } from '../src/db/transaction.js';
import { actorForUser, type Actor } from '../src/modules/access/actor.js';
import { asReportReader, forReports } from '../src/modules/reports/measures.js';
import { createPartnership, newContact, startApp, type Partnership, type Persona, type TestApp } from './harness.js';

let t: TestApp;
let p: Partnership;
let other: Partnership;
beforeAll(async () => {
  t = await startApp();
  [p, other] = [await createPartnership(t.database), await createPartnership(t.database)];
  for (const [partnership, n] of [[p, 3], [other, 2]] as const) {
    for (let i = 0; i < n; i++) {
      const created = await t.client.as(partnership.users.handler.token).post('/api/v1/contacts', newContact({ summary: `contact ${i}` }));
      expect(created.status).toBe(201);
    }
  }
});
afterAll(() => t.close());

const ROLES: Partial<Record<Persona, string>> = { commissioner: 'commissioner', managerA: 'provider_manager', coordinator: 'spoc_coordinator', handler: 'call_handler', caseworkerA: 'provider_caseworker' };
const actorOf = (persona: Persona): Actor => {
  const user = p.users[persona];
  return actorForUser({ id: user.id, partnership_id: p.id, organisation_id: user.organisationId, roles: [ROLES[persona]!] });
};
const count = async (tx: Tx, table: 'contacts' | 'people') => Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(table)}`.execute(tx)).rows[0]!.n);
const role = async (tx: Tx) => (await sql<{ role: string }>`select current_user as role`.execute(tx)).rows[0]!.role;

it("counts every contact of the actor's own partnership, none of another's, for the roles reports are for, and goes back to spoc_app", async () => {
  for (const persona of ['commissioner', 'managerA', 'coordinator'] as const) {
    const seen = await inTransaction(t.database.db, actorOf(persona), async (tx) => {
      await forReports(tx);
      const counted = await asReportReader(tx, async (reader) => ({ contacts: await count(reader, 'contacts'), role: await role(reader) }));
      return { ...counted, after: await role(tx) };
    });
    expect(seen, persona).toEqual({ contacts: 3, role: 'spoc_reporter', after: 'spoc_app' });
  }
});

it('sees no row without the aggregate purpose, nor for roles that do not read reports', async () => {
  const withoutPurpose = await inTransaction(t.database.db, actorOf('commissioner'), (tx) => asReportReader(tx, (reader) => count(reader, 'contacts')));
  expect(withoutPurpose).toBe(0);
  for (const persona of ['handler', 'caseworkerA'] as const) {
    const counted = await inTransaction(t.database.db, actorOf(persona), async (tx) => {
      await forReports(tx);
      return asReportReader(tx, (reader) => count(reader, 'contacts'));
    });
    expect(counted, persona).toBe(0);
  }
});

it('may not read a table the measures do not count, nor write', async () => {
  const attempt = (work: (reader: Tx) => Promise<unknown>) =>
    inTransaction(t.database.db, actorOf('commissioner'), async (tx) => {
      await forReports(tx);
      return asReportReader(tx, work);
    }).then(
      () => 'done',
      (error: { status?: number; code?: string }) => error.status ?? error.code,
    );
  expect(await attempt((reader) => count(reader, 'people'))).toBe(403);
  expect(await attempt((reader) => sql`update contacts set summary = 'changed'`.execute(reader))).toBe(403);
  expect(await attempt((reader) => sql`delete from calls`.execute(reader))).toBe(403);
  const unchanged = await t.database.db.selectFrom('contacts').select('id').where('summary', '=', 'changed').execute();
  expect(unchanged).toHaveLength(0);
});
