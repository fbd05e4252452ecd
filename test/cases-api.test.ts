/** Cases over HTTP (SPEC §2 steps 9–11): repeat recognition by a person, cases per organisation, sensitive notes kept in. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDirectory, auditCount, createPartnership, dashAnswers, newContact, startApp, type Partnership, type TestApp } from './harness.js';

let t: TestApp;
let p: Partnership;
let services: Record<string, string>;
const as = (persona: keyof Partnership['users']) => t.client.as(p.users[persona].token);

beforeAll(async () => {
  t = await startApp();
  p = await createPartnership(t.database);
  services = await addDirectory(t.database, p);
});
afterAll(() => t.close());

async function contactAbout(person: Record<string, unknown>, yes = 15): Promise<string> {
  const contact = await as('handler').post('/api/v1/contacts', newContact({ person }));
  expect(contact.status).toBe(201);
  expect((await as('handler').post(`/api/v1/contacts/${contact.body.id}/risk-assessments`, { answers: dashAnswers(yes) })).status).toBe(201);
  return contact.body.id;
}

/** Refers the contact to a service, and that service's caseworker accepts: the case it opens or joins. */
async function acceptedCase(contactId: string, service: string, caseworker: 'caseworkerA' | 'caseworkerB', reason?: string): Promise<string> {
  const sent = await as('handler').post(`/api/v1/contacts/${contactId}/referrals`, {
    referrals: [{ serviceId: services[service], ...(reason ? { reason } : {}) }],
    consent: 'given',
  });
  expect(sent.status).toBe(201);
  const referralId = sent.body.referrals[0].id;
  const accepted = await as(caseworker).post(`/api/v1/referrals/${referralId}/transitions`, { to: 'accepted' });
  expect(accepted.status).toBe(200);
  expect(accepted.body.caseId).toEqual(expect.any(String));
  return accepted.body.caseId;
}

describe('repeat recognition', () => {
  it('proposes a returning person despite a misspelt name and a new phone, ranks a namesake with another birth date below, and merges nothing unconfirmed', async () => {
    const first = await contactAbout({ name: 'Jane Smith', dateOfBirth: '1988-03-04', postcode: 'XB2 1AA', phones: ['07700 900123'] });
    const namesake = await contactAbout({ name: 'Jane Smith', dateOfBirth: '1971-11-20', postcode: 'XB2 1AA' });
    const returning = (await as('handler').post(`/api/v1/contacts/${first}/person`)).body.linkedPerson;
    const other = (await as('handler').post(`/api/v1/contacts/${namesake}/person`)).body.linkedPerson;
    expect(returning.id).not.toBe(other.id);

    const again = await contactAbout({ name: 'Jane Smyth', dateOfBirth: '1988-03-04', postcode: 'XB2 1AA', phones: ['07700 900999'] });
    const matches = await as('handler').get(`/api/v1/contacts/${again}/matches`);
    expect(matches.status).toBe(200);
    expect(matches.body.linkedPerson).toBeNull();
    const ids = matches.body.candidates.map((c: { person: { id: string } }) => c.person.id);
    expect(ids[0]).toBe(returning.id);
    expect(matches.body.candidates[0].reasons).toEqual(expect.arrayContaining([expect.stringMatching(/^similar name/), 'same date of birth', 'same postcode']));
    expect(matches.body.candidates[0].reasons).not.toContain('same phone number');
    const namesakeAt = ids.indexOf(other.id);
    if (namesakeAt !== -1) {
      expect(namesakeAt).toBeGreaterThan(0);
      expect(matches.body.candidates[namesakeAt].reasons).toContain('different date of birth');
    }
    // Proposed, not merged: the new contact still belongs to nobody, and no person row was joined.
    const stillNobody = await t.database.db.selectFrom('contacts').select('person_id').where('id', '=', again).executeTakeFirstOrThrow();
    expect(stillNobody.person_id).toBeNull();

    const rejected = await as('handler').post(`/api/v1/contacts/${again}/matches`, { personId: other.id, decision: 'rejected' });
    expect(rejected.status).toBe(200);
    expect(rejected.body.linkedPerson).toBeNull();
    const confirmed = await as('handler').post(`/api/v1/contacts/${again}/matches`, { personId: returning.id, decision: 'confirmed' });
    expect(confirmed.body.linkedPerson.id).toBe(returning.id);
    const decisions = await t.database.db.selectFrom('person_match_decisions').select(['decision', 'decided_by']).where('contact_id', '=', again).orderBy('decided_at').execute();
    expect(decisions).toEqual([
      { decision: 'rejected', decided_by: p.users.handler.id },
      { decision: 'confirmed', decided_by: p.users.handler.id },
    ]);
    const toAnother = await as('handler').post(`/api/v1/contacts/${again}/matches`, { personId: other.id, decision: 'confirmed' });
    expect(toAnother.status).toBe(409);
  });

  it('finds a known person by phone number alone, however the number is written', async () => {
    const first = await contactAbout({ name: 'Dani Phone', phones: ['07700 900432'] });
    const known = (await as('handler').post(`/api/v1/contacts/${first}/person`)).body.linkedPerson;
    const again = await contactAbout({ phones: ['+44 7700 900432'] });
    const matches = await as('handler').get(`/api/v1/contacts/${again}/matches`);
    expect(matches.body.candidates).toEqual([expect.objectContaining({ person: expect.objectContaining({ id: known.id }), reasons: ['same phone number'] })]);
  });

  it('never matches a perpetrator seeking help against the people we support, nor offers them as a match', async () => {
    const perpetrator = await as('handler').post('/api/v1/contacts', newContact({ callerType: 'perpetrator', person: { name: 'Drew Harmer', dateOfBirth: '1975-05-05' } }));
    expect((await as('handler').get(`/api/v1/contacts/${perpetrator.body.id}/matches`)).status).toBe(409);
    expect((await as('handler').post(`/api/v1/contacts/${perpetrator.body.id}/person`)).status).toBe(409);
    const programme = await as('handler').post(`/api/v1/contacts/${perpetrator.body.id}/referrals`, { referrals: [{ serviceId: services['Turning Point behaviour-change programme'] }], consent: 'given' });
    expect(programme.status).toBe(201);
    const accepted = await as('caseworkerB').post(`/api/v1/referrals/${programme.body.referrals[0].id}/transitions`, { to: 'accepted' });
    expect(accepted.status).toBe(200);
    const person = await t.database.db.selectFrom('contacts as c').innerJoin('people as p', 'p.id', 'c.person_id').select('p.role').where('c.id', '=', perpetrator.body.id).executeTakeFirstOrThrow();
    expect(person.role).toBe('perpetrator');
    const victim = await contactAbout({ name: 'Drew Harmer', dateOfBirth: '1975-05-05' });
    expect((await as('handler').get(`/api/v1/contacts/${victim}/matches`)).body.candidates).toEqual([]);
  });

  it('refuses a decision on a person who is not a candidate of the partnership, naming the field', async () => {
    const id = await contactAbout({ name: 'Sam Nobody' });
    const answer = await as('handler').post(`/api/v1/contacts/${id}/matches`, { personId: '00000000-0000-4000-8000-000000000000', decision: 'confirmed' });
    expect(answer.status).toBe(422);
    expect(answer.body.errors).toEqual([expect.objectContaining({ field: '/personId' })]);
    const bad = await as('handler').post(`/api/v1/contacts/${id}/matches`, { personId: 'x', decision: 'maybe' });
    expect(bad.status).toBe(400);
  });

  it('says which organisations know the person: the hub sees every partner, a provider only itself', async () => {
    const contact = await contactAbout({ name: 'Morgan Known', dateOfBirth: '1992-02-02' });
    const caseId = await acceptedCase(contact, 'IDVA service', 'caseworkerA');
    expect(caseId).toBeTruthy();
    const returning = await contactAbout({ name: 'Morgan Known', dateOfBirth: '1992-02-02' });
    const hubView = await as('handler').get(`/api/v1/contacts/${returning}/matches`);
    expect(hubView.body.candidates[0].knownTo).toEqual([expect.objectContaining({ organisationId: p.orgs.providerA, caseState: 'open' })]);
    // Provider B shares the new contact (a referral), but does not learn that provider A knows the person.
    await as('handler').post(`/api/v1/contacts/${returning}/shares`, { organisationId: p.orgs.providerB, reason: 'test' });
    const bView = await as('caseworkerB').get(`/api/v1/contacts/${returning}/matches`);
    expect(bView.status).toBe(200);
    expect(bView.body.candidates).toEqual([]);
  });
});

describe('cases', () => {
  it('an accepted referral opens a case at the receiving organisation, which only that organisation can open', async () => {
    const contact = await contactAbout({ name: 'Alex Casework', dateOfBirth: '1985-05-05' });
    const caseId = await acceptedCase(contact, 'IDVA service', 'caseworkerA');
    const own = await as('caseworkerA').get(`/api/v1/cases/${caseId}`);
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ state: 'open', organisationId: p.orgs.providerA, person: { name: 'Alex Casework' } });
    expect(own.body.referrals).toHaveLength(1);
    for (const persona of ['caseworkerB', 'handler', 'professional', 'commissioner'] as const) {
      expect((await as(persona).get(`/api/v1/cases/${caseId}`)).status, persona).toBeOneOf([403, 404]);
    }
    expect(await auditCount(t.database, { recordId: caseId, action: 'case.read' })).toBeGreaterThan(0);
    const list = await as('caseworkerA').get('/api/v1/cases?state=open');
    expect(list.body.map((c: { id: string }) => c.id)).toContain(caseId);
    expect((await as('caseworkerB').get('/api/v1/cases')).body.map((c: { id: string }) => c.id)).not.toContain(caseId);
  });

  it("keeps the person's other names and identifiers, and recognises them by another name", async () => {
    const contact = await contactAbout({ name: 'Kim Original', dateOfBirth: '1984-04-04' });
    const caseId = await acceptedCase(contact, 'IDVA service', 'caseworkerA');
    const patched = await as('caseworkerA').patch(`/api/v1/cases/${caseId}/person`, { otherNames: ['Kimberley Maiden'], identifiers: { nhs_number: '999 000 0000' } });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ otherNames: ['Kimberley Maiden'], identifiers: { nhs_number: '999 000 0000' } });
    expect((await as('caseworkerB').get(`/api/v1/cases/${caseId}/person`)).status).toBe(404);
    const bad = await as('caseworkerA').patch(`/api/v1/cases/${caseId}/person`, { dateOfBirth: '2999-01-01' });
    expect(bad.body.errors).toEqual([expect.objectContaining({ field: '/dateOfBirth' })]);
    const again = await contactAbout({ name: 'Kimberley Maiden' });
    const matches = await as('handler').get(`/api/v1/contacts/${again}/matches`);
    expect(matches.body.candidates[0]).toMatchObject({ person: { id: patched.body.id }, reasons: ['same name'] });
  });

  it('a second accepted referral for the same person joins the open case', async () => {
    const first = await contactAbout({ name: 'Jo Rejoin', dateOfBirth: '1979-09-09' }, 11);
    const caseId = await acceptedCase(first, 'Community outreach', 'caseworkerA');
    const second = await contactAbout({ name: 'Jo Rejoin', dateOfBirth: '1979-09-09' }, 11);
    const person = (await as('caseworkerA').get(`/api/v1/cases/${caseId}`)).body.person.id;
    expect((await as('handler').post(`/api/v1/contacts/${second}/matches`, { personId: person, decision: 'confirmed' })).status).toBe(200);
    const again = await acceptedCase(second, 'IDVA service', 'caseworkerA', 'Escalated to IDVA');
    expect(again).toBe(caseId);
    expect((await as('caseworkerA').get(`/api/v1/cases/${caseId}`)).body.referrals).toHaveLength(2);
  });

  it("keeps another organisation's sensitive notes from a caseworker, over the API and in the timeline", async () => {
    const contact = await contactAbout({ name: 'Robin Shared', dateOfBirth: '1990-10-10' }, 11);
    const caseA = await acceptedCase(contact, 'Community outreach', 'caseworkerA');
    const caseB = await acceptedCase(contact, 'Brookside counselling', 'caseworkerB', 'Asked for counselling too');
    expect(caseB).not.toBe(caseA);
    expect((await as('caseworkerB').post(`/api/v1/cases/${caseB}/notes`, { body: 'Disclosed something only we may know.', sensitive: true })).status).toBe(201);
    expect((await as('caseworkerB').post(`/api/v1/cases/${caseB}/notes`, { body: 'Attending counselling weekly.' })).status).toBe(201);
    expect((await as('caseworkerA').post(`/api/v1/cases/${caseB}/notes`, { body: 'Not my case' })).status).toBe(404);

    const notesA = await as('caseworkerA').get(`/api/v1/cases/${caseA}/notes`);
    expect(notesA.body.map((n: { body: string }) => n.body)).toEqual(['Attending counselling weekly.']);
    const timelineA = await as('caseworkerA').get(`/api/v1/cases/${caseA}/timeline`);
    expect(timelineA.text).not.toContain('only we may know');
    expect(timelineA.text).toContain('Attending counselling weekly.');
    const notesB = await as('caseworkerB').get(`/api/v1/cases/${caseB}/notes`);
    expect(notesB.body.map((n: { sensitive: boolean }) => n.sensitive).sort()).toEqual([false, true]);
  });

  it('household, perpetrator, actions, a versioned safety plan from a template, outcomes and closure, each on the timeline', async () => {
    const contact = await contactAbout({ name: 'Casey Journey', dateOfBirth: '1987-07-07' });
    const caseId = await acceptedCase(contact, 'IDVA service', 'caseworkerA');
    const cw = as('caseworkerA');
    expect((await cw.post(`/api/v1/cases/${caseId}/household`, { relationship: 'child', name: 'Kit', dateOfBirth: '2018-04-04', school: 'Castlebrook Primary' })).status).toBe(201);
    const future = await cw.post(`/api/v1/cases/${caseId}/household`, { relationship: 'child', dateOfBirth: '2999-01-01' });
    expect(future.status).toBe(422);
    expect(future.body.errors).toEqual([expect.objectContaining({ field: '/dateOfBirth' })]);
    expect((await cw.post(`/api/v1/cases/${caseId}/perpetrators`, { relationship: 'former_partner', name: 'Pat', phones: ['07700 900666'], vehicles: ['Blue van'] })).status).toBe(201);

    const templates = await cw.get('/api/v1/safety-plan-templates');
    expect(templates.status).toBe(200);
    const template = templates.body[0];
    expect(template.sections.map((s: { id: string }) => s.id)).toEqual(
      expect.arrayContaining(['immediate_steps', 'safe_places', 'prepared_bag', 'safe_routes', 'children', 'technology', 'orders_markers']),
    );
    const soon = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    const v1 = await cw.post(`/api/v1/cases/${caseId}/safety-plans`, { templateId: template.id, sections: { immediate_steps: 'Dial 999, press 55.' }, reviewOn: soon });
    expect(v1.status).toBe(201);
    const v2 = await cw.post(`/api/v1/cases/${caseId}/safety-plans`, { templateId: template.id, sections: { immediate_steps: 'Dial 999.', prepared_bag: 'At her sister’s.' }, reviewOn: soon });
    expect(v2.body.version).toBe(2);
    const badPlan = await cw.post(`/api/v1/cases/${caseId}/safety-plans`, { templateId: template.id, sections: { made_up: 'x' }, reviewOn: '2001-01-01' });
    expect(badPlan.status).toBe(422);
    expect(badPlan.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['/reviewOn', '/sections/made_up']);
    expect((await cw.get(`/api/v1/cases/${caseId}/safety-plans`)).body.map((v: { version: number }) => v.version)).toEqual([2, 1]);

    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const withAction = await cw.post(`/api/v1/cases/${caseId}/actions`, { title: 'Apply for a non-molestation order', dueOn: yesterday });
    expect(withAction.status).toBe(201);
    const tasks = await cw.get('/api/v1/tasks');
    expect(tasks.body).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ kind: 'action', caseId, overdue: true }),
        expect.objectContaining({ kind: 'safety_plan_review', caseId, dueOn: soon }),
      ]),
    );
    const actionId = withAction.body.actions[0].id;
    expect((await cw.post(`/api/v1/cases/${caseId}/actions/${actionId}/done`)).body.actions[0].doneAt).toEqual(expect.any(String));

    const none = { frequency: 'none', severity: 'none' };
    const abuse = { physical: { frequency: 'weekly', severity: 'high' }, sexual: none, emotional: { frequency: 'daily', severity: 'high' }, coercive_control: { frequency: 'daily', severity: 'high' }, economic: none, stalking: none, online: none };
    expect((await cw.post(`/api/v1/cases/${caseId}/outcomes`, { stage: 'intake', abuse, feelingSafe: 2, wellbeing: 3 })).status).toBe(201);
    const badOutcome = await cw.post(`/api/v1/cases/${caseId}/outcomes`, { stage: 'exit', abuse, feelingSafe: 11, wellbeing: 3 });
    expect(badOutcome.status).toBe(400);
    expect(JSON.stringify(badOutcome.body.errors)).toContain('feelingSafe');
    expect((await cw.post(`/api/v1/cases/${caseId}/outcomes`, { stage: 'exit', abuse: { ...abuse, physical: none }, feelingSafe: 8, wellbeing: 7 })).status).toBe(201);
    const closed = await cw.post(`/api/v1/cases/${caseId}/close`, { reason: 'support_completed' });
    expect(closed.body).toMatchObject({ state: 'closed', closureReason: 'support_completed' });
    expect((await cw.post(`/api/v1/cases/${caseId}/notes`, { body: 'After closing' })).status).toBe(409);

    const timeline = (await cw.get(`/api/v1/cases/${caseId}/timeline`)).body as Array<{ kind: string; title: string }>;
    const kinds = timeline.map((e) => e.kind);
    for (const kind of ['contact', 'assessment', 'referral', 'case', 'household', 'perpetrator', 'safety_plan', 'action', 'outcome']) expect(kinds, kind).toContain(kind);
    expect(timeline.at(-1)!.title).toBe('Case closed: support completed');
  });
});
