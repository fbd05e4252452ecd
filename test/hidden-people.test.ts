/**
 * The restricted people hidden from the actor, worked out once per transaction
 * (0027_hidden_people_once.sql): what the transaction itself changes — a person restricted,
 * a user named, the glass broken — and a change of actor within it take effect at the next
 * statement, as they did when the list was worked out for every statement.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { actAs, inTransaction, type Tx } from '../src/db/transaction.js';
import { actorForUser, type Actor } from '../src/modules/access/actor.js';
import { addDirectory, createPartnership, dashAnswers, newContact, startApp, type Partnership, type TestApp } from './harness.js';

let t: TestApp;
let p: Partnership;
let personId: string;
const actorOf = (persona: 'caseworkerA' | 'managerA', role: 'provider_caseworker' | 'provider_manager'): Actor =>
  actorForUser({ id: p.users[persona].id, partnership_id: p.id, organisation_id: p.users[persona].organisationId, roles: [role] });

beforeAll(async () => {
  t = await startApp();
  p = await createPartnership(t.database);
  const services = await addDirectory(t.database, p);
  const as = (persona: keyof Partnership['users']) => t.client.as(p.users[persona].token);
  const contactId = (await as('handler').post('/api/v1/contacts', newContact({ person: { name: 'Robin Hidden' } }))).body.id;
  expect((await as('handler').post(`/api/v1/contacts/${contactId}/risk-assessments`, { answers: dashAnswers(3) })).status).toBe(201);
  const sent = await as('handler').post(`/api/v1/contacts/${contactId}/referrals`, { referrals: [{ serviceId: services['Community outreach'], reason: 'test' }], consent: 'given' });
  const accepted = await as('caseworkerA').post(`/api/v1/referrals/${sent.body.referrals[0].id}/transitions`, { to: 'accepted' });
  expect(accepted.status).toBe(200);
  personId = (await t.database.db.selectFrom('cases').select('person_id').where('id', '=', accepted.body.caseId).executeTakeFirstOrThrow()).person_id;
});
afterAll(() => t.close());

/** Runs `change` as the database owner, in the middle of a transaction acting as `actor`, and acts as `actor` again. */
async function asOwner(tx: Tx, actor: Actor, change: () => Promise<unknown>): Promise<void> {
  await sql`reset role`.execute(tx);
  await change();
  await actAs(tx, actor);
}

it('sees a change to who is hidden at the next statement of the same transaction', async () => {
  const caseworker = actorOf('caseworkerA', 'provider_caseworker');
  const manager = actorOf('managerA', 'provider_manager');
  const seen: Array<[string, boolean]> = [];
  await inTransaction(t.database.db, caseworker, async (tx) => {
    const look = async (label: string) => {
      const row = await tx.selectFrom('people').select('id').where('id', '=', personId).executeTakeFirst();
      seen.push([label, row !== undefined]);
    };
    await look('before any restriction');
    await asOwner(tx, caseworker, () => tx.updateTable('people').set({ restricted_at: new Date() }).where('id', '=', personId).execute());
    await look('restricted');
    await asOwner(tx, caseworker, () =>
      tx.insertInto('person_named_users').values({ person_id: personId, user_id: caseworker.userId, partnership_id: p.id, named_by: manager.userId }).execute(),
    );
    await look('named');
    await actAs(tx, manager);
    await look('another actor, not named');
    await actAs(tx, caseworker);
    await look('the named actor again');
    await asOwner(tx, caseworker, () => tx.deleteFrom('person_named_users').where('person_id', '=', personId).execute());
    await look('no longer named');
    await asOwner(tx, caseworker, () =>
      tx
        .insertInto('break_glass')
        .values({ partnership_id: p.id, organisation_id: caseworker.organisationId, person_id: personId, user_id: caseworker.userId, reason: 'a test of breaking the glass', expires_at: new Date(Date.now() + 60_000) })
        .execute(),
    );
    await look('glass broken');
    throw new Error('roll back');
  }).catch((error: Error) => expect(error.message).toBe('roll back'));
  expect(seen).toEqual([
    ['before any restriction', true],
    ['restricted', false],
    ['named', true],
    ['another actor, not named', false],
    ['the named actor again', true],
    ['no longer named', false],
    ['glass broken', true],
  ]);
});
