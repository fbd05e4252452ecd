/**
 * Retention and subject access (issue 9), on a real database and over real HTTP: a person's
 * subject access export holds every kind of record, only for the roles and organisations
 * allowed, audited; the retention dry run changes nothing; the real run anonymises exactly
 * what is due (a person just inside the period kept, one just past it anonymised), keeps
 * the rows and figures reports count, audits each by id, and runs once a day.
 *
 * The retention tests run at a `now` ten years ahead, with their records dated around six
 * years before it: still in the future for the real clock, so no background job of another
 * test file sharing a PostgreSQL database can find them due.
 */
import { randomInt } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../src/db/transaction.js';
import { decrypt } from '../src/lib/crypto.js';
import { addUser } from '../src/modules/access/service.js';
import { describeRetention } from '../src/modules/rights/describe.js';
import { runDailyRetention, runRetention } from '../src/modules/rights/retention.js';
import { DEMO_PASSWORD, DEMO_TOTP_SECRET } from '../src/seed/demo.js';
import { addDirectory, createPartnership, dashAnswers, newContact, startApp, type Partnership, type TestApp } from './harness.js';
import { FormClient } from './web/http.js';

let t: TestApp;
let p: Partnership;
let services: Record<string, string>;
const as = (persona: keyof Partnership['users'], partnership = p) => t.client.as(partnership.users[persona].token);

beforeAll(async () => {
  t = await startApp();
  p = await createPartnership(t.database);
  services = await addDirectory(t.database, p);
});
afterAll(() => t.close());

interface Held {
  personId: string;
  contactId: string;
  caseId: string;
  referralId: string;
}

/** A person with a record in every table that holds person data: contact, checklist, referral, case and all in it, call, MARAC. */
async function personWithEverything(partnership: Partnership, serviceIds: Record<string, string>, name: string): Promise<Held> {
  const handler = as('handler', partnership);
  const contact = await handler.post(
    '/api/v1/contacts',
    newContact({
      person: { name, dateOfBirth: '1990-02-03', postcode: 'XB2 1AA', phones: ['07700 900111'] },
      safeContact: { phones: [{ number: '07700 900111', callSafe: true, textSafe: false, voicemailSafe: false }], notes: `Only after 6pm (${name})` },
      children: [{ name: `${name} junior`, dateOfBirth: '2015-06-07' }],
      perpetrators: [{ name: 'Alleged Harmer', phones: ['07700 900999'], relationship: 'current_partner' }],
      summary: `Account given by ${name}`,
    }),
  );
  expect(contact.status, contact.text).toBe(201);
  const contactId = contact.body.id as string;
  const assessed = await handler.post(`/api/v1/contacts/${contactId}/risk-assessments`, {
    answers: dashAnswers(15),
    professionalJudgement: { level: 'high', reason: `Judgement about ${name}` },
  });
  expect(assessed.status).toBe(201);
  const personId = (await handler.post(`/api/v1/contacts/${contactId}/person`)).body.linkedPerson.id as string;
  const sent = await handler.post(`/api/v1/contacts/${contactId}/referrals`, { referrals: [{ serviceId: serviceIds['IDVA service'] }], consent: 'given' });
  expect(sent.status).toBe(201);
  const referralId = sent.body.referrals[0].id as string;
  const accepted = await as('caseworkerA', partnership).post(`/api/v1/referrals/${referralId}/transitions`, { to: 'accepted' });
  expect(accepted.status).toBe(200);
  const caseId = accepted.body.caseId as string;
  const worker = as('caseworkerA', partnership);
  const added = [
    await worker.post(`/api/v1/cases/${caseId}/household`, { name: `${name} child`, dateOfBirth: '2015-06-07', relationship: 'child', school: 'Castle Primary' }),
    await worker.post(`/api/v1/cases/${caseId}/perpetrators`, { name: 'Alleged Harmer', relationship: 'current_partner', phones: ['07700 900999'], addresses: ['1 Secret Lane'] }),
    await worker.post(`/api/v1/cases/${caseId}/notes`, { body: `Plain note about ${name}` }),
    await worker.post(`/api/v1/cases/${caseId}/notes`, { body: `Sensitive note about ${name}`, sensitive: true }),
    await worker.post(`/api/v1/cases/${caseId}/actions`, { title: `Call ${name} back`, dueOn: '2099-01-01' }),
  ];
  for (const answer of added) expect(answer.status).toBe(201);
  const templates = await worker.get('/api/v1/safety-plan-templates');
  const template = templates.body[0];
  const plan = await worker.post(`/api/v1/cases/${caseId}/safety-plans`, {
    templateId: template.id,
    sections: { [template.sections[0].id]: `Plan for ${name}` },
    reviewOn: '2099-01-01',
  });
  expect(plan.status).toBe(201);
  // What the API reaches by other paths (a call to the number, a provider's attempt, MARAC's agencies, another organisation's sensitive note), recorded as those paths record it.
  const db = t.database.db;
  await db.insertInto('calls').values({ partnership_id: partnership.id, organisation_id: partnership.orgs.hub, call_sid: `CA${randomInt(1e9)}${Date.now()}`, from_number: '+447700900111', contact_id: contactId }).execute();
  await db.insertInto('contact_attempts').values({ referral_id: referralId, partnership_id: partnership.id, organisation_id: partnership.orgs.providerA, channel: 'phone', outcome: 'no_answer', note: `Rang ${name}`, attempted_by: partnership.users.caseworkerA.id }).execute();
  await db.insertInto('referral_events').values({ referral_id: referralId, partnership_id: partnership.id, organisation_id: partnership.orgs.providerA, from_state: 'accepted', to_state: 'accepted', actor_user_id: partnership.users.caseworkerA.id, reason_code: 'note', reason_text: `Spoke to ${name}` }).execute();
  await db.insertInto('outcome_measures').values({ partnership_id: partnership.id, organisation_id: partnership.orgs.providerA, case_id: caseId, stage: 'intake', abuse: '{}', feeling_safe: 3, wellbeing: 4, recorded_by: partnership.users.caseworkerA.id }).execute();
  await db.insertInto('case_notes').values({ partnership_id: partnership.id, organisation_id: partnership.orgs.providerB, case_id: caseId, person_id: personId, body: `Provider B's sensitive note about ${name}`, sensitive: true, author_id: partnership.users.caseworkerB.id }).execute();
  const marac = await db.selectFrom('marac_referrals').select('id').where('contact_id', '=', contactId).executeTakeFirstOrThrow();
  await db.insertInto('marac_research').values({ partnership_id: partnership.id, organisation_id: partnership.orgs.police, marac_referral_id: marac.id, summary: `Police hold two call-outs for ${name}`, recorded_by: partnership.users.marac.id }).execute();
  await db.insertInto('marac_actions').values({ partnership_id: partnership.id, organisation_id: partnership.orgs.providerA, marac_referral_id: marac.id, description: `Check on ${name}`, owner_name: 'Police officer', due_on: '2099-01-01', created_by: partnership.users.marac.id }).execute();
  return { personId, contactId, caseId, referralId };
}

describe('subject access', () => {
  let held: Held;
  beforeAll(async () => {
    held = await personWithEverything(p, services, 'Sam Subject');
  });

  it('gives the SPOC coordinator everything held about the person, with who accessed it, and audits the export', async () => {
    const before = await auditRows(held.personId, 'person.subject_access');
    const answer = await as('coordinator').get(`/api/v1/people/${held.personId}/subject-access`);
    expect(answer.status).toBe(200);
    const x = answer.body;
    expect(x.person).toMatchObject({ id: held.personId, name: 'Sam Subject', dateOfBirth: '1990-02-03', postcode: 'XB2 1AA' });
    expect(x.contacts).toEqual([
      expect.objectContaining({ id: held.contactId, summary: 'Account given by Sam Subject', safeContact: expect.objectContaining({ notes: 'Only after 6pm (Sam Subject)' }) }),
    ]);
    expect(x.contacts[0].children).toEqual([expect.objectContaining({ name: 'Sam Subject junior' })]);
    expect(x.riskAssessments).toEqual([expect.objectContaining({ contactId: held.contactId, level: 'high', judgementReason: 'Judgement about Sam Subject', yesCount: 15 })]);
    expect(x.referrals).toEqual([expect.objectContaining({ id: held.referralId, service: 'IDVA service', state: 'accepted' })]);
    expect(x.referrals[0].events.map((e: { toState: string }) => e.toState)).toEqual(expect.arrayContaining(['sent', 'accepted']));
    expect(x.referrals[0].events).toContainEqual(expect.objectContaining({ reasonText: 'Spoke to Sam Subject' }));
    expect(x.referrals[0].contactAttempts).toEqual([expect.objectContaining({ note: 'Rang Sam Subject' })]);
    expect(x.calls).toEqual([expect.objectContaining({ contactId: held.contactId, fromNumber: '+447700900111' })]);
    expect(x.matchDecisions).toEqual([expect.objectContaining({ contactId: held.contactId, decision: 'created' })]);
    const k = x.cases[0];
    expect(x.cases).toHaveLength(1);
    expect(k).toMatchObject({ id: held.caseId, state: 'open' });
    expect(k.household).toEqual([expect.objectContaining({ name: 'Sam Subject child', school: 'Castle Primary' })]);
    expect(k.perpetrators).toEqual([expect.objectContaining({ name: 'Alleged Harmer', addresses: ['1 Secret Lane'] })]);
    expect(k.actions).toEqual([expect.objectContaining({ title: 'Call Sam Subject back' })]);
    expect(k.safetyPlans).toEqual([expect.objectContaining({ version: 1, content: expect.objectContaining({}) })]);
    expect(Object.values(k.safetyPlans[0].content)).toContain('Plan for Sam Subject');
    expect(k.outcomes).toEqual([expect.objectContaining({ stage: 'intake', feelingSafe: 3 })]);
    // Sensitive notes stay with the organisation that wrote them: the hub sees the plain note, and who holds the others.
    expect(k.notes.map((n: { body: string }) => n.body)).toEqual(['Plain note about Sam Subject']);
    expect(x.withheld.sensitiveNotes).toEqual(
      expect.arrayContaining([
        { organisationId: p.orgs.providerA, organisationName: 'Test provider-a', count: 1 },
        { organisationId: p.orgs.providerB, organisationName: 'Test provider-b', count: 1 },
      ]),
    );
    expect(x.maracReferrals).toEqual([expect.objectContaining({ contactId: held.contactId, criteria: expect.arrayContaining(['score']) })]);
    expect(x.maracReferrals[0].research).toEqual([expect.objectContaining({ organisation: 'Test police', summary: 'Police hold two call-outs for Sam Subject' })]);
    expect(x.maracReferrals[0].actions).toEqual([expect.objectContaining({ description: 'Check on Sam Subject' })]);
    // Who accessed the records, by organisation: the case being opened by provider A, among others.
    expect(x.accessLog).toContainEqual(expect.objectContaining({ action: 'case.open', organisation: 'Test provider-a', outcome: 'allowed', recordId: held.caseId }));
    expect(JSON.stringify(x.accessLog)).not.toContain('Test caseworkerA');

    const after = await auditRows(held.personId, 'person.subject_access');
    expect(after.length).toBe(before.length + 1);
    expect(after.at(-1)).toMatchObject({ actor_user_id: p.users.coordinator.id, outcome: 'allowed', details: { format: 'json', contacts: 1, cases: 1, referrals: 1, withheldSensitiveNotes: 2 } });
  });

  it("gives a provider manager their own organisation's sensitive notes, and only people their organisation knows", async () => {
    const own = await as('managerA').get(`/api/v1/people/${held.personId}/subject-access`);
    expect(own.status).toBe(200);
    expect(own.body.cases[0].notes.map((n: { body: string }) => n.body).sort()).toEqual(['Plain note about Sam Subject', 'Sensitive note about Sam Subject']);
    expect(own.body.withheld.sensitiveNotes).toEqual([{ organisationId: p.orgs.providerB, organisationName: 'Test provider-b', count: 1 }]);

    // A person only the hub knows: provider A's manager is answered as if there were no such person, and the refusal is audited.
    const contact = await as('handler').post('/api/v1/contacts', newContact({ person: { name: 'Only Hub Knows' } }));
    const hubOnly = (await as('handler').post(`/api/v1/contacts/${contact.body.id}/person`)).body.linkedPerson.id as string;
    const refused = await as('managerA').get(`/api/v1/people/${hubOnly}/subject-access`);
    expect(refused.status).toBe(404);
    expect(refused.text).not.toContain('Only Hub Knows');
    expect(await auditRows(hubOnly, 'person.subject_access')).toEqual([expect.objectContaining({ actor_user_id: p.users.managerA.id, outcome: 'denied' })]);
    expect((await as('coordinator').get(`/api/v1/people/${hubOnly}/subject-access`)).status).toBe(200);
  });

  it('refuses other roles (403) and other partnerships (404, audited)', async () => {
    for (const persona of ['handler', 'caseworkerA', 'marac', 'admin', 'professional', 'commissioner'] as const) {
      const answer = await as(persona).get(`/api/v1/people/${held.personId}/subject-access`);
      expect(answer.status, persona).toBe(403);
      expect(answer.text).not.toContain('Sam Subject');
    }
    const other = await createPartnership(t.database);
    const foreign = await t.client.as(other.users.coordinator.token).get(`/api/v1/people/${held.personId}/subject-access`);
    expect(foreign.status).toBe(404);
    expect(foreign.text).not.toContain('Sam Subject');
    expect(await auditRows(held.personId, 'person.subject_access')).toContainEqual(expect.objectContaining({ actor_user_id: other.users.coordinator.id, outcome: 'denied' }));
    expect((await as('coordinator').get('/api/v1/people/not-a-uuid/subject-access')).status).toBe(400);
  });

  it('shows the export as a printable page in the staff web app, audited, and the JSON to download', async () => {
    const email = `sar-coordinator@${p.slug}.example`;
    await inTransaction(t.database.db, null, async (tx) => {
      await addUser(tx, null, { partnershipSlug: p.slug, organisationSlug: 'hub', email, name: 'SAR Coordinator', roles: ['spoc_coordinator'], password: DEMO_PASSWORD });
      await tx.updateTable('users').set({ totp_secret: DEMO_TOTP_SECRET, totp_enrolled_at: new Date() }).where('email', '=', email).execute();
    });
    const browser = new FormClient(t.client.baseUrl);
    expect((await browser.signIn(email)).status).toBe(303);
    const page = await browser.request('GET', `/people/${held.personId}/subject-access`);
    expect(page.status).toBe(200);
    expect(page.headers.get('cache-control')).toContain('no-store');
    expect(page.text).toMatch(/<title>\s*Subject access/);
    expect(page.text).not.toMatch(/<title>[^<]*Sam/);
    for (const text of ['Everything we hold about you', 'Sam Subject', 'Account given by Sam Subject', 'Plan for Sam Subject', 'Police hold two call-outs for Sam Subject', 'Test provider-b: 1 note', 'OFFICIAL-SENSITIVE']) {
      expect(page.text).toContain(text);
    }
    const download = await browser.request('GET', `/people/${held.personId}/subject-access.json`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toContain('attachment');
    expect(JSON.parse(download.text).person.name).toBe('Sam Subject');
    const formats = (await auditRows(held.personId, 'person.subject_access')).filter((a) => a.outcome === 'allowed').map((a) => (a.details as { format: string }).format);
    expect(formats.slice(-2)).toEqual(['html', 'json']);

    const caseworker = new FormClient(t.client.baseUrl);
    const cwEmail = `sar-caseworker@${p.slug}.example`;
    await inTransaction(t.database.db, null, async (tx) => {
      await addUser(tx, null, { partnershipSlug: p.slug, organisationSlug: 'provider-a', email: cwEmail, name: 'SAR Caseworker', roles: ['provider_caseworker'], password: DEMO_PASSWORD });
      await tx.updateTable('users').set({ totp_secret: DEMO_TOTP_SECRET, totp_enrolled_at: new Date() }).where('email', '=', cwEmail).execute();
    });
    expect((await caseworker.signIn(cwEmail)).status).toBe(303);
    const refused = await caseworker.request('GET', `/people/${held.personId}/subject-access`);
    expect(refused.status).toBe(403);
    expect(refused.text).not.toContain('Sam Subject');
  });
});

async function auditRows(recordId: string, action: string) {
  return t.database.db.selectFrom('audit_events').select(['actor_user_id', 'outcome', 'details', 'action']).where('record_id', '=', recordId).where('action', '=', action).orderBy('id').execute();
}

const YEAR_MS = 365.25 * 86_400_000;

describe('retention', () => {
  let r: Partnership;
  let due: Held;
  let kept: Held;
  let unlinkedDue: string;
  let unlinkedKept: string;
  // Ten years ahead of the real clock (see the top of the file), the day varied so runs on one PostgreSQL database never share a day.
  const now = new Date(Date.now() + 10 * YEAR_MS + randomInt(0, 3000) * 86_400_000);
  now.setUTCHours(12, 0, 0, 0);
  const sixYearsBefore = new Date(now);
  sixYearsBefore.setUTCFullYear(now.getUTCFullYear() - 6);
  const day = 86_400_000;

  /** Dates a person's whole history at `at`: their contacts received, their cases opened and closed. */
  async function dateHistory(held: Held, at: Date): Promise<void> {
    const db = t.database.db;
    await sql`update people set created_at = ${new Date(at.getTime() - 30 * day)} where id = ${held.personId}`.execute(db);
    await db.updateTable('contacts').set({ received_at: new Date(at.getTime() - 30 * day) }).where('person_id', '=', held.personId).execute();
    await sql`update cases set state = 'closed', opened_at = ${new Date(at.getTime() - 20 * day)}, closed_at = ${at}, closed_by = ${r.users.caseworkerA.id},
                     closure_reason = 'support_completed', closure_note = 'Closed: all done' where id = ${held.caseId}`.execute(db);
  }

  async function unlinkedContact(at: Date, summary: string): Promise<string> {
    const contact = await as('handler', r).post('/api/v1/contacts', newContact({ status: 'closed', person: { name: summary }, summary }));
    expect(contact.status).toBe(201);
    await t.database.db.updateTable('contacts').set({ received_at: at, updated_at: at }).where('id', '=', contact.body.id).execute();
    await t.database.db.updateTable('referrals').set({ updated_at: at }).where('contact_id', '=', contact.body.id).execute();
    return contact.body.id;
  }

  /** Everything of the partnership that holds person data or figures, to compare before and after. */
  async function snapshot(partnershipId: string) {
    const tables = ['people', 'contacts', 'risk_assessments', 'referrals', 'referral_events', 'contact_attempts', 'calls', 'cases', 'household_members', 'case_perpetrators', 'case_notes', 'case_actions', 'safety_plans', 'outcome_measures', 'marac_referrals', 'marac_research', 'marac_actions'] as const;
    const out: Record<string, unknown[]> = {};
    for (const table of tables) {
      out[table] = (await sql`select * from ${sql.table(table)} where partnership_id = ${partnershipId} order by 1, 2`.execute(t.database.db)).rows;
    }
    return out;
  }

  beforeAll(async () => {
    r = await createPartnership(t.database);
    const rServices = await addDirectory(t.database, r);
    due = await personWithEverything(r, rServices, 'Dee Due');
    kept = await personWithEverything(r, rServices, 'Kit Kept');
    await dateHistory(due, new Date(sixYearsBefore.getTime() - day));
    await dateHistory(kept, new Date(sixYearsBefore.getTime() + day));
    unlinkedDue = await unlinkedContact(new Date(sixYearsBefore.getTime() - day), 'Unlinked due');
    unlinkedKept = await unlinkedContact(new Date(sixYearsBefore.getTime() + day), 'Unlinked kept');
  });

  it('a dry run says what is due, per record type and by id, and changes nothing', async () => {
    const before = await snapshot(r.id);
    const auditBefore = await t.database.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).where('partnership_id', '=', r.id).executeTakeFirstOrThrow();
    const report = await runRetention(t.database.db, r.id, { dryRun: true, now });
    expect(report.due.people).toEqual([due.personId]);
    expect(report.due.unlinkedContacts).toEqual([unlinkedDue]);
    expect(report.records).toMatchObject({ people: 1, contacts: 2, cases: 1, case_notes: 3, safety_plans: 1, household_members: 1, case_perpetrators: 1, calls: 1, marac_referrals: 1 });
    expect(report.anonymised).toEqual({ people: 0, contacts: 0, requestAnswersDeleted: 0 });
    const printed = describeRetention(report);
    expect(printed).toContain('dry run: nothing changed');
    expect(printed).toContain(due.personId);
    expect(printed).toContain(unlinkedDue);
    expect(await snapshot(r.id)).toEqual(before);
    const auditAfter = await t.database.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n')).where('partnership_id', '=', r.id).executeTakeFirstOrThrow();
    expect(Number(auditAfter.n)).toBe(Number(auditBefore.n));
  });

  it('anonymises exactly what is due, keeps every row and figure reports count, and audits each by id', async () => {
    const before = await snapshot(r.id);
    const reportQuery = `/api/v1/reports?period=custom&from=${new Date(sixYearsBefore.getTime() - 60 * day).toISOString().slice(0, 10)}&to=${new Date(sixYearsBefore.getTime() + 60 * day).toISOString().slice(0, 10)}`;
    const reportBefore = await as('coordinator', r).get(reportQuery);
    expect(reportBefore.status).toBe(200);
    const progress: string[] = [];
    const report = await runRetention(t.database.db, r.id, { now, batchSize: 1, onProgress: (p) => progress.push(`${p.recordType} ${p.done}/${p.total}`) });
    expect(report.anonymised).toEqual({ people: 1, contacts: 2, requestAnswersDeleted: 0 });
    expect(progress).toEqual(['person 1/1', 'contact 1/1']);
    const after = await snapshot(r.id);

    // Every row is still there, and the figures reports count are unchanged.
    for (const [table, rows] of Object.entries(before)) expect(after[table]!.length, table).toBe(rows.length);
    const figures = (s: Record<string, unknown[]>, table: string, columns: string[]) => s[table]!.map((row) => Object.fromEntries(columns.map((c) => [c, (row as Record<string, unknown>)[c]])));
    expect(figures(after, 'contacts', ['id', 'channel', 'caller_type', 'status', 'received_at', 'risk_level', 'person_id', 'needs'])).toEqual(figures(before, 'contacts', ['id', 'channel', 'caller_type', 'status', 'received_at', 'risk_level', 'person_id', 'needs']));
    expect(figures(after, 'referrals', ['id', 'state', 'risk_level', 'created_at', 'decision', 'first_contact_at'])).toEqual(figures(before, 'referrals', ['id', 'state', 'risk_level', 'created_at', 'decision', 'first_contact_at']));
    expect(figures(after, 'cases', ['id', 'state', 'opened_at', 'closed_at', 'closure_reason'])).toEqual(figures(before, 'cases', ['id', 'state', 'opened_at', 'closed_at', 'closure_reason']));
    expect(after.outcome_measures).toEqual(before.outcome_measures);
    expect(figures(after, 'risk_assessments', ['id', 'answers', 'level', 'yes_count'])).toEqual(figures(before, 'risk_assessments', ['id', 'answers', 'level', 'yes_count']));
    // Every table the same, but for equality monitoring: a person anonymised has no date of birth or
    // equality answers left, so they move to "not recorded", still counted (docs/retention.md).
    const reportAfter = await as('coordinator', r).get(reportQuery);
    type Table = { id: string; total?: unknown };
    const tablesOf = (body: { tables: Table[] }, equality: boolean) => body.tables.filter((x) => x.id.startsWith('equality-') === equality);
    expect(tablesOf(reportAfter.body, false).length).toBeGreaterThan(5);
    expect(tablesOf(reportAfter.body, false)).toEqual(tablesOf(reportBefore.body, false));
    expect(tablesOf(reportAfter.body, true).map((x) => [x.id, x.total])).toEqual(tablesOf(reportBefore.body, true).map((x) => [x.id, x.total]));

    // The person past the period: nothing personal left, anywhere.
    const db = t.database.db;
    const person = await db.selectFrom('people').selectAll().where('id', '=', due.personId).executeTakeFirstOrThrow();
    expect(person).toMatchObject({ name: '', other_names: [], search_name: '', date_of_birth: null, postcode: null, phone_digits: [], anonymised_at: now });
    expect(person.identifiers).toEqual({});
    const dump = JSON.stringify(await snapshot(r.id));
    // (Numbers, addresses and schools are the same for the person kept: checked row by row below.)
    for (const text of ['Dee Due', 'Unlinked due']) expect(dump, text).not.toContain(text);
    const contact = await db.selectFrom('contacts').selectAll().where('id', '=', due.contactId).executeTakeFirstOrThrow();
    const { person: told, safe_contact, children, perpetrators, summary, caller, anonymised_at } = contact;
    expect({ told, safe_contact, children, perpetrators, summary, caller, anonymised_at }).toEqual({ told: {}, safe_contact: {}, children: [], perpetrators: [], summary: '', caller: null, anonymised_at: now });
    expect((await db.selectFrom('case_notes').select('body').where('person_id', '=', due.personId).execute()).map((n) => n.body)).toEqual(['', '', '']);
    expect(await db.selectFrom('safety_plans').select('content').where('case_id', '=', due.caseId).execute()).toEqual([{ content: {} }]);
    expect(await db.selectFrom('household_members').select(['name', 'date_of_birth', 'school', 'relationship']).where('case_id', '=', due.caseId).execute()).toEqual([{ name: '', date_of_birth: null, school: '', relationship: 'child' }]);
    expect(await db.selectFrom('case_perpetrators').select(['name', 'phones', 'phone_digits', 'addresses']).where('case_id', '=', due.caseId).execute()).toEqual([{ name: '', phones: [], phone_digits: [], addresses: [] }]);
    expect(await db.selectFrom('case_actions').select('title').where('case_id', '=', due.caseId).execute()).toEqual([{ title: '' }]);
    expect(await db.selectFrom('cases').select('closure_note').where('id', '=', due.caseId).execute()).toEqual([{ closure_note: null }]);
    expect(await db.selectFrom('calls').select('from_number').where('contact_id', '=', due.contactId).execute()).toEqual([{ from_number: null }]);
    expect(await db.selectFrom('risk_assessments').select('judgement_reason').where('contact_id', '=', due.contactId).execute()).toEqual([{ judgement_reason: null }]);
    expect((await db.selectFrom('referral_events').select('reason_text').where('referral_id', '=', due.referralId).execute()).every((e) => e.reason_text === null)).toBe(true);
    expect(await db.selectFrom('contact_attempts').select('note').where('referral_id', '=', due.referralId).execute()).toEqual([{ note: '' }]);
    const marac = await db.selectFrom('marac_referrals').select('id').where('contact_id', '=', due.contactId).executeTakeFirstOrThrow();
    expect(await db.selectFrom('marac_research').select('summary').where('marac_referral_id', '=', marac.id).execute()).toEqual([{ summary: '' }]);
    expect(await db.selectFrom('marac_actions').select('description').where('marac_referral_id', '=', marac.id).execute()).toEqual([{ description: '' }]);
    expect(await db.selectFrom('contacts').select(['summary', 'person']).where('id', '=', unlinkedDue).execute()).toEqual([{ summary: '', person: {} }]);

    // The person just inside the period, and the recent contact with no person: untouched.
    // (Read through decrypt: the free text may be encrypted at rest, docs/encryption.md.)
    const keptPerson = await db.selectFrom('people').select(['name', 'date_of_birth', 'anonymised_at']).where('id', '=', kept.personId).executeTakeFirstOrThrow();
    expect({ ...keptPerson, name: decrypt(keptPerson.name) }).toEqual({ name: 'Kit Kept', date_of_birth: '1990-02-03', anonymised_at: null });
    expect((await db.selectFrom('case_notes').select('body').where('person_id', '=', kept.personId).execute()).map((n) => decrypt(n.body))).toContain('Plain note about Kit Kept');
    expect((await db.selectFrom('case_perpetrators').select('addresses').where('case_id', '=', kept.caseId).executeTakeFirstOrThrow()).addresses.map((a) => decrypt(a))).toEqual(['1 Secret Lane']);
    expect(decrypt((await db.selectFrom('calls').select('from_number').where('contact_id', '=', kept.contactId).executeTakeFirstOrThrow()).from_number ?? '')).toBe('+447700900111');
    expect(decrypt((await db.selectFrom('contacts').select('summary').where('id', '=', unlinkedKept).executeTakeFirstOrThrow()).summary)).toBe('Unlinked kept');

    // Each anonymisation audited by id, never with personal data.
    const audits = await db.selectFrom('audit_events').select(['action', 'record_id', 'details', 'actor_user_id']).where('partnership_id', '=', r.id).where('action', 'in', ['person.anonymise', 'contact.anonymise', 'retention.run']).orderBy('id').execute();
    expect(audits).toEqual([
      { action: 'person.anonymise', record_id: due.personId, actor_user_id: null, details: { actor: 'system:retention-job', rule: 'peopleYears', contactIds: [due.contactId], caseIds: [due.caseId] } },
      { action: 'contact.anonymise', record_id: unlinkedDue, actor_user_id: null, details: { actor: 'system:retention-job', rule: 'unlinkedContactYears' } },
      expect.objectContaining({ action: 'retention.run', record_id: null, details: expect.objectContaining({ people: 1, contacts: 2 }) }),
    ]);
    expect(JSON.stringify(audits)).not.toContain('Dee Due');

    // A second run finds nothing more to do.
    expect((await runRetention(db, r.id, { now, dryRun: true })).due).toMatchObject({ people: [], unlinkedContacts: [] });
  });

  it('still refuses every other change to the append-only tables', async () => {
    const db = t.database.db;
    await expect(db.updateTable('case_notes').set({ body: 'rewritten' }).where('person_id', '=', kept.personId).execute()).rejects.toThrow(/append-only/);
    await expect(db.deleteFrom('safety_plans').where('case_id', '=', kept.caseId).execute()).rejects.toThrow(/append-only/);
    // Even while anonymising, only the free text may change.
    await expect(
      inTransaction(db, null, async (tx) => {
        await sql`select set_config('app.anonymising', 'on', true)`.execute(tx);
        await tx.updateTable('case_notes').set({ body: '', sensitive: false }).where('person_id', '=', kept.personId).execute();
      }),
    ).rejects.toThrow(/append-only/);
    await expect(
      inTransaction(db, null, async (tx) => {
        await sql`select set_config('app.anonymising', 'on', true)`.execute(tx);
        await tx.updateTable('risk_assessments').set({ level: 'standard' }).where('contact_id', '=', kept.contactId).execute();
      }),
    ).rejects.toThrow(/append-only/);
    expect((await db.selectFrom('case_notes').select('body').where('person_id', '=', kept.personId).execute()).map((n) => decrypt(n.body))).toContain('Plain note about Kit Kept');
  });

  it('runs once a day, however many processes try at the same moment', async () => {
    const [first, second] = await Promise.all([runDailyRetention(t.database.db, { now, partnershipId: r.id }), runDailyRetention(t.database.db, { now, partnershipId: r.id })]);
    const ran = [first, second].filter((x) => x !== null);
    expect(ran).toHaveLength(1);
    expect(ran[0]!.reports.map((x) => x.partnershipId)).toEqual([r.id]);
    expect(await runDailyRetention(t.database.db, { now: new Date(now.getTime() + 3_600_000 * 0.5), partnershipId: r.id })).toBeNull();
    const row = await t.database.db.selectFrom('retention_runs').selectAll().where('run_on', '=', ran[0]!.day).executeTakeFirstOrThrow();
    expect(row.finished_at).not.toBeNull();
  });
});
