/**
 * Bad input gets a 4xx naming the field, and changes nothing (SPEC §5), on every route
 * that takes input.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPartnership, dashAnswers, newContact, startApp, type Partnership, type TestApp } from './harness.js';

let t: TestApp;
let p: Partnership;
let contactId: string;
let serviceId: string;
let caseId: string;

const TABLES = [
  'contacts', 'contact_shares', 'risk_assessments', 'services', 'questionnaire_definitions', 'audit_events', 'organisations', 'users', 'referrals',
  'people', 'cases', 'household_members', 'case_perpetrators', 'case_notes', 'case_actions', 'safety_plans', 'outcome_measures', 'programme_courses', 'programme_places',
];

/** This partnership's rows in every table (other test files may share the database). */
async function snapshot(): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const table of TABLES) {
    const { rows } = await sql<{ n: number; h: string }>`select count(*)::int as n, md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as h
      from ${sql.table(table)} t where t.partnership_id = ${p.id}`.execute(t.database.db);
    out[table] = rows[0];
  }
  return out;
}

beforeAll(async () => {
  t = await startApp();
  p = await createPartnership(t.database);
  const handler = t.client.as(p.users.handler.token);
  contactId = (await handler.post('/api/v1/contacts', newContact())).body.id;
  const service = await t.client.as(p.users.coordinator.token).post('/api/v1/services', {
    organisationId: p.orgs.providerA,
    name: 'Outreach',
    kind: 'outreach',
    riskLevels: ['standard'],
  });
  expect(service.status).toBe(201);
  serviceId = service.body.id;
  const referral = await handler.post(`/api/v1/contacts/${contactId}/referrals`, { referrals: [{ serviceId, reason: 'test' }], consent: 'given' });
  caseId = (await t.client.as(p.users.caseworkerA.token).post(`/api/v1/referrals/${referral.body.referrals[0].id}/transitions`, { to: 'accepted' })).body.caseId;
  expect(caseId).toEqual(expect.any(String));
});
afterAll(() => t.close());

interface Case {
  name: string;
  method: 'POST' | 'PATCH' | 'GET' | 'PUT';
  path: () => string;
  /** A function where the body needs this file's data. */
  body?: unknown;
  raw?: string;
  status: number;
  field: string;
  persona?: keyof Partnership['users'];
}

const long = (n: number) => 'x'.repeat(n);
const cases: Case[] = [
  { name: 'missing field', method: 'POST', path: () => '/api/v1/contacts', body: { channel: 'phone', callerType: 'victim' }, status: 400, field: '/immediateDanger' },
  { name: 'wrong type', method: 'POST', path: () => '/api/v1/contacts', body: newContact({ summary: 42 }), status: 400, field: '/summary' },
  { name: 'number where a boolean belongs', method: 'POST', path: () => '/api/v1/contacts', body: newContact({ safeContact: { interpreterNeeded: 'yes' } }), status: 400, field: '/safeContact/interpreterNeeded' },
  { name: 'unknown value', method: 'POST', path: () => '/api/v1/contacts', body: newContact({ callerType: 'neighbour' }), status: 400, field: '/callerType' },
  { name: 'too long', method: 'POST', path: () => '/api/v1/contacts', body: newContact({ person: { name: long(121) } }), status: 400, field: '/person/name' },
  { name: 'unknown field', method: 'POST', path: () => '/api/v1/contacts', body: newContact({ favouriteColour: 'blue' }), status: 400, field: '/favouriteColour' },
  { name: 'unknown nested field', method: 'POST', path: () => '/api/v1/contacts', body: newContact({ person: { nickname: 'x' } }), status: 400, field: '/person/nickname' },
  { name: 'bad date', method: 'POST', path: () => '/api/v1/contacts', body: newContact({ person: { dateOfBirth: '1990-02-30' } }), status: 400, field: '/person/dateOfBirth' },
  { name: 'date of birth in the future', method: 'POST', path: () => '/api/v1/contacts', body: newContact({ person: { dateOfBirth: '2999-01-01' } }), status: 422, field: '/person/dateOfBirth' },
  { name: 'bad date-time', method: 'POST', path: () => '/api/v1/contacts', body: newContact({ receivedAt: 'yesterday' }), status: 400, field: '/receivedAt' },
  { name: 'bad postcode', method: 'POST', path: () => '/api/v1/contacts', body: newContact({ person: { postcode: 'NOT A CODE' } }), status: 400, field: '/person/postcode' },
  { name: 'bad phone number', method: 'POST', path: () => '/api/v1/contacts', body: newContact({ safeContact: { phones: [{ number: 'call me', callSafe: true, textSafe: true, voicemailSafe: true }] } }), status: 400, field: '/safeContact/phones/0/number' },
  { name: 'need not in the list', method: 'POST', path: () => '/api/v1/contacts', body: newContact({ needs: ['accommodation', 'unicorns'] }), status: 422, field: '/needs/1' },
  { name: 'safe time ending before it starts', method: 'POST', path: () => '/api/v1/contacts', body: newContact({ safeContact: { safeTimes: [{ days: ['monday'], from: '14:00', to: '09:00' }] } }), status: 422, field: '/safeContact/safeTimes/0/to' },
  { name: 'malformed JSON', method: 'POST', path: () => '/api/v1/contacts', raw: '{"channel": "phone",', status: 400, field: 'body' },
  { name: 'oversized body', method: 'POST', path: () => '/api/v1/contacts', body: newContact({ summary: long(300 * 1024) }), status: 413, field: 'body' },
  { name: 'empty patch', method: 'PATCH', path: () => `/api/v1/contacts/${contactId}`, body: {}, status: 400, field: '/' },
  { name: 'patch with a bad field', method: 'PATCH', path: () => `/api/v1/contacts/${contactId}`, body: { status: 'lost' }, status: 400, field: '/status' },
  { name: 'patch with an unknown field', method: 'PATCH', path: () => `/api/v1/contacts/${contactId}`, body: () => ({ summary: 'x', organisationId: p.orgs.providerB }), status: 400, field: '/organisationId' },
  { name: 'bad id in the path', method: 'GET', path: () => '/api/v1/contacts/not-a-uuid', status: 400, field: 'path/id' },
  { name: 'bad date in the query', method: 'GET', path: () => '/api/v1/contacts?from=2024-13-01', status: 400, field: 'query/from' },
  { name: 'unknown query parameter', method: 'GET', path: () => '/api/v1/contacts?colour=blue', status: 400, field: 'query/colour' },
  { name: 'page size too big', method: 'GET', path: () => '/api/v1/contacts?perPage=1000', status: 400, field: 'query/perPage' },
  { name: 'share without a reason', method: 'POST', path: () => `/api/v1/contacts/${contactId}/shares`, body: () => ({ organisationId: p.orgs.providerA }), status: 400, field: '/reason' },
  { name: 'checklist missing an answer', method: 'POST', path: () => `/api/v1/contacts/${contactId}/risk-assessments`, body: { answers: { ...dashAnswers(3), q24: undefined } }, status: 400, field: '/answers/q24' },
  { name: 'checklist with a bad answer', method: 'POST', path: () => `/api/v1/contacts/${contactId}/risk-assessments`, body: { answers: { ...dashAnswers(3), q05: 'maybe' } }, status: 400, field: '/answers/q05' },
  { name: 'judgement without a reason', method: 'POST', path: () => `/api/v1/contacts/${contactId}/risk-assessments`, body: { answers: dashAnswers(3), professionalJudgement: { level: 'high' } }, status: 400, field: '/professionalJudgement/reason' },
  { name: 'negative call-outs', method: 'POST', path: () => `/api/v1/contacts/${contactId}/risk-assessments`, body: { answers: dashAnswers(3), policeCallouts12m: -1 }, status: 400, field: '/policeCallouts12m' },
  { name: 'service of an unknown kind', method: 'POST', path: () => '/api/v1/services', body: () => ({ organisationId: p.orgs.providerA, name: 'x', kind: 'magic', riskLevels: ['high'] }), status: 400, field: '/kind', persona: 'coordinator' },
  { name: 'service with ages the wrong way round', method: 'POST', path: () => '/api/v1/services', body: () => ({ organisationId: p.orgs.providerA, name: 'x', kind: 'outreach', riskLevels: ['high'], minAge: 18, maxAge: 16 }), status: 422, field: '/maxAge', persona: 'coordinator' },
  { name: 'vacancies on a service that is not accommodation', method: 'PATCH', path: () => `/api/v1/services/${serviceId}/capacity`, body: { vacancies: [{ unitType: 'single', available: 1, acceptsNoRecourse: false }] }, status: 422, field: '/vacancies', persona: 'coordinator' },
  { name: 'note without a body', method: 'POST', path: () => `/api/v1/cases/${caseId}/notes`, body: { sensitive: true }, status: 400, field: '/body', persona: 'caseworkerA' },
  { name: 'note marked sensitive with a word', method: 'POST', path: () => `/api/v1/cases/${caseId}/notes`, body: { body: 'x', sensitive: 'very' }, status: 400, field: '/sensitive', persona: 'caseworkerA' },
  { name: 'action without a due date', method: 'POST', path: () => `/api/v1/cases/${caseId}/actions`, body: { title: 'Call back' }, status: 400, field: '/dueOn', persona: 'caseworkerA' },
  { name: 'action owned by another organisation', method: 'POST', path: () => `/api/v1/cases/${caseId}/actions`, body: () => ({ title: 'Call back', dueOn: '2030-01-01', ownerId: p.users.caseworkerB.id }), status: 422, field: '/ownerId', persona: 'caseworkerA' },
  { name: 'household member of an unknown relationship', method: 'POST', path: () => `/api/v1/cases/${caseId}/household`, body: { relationship: 'lodger' }, status: 400, field: '/relationship', persona: 'caseworkerA' },
  { name: 'perpetrator with a bad number', method: 'POST', path: () => `/api/v1/cases/${caseId}/perpetrators`, body: { relationship: 'former_partner', phones: ['ring him'] }, status: 400, field: '/phones/0', persona: 'caseworkerA' },
  { name: 'outcome missing an abuse type', method: 'POST', path: () => `/api/v1/cases/${caseId}/outcomes`, body: { stage: 'intake', abuse: {}, feelingSafe: 5, wellbeing: 5 }, status: 400, field: '/abuse/physical', persona: 'caseworkerA' },
  { name: 'safety plan from an unknown template', method: 'POST', path: () => `/api/v1/cases/${caseId}/safety-plans`, body: { templateId: '00000000-0000-4000-8000-000000000000', sections: { immediate_steps: 'x' }, reviewOn: '2030-01-01' }, status: 422, field: '/templateId', persona: 'caseworkerA' },
  { name: 'closing for an unknown reason', method: 'POST', path: () => `/api/v1/cases/${caseId}/close`, body: { reason: 'bored' }, status: 400, field: '/reason', persona: 'caseworkerA' },
  { name: 'a match decision of maybe', method: 'POST', path: () => `/api/v1/contacts/${contactId}/matches`, body: { personId: '00000000-0000-4000-8000-000000000000', decision: 'maybe' }, status: 400, field: '/decision' },
  { name: 'refuge referral without a unit', method: 'POST', path: () => `/api/v1/cases/${caseId}/refuge-referrals`, body: () => ({ serviceId, consent: 'given' }), status: 400, field: '/unitType', persona: 'caseworkerA' },
  { name: 'course with no places', method: 'POST', path: () => `/api/v1/services/${serviceId}/courses`, body: { title: 'Group', startsOn: '2030-01-07', sessions: 10, places: 0 }, status: 400, field: '/places', persona: 'managerA' },
  { name: 'vacancy search for minus one child', method: 'GET', path: () => '/api/v1/accommodation/vacancies?children=-1', status: 400, field: 'query/children', persona: 'caseworkerA' },
  { name: 'wording missing a question', method: 'PUT', path: () => '/api/v1/questionnaires/dash-ric/wording', body: { source: 'licensed copy', questions: { q01: 'x' } }, status: 400, field: '/questions/q02', persona: 'coordinator' },
];

describe('bad input is refused, named, and changes nothing', () => {
  it.each(cases)('$name → $status naming $field', async (c) => {
    const before = await snapshot();
    const client = t.client.as(p.users[c.persona ?? 'handler'].token);
    const answer = c.raw
      ? await client.request(c.method, c.path(), c.raw)
      : await client.request(c.method, c.path(), typeof c.body === 'function' ? c.body() : c.body);
    expect(answer.status).toBe(c.status);
    expect(answer.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(answer.body.errors.map((e: { field: string }) => e.field)).toContain(c.field);
    expect(answer.body.status).toBe(c.status);
    expect(await snapshot()).toEqual(before);
  });

  it('names every bad field at once, not only the first', async () => {
    const answer = await t.client.as(p.users.handler.token).post('/api/v1/contacts', {
      channel: 'fax',
      callerType: 'victim',
      person: { postcode: '123', dateOfBirth: 'soon' },
    });
    expect(answer.status).toBe(400);
    const fields = answer.body.errors.map((e: { field: string }) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['/channel', '/immediateDanger', '/person/postcode', '/person/dateOfBirth']));
  });
});
