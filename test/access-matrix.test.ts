/**
 * Least access as a matrix (issue 9; SPEC §1, §5): every persona of a partnership, in each
 * of its organisations, over every GET route of /openapi.json and every staff page that
 * shows a record, with the id of every record seeded here in each path. Each record carries
 * a marker word; a persona's answers may hold only the markers the SPEC lets them see.
 *
 * The matrix runs twice: as the service is, and with the service layer's access checks
 * switched off (src/modules/access/checks.ts) — then only PostgreSQL row-level security
 * (0021_row_security.sql) stands between a persona and the rows, and must stop the same.
 * Writes to records out of reach are tried too, with the checks off, and must change nothing.
 */
import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../src/db/transaction.js';
import { switchOffServiceChecksForTest } from '../src/modules/access/checks.js';
import { newSession } from '../src/modules/access/sessions.js';
import { SESSION_COOKIE } from '../src/web/session.js';
import { recordPools } from './fuzz/fixtures.js';
import { operationsOf } from './fuzz/requests.js';
import { RealId, validValue, type Schema, type SchemaContext } from './fuzz/schema.js';
import { addDirectory, createPartnership, dashAnswers, newContact, startApp, type Partnership, type Persona, type TestApp } from './harness.js';

let t: TestApp;
let p: Partnership;
let other: Partnership;

/** The marker words, one per record, as they appear in names and free text. */
const MARKERS = ['Hubonly', 'Ashared', 'Anote', 'Asensitive', 'Aplan', 'Ahousehold', 'Bshared', 'Bnote', 'Bowned', 'Proref', 'Otherpart', 'Othernote'] as const;
type Marker = (typeof MARKERS)[number];

const HUB: Marker[] = ['Hubonly', 'Ashared', 'Bshared', 'Proref'];
/**
 * What each persona may see (SPEC §1, §5): the hub its partnership's contacts (and, for the
 * coordinator who answers subject access requests, every record of a person but other
 * organisations' sensitive notes); a provider what was referred to it and its own cases; a
 * professional what they referred; administrators and commissioners no one's record.
 */
const MAY_SEE: Record<Persona, Marker[]> = {
  handler: HUB,
  coordinator: [...HUB, 'Anote', 'Aplan', 'Ahousehold', 'Bnote'],
  marac: HUB,
  admin: [],
  caseworkerA: ['Ashared', 'Anote', 'Asensitive', 'Aplan', 'Ahousehold'],
  managerA: ['Ashared', 'Anote', 'Asensitive', 'Aplan', 'Ahousehold'],
  caseworkerB: ['Bshared', 'Bnote', 'Bowned'],
  professional: ['Proref'],
  professional2: [],
  commissioner: [],
};
/** Markers that must also be seen (somewhere) by the persona, so the crawl is shown to reach records at all. */
const MUST_SEE: Partial<Record<Persona, Marker[]>> = {
  handler: HUB,
  coordinator: [...HUB, 'Anote', 'Bnote'],
  caseworkerA: ['Ashared', 'Anote', 'Asensitive', 'Aplan', 'Ahousehold'],
  managerA: ['Ashared', 'Anote', 'Asensitive'],
  caseworkerB: ['Bshared', 'Bnote', 'Bowned'],
  professional: ['Proref'],
};

interface Seeded {
  contacts: string[];
  people: string[];
  cases: string[];
  referrals: string[];
  caseA: string;
  hubContact: string;
}
let seeded: Seeded;
const cookies = new Map<Persona, string>();

async function refer(q: Partnership, services: Record<string, string>, contactId: string, service: string, caseworker: Persona) {
  const sent = await t.client.as(q.users.handler.token).post(`/api/v1/contacts/${contactId}/referrals`, { referrals: [{ serviceId: services[service], reason: 'test of access' }], consent: 'given' });
  expect(sent.status, t.logs.filter((l) => l.includes("failed")).join("\n")).toBe(201);
  const referralId: string = sent.body.referrals[0].id;
  const accepted = await t.client.as(q.users[caseworker].token).post(`/api/v1/referrals/${referralId}/transitions`, { to: 'accepted' });
  expect(accepted.status).toBe(200);
  return { referralId, caseId: accepted.body.caseId as string };
}

async function contact(q: Partnership, persona: Persona, marker: string): Promise<string> {
  const created = await t.client.as(q.users[persona].token).post(
    '/api/v1/contacts',
    newContact({ person: { name: `Robin ${marker}`, phones: ['07700 900111'] }, summary: `${marker} told us what happened` }),
  );
  expect(created.status).toBe(201);
  const assessed = await t.client.as(q.users[persona].token).post(`/api/v1/contacts/${created.body.id}/risk-assessments`, { answers: dashAnswers(3) });
  expect(assessed.status).toBe(201);
  return created.body.id;
}

async function seed(): Promise<Seeded> {
  const services = await addDirectory(t.database, p);
  const otherServices = await addDirectory(t.database, other);
  const a = 'Community outreach'; // provider A's
  const b = 'Brookside counselling'; // provider B's

  const hubContact = await contact(p, 'handler', 'Hubonly');
  const aContact = await contact(p, 'handler', 'Ashared');
  const bContact = await contact(p, 'handler', 'Bshared');
  const proContact = await contact(p, 'professional', 'Proref');
  const bOwned = await contact(p, 'caseworkerB', 'Bowned');
  const otherContact = await contact(other, 'handler', 'Otherpart');

  const toA = await refer(p, services, aContact, a, 'caseworkerA');
  const toB = await refer(p, services, bContact, b, 'caseworkerB');
  const toOther = await refer(other, otherServices, otherContact, a, 'caseworkerA');
  const asA = t.client.as(p.users.caseworkerA.token);
  expect((await asA.post(`/api/v1/cases/${toA.caseId}/notes`, { body: 'Anote: she is staying with her sister' })).status).toBe(201);
  expect((await asA.post(`/api/v1/cases/${toA.caseId}/notes`, { body: 'Asensitive: what she told us in confidence', sensitive: true })).status).toBe(201);
  expect((await asA.post(`/api/v1/cases/${toA.caseId}/household`, { name: 'Sam Ahousehold', relationship: 'child', dateOfBirth: '2018-05-01' })).status).toBe(201);
  const templates = await asA.get('/api/v1/safety-plan-templates');
  const template = templates.body[0];
  const sections = Object.fromEntries(template.sections.map((s: { id: string }) => [s.id, 'Aplan: keep the phone charged']));
  expect((await asA.post(`/api/v1/cases/${toA.caseId}/safety-plans`, { templateId: template.id, sections, reviewOn: '2030-01-01' })).status).toBe(201);
  expect((await t.client.as(p.users.caseworkerB.token).post(`/api/v1/cases/${toB.caseId}/notes`, { body: 'Bnote: call on Tuesdays' })).status).toBe(201);
  expect((await t.client.as(other.users.caseworkerA.token).post(`/api/v1/cases/${toOther.caseId}/notes`, { body: 'Othernote: in the other partnership' })).status).toBe(201);

  const contacts = [hubContact, aContact, bContact, proContact, bOwned, otherContact];
  const people = await t.database.db.selectFrom('contacts').select('person_id').where('id', 'in', contacts).where('person_id', 'is not', null).execute();
  return {
    contacts,
    people: [...new Set(people.map((r) => r.person_id!))],
    cases: [toA.caseId, toB.caseId, toOther.caseId],
    referrals: [toA.referralId, toB.referralId, toOther.referralId],
    caseA: toA.caseId,
    hubContact,
  };
}

beforeAll(async () => {
  t = await startApp();
  p = await createPartnership(t.database);
  other = await createPartnership(t.database);
  seeded = await seed();
  for (const [persona, user] of Object.entries(p.users) as Array<[Persona, Partnership['users'][Persona]]>) {
    const { token } = await inTransaction(t.database.db, null, (tx) => newSession(tx, { id: user.id, partnership_id: p.id }, new Date()));
    cookies.set(persona, token);
  }
}, 120_000);
afterAll(() => t.close());

/** Every path to try: the API's GET routes from /openapi.json and the staff pages, each with every seeded id that fits. */
async function paths(): Promise<string[]> {
  const spec = (await t.client.get('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
  const idsFor = (template: string): string[] | null => {
    if (/^\/api\/v1\/(contacts|calls)\/\{id\}/.test(template) || template.startsWith('/contacts/:id') || template.startsWith('/calls/:id')) return seeded.contacts;
    if (/^\/api\/v1\/cases\/\{id\}/.test(template) || template.startsWith('/cases/:id')) return seeded.cases;
    if (/^\/api\/v1\/referrals\/\{id\}/.test(template) || template.startsWith('/referrals/:id')) return seeded.referrals;
    if (/^\/api\/v1\/people\/\{id\}/.test(template) || template.startsWith('/people/:id')) return seeded.people;
    return null;
  };
  const api = Object.entries(spec.paths)
    .filter(([path, ops]) => 'get' in ops && path.startsWith('/api/v1/') && !path.includes('/admin/'))
    .map(([path]) => path);
  const pages = [
    '/',
    '/contacts',
    '/contacts?q=Robin',
    '/cases',
    '/inbox',
    '/queues',
    '/dashboard',
    '/marac',
    '/calls/live',
    '/reports',
    '/contacts/:id',
    '/calls/:id/about',
    '/calls/:id/needs',
    '/calls/:id/risk',
    '/calls/:id/send',
    '/cases/:id',
    '/cases/:id/accommodation',
    '/cases/:id/safety-plan/print',
    '/referrals/:id',
    '/people/:id/subject-access',
    '/people/:id/subject-access.json',
  ];
  const out: string[] = [];
  for (const template of [...api, ...pages]) {
    if (!/[{:]/.test(template)) {
      out.push(template === '/api/v1/contacts' ? '/api/v1/contacts?q=Robin' : template);
      continue;
    }
    const ids = idsFor(template);
    if (!ids) continue;
    if ((template.match(/\{[^}]+\}|:[a-zA-Z]+/g) ?? []).length > 1) continue;
    for (const id of ids) out.push(template.replace(/\{[^}]+\}|:[a-zA-Z]+/, id));
  }
  return out;
}

async function crawl(persona: Persona, all: string[]): Promise<{ seen: Set<Marker>; leaks: string[]; errors: string[] }> {
  const seen = new Set<Marker>();
  const leaks: string[] = [];
  const errors: string[] = [];
  const allowed = new Set(MAY_SEE[persona]);
  for (const path of all) {
    const headers: Record<string, string> = path.startsWith('/api/')
      ? { authorization: `Bearer ${p.users[persona].token}` }
      : { cookie: `${SESSION_COOKIE}=${cookies.get(persona)}` };
    const response = await fetch(t.client.baseUrl + path, { headers, redirect: 'manual' });
    const text = await response.text();
    if (response.status >= 500) errors.push(`${response.status} ${path}`);
    for (const marker of MARKERS) {
      if (!text.includes(marker)) continue;
      seen.add(marker);
      if (!allowed.has(marker)) leaks.push(`${marker} in ${path} (${response.status})`);
    }
  }
  return { seen, leaks, errors };
}

const PERSONAS = Object.keys(MAY_SEE) as Persona[];

describe.each([
  { mode: 'with the service checks', off: false },
  { mode: 'with the service checks switched off (row-level security alone)', off: true },
])('every persona × every route, $mode', ({ off }) => {
  it.each(PERSONAS)('%s sees only what the SPEC allows', async (persona) => {
    const all = await paths();
    expect(all.length).toBeGreaterThan(60);
    const restore = off ? switchOffServiceChecksForTest() : () => undefined;
    try {
      const { seen, leaks, errors } = await crawl(persona, all);
      expect(leaks).toEqual([]);
      expect(errors).toEqual([]);
      for (const marker of MUST_SEE[persona] ?? []) expect(seen, `${persona} should see ${marker}`).toContain(marker);
    } finally {
      restore();
    }
  }, 300_000);
});

describe('writes out of reach, with the service checks switched off', () => {
  async function state() {
    const { rows } = await sql<{ updated: Date; shares: number; notes: number }>`
      select (select updated_at from contacts where id = ${seeded.hubContact}) as updated,
             (select count(*)::int from contact_shares where contact_id = ${seeded.hubContact}) as shares,
             (select count(*)::int from case_notes where case_id = ${seeded.caseA}) as notes`.execute(t.database.db);
    return rows[0]!;
  }

  // Who row-level security lets write: the owning organisation's staff who see people.
  const HUB_STAFF: Persona[] = ['handler', 'coordinator', 'marac'];
  const A_STAFF: Persona[] = ['caseworkerA', 'managerA'];

  it.each(PERSONAS)('%s changes nothing their organisation does not hold', async (persona) => {
    const before = await state();
    const client = t.client.as(p.users[persona].token);
    const restore = switchOffServiceChecksForTest();
    try {
      if (!HUB_STAFF.includes(persona)) {
        const patched = await client.patch(`/api/v1/contacts/${seeded.hubContact}`, { summary: 'Overwritten by someone else' });
        expect(patched.status).toBeGreaterThanOrEqual(400);
        expect(patched.status).toBeLessThan(500);
        const shared = await client.post(`/api/v1/contacts/${seeded.hubContact}/shares`, { organisationId: p.users[persona].organisationId, reason: 'test' });
        expect(shared.status).toBeGreaterThanOrEqual(400);
        expect(shared.status).toBeLessThan(500);
      }
      if (!A_STAFF.includes(persona)) {
        const noted = await client.post(`/api/v1/cases/${seeded.caseA}/notes`, { body: 'Injected note' });
        expect(noted.status).toBeGreaterThanOrEqual(400);
        expect(noted.status).toBeLessThan(500);
      }
    } finally {
      restore();
    }
    expect(await state()).toEqual(before);
  });
});

/** Every table with person data (row-level security guards these; services, users and the like are the service's). */
const PERSON_TABLES = [
  'contacts', 'contact_shares', 'risk_assessments', 'referrals', 'referral_events', 'contact_attempts', 'escalations', 'calls', 'people', 'person_match_decisions',
  'cases', 'household_members', 'case_perpetrators', 'case_notes', 'case_actions', 'safety_plans', 'outcome_measures', 'programme_places', 'programme_attendance',
  'marac_referrals', 'marac_research', 'marac_actions', 'person_named_users', 'break_glass',
];

/** A partnership's person data, table by table, as a count and a hash. */
async function personData(partnershipId: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const table of PERSON_TABLES) {
    const { rows } = await sql<{ n: number; h: string }>`select count(*)::int as n, md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as h
      from ${sql.table(table)} t where t.partnership_id = ${partnershipId}`.execute(t.database.db);
    out[table] = rows[0];
  }
  return out;
}

/** The kind of record a path parameter names (as the fuzzer's, test/fuzz.test.ts). */
function kindOfPath(path: string, param: string): string {
  if (param === 'actionId') return 'caseActions';
  const before = path.split(`/{${param}}`)[0]!.split('/').filter(Boolean);
  const byKey: Record<string, string> = { 'marac/referrals': 'maracReferrals', 'marac/actions': 'maracActions', 'marac/meetings': 'maracMeetings' };
  const bySegment: Record<string, string> = { contacts: 'contacts', cases: 'cases', referrals: 'referrals', services: 'services', courses: 'courses', people: 'people' };
  return byKey[before.slice(-2).join('/')] ?? bySegment[before[before.length - 1] ?? ''] ?? 'any';
}

const FIELD_KINDS: Record<string, string> = {
  organisationId: 'organisations', attendingOrganisationIds: 'organisations', serviceId: 'services', redirectServiceId: 'services', contactId: 'contacts', personId: 'people',
  caseId: 'cases', ownerId: 'users', handlerId: 'users', namedUserIds: 'users', supersedesId: 'notes', templateId: 'templates', placeId: 'places',
};

describe('every write route of /openapi.json, with the service checks switched off', () => {
  it('changes no person data of another partnership, and none at all for commissioners and administrators', async () => {
    const doc = (await t.client.get('/openapi.json')).body as Schema;
    const ops = operationsOf(doc).filter((op) => op.method !== 'GET' && op.path.startsWith('/api/v1/') && !op.path.includes('/admin/'));
    expect(ops.length).toBeGreaterThan(30);
    const template = (await t.client.as(p.users.caseworkerA.token).get('/api/v1/safety-plan-templates')).body[0];
    const ctx: SchemaContext = { doc, kindOfField: (field) => FIELD_KINDS[field ?? ''] ?? 'any', keyHints: { sections: template.sections.map((x: { id: string }) => x.id) } };
    const pools = { own: await recordPools(t.database.db, p.id), other: await recordPools(t.database.db, other.id) };
    const resolve = (value: unknown, pool: Record<string, string[]>): unknown => {
      if (value instanceof RealId) {
        const ids = pool[value.kind]?.length ? pool[value.kind]! : pool.any!;
        return ids[value.n % ids.length];
      }
      if (Array.isArray(value)) return value.map((v) => resolve(v, pool));
      if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolve(v, pool)]));
      return value;
    };
    const before = { own: await personData(p.id), other: await personData(other.id) };
    const statuses = new Map<number, number>();
    const errors: string[] = [];
    const restore = switchOffServiceChecksForTest();
    try {
      for (const [i, op] of ops.entries()) {
        const bodies = op.body ? fc.sample(validValue(ctx, op.body), { numRuns: 3, seed: 9000 + i }) : [undefined];
        for (const [n, body] of bodies.entries()) {
          const attempts: Array<[Persona, 'own' | 'other']> = [...PERSONAS.map((persona): [Persona, 'other'] => [persona, 'other']), ['commissioner', 'own'], ['admin', 'own']];
          for (const [persona, target] of attempts) {
            const path = op.path.replace(/\{([^}]+)\}/g, (_, name: string) => resolve(new RealId(kindOfPath(op.path, name), n + i), pools[target]) as string);
            const answer = await t.client.as(p.users[persona].token).request(op.method, path, body === undefined ? undefined : resolve(body, pools[target]));
            statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
            if (answer.status >= 500) errors.push(`${answer.status} ${op.method} ${op.path} as ${persona} into ${target}`);
          }
        }
      }
    } finally {
      restore();
    }
    expect(errors).toEqual([]);
    // Some were let through the service (its checks were off) and stopped only by the database.
    expect([...statuses.keys()].some((status) => status === 403 || status === 404)).toBe(true);
    expect(await personData(other.id)).toEqual(before.other);
    expect(await personData(p.id)).toEqual(before.own);
  }, 600_000);
});
