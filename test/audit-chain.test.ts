/**
 * The audit trail is append-only and tamper-evident (issue 9): sealed rows are chained by
 * hash; editing or deleting one breaks the chain, and verify says where.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/connect.js';
import { sealAudit, verifyAudit } from '../src/modules/access/audit-chain.js';
import { createPartnership, dashAnswers, emptyDatabase, newContact, startApp, type TestApp } from './harness.js';

const KEY = 'test-audit-key';
let empty: { database: Database; drop: () => Promise<void> };
let t: TestApp;

beforeAll(async () => {
  // A database of its own: the chain covers every row in it.
  empty = await emptyDatabase();
  t = await startApp(empty.database);
  const p = await createPartnership(t.database);
  const handler = t.client.as(p.users.handler.token);
  for (let i = 0; i < 3; i += 1) {
    const contact = await handler.post('/api/v1/contacts', newContact());
    await handler.post(`/api/v1/contacts/${contact.body.id}/risk-assessments`, { answers: dashAnswers(i * 5) });
    await handler.get(`/api/v1/contacts/${contact.body.id}`);
  }
});
afterAll(async () => {
  await t?.close();
  await empty?.drop();
});

/** Changes a sealed row as someone with the database's superuser would: around the append-only trigger. */
async function tamper(statement: ReturnType<typeof sql>) {
  await t.database.session(async (session) => {
    await session.exec('alter table audit_events disable trigger audit_events_append_only');
    try {
      const compiled = statement.compile(t.database.db);
      await session.query(compiled.sql, [...compiled.parameters]);
    } finally {
      await session.exec('alter table audit_events enable trigger audit_events_append_only');
    }
  });
}

describe('the audit hash chain', () => {
  it('seals every row once, even with two sealers at once, and verifies intact', async () => {
    const [a, b] = await Promise.all([sealAudit(t.database.db, KEY, 7), sealAudit(t.database.db, KEY, 7)]);
    let total = a + b;
    for (let n = await sealAudit(t.database.db, KEY); n > 0; n = await sealAudit(t.database.db, KEY)) total += n;
    const rows = await sql<{ n: string; distinct_seq: string; max: string }>`select count(*)::text as n, count(distinct seq)::text as distinct_seq, max(seq)::text as max from audit_events`.execute(t.database.db);
    expect(Number(rows.rows[0]!.n)).toBeGreaterThan(10);
    expect(total).toBe(Number(rows.rows[0]!.n));
    expect(rows.rows[0]!.distinct_seq).toBe(rows.rows[0]!.n);
    expect(rows.rows[0]!.max).toBe(rows.rows[0]!.n);
    expect(await verifyAudit(t.database.db, KEY)).toEqual({ intact: true, sealed: total, awaitingSeal: 0 });
  });

  it('refuses every change but sealing: updates and deletes of audit rows fail', async () => {
    await expect(sql`update audit_events set action = 'contact.nothing' where seq = 2`.execute(t.database.db)).rejects.toThrow(/append-only/);
    await expect(sql`update audit_events set seq = null, hash = null where seq = 2`.execute(t.database.db)).rejects.toThrow(/append-only/);
    await expect(sql`delete from audit_events where seq = 2`.execute(t.database.db)).rejects.toThrow(/append-only/);
  });

  it('names the row an edit was made to, and the chain is whole again when the edit is undone', async () => {
    const original = await sql<{ id: string; details: string }>`select id::text as id, details::text as details from audit_events where seq = 4`.execute(t.database.db);
    await tamper(sql`update audit_events set details = '{"forged": true}'::jsonb where seq = 4`);
    const broken = await verifyAudit(t.database.db, KEY);
    expect(broken).toMatchObject({ intact: false, sealed: 3, broken: { seq: 4, auditId: original.rows[0]!.id, problem: expect.stringMatching(/does not match its seal/) } });
    await tamper(sql`update audit_events set details = ${original.rows[0]!.details}::jsonb where seq = 4`);
    expect((await verifyAudit(t.database.db, KEY)).intact).toBe(true);
    // Verified with another key, nothing matches.
    expect((await verifyAudit(t.database.db, 'another key')).broken?.seq).toBe(1);
  });

  it('says a sealed row is missing when one is deleted', async () => {
    await tamper(sql`delete from audit_events where seq = 6`);
    const broken = await verifyAudit(t.database.db, KEY);
    expect(broken).toMatchObject({ intact: false, sealed: 5, broken: { seq: 6, auditId: null, problem: expect.stringMatching(/sealed row 6 is missing/) } });
  });

  it('seals rows written after a break as the chain goes on, and counts rows awaiting a seal', async () => {
    await t.database.db.insertInto('audit_events').values({ action: 'test.later', outcome: 'allowed', details: '{}' }).execute();
    expect((await verifyAudit(t.database.db, KEY)).awaitingSeal).toBe(1);
    expect(await sealAudit(t.database.db, KEY)).toBe(1);
    expect((await verifyAudit(t.database.db, KEY)).awaitingSeal).toBe(0);
  });
});
