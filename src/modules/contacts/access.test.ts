/**
 * The contact access rules compile twice — a check on one record and a SQL filter — and
 * the two must agree: role × organisation × record → allowed or not, on a real database.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../../db/transaction.js';
import { createPartnership, newContact, startApp, type Partnership, type TestApp } from '../../../test/harness.js';
import type { Actor } from '../access/actor.js';
import { ROLES } from '../access/policy.js';
import { mayActOnContact, visibleContacts, type ContactAction } from './access.js';
import { findContact } from './store.js';

let t: TestApp;
let p: Partnership;
const contactIds: string[] = [];

beforeAll(async () => {
  t = await startApp();
  p = await createPartnership(t.database);
  const post = (persona: keyof Partnership['users'], body = newContact()) =>
    t.client.as(p.users[persona].token).post('/api/v1/contacts', body).then((r) => r.body.id as string);
  contactIds.push(await post('handler'), await post('caseworkerA'), await post('caseworkerB'), await post('professional'));
  // The hub's contact shared with provider B.
  await t.client.as(p.users.handler.token).post(`/api/v1/contacts/${contactIds[0]}/shares`, { organisationId: p.orgs.providerB, reason: 'test' });
});
afterAll(() => t.close());

describe('contact access compiled twice', () => {
  it('agrees for every role, organisation, contact and action', async () => {
    const organisations = Object.values(p.orgs);
    const users = [p.users.handler.id, p.users.professional.id, p.users.caseworkerA.id];
    let allowedSomewhere = 0;
    await inTransaction(t.database.db, null, async (tx) => {
      const contacts = await Promise.all(contactIds.map((id) => findContact(tx, id).then((c) => c!)));
      for (const role of ROLES) {
        for (const organisationId of organisations) {
          for (const userId of users) {
            const actor: Actor = { userId, partnershipId: p.id, organisationId, roles: [role] };
            for (const action of ['read', 'update', 'share'] as ContactAction[]) {
              const listed = new Set(
                (await tx.selectFrom('contacts as c').select('c.id').where(visibleContacts(actor, action)).execute()).map((r) => r.id),
              );
              for (const contact of contacts) {
                const allowed = mayActOnContact(actor, action, contact);
                if (allowed) allowedSomewhere += 1;
                expect(listed.has(contact.id), `${role}@${organisationId} ${action} ${contact.id}`).toBe(allowed);
              }
            }
          }
        }
      }
    });
    expect(allowedSomewhere).toBeGreaterThan(0);
  });

  it('never reaches across partnerships', async () => {
    const other = await createPartnership(t.database);
    await inTransaction(t.database.db, null, async (tx) => {
      const contact = (await findContact(tx, contactIds[0]!))!;
      for (const role of ROLES) {
        const actor: Actor = { userId: other.users.handler.id, partnershipId: other.id, organisationId: other.orgs.hub, roles: [role] };
        expect(mayActOnContact(actor, 'read', contact)).toBe(false);
        // Even an actor claiming the same organisation id from another partnership.
        expect(mayActOnContact({ ...actor, organisationId: contact.organisation_id }, 'read', contact)).toBe(false);
        const listed = await tx.selectFrom('contacts as c').select('c.id').where(visibleContacts({ ...actor, organisationId: contact.organisation_id }, 'read')).execute();
        expect(listed).toEqual([]);
      }
    });
  });
});
