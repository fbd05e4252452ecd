/**
 * Audit rows written with the commit (audit and holdAuditUntilCommit in
 * src/modules/access/audit.ts, inTransaction in src/db/transaction.ts): a transaction's
 * audit rows reach the table exactly as given, in order, in the round-trip that commits it,
 * and not at all when it rolls back or its commit fails.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Database } from '../src/db/connect.js';
import { inTransaction } from '../src/db/transaction.js';
import { actorForUser, type Actor } from '../src/modules/access/actor.js';
import { audit } from '../src/modules/access/audit.js';
import { createPartnership, testDatabase, type Partnership } from './harness.js';

let database: Database;
let p: Partnership;
let actor: Actor;
beforeAll(async () => {
  database = await testDatabase();
  p = await createPartnership(database);
  const user = p.users.handler;
  actor = { ...actorForUser({ id: user.id, partnership_id: p.id, organisation_id: user.organisationId, roles: ['call_handler'] }), requestId: `req-${Date.now()}` };
});
afterAll(() => database.close());

const rowsOf = async (requestId: string) =>
  (
    await sql<{ action: string; record_id: string | null; outcome: string; details: unknown }>`select action, record_id, outcome, details from audit_events where request_id = ${requestId} order by id`.execute(
      database.db,
    )
  ).rows;

it('writes the rows as given, in order, when the transaction commits, and none before', async () => {
  const awkward = { code: "it's", path: 'C:\\temp\\x', quote: '"', dollars: '$$ $1 ;', unicode: 'Ωé ✓', nested: { list: [1, null, 'two'] } };
  const recordId = p.users.coordinator.id;
  const seenInside = await inTransaction(database.db, actor, async (tx) => {
    await audit(tx, actor, { action: 'test.first', recordType: 'user', recordId, details: awkward });
    await audit(tx, actor, [{ action: 'test.second', outcome: 'denied' }, { action: 'test.third' }]);
    return (await sql<{ n: number }>`select count(*)::int as n from audit_events where request_id = ${actor.requestId}`.execute(tx)).rows[0]!.n;
  });
  expect(seenInside).toBe(0);
  expect(await rowsOf(actor.requestId!)).toEqual([
    { action: 'test.first', record_id: recordId, outcome: 'allowed', details: awkward },
    { action: 'test.second', record_id: null, outcome: 'denied', details: {} },
    { action: 'test.third', record_id: null, outcome: 'allowed', details: {} },
  ]);
});

it('writes none when the transaction rolls back, or its commit fails', async () => {
  const rolledBack = { ...actor, requestId: `rolled-back-${Date.now()}` };
  await expect(
    inTransaction(database.db, rolledBack, async (tx) => {
      await audit(tx, rolledBack, { action: 'test.never' });
      throw new Error('the work failed');
    }),
  ).rejects.toThrow('the work failed');
  expect(await rowsOf(rolledBack.requestId)).toEqual([]);

  // An audit row the table refuses (an outcome it does not allow) fails the commit's round-trip:
  // nothing of the transaction stands, and the connection is fit for the next one.
  const refused = { ...actor, requestId: `refused-${Date.now()}` };
  await expect(
    inTransaction(database.db, refused, async (tx) => {
      await audit(tx, refused, { action: 'test.kept_back' });
      await audit(tx, refused, { action: 'test.bad', outcome: 'maybe' as 'allowed' });
    }),
  ).rejects.toThrow();
  expect(await rowsOf(refused.requestId)).toEqual([]);
  const after = await inTransaction(database.db, actor, async (tx) => (await sql<{ ok: number }>`select 1 as ok`.execute(tx)).rows[0]!.ok);
  expect(after).toBe(1);
});
