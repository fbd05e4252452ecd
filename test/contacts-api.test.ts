import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditCount, createPartnership, newContact, startApp, type Partnership, type TestApp } from './harness.js';

let t: TestApp;
let p: Partnership;
const as = (persona: keyof Partnership['users']) => t.client.as(p.users[persona].token);

beforeAll(async () => {
  t = await startApp();
  p = await createPartnership(t.database);
});
afterAll(() => t.close());

describe('contacts over the API', () => {
  it('records a contact with everything SPEC §2 steps 1–5 asks for and reads it back', async () => {
    const created = await as('handler').post('/api/v1/contacts', {
      channel: 'phone',
      callerType: 'victim',
      immediateDanger: 'no',
      person: { name: 'Alex Example', otherNames: ['Alexandra Example'], dateOfBirth: '1990-04-01', gender: 'female', postcode: 'xb1 2ab', phones: ['07700 900001'] },
      safeContact: {
        phones: [{ number: '07700 900001', callSafe: true, textSafe: false, voicemailSafe: false }],
        safeTimes: [{ days: ['monday', 'tuesday'], from: '10:00', to: '12:00' }],
        safeEmail: 'safe@example.org',
        codeWord: 'bluebell',
        language: 'English',
        interpreterNeeded: false,
        knowsAboutReferral: 'yes',
      },
      needs: ['accommodation', 'children_in_household'],
      children: [{ name: 'Sam Example', dateOfBirth: '2019-06-01' }],
      perpetrators: [{ name: 'Jordan Example', phones: ['07700 900999'], relationship: 'former_partner' }],
      summary: 'Called from a friend’s phone.',
    });
    expect(created.status).toBe(201);
    expect(created.body.reference).toMatch(/^SPOC-\d{4}-\d{6}$/);
    expect(created.body.person.postcode).toBe('XB1 2AB');
    expect(created.body.organisationId).toBe(p.orgs.hub);
    expect(created.body.handlerId).toBe(p.users.handler.id);
    expect(created.body.flags).toEqual([]);
    expect(created.headers.get('location')).toBe(`/api/v1/contacts/${created.body.id}`);

    const read = await as('handler').get(`/api/v1/contacts/${created.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body.safeContact.phones[0]).toMatchObject({ callSafe: true, textSafe: false, voicemailSafe: false });
    expect(read.body.perpetrators[0].relationship).toBe('former_partner');
    expect(read.body.children).toHaveLength(1);
  });

  it('flags immediate danger and answers with the 999 guidance', async () => {
    const created = await as('handler').post('/api/v1/contacts', newContact({ immediateDanger: 'yes' }));
    expect(created.status).toBe(201);
    expect(created.body.flags).toContain('immediate_danger');
    expect(created.body.guidance.join(' ')).toMatch(/999/);
    const list = await as('handler').get('/api/v1/contacts?immediateDanger=yes');
    expect(list.body.items.map((c: { id: string }) => c.id)).toContain(created.body.id);
  });

  it('updates only the fields sent', async () => {
    const created = await as('handler').post('/api/v1/contacts', newContact({ summary: 'first', needs: ['stalking'] }));
    const updated = await as('handler').patch(`/api/v1/contacts/${created.body.id}`, { status: 'advice_only' });
    expect(updated.status).toBe(200);
    expect(updated.body.status).toBe('advice_only');
    expect(updated.body.summary).toBe('first');
    expect(updated.body.needs).toEqual(['stalking']);
  });

  it('lists and searches by date, handler, caller type and status', async () => {
    const mine = await as('coordinator').post('/api/v1/contacts', newContact({ callerType: 'family_friend', receivedAt: '2024-03-05T10:00:00Z', person: { name: 'Robin Searchable' } }));
    await as('coordinator').post('/api/v1/contacts', newContact({ callerType: 'professional', receivedAt: '2024-03-07T10:00:00Z' }));
    const ids = async (query: string) => (await as('handler').get(`/api/v1/contacts?${query}`)).body.items.map((c: { id: string }) => c.id);
    expect(await ids('from=2024-03-05&to=2024-03-05')).toEqual([mine.body.id]);
    expect(await ids(`handlerId=${p.users.coordinator.id}&callerType=family_friend`)).toEqual([mine.body.id]);
    expect(await ids('q=searchable')).toEqual([mine.body.id]);
    expect(await ids(`q=${mine.body.reference}`)).toEqual([mine.body.id]);
    expect(await ids('status=closed')).toEqual([]);
    const page = await as('handler').get('/api/v1/contacts?perPage=1&page=1');
    expect(page.body.items).toHaveLength(1);
    expect(page.body.total).toBeGreaterThan(1);
  });

  it('lets a professional create a referral into the SPOC queue and see only their own', async () => {
    const created = await as('professional').post('/api/v1/contacts', newContact({ channel: 'professional_referral', callerType: 'professional' }));
    expect(created.status).toBe(201);
    expect(created.body.organisationId).toBe(p.orgs.hub);
    expect((await as('professional').get(`/api/v1/contacts/${created.body.id}`)).status).toBe(200);
    expect((await as('professional2').get(`/api/v1/contacts/${created.body.id}`)).status).toBe(404);
    const seen = (await as('professional').get('/api/v1/contacts')).body.items.map((c: { handlerId: string }) => c.handlerId);
    expect(new Set(seen)).toEqual(new Set([p.users.professional.id]));
    expect((await as('handler').get(`/api/v1/contacts/${created.body.id}`)).status).toBe(200);
  });

  it('leaves exactly one audit row for each read and write of a contact', async () => {
    const created = await as('handler').post('/api/v1/contacts', newContact({ person: { name: 'Audit Person' } }));
    const id = created.body.id as string;
    expect(await auditCount(t.database, { recordId: id })).toBe(1);
    expect(await auditCount(t.database, { recordId: id, action: 'contact.create' })).toBe(1);
    await as('handler').get(`/api/v1/contacts/${id}`);
    expect(await auditCount(t.database, { recordId: id })).toBe(2);
    await as('handler').patch(`/api/v1/contacts/${id}`, { summary: 'changed' });
    expect(await auditCount(t.database, { recordId: id })).toBe(3);
    await as('handler').get(`/api/v1/contacts?q=${created.body.reference}`);
    expect(await auditCount(t.database, { recordId: id, action: 'contact.list' })).toBe(1);
    expect(await auditCount(t.database, { recordId: id })).toBe(4);
    await as('caseworkerA').get(`/api/v1/contacts/${id}`);
    expect(await auditCount(t.database, { recordId: id })).toBe(5);
    const denied = await t.database.db.selectFrom('audit_events').selectAll().where('record_id', '=', id).where('outcome', '=', 'denied').execute();
    expect(denied).toHaveLength(1);
    expect(denied[0]).toMatchObject({ actor_user_id: p.users.caseworkerA.id, action: 'contact.read' });
  });

  it('keeps audit rows append-only', async () => {
    await expect(t.database.db.deleteFrom('audit_events').execute()).rejects.toThrow(/append-only/);
  });

  it('lists the partnership needs', async () => {
    const needs = await as('handler').get('/api/v1/needs');
    expect(needs.body.map((n: { code: string }) => n.code)).toContain('immigration_nrpf');
  });
});
