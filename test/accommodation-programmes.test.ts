/**
 * Safe accommodation and recovery programmes over HTTP (issue 7): a vacancy search that
 * fits the household, a refuge referral from a case, refuge addresses kept from everyone
 * but the refuge's own staff (API, search, exports and pages), programme places and
 * waiting lists with an estimated start.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../src/db/transaction.js';
import { londonDate } from '../src/lib/dates.js';
import { exportDirectory } from '../src/modules/directory/oruk-io.js';
import { DEMO_USERS, demoToken } from '../src/seed/demo.js';
import { addDirectory, createPartnership, dashAnswers, newContact, startApp, startDemoApp, type Partnership, type TestApp } from './harness.js';
import { FormClient } from './web/http.js';

let t: TestApp;
let p: Partnership;
let services: Record<string, string>;
const as = (persona: keyof Partnership['users']) => t.client.as(p.users[persona].token);

// The demo directory's two refuges: Castlebrook refuge (provider A) and Brookside refuge (provider B).
const CASTLEBROOK_REFUGE = ['1 Example Row', 'XB9 9ZZ'];
const BROOKSIDE_REFUGE = ['2 Example Close', 'XB8 8ZZ'];

beforeAll(async () => {
  t = await startApp();
  p = await createPartnership(t.database);
  services = await addDirectory(t.database, p);
});
afterAll(() => t.close());

async function caseAt(caseworker: 'caseworkerA' | 'caseworkerB', service: string, person: Record<string, unknown>, extra: Record<string, unknown> = {}, yes = 11) {
  const contact = await as('handler').post('/api/v1/contacts', newContact({ person, ...extra }));
  expect(contact.status).toBe(201);
  await as('handler').post(`/api/v1/contacts/${contact.body.id}/risk-assessments`, { answers: dashAnswers(yes) });
  const sent = await as('handler').post(`/api/v1/contacts/${contact.body.id}/referrals`, { referrals: [{ serviceId: services[service], reason: 'test' }], consent: 'given' });
  expect(sent.status).toBe(201);
  const accepted = await as(caseworker).post(`/api/v1/referrals/${sent.body.referrals[0].id}/transitions`, { to: 'accepted' });
  expect(accepted.status).toBe(200);
  return { caseId: accepted.body.caseId as string, contactId: contact.body.id as string, referralId: sent.body.referrals[0].id as string };
}

describe('safe accommodation', () => {
  it('finds refuges with a vacancy that fits the household given or the case’s, and refers from the case', async () => {
    const single = await as('caseworkerA').get('/api/v1/accommodation/vacancies?children=0');
    expect(single.status).toBe(200);
    expect(single.body.results.map((r: { serviceName: string }) => r.serviceName)).toEqual(['Castlebrook refuge']);
    const oneChild = await as('caseworkerA').get('/api/v1/accommodation/vacancies?children=1&noRecourse=true');
    expect(oneChild.body.results.map((r: { serviceName: string }) => r.serviceName)).toEqual(['Brookside refuge']);
    expect(oneChild.body.household.unitType).toBe('family_1_child');

    const { caseId } = await caseAt('caseworkerA', 'Community outreach', { name: 'Ash Housed', dateOfBirth: '1991-01-01' }, { needs: ['accommodation'] });
    await as('caseworkerA').post(`/api/v1/cases/${caseId}/household`, { relationship: 'child', dateOfBirth: '2021-02-02', school: 'Little Acorns Nursery' });
    const forCase = await as('caseworkerA').get(`/api/v1/accommodation/vacancies?caseId=${caseId}`);
    expect(forCase.body.household).toMatchObject({ children: 1, unitType: 'family_1_child' });
    expect(forCase.body.results.map((r: { serviceName: string }) => r.serviceName)).toEqual(['Brookside refuge']);
    expect((await as('caseworkerB').get(`/api/v1/accommodation/vacancies?caseId=${caseId}`)).status).toBe(404);

    const noRoom = await as('caseworkerA').post(`/api/v1/cases/${caseId}/refuge-referrals`, { serviceId: services['Castlebrook refuge'], unitType: 'family_2_children', consent: 'given' });
    expect(noRoom.status).toBe(422);
    expect(noRoom.body.errors).toEqual([expect.objectContaining({ field: '/unitType', message: expect.stringMatching(/no family 2 children vacancy/) })]);
    const referral = await as('caseworkerA').post(`/api/v1/cases/${caseId}/refuge-referrals`, { serviceId: services['Brookside refuge'], unitType: 'family_1_child', consent: 'given' }, { 'idempotency-key': `refuge-${caseId}` });
    expect(referral.status).toBe(201);
    expect(referral.body).toMatchObject({ state: 'sent', unitType: 'family_1_child', organisationId: p.orgs.providerB });
    const retry = await as('caseworkerA').post(`/api/v1/cases/${caseId}/refuge-referrals`, { serviceId: services['Brookside refuge'], unitType: 'family_1_child', consent: 'given' }, { 'idempotency-key': `refuge-${caseId}` });
    expect(retry.body.id).toBe(referral.body.id);
    // The refuge sees it in its inbox; the referring case's timeline shows it was sent.
    const inbox = await as('caseworkerB').get('/api/v1/referrals?state=sent');
    expect(inbox.body.items.map((r: { id: string }) => r.id)).toContain(referral.body.id);
    const timeline = await as('caseworkerA').get(`/api/v1/cases/${caseId}/timeline`);
    expect(timeline.body.map((e: { title: string }) => e.title)).toContain('Referral to Brookside refuge: sent');
  });

  it("never shows a refuge's address to anyone outside the refuge's organisation: API, search, pathways, referrals, Open Referral UK, exports", async () => {
    const { contactId } = await caseAt('caseworkerA', 'Community outreach', { name: 'Lee Private', dateOfBirth: '1993-03-03', postcode: 'XB2 1AA' }, { needs: ['accommodation'] });
    const refuge = await as('handler').post(`/api/v1/contacts/${contactId}/referrals`, { referrals: [{ serviceId: services['Castlebrook refuge'], reason: 'test', unitType: 'single' }], consent: 'given' });
    expect(refuge.status).toBe(201);
    const reads = [
      '/api/v1/services',
      `/api/v1/services/${services['Castlebrook refuge']}`,
      `/api/v1/services/${services['Brookside refuge']}`,
      '/api/v1/accommodation/vacancies?children=0',
      '/api/v1/accommodation/vacancies?children=1',
      `/api/v1/contacts/${contactId}/pathways`,
      `/api/v1/referrals/${refuge.body.id}`,
      `/api/v1/referrals/${refuge.body.id}/feedback`,
      '/api/v1/referrals',
    ];
    const personas = [
      ['handler', [...CASTLEBROOK_REFUGE, ...BROOKSIDE_REFUGE]],
      ['coordinator', [...CASTLEBROOK_REFUGE, ...BROOKSIDE_REFUGE]],
      ['caseworkerB', CASTLEBROOK_REFUGE],
      ['caseworkerA', BROOKSIDE_REFUGE],
      ['professional', [...CASTLEBROOK_REFUGE, ...BROOKSIDE_REFUGE]],
      ['commissioner', [...CASTLEBROOK_REFUGE, ...BROOKSIDE_REFUGE]],
    ] as const;
    let checked = 0;
    for (const [persona, hidden] of personas) {
      for (const url of reads) {
        const answer = await as(persona).get(url);
        for (const secret of hidden) expect(answer.text, `${persona} ${url}`).not.toContain(secret);
        if (answer.status === 200) checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(20);
    // The refuge's own staff do see it.
    expect((await as('caseworkerA').get(`/api/v1/services/${services['Castlebrook refuge']}`)).text).toContain(CASTLEBROOK_REFUGE[0]);
    // The open Open Referral UK feed, and an export unless an administrator asks for confidential addresses.
    for (const url of ['/oruk/services', `/oruk/services/${services['Castlebrook refuge']}`, `/oruk/services/${services['Brookside refuge']}`]) {
      const answer = await t.client.as(undefined).get(url);
      for (const secret of [...CASTLEBROOK_REFUGE, ...BROOKSIDE_REFUGE]) expect(answer.text, url).not.toContain(secret);
    }
    const exported = JSON.stringify(await inTransaction(t.database.db, null, (tx) => exportDirectory(tx, p.id, { includeConfidential: false })));
    for (const secret of [...CASTLEBROOK_REFUGE, ...BROOKSIDE_REFUGE]) expect(exported).not.toContain(secret);
  });

  it("keeps refuge addresses off every page for staff of other organisations", async () => {
    const demo = await startDemoApp();
    try {
      // A case at the Castlebrook DA service whose household fits both refuges (no children, an
      // accessible unit), with a place on a course of its programme: its pages join the sweep.
      const demoApi = (email: string) => demo.client.as(demoToken(email));
      const demoService = async (name: string) => (await demo.database.db.selectFrom('services').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id;
      const contact = await demoApi('handler@castlebrook.example').post('/api/v1/contacts', newContact({ needs: ['accommodation', 'disability'], person: { name: 'Sam Swept', dateOfBirth: '1990-01-01', gender: 'female' } }));
      await demoApi('handler@castlebrook.example').post(`/api/v1/contacts/${contact.body.id}/risk-assessments`, { answers: dashAnswers(11) });
      const sent = await demoApi('handler@castlebrook.example').post(`/api/v1/contacts/${contact.body.id}/referrals`, { referrals: [{ serviceId: await demoService('IDVA service'), reason: 'test' }], consent: 'given' });
      const caseId = (await demoApi('idva@castlebrook.example').post(`/api/v1/referrals/${sent.body.referrals[0].id}/transitions`, { to: 'accepted' })).body.caseId as string;
      const programme = await demoService('Freedom recovery programme');
      const startsOn = new Date(Date.now() + 14 * 86_400_000).toISOString().slice(0, 10);
      expect((await demoApi('provider-manager@castlebrook.example').post(`/api/v1/services/${programme}/courses`, { title: 'Swept group', startsOn, sessions: 4, places: 4 })).status).toBe(201);
      const place = await demoApi('idva@castlebrook.example').post(`/api/v1/cases/${caseId}/programme-places`, { serviceId: programme });
      expect(place.status).toBe(201);
      const idva = new FormClient(demo.client.baseUrl);
      await idva.signIn('idva@castlebrook.example');
      const found = await idva.request('GET', `/cases/${caseId}/accommodation`);
      expect(found.text).toContain('Brookside refuge');
      expect(found.text).toContain(CASTLEBROOK_REFUGE[0]);
      const pages = [
        '/',
        '/directory',
        '/inbox',
        '/queues',
        '/contacts',
        '/rules',
        '/cases',
        `/cases/${caseId}`,
        `/cases/${caseId}/accommodation`,
        `/cases/${caseId}/accommodation?filter=1&children=1&noRecourse=yes`,
        `/cases/${caseId}/programme-places`,
        `/courses/${place.body.courseId}/attendance`,
      ];
      for (const user of DEMO_USERS) {
        const browser = new FormClient(demo.client.baseUrl);
        expect((await browser.signIn(user.email)).status, user.email).toBe(303);
        const hidden = [
          ...(user.organisation === 'castlebrook-da-service' ? [] : CASTLEBROOK_REFUGE),
          ...(user.organisation === 'brookside-womens-aid' ? [] : BROOKSIDE_REFUGE),
        ];
        const services = (await demo.client.as(undefined).get('/oruk/services?per_page=100')).body.contents as Array<{ id: string }>;
        for (const path of [...pages, ...services.map((s) => `/directory/services/${s.id}`)]) {
          const page = await browser.request('GET', path);
          for (const secret of hidden) expect(page.text, `${user.email} ${path}`).not.toContain(secret);
        }
      }
    } finally {
      await demo.close();
    }
  });
});

describe('recovery programmes', () => {
  it('an accepted referral to a full programme joins its waiting list with an estimated start; a new course takes the waiting list in turn', async () => {
    // Provider A runs the Freedom recovery programme: one course with two places.
    const programme = services['Freedom recovery programme']!;
    // The first course starts today, so attendance can be recorded on it.
    const soon = londonDate(new Date());
    const later = new Date(Date.now() + 60 * 86_400_000).toISOString().slice(0, 10);
    expect((await as('caseworkerA').post(`/api/v1/services/${programme}/courses`, { title: 'Spring group', startsOn: soon, sessions: 12, places: 2 })).status).toBe(403);
    const course = await as('managerA').post(`/api/v1/services/${programme}/courses`, { title: 'Spring group', startsOn: soon, sessions: 12, places: 2 });
    expect(course.status).toBe(201);
    const badCourse = await as('managerA').post(`/api/v1/services/${programme}/courses`, { title: 'Past', startsOn: '2001-01-01', sessions: 12, places: 2 });
    expect(badCourse.status).toBe(422);
    expect(badCourse.body.errors).toEqual([expect.objectContaining({ field: '/startsOn' })]);

    const places = [];
    for (const name of ['Pat One', 'Pat Two', 'Pat Three']) {
      const { caseId } = await caseAt('caseworkerA', 'Freedom recovery programme', { name, dateOfBirth: '1980-01-01', gender: 'female' }, {}, 3);
      places.push((await as('caseworkerA').get(`/api/v1/cases/${caseId}/programme-places`)).body[0]);
    }
    expect(places.map((x) => x.status)).toEqual(['enrolled', 'enrolled', 'waiting']);
    expect(places[2]).toMatchObject({ waitingPosition: 1, estimatedStart: null });
    expect((await as('caseworkerA').get(`/api/v1/services/${programme}/programme`)).body).toMatchObject({ waiting: 1, nextEstimatedStart: null });

    const summer = await as('managerA').post(`/api/v1/services/${programme}/courses`, { title: 'Summer group', startsOn: later, sessions: 10, places: 8 });
    expect(summer.body.waiting).toBe(0);
    const moved = (await as('caseworkerA').get(`/api/v1/cases/${places[2].caseId}/programme-places`)).body[0];
    expect(moved).toMatchObject({ status: 'enrolled', courseStartsOn: later });
    expect(summer.body.nextEstimatedStart).toBe(later);

    const attended = await as('caseworkerA').post(`/api/v1/courses/${places[0].courseId}/attendance`, { placeId: places[0].id, session: 1, attended: true });
    expect(attended.body.attended).toBe(1);
    const tooFar = await as('caseworkerA').post(`/api/v1/courses/${places[0].courseId}/attendance`, { placeId: places[0].id, session: 13, attended: true });
    expect(tooFar.status).toBe(422);
    expect((await as('caseworkerB').post(`/api/v1/courses/${places[0].courseId}/attendance`, { placeId: places[0].id, session: 2, attended: true })).status).toBe(404);
  });
});
