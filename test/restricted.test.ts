/**
 * Restricted records and break-glass access (issue 9; SPEC §5), over the API and the staff
 * pages: a person restricted to named users disappears for everyone else in reach — with the
 * service checks on or off, because row-level security enforces it — until they break the
 * glass with a reason, for an hour; managers review every break and who read the records.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../src/db/transaction.js';
import { switchOffServiceChecksForTest } from '../src/modules/access/checks.js';
import { newSession } from '../src/modules/access/sessions.js';
import { SESSION_COOKIE } from '../src/web/session.js';
import { addDirectory, auditCount, createPartnership, dashAnswers, newContact, startApp, type Partnership, type TestApp } from './harness.js';
import { FormClient } from './web/http.js';

let t: TestApp;
let p: Partnership;
let contactId: string;
let caseId: string;
let personId: string;
const as = (persona: keyof Partnership['users']) => t.client.as(p.users[persona].token);

beforeAll(async () => {
  t = await startApp();
  p = await createPartnership(t.database);
  const services = await addDirectory(t.database, p);
  const created = await as('handler').post('/api/v1/contacts', newContact({ person: { name: 'Kit Staffmember', phones: ['07700 900222'] }, summary: 'Works at the council' }));
  expect(created.status).toBe(201);
  contactId = created.body.id;
  expect((await as('handler').post(`/api/v1/contacts/${contactId}/risk-assessments`, { answers: dashAnswers(3) })).status).toBe(201);
  const sent = await as('handler').post(`/api/v1/contacts/${contactId}/referrals`, { referrals: [{ serviceId: services['Community outreach'], reason: 'test' }], consent: 'given' });
  expect(sent.status).toBe(201);
  const accepted = await as('caseworkerA').post(`/api/v1/referrals/${sent.body.referrals[0].id}/transitions`, { to: 'accepted' });
  expect(accepted.status).toBe(200);
  caseId = accepted.body.caseId;
  expect((await as('caseworkerA').post(`/api/v1/cases/${caseId}/notes`, { body: 'Kit asked that colleagues are not told' })).status).toBe(201);
  personId = (await t.database.db.selectFrom('cases').select('person_id').where('id', '=', caseId).executeTakeFirstOrThrow()).person_id;
});
afterAll(() => t.close());

/** The hub's own contacts this month, counted exactly (the coordinator's own organisation). */
async function hubContacts(): Promise<string> {
  const report = await as('coordinator').get(`/api/v1/reports?period=month&organisationId=${p.orgs.hub}`);
  expect(report.status).toBe(200);
  return JSON.stringify(report.body.tables.find((x: { id: string }) => x.id === 'contacts'));
}

describe('restricting a person', () => {
  let before: string;

  it('names bad input and changes nothing', async () => {
    before = await hubContacts();
    expect(before).toMatch(/"values":\[[^\]]*[1-9]/);
    const refused = await as('caseworkerA').put(`/api/v1/people/${personId}/restriction`, { restricted: true, namedUserIds: [] });
    expect(refused.status).toBe(403);
    const unknown = await as('managerA').put(`/api/v1/people/${personId}/restriction`, { restricted: true, namedUserIds: ['00000000-0000-4000-8000-000000000000'] });
    expect(unknown.status).toBe(422);
    expect(unknown.body.errors).toEqual([{ field: '/namedUserIds/0', message: 'is not an active user of this partnership' }]);
    const people = await t.database.db.selectFrom('people').select('restricted_at').where('id', '=', personId).executeTakeFirstOrThrow();
    expect(people.restricted_at).toBeNull();
  });

  it('hides the person, their contacts and cases from everyone not named, with the service checks on and off', async () => {
    const restricted = await as('managerA').put(`/api/v1/people/${personId}/restriction`, { restricted: true, namedUserIds: [p.users.coordinator.id] });
    expect(restricted.status).toBe(200);
    expect(restricted.body.restricted).toBe(true);
    expect(restricted.body.namedUsers.map((u: { id: string }) => u.id).sort()).toEqual([p.users.coordinator.id, p.users.managerA.id].sort());
    expect(await auditCount(t.database, { recordId: personId, action: 'person.restrict' })).toBe(1);

    for (const off of [false, true]) {
      const restore = off ? switchOffServiceChecksForTest() : () => undefined;
      try {
        // The handler who took the call and the caseworker holding the case are not named.
        expect((await as('handler').get(`/api/v1/contacts/${contactId}`)).status).toBe(404);
        const listed = await as('handler').get('/api/v1/contacts?q=Staffmember');
        expect(listed.status).toBe(200);
        expect(listed.text).not.toContain('Staffmember');
        expect((await as('caseworkerA').get(`/api/v1/cases/${caseId}`)).status).toBe(404);
        expect((await as('caseworkerA').get(`/api/v1/cases/${caseId}/notes`)).status).toBe(404);
        const cases = await as('caseworkerA').get('/api/v1/cases');
        expect(cases.text).not.toContain('Staffmember');
        // The named see everything as before.
        expect((await as('managerA').get(`/api/v1/cases/${caseId}`)).status).toBe(200);
        expect((await as('coordinator').get(`/api/v1/contacts/${contactId}`)).status).toBe(200);
      } finally {
        restore();
      }
    }
    // Reports still count the restricted contact.
    expect(await hubContacts()).toBe(before);
  });
});

describe('breaking the glass', () => {
  it('needs a reason, opens the records for an hour, and is audited', async () => {
    const noReason = await as('caseworkerA').post(`/api/v1/people/${personId}/break-glass`, { reason: '   short   ' });
    expect(noReason.status).toBe(422);
    expect(noReason.body.errors[0].field).toBe('/reason');
    const other = await as('caseworkerB').post(`/api/v1/people/${personId}/break-glass`, { reason: 'I would like to look, please' });
    // Not in provider B's reach at all: the glass opens only onto what one could otherwise see.
    expect(other.status).toBe(404);

    const opened = await as('caseworkerA').post(`/api/v1/people/${personId}/break-glass`, { reason: 'Kit called in danger; I hold the case' });
    expect(opened.status).toBe(201);
    expect(new Date(opened.body.expiresAt).getTime() - Date.now()).toBeGreaterThan(55 * 60_000);
    expect((await as('caseworkerA').get(`/api/v1/cases/${caseId}`)).status).toBe(200);
    expect((await as('caseworkerA').get(`/api/v1/cases/${caseId}/notes`)).text).toContain('colleagues are not told');
    const audited = await t.database.db.selectFrom('audit_events').select(['actor_user_id', 'outcome']).where('record_id', '=', personId).where('action', '=', 'person.break_glass').orderBy('id').execute();
    // Provider B's attempt was refused, and recorded as such; caseworker A's allowed.
    expect(audited).toEqual([
      { actor_user_id: p.users.caseworkerB.id, outcome: 'denied' },
      { actor_user_id: p.users.caseworkerA.id, outcome: 'allowed' },
    ]);
    // Not for anyone else.
    expect((await as('handler').get(`/api/v1/contacts/${contactId}`)).status).toBe(404);

    // An hour later it closes by itself.
    await sql`update break_glass set expires_at = now() - interval '1 minute' where id = ${opened.body.id}`.execute(t.database.db);
    expect((await as('caseworkerA').get(`/api/v1/cases/${caseId}`)).status).toBe(404);
  });

  it('answers a record that is not restricted with 409', async () => {
    const plain = await as('handler').post('/api/v1/contacts', newContact({ person: { name: 'Not Restricted' } }));
    const person = await as('handler').post(`/api/v1/contacts/${plain.body.id}/person`);
    expect(person.status).toBe(201);
    const answer = await as('handler').post(`/api/v1/people/${person.body.linkedPerson.id}/break-glass`, { reason: 'No need, but trying' });
    expect(answer.status).toBe(409);
  });
});

describe('manager review', () => {
  it('lists each break for the organisation’s managers, takes a review once, and shows who read the records', async () => {
    expect((await as('caseworkerA').get('/api/v1/break-glass')).status).toBe(403);
    const waiting = await as('managerA').get('/api/v1/break-glass?reviewed=false');
    expect(waiting.status).toBe(200);
    expect(waiting.body).toHaveLength(1);
    expect(waiting.body[0]).toMatchObject({ personId, userId: p.users.caseworkerA.id, reason: 'Kit called in danger; I hold the case', reviewedAt: null });
    // Provider B's manager has none; the SPOC coordinator sees the partnership's.
    expect((await as('coordinator').get('/api/v1/break-glass')).body).toHaveLength(1);

    const reviewed = await as('managerA').post(`/api/v1/break-glass/${waiting.body[0].id}/review`, { note: 'Needed: she was in danger' });
    expect(reviewed.status).toBe(204);
    expect((await as('managerA').post(`/api/v1/break-glass/${waiting.body[0].id}/review`, { note: 'again' })).status).toBe(409);
    const done = await as('managerA').get('/api/v1/break-glass?reviewed=true');
    expect(done.body[0]).toMatchObject({ reviewNote: 'Needed: she was in danger', reviewedByName: 'Test managerA' });

    const log = await as('managerA').get(`/api/v1/people/${personId}/access-log`);
    expect(log.status).toBe(200);
    const actions = log.body.entries.map((e: { action: string; userName: string }) => `${e.userName}: ${e.action}`);
    expect(actions).toContain('Test caseworkerA: person.break_glass');
    expect(actions).toContain('Test caseworkerA: case.read');
    expect(actions).toContain('Test managerA: person.restrict');
    expect(await auditCount(t.database, { recordId: personId, action: 'person.access_log' })).toBe(1);
  });
});

describe('in the staff web app', () => {
  async function signedIn(persona: keyof Partnership['users']) {
    const client = new FormClient(t.client.baseUrl);
    const user = p.users[persona];
    const { token } = await inTransaction(t.database.db, null, (tx) => newSession(tx, { id: user.id, partnership_id: p.id }, new Date()));
    client.cookies.set(SESSION_COOKIE, token);
    return client;
  }

  it('offers the glass on a restricted record’s page, opens it with a reason, and managers review it', async () => {
    const worker = await signedIn('caseworkerA');
    const page = await worker.request('GET', `/cases/${caseId}`);
    expect(page.status).toBe(303);
    const location = page.headers.get('location')!;
    expect(location).toBe(`/people/${personId}/break-glass?next=${encodeURIComponent(`/cases/${caseId}`)}`);
    const form = await worker.request('GET', location);
    expect(form.status).toBe(200);
    expect(form.text).toContain('This record is restricted');
    expect(form.text).not.toContain('Staffmember');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.text)![1]!;
    const short = await worker.request('POST', `/people/${personId}/break-glass`, { _csrf: csrf, next: `/cases/${caseId}`, reason: 'hmm' });
    expect(short.status).toBe(422);
    expect(short.text).toContain('Your reason must say why');
    const broken = await worker.request('POST', `/people/${personId}/break-glass`, { _csrf: csrf, next: `/cases/${caseId}`, reason: 'Kit is on the phone now and needs help' });
    expect(broken.status).toBe(303);
    expect(broken.headers.get('location')).toBe(`/cases/${caseId}`);
    expect((await worker.request('GET', `/cases/${caseId}`)).text).toContain('Staffmember');

    const manager = await signedIn('managerA');
    const review = await manager.request('GET', '/access-review');
    expect(review.status).toBe(200);
    expect(review.text).toContain('Kit is on the phone now and needs help');
    const access = await manager.request('GET', `/people/${personId}/access`);
    expect(access.status).toBe(200);
    expect(access.text).toContain('person.break_glass');
    expect(access.text).toContain('Restricted since');
    // The people page is for managers only.
    expect((await worker.request('GET', `/people/${personId}/access`)).status).toBe(403);
  });
});
