/**
 * Real records for the fuzzer to aim at, made through the API as people make them: contacts
 * with assessments (one high risk, so a MARAC referral), referrals in several states, an
 * accepted referral's case with its notes, actions, household, plan and outcome, a recovery
 * programme course with a place, and a MARAC meeting with research and an action.
 */
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../src/db/types.js';
import { dashAnswers, newContact, type Client, type Partnership } from '../harness.js';

const day = (offset: number) => new Date(Date.now() + offset * 86_400_000).toISOString().slice(0, 10);

function must<T = any>(answer: { status: number; body: T; text: string }, expected: number, what: string): T {
  if (answer.status !== expected) throw new Error(`fixture "${what}": expected ${expected}, got ${answer.status}: ${answer.text.slice(0, 500)}`);
  return answer.body;
}

export interface Fixtures {
  templateSections: string[];
}

/** Makes the records; returns what the generators need to know (the safety-plan sections). */
export async function makeFixtures(client: Client, p: Partnership, services: Record<string, string>): Promise<Fixtures> {
  const as = (persona: keyof Partnership['users']) => client.as(p.users[persona].token);
  const handler = as('handler');

  const contact = async (person: Record<string, unknown>, yes: number, extra: Record<string, unknown> = {}) => {
    const c = must(await handler.post('/api/v1/contacts', newContact({ person, ...extra })), 201, 'contact');
    must(await handler.post(`/api/v1/contacts/${c.id}/risk-assessments`, { answers: dashAnswers(yes) }), 201, 'assessment');
    return c.id as string;
  };
  const refer = async (contactId: string, service: string, extra: Record<string, unknown> = {}) =>
    must(await handler.post(`/api/v1/contacts/${contactId}/referrals`, { referrals: [{ serviceId: services[service], reason: 'fuzz fixture', ...extra }], consent: 'given' }), 201, `referral to ${service}`).referrals[0].id as string;

  const standard = await contact({ name: 'Fuzz Standard', dateOfBirth: '1990-01-01', postcode: 'XB2 1AA', phones: ['07700 900111'] }, 3, {
    safeContact: { phones: [{ number: '07700 900111', callSafe: true, textSafe: true, voicemailSafe: false }] },
    children: [{ name: 'Kid', dateOfBirth: '2018-01-01' }],
  });
  const high = await contact({ name: 'Fuzz High', dateOfBirth: '1985-05-05', postcode: 'XB2 1AB' }, 15, { perpetrators: [{ name: 'Pat Alleged', relationship: 'former_partner' }] });
  const medium = await contact({ name: 'Fuzz Medium', dateOfBirth: '1995-09-09' }, 11);
  // Not assessed, and a perpetrator seeking help.
  must(await handler.post('/api/v1/contacts', newContact({ person: { name: 'Fuzz Unassessed' } })), 201, 'contact');
  must(await handler.post('/api/v1/contacts', newContact({ callerType: 'perpetrator', person: { name: 'Fuzz Perpetrator' } })), 201, 'perpetrator contact');
  must(await handler.post(`/api/v1/contacts/${standard}/person`), 201, 'person');

  // Referrals: accepted (a case), acknowledged, sent, declined (on the re-routing queue), a programme.
  const accepted = await refer(standard, 'Community outreach');
  const caseId = must(await as('caseworkerA').post(`/api/v1/referrals/${accepted}/transitions`, { to: 'accepted' }), 200, 'accept').caseId as string;
  const acknowledged = await refer(standard, 'Brookside counselling');
  must(await as('caseworkerB').post(`/api/v1/referrals/${acknowledged}/transitions`, { to: 'acknowledged' }), 200, 'acknowledge');
  await refer(high, 'IDVA service');
  const declined = await refer(medium, 'Brookside counselling');
  must(await as('caseworkerB').post(`/api/v1/referrals/${declined}/transitions`, { to: 'declined', reasonCode: 'no_capacity' }), 200, 'decline');
  const highCase = must(await as('caseworkerA').post(`/api/v1/referrals/${await refer(high, 'Castlebrook refuge', { unitType: 'single' })}/transitions`, { to: 'accepted' }), 200, 'accept refuge').caseId as string;

  // More cases at each provider, and referrals waiting at each: the fuzzer closes and moves some.
  for (let i = 0; i < 3; i += 1) {
    const c = await contact({ name: `Fuzz Case ${i}`, dateOfBirth: `198${i}-02-0${i + 1}` }, 2 + i);
    const atA = await refer(c, 'Community outreach');
    must(await as('caseworkerA').post(`/api/v1/referrals/${atA}/transitions`, { to: 'accepted' }), 200, 'accept at A');
    const atB = await refer(c, 'Brookside counselling');
    must(await as('caseworkerB').post(`/api/v1/referrals/${atB}/transitions`, { to: 'accepted' }), 200, 'accept at B');
    const waiting = await contact({ name: `Fuzz Waiting ${i}` }, 4);
    await refer(waiting, 'Community outreach');
    await refer(waiting, 'Brookside counselling');
  }

  // The case's records.
  const cw = as('caseworkerA');
  must(await cw.post(`/api/v1/cases/${caseId}/notes`, { body: 'Fuzz fixture note' }), 201, 'note');
  must(await cw.post(`/api/v1/cases/${caseId}/notes`, { body: 'Fuzz sensitive note', sensitive: true }), 201, 'sensitive note');
  must(await cw.post(`/api/v1/cases/${caseId}/actions`, { title: 'Call back', dueOn: day(3) }), 201, 'case action');
  must(await cw.post(`/api/v1/cases/${highCase}/actions`, { title: 'Overdue', dueOn: day(-2) }), 201, 'case action');
  must(await cw.post(`/api/v1/cases/${caseId}/household`, { relationship: 'child', name: 'Kit', dateOfBirth: '2018-04-04' }), 201, 'household');
  must(await cw.post(`/api/v1/cases/${caseId}/perpetrators`, { relationship: 'former_partner', name: 'Pat', phones: ['07700 900666'] }), 201, 'perpetrator');
  const templates = must(await cw.get('/api/v1/safety-plan-templates'), 200, 'templates') as Array<{ id: string; sections: Array<{ id: string }> }>;
  const templateSections = [...new Set(templates.flatMap((t) => t.sections.map((s) => s.id)))];
  must(await cw.post(`/api/v1/cases/${caseId}/safety-plans`, { templateId: templates[0]!.id, sections: { immediate_steps: 'Dial 999.' }, reviewOn: day(7) }), 201, 'safety plan');
  const level = { frequency: 'weekly', severity: 'medium' };
  const abuse = Object.fromEntries(['physical', 'sexual', 'emotional', 'coercive_control', 'economic', 'stalking', 'online'].map((k) => [k, level]));
  must(await cw.post(`/api/v1/cases/${caseId}/outcomes`, { stage: 'intake', abuse, feelingSafe: 3, wellbeing: 4 }), 201, 'outcome');

  // A recovery programme course, and a place on it.
  const programme = services['Freedom recovery programme']!;
  must(await as('managerA').post(`/api/v1/services/${programme}/courses`, { title: 'Fuzz group', startsOn: day(0), sessions: 8, places: 3 }), 201, 'course');
  must(await cw.post(`/api/v1/cases/${caseId}/programme-places`, { serviceId: programme }), 201, 'programme place');

  // MARAC: a meeting the high-risk contact is listed at, research and an action.
  const marac = as('marac');
  must(await marac.post('/api/v1/marac/meetings', { heldOn: day(7), capacity: 20, attendingOrganisationIds: [p.orgs.providerA, p.orgs.police], repeatEveryDays: 14, count: 2 }), 201, 'meetings');
  const maracReferrals = must(await marac.get('/api/v1/marac/referrals'), 200, 'marac referrals') as Array<{ id: string }>;
  if (maracReferrals.length === 0) throw new Error('fixture: the high-risk contact made no MARAC referral');
  must(await cw.post(`/api/v1/marac/referrals/${maracReferrals[0]!.id}/research`, { summary: 'Known to us.' }), 201, 'research');
  must(await marac.post(`/api/v1/marac/referrals/${maracReferrals[0]!.id}/actions`, { organisationId: p.orgs.providerA, description: 'Review', dueOn: day(5) }), 201, 'marac action');
  must(await marac.post('/api/v1/marac/referrals', { contactId: medium, reason: 'Stalking' }), 201, 'manual marac referral');
  return { templateSections };
}

/**
 * Two new open cases (one at each provider) with a referral waiting at each: the fuzzer closes cases
 * and moves referrals on, after which most writes to them are refused; fresh ones keep it reaching deep.
 */
export async function freshRecords(client: Client, p: Partnership, services: Record<string, string>, n: number): Promise<void> {
  const handler = client.as(p.users.handler.token);
  const contact = must(await handler.post('/api/v1/contacts', newContact({ person: { name: `Fuzz Fresh ${n}` } })), 201, 'fresh contact').id as string;
  must(await handler.post(`/api/v1/contacts/${contact}/risk-assessments`, { answers: dashAnswers(3) }), 201, 'fresh assessment');
  for (const [service, caseworker] of [['Community outreach', 'caseworkerA'], ['Brookside counselling', 'caseworkerB']] as const) {
    const sent = must(await handler.post(`/api/v1/contacts/${contact}/referrals`, { referrals: [{ serviceId: services[service], reason: 'fuzz fixture' }], consent: 'given' }), 201, 'fresh referral');
    must(await client.as(p.users[caseworker].token).post(`/api/v1/referrals/${sent.referrals[0].id}/transitions`, { to: 'accepted' }), 200, 'fresh accept');
  }
  const waiting = must(await handler.post('/api/v1/contacts', newContact({ person: { name: `Fuzz Fresh Waiting ${n}` } })), 201, 'fresh contact').id as string;
  must(await handler.post(`/api/v1/contacts/${waiting}/risk-assessments`, { answers: dashAnswers(4) }), 201, 'fresh assessment');
  must(await handler.post(`/api/v1/contacts/${waiting}/referrals`, { referrals: [{ serviceId: services['Community outreach'], reason: 'fuzz fixture' }, { serviceId: services['Brookside counselling'], reason: 'fuzz fixture' }], consent: 'given' }), 201, 'fresh referrals');
}

/** Ids of a partnership's records, by kind (up to `limit` of each: open cases and live referrals newest first, others by id); `any` holds them all. */
export async function recordPools(db: Kysely<DB>, partnershipId: string, limit = 30): Promise<Record<string, string[]>> {
  const tables: Record<string, string> = {
    contacts: 'contacts',
    assessments: 'risk_assessments',
    services: 'services',
    organisations: 'organisations',
    users: 'users',
    referrals: 'referrals',
    people: 'people',
    cases: 'cases',
    notes: 'case_notes',
    caseActions: 'case_actions',
    templates: 'safety_plan_templates',
    courses: 'programme_courses',
    places: 'programme_places',
    maracMeetings: 'marac_meetings',
    maracReferrals: 'marac_referrals',
    maracActions: 'marac_actions',
  };
  const out: Record<string, string[]> = {};
  const order: Record<string, ReturnType<typeof sql>> = {
    cases: sql`(state = 'open') desc, opened_at desc, id`,
    referrals: sql`(state in ('sent', 'acknowledged', 'accepted', 'first_contact_attempted')) desc, created_at desc, id`,
  };
  for (const [kind, table] of Object.entries(tables)) {
    const { rows } = await sql<{ id: string }>`select id::text as id from ${sql.table(table)} where partnership_id = ${partnershipId} order by ${order[kind] ?? sql`id`} limit ${limit}`.execute(db);
    out[kind] = rows.map((r) => r.id);
  }
  out.any = Object.values(out).flat();
  return out;
}

/** The fixtures' ids first (always aimed at), then others made since, without repeats. */
export function mergePools(base: Record<string, string[]>, later: Record<string, string[]>): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const kind of new Set([...Object.keys(base), ...Object.keys(later)])) {
    out[kind] = [...new Set([...(base[kind] ?? []), ...(later[kind] ?? [])])];
  }
  return out;
}
