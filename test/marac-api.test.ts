/** MARAC over HTTP (issue 8): every high-risk contact referred once, repeats flagged at the 12-month boundary, meetings, lists, research, actions, figures. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditCount, createPartnership, dashAnswers, newContact, startApp, type Partnership, type TestApp } from './harness.js';

let t: TestApp;
let p: Partnership;
const as = (persona: keyof Partnership['users']) => t.client.as(p.users[persona].token);

beforeAll(async () => {
  t = await startApp();
  p = await createPartnership(t.database);
});
afterAll(() => t.close());

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

async function assessed(assessment: Record<string, unknown>, contact: Record<string, unknown> = {}): Promise<string> {
  const created = await as('handler').post('/api/v1/contacts', newContact({ person: { name: 'Marac Person', postcode: 'XB2 1AA' }, children: [{ name: 'Kid', dateOfBirth: '2018-01-01' }], perpetrators: [{ name: 'Pat Alleged', relationship: 'former_partner' }], ...contact }));
  expect(created.status).toBe(201);
  const answer = await as('handler').post(`/api/v1/contacts/${created.body.id}/risk-assessments`, assessment);
  expect(answer.status).toBe(201);
  return created.body.id;
}

async function maracOf(contactId: string) {
  const all = (await as('marac').get('/api/v1/marac/referrals')).body as Array<{ contactId: string; criteria: string[]; repeat: boolean; previousReferredOn: string | null; id: string; status: string; meetingId: string | null }>;
  return all.filter((r) => r.contactId === contactId);
}

describe('MARAC referrals', () => {
  it('each of the three high-risk criteria creates exactly one MARAC referral, naming it; medium and standard create none', async () => {
    const score = await assessed({ answers: dashAnswers(14) });
    expect((await maracOf(score)).map((r) => r.criteria)).toEqual([['score']]);
    // Reassessed, still high: still one.
    await as('handler').post(`/api/v1/contacts/${score}/risk-assessments`, { answers: dashAnswers(16) });
    expect(await maracOf(score)).toHaveLength(1);

    const judgement = await assessed({ answers: dashAnswers(5), professionalJudgement: { level: 'high', reason: 'Threats to kill with a weapon last week' } });
    expect((await maracOf(judgement)).map((r) => r.criteria)).toEqual([['professional_judgement']]);
    const escalation = await assessed({ answers: dashAnswers(2), policeCallouts12m: 2, otherIncidents12m: 1 });
    expect((await maracOf(escalation)).map((r) => r.criteria)).toEqual([['escalation']]);

    expect(await maracOf(await assessed({ answers: dashAnswers(13) }))).toEqual([]);
    expect(await maracOf(await assessed({ answers: dashAnswers(3) }))).toEqual([]);
    expect(await auditCount(t.database, { action: 'marac.refer' })).toBeGreaterThanOrEqual(3);
  });

  it('flags a repeat within 12 months of the same victim’s last referral, up to the day, and not a day after', async () => {
    const person = { name: 'Rey Peat', dateOfBirth: '1989-09-09' };
    const first = await assessed({ answers: dashAnswers(15) }, { person, receivedAt: '2024-11-01T10:00:00Z' });
    const personId = (await as('handler').post(`/api/v1/contacts/${first}/person`)).body.linkedPerson.id;

    // Exactly 12 months later, recognised before the checklist: a repeat, with the earlier date.
    const second = (await as('handler').post('/api/v1/contacts', newContact({ person, receivedAt: '2025-11-01T10:00:00Z' }))).body.id;
    await as('handler').post(`/api/v1/contacts/${second}/matches`, { personId, decision: 'confirmed' });
    await as('handler').post(`/api/v1/contacts/${second}/risk-assessments`, { answers: dashAnswers(15) });
    expect(await maracOf(second)).toEqual([expect.objectContaining({ repeat: true, previousReferredOn: '2024-11-01' })]);

    // A year and a day after the last referral: a new referral, not a repeat — even once recognised.
    const third = await assessed({ answers: dashAnswers(15) }, { person, receivedAt: '2026-11-02T10:00:00Z' });
    await as('handler').post(`/api/v1/contacts/${third}/matches`, { personId, decision: 'confirmed' });
    expect(await maracOf(third)).toEqual([expect.objectContaining({ repeat: false, previousReferredOn: null })]);

    // Recognised only after the checklist: the repeat is flagged when the match is confirmed.
    const fourth = await assessed({ answers: dashAnswers(15) }, { person, receivedAt: '2026-11-20T10:00:00Z' });
    expect((await maracOf(fourth))[0]!.repeat).toBe(false);
    await as('handler').post(`/api/v1/contacts/${fourth}/matches`, { personId, decision: 'confirmed' });
    expect(await maracOf(fourth)).toEqual([expect.objectContaining({ repeat: true, previousReferredOn: '2026-11-02' })]);
  });

  it('a coordinator refers by hand with a reason, once', async () => {
    const medium = await assessed({ answers: dashAnswers(12) });
    expect((await as('handler').post('/api/v1/marac/referrals', { contactId: medium, reason: 'x' })).status).toBe(403);
    const manual = await as('marac').post('/api/v1/marac/referrals', { contactId: medium, reason: 'Known to police for stalking' });
    expect(manual.status).toBe(201);
    expect(manual.body).toMatchObject({ criteria: ['manual'], reason: 'Known to police for stalking' });
    expect((await as('marac').post('/api/v1/marac/referrals', { contactId: medium, reason: 'again' })).status).toBe(409);
    const noReason = await as('marac').post('/api/v1/marac/referrals', { contactId: medium });
    expect(noReason.status).toBe(400);
    expect(noReason.body.errors).toEqual([expect.objectContaining({ field: '/reason' })]);
  });
});

describe('MARAC meetings', () => {
  it('lists referrals at the next meeting with room, shows each agency only what it may see, records research and actions, and shows overdue actions', async () => {
    const waiting = await assessed({ answers: dashAnswers(14) });
    expect((await maracOf(waiting))[0]!.status).toBe('awaiting_meeting');
    const bad = await as('marac').post('/api/v1/marac/meetings', { heldOn: '2001-01-01', capacity: 2, attendingOrganisationIds: ['00000000-0000-4000-8000-000000000000'], count: 3 });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(['/attendingOrganisationIds/0', '/heldOn', '/repeatEveryDays']);
    expect((await as('caseworkerA').post('/api/v1/marac/meetings', { heldOn: day(7), capacity: 2, attendingOrganisationIds: [] })).status).toBe(403);
    // Not years ahead (a series past the year 9999 once answered 500: the fuzzer found it).
    const far = await as('marac').post('/api/v1/marac/meetings', { heldOn: '9999-08-14', capacity: 4, attendingOrganisationIds: [], repeatEveryDays: 46, count: 17 });
    expect([far.status, far.body.errors.map((e: { field: string }) => e.field)]).toEqual([422, ['/heldOn']]);
    const long = await as('marac').post('/api/v1/marac/meetings', { heldOn: day(7), capacity: 4, attendingOrganisationIds: [], repeatEveryDays: 90, count: 26 });
    expect([long.status, long.body.errors.map((e: { field: string }) => e.field)]).toEqual([422, ['/count']]);

    const scheduled = await as('marac').post('/api/v1/marac/meetings', { heldOn: day(7), capacity: 50, attendingOrganisationIds: [p.orgs.providerA, p.orgs.police], repeatEveryDays: 14, count: 3 });
    expect(scheduled.status).toBe(201);
    expect(scheduled.body.map((m: { heldOn: string }) => m.heldOn)).toEqual([day(7), day(21), day(35)]);
    const meetingId = scheduled.body[0].id;
    const listedNow = (await maracOf(waiting))[0]!;
    expect(listedNow).toMatchObject({ status: 'listed', meetingId });
    // A new high-risk contact goes straight onto the next meeting with room.
    const fresh = await assessed({ answers: dashAnswers(15) });
    expect((await maracOf(fresh))[0]!.meetingId).toBe(meetingId);

    const hubList = await as('marac').get(`/api/v1/marac/meetings/${meetingId}`);
    expect(hubList.status).toBe(200);
    const entry = hubList.body.entries.find((e: { referralId: string }) => e.referralId === listedNow.id);
    expect(entry).toMatchObject({
      victim: { name: 'Marac Person', postcode: 'XB2 1AA' },
      children: [{ name: 'Kid', dateOfBirth: '2018-01-01' }],
      perpetrators: [{ name: 'Pat Alleged', relationship: 'former_partner' }],
      risk: { level: 'high', yesCount: 14 },
      repeat: false,
      referringAgency: 'Test SPOC',
    });
    const agencyList = await as('caseworkerA').get(`/api/v1/marac/meetings/${meetingId}`);
    expect(agencyList.status).toBe(200);
    expect(agencyList.text).not.toContain('XB2 1AA');
    expect((await as('caseworkerB').get(`/api/v1/marac/meetings/${meetingId}`)).status).toBe(404);
    expect((await as('commissioner').get(`/api/v1/marac/meetings/${meetingId}`)).status).toBe(403);
    expect((await as('caseworkerB').get('/api/v1/marac/meetings')).body).toEqual([]);

    const csv = await as('professional').get(`/api/v1/marac/meetings/${meetingId}/list.csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.text.split('\r\n')[0]).toBe('Meeting,Victim,Date of birth,Children,Alleged perpetrators,Risk,Criteria,Repeat,Previous referral,Referring agency');
    expect(csv.text).toContain('Marac Person');
    expect(csv.text).not.toContain('XB2 1AA');

    expect((await as('caseworkerA').post(`/api/v1/marac/referrals/${listedNow.id}/research`, { summary: 'Open to our IDVA service since March.' })).status).toBe(201);
    expect((await as('caseworkerB').post(`/api/v1/marac/referrals/${listedNow.id}/research`, { summary: 'x' })).status).toBe(404);
    const action = await as('marac').post(`/api/v1/marac/referrals/${listedNow.id}/actions`, { organisationId: p.orgs.providerA, description: 'Safety plan review with the victim', ownerName: 'IDVA team', dueOn: day(-1) });
    expect(action.status).toBe(201);
    const withResearch = (await as('marac').get(`/api/v1/marac/meetings/${meetingId}`)).body.entries.find((e: { referralId: string }) => e.referralId === listedNow.id);
    expect(withResearch.research).toEqual([expect.objectContaining({ summary: 'Open to our IDVA service since March.' })]);
    expect(withResearch.actions).toEqual([expect.objectContaining({ description: 'Safety plan review with the victim', overdue: true })]);

    const dashboard = await as('marac').get('/api/v1/marac/dashboard');
    expect(dashboard.body.overdueActions.map((a: { id: string }) => a.id)).toContain(action.body.id);
    expect(dashboard.body.meetings[0]).toMatchObject({ id: meetingId });
    expect((await as('caseworkerB').post(`/api/v1/marac/actions/${action.body.id}/done`)).status).toBe(404);
    expect((await as('caseworkerA').post(`/api/v1/marac/actions/${action.body.id}/done`)).status).toBe(200);
    expect((await as('marac').get('/api/v1/marac/dashboard')).body.overdueActions.map((a: { id: string }) => a.id)).not.toContain(action.body.id);
  });

  it('counts referrals, repeats and their sources for a period', async () => {
    const figures = await as('marac').get('/api/v1/marac/figures?from=2024-01-01&to=2026-12-31');
    expect(figures.status).toBe(200);
    expect(figures.body.referrals).toBeGreaterThanOrEqual(8);
    expect(figures.body.repeats).toBe(2);
    expect(figures.body.repeatRate).toBeCloseTo((2 / figures.body.referrals) * 100, 1);
    expect(figures.body.bySourceAgency).toEqual([{ agency: 'Test SPOC', referrals: figures.body.referrals }]);
    const window = await as('marac').get('/api/v1/marac/figures?from=2025-11-01&to=2025-11-01');
    expect(window.body).toMatchObject({ referrals: 1, repeats: 1, repeatRate: 100 });
    expect((await as('marac').get('/api/v1/marac/figures?from=2025-12-01&to=2025-11-01')).status).toBe(400);
  });
});
