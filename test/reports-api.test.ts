/**
 * Reports over HTTP (issue 11): every measure computed on a small data set checked by hand
 * (the figures below were worked out on paper from the rows this file inserts), the
 * period's edges in London time, the provider's exact own view, the suppressed wider view,
 * CSV and the quarterly return.
 */
import { randomUUID } from 'node:crypto';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDirectory, auditCount, createPartnership, type Partnership, startApp, type TestApp } from './harness.js';

let t: TestApp;
let p: Partnership;
let services: Record<string, string>;
const as = (persona: keyof Partnership['users']) => t.client.as(p.users[persona].token);
const Q3 = 'period=custom&from=2026-07-01&to=2026-09-30';

// ── the data set ─────────────────────────────────────────────────────────────────────

async function person(fields: Record<string, unknown> = {}): Promise<string> {
  const id = randomUUID();
  await t.database.db
    .insertInto('people')
    .values({ id, partnership_id: p.id, organisation_id: p.orgs.hub, name: 'Synthetic', other_names: [], search_name: 'synthetic', phone_digits: [], identifiers: '{}', created_by: p.users.handler.id, ...fields } as never)
    .execute();
  return id;
}

async function contact(receivedAt: string, fields: { channel?: string; callerType?: string; personId?: string; organisationId?: string } = {}): Promise<string> {
  const id = randomUUID();
  await t.database.db
    .insertInto('contacts')
    .values({
      id,
      partnership_id: p.id,
      organisation_id: fields.organisationId ?? p.orgs.hub,
      reference: `R-${id.slice(0, 8)}`,
      channel: fields.channel ?? 'phone',
      caller_type: fields.callerType ?? 'victim',
      status: 'open',
      handler_user_id: p.users.handler.id,
      received_at: receivedAt,
      immediate_danger: 'no',
      person: '{}',
      safe_contact: '{}',
      needs: [],
      children: '[]',
      perpetrators: '[]',
      person_id: fields.personId ?? null,
    } as never)
    .execute();
  return id;
}

let questionnaireId: string;
async function assess(contactId: string, level: string, at: string): Promise<void> {
  await sql`insert into risk_assessments (partnership_id, organisation_id, contact_id, questionnaire_id, answers, yes_count, score_level, level, reasons, prompts, assessed_by, completed_at)
    values (${p.id}, ${p.orgs.hub}, ${contactId}, ${questionnaireId}, '{}', 0, ${level}, ${level}, '[]', '[]', ${p.users.handler.id}, ${at})`.execute(t.database.db);
}

async function referral(contactId: string, service: string, organisationId: string, riskLevel: string, createdAt: string, fields: { state?: string; firstContactAt?: string; decision?: { to: string; reason?: string } } = {}): Promise<string> {
  const id = randomUUID();
  await t.database.db
    .insertInto('referrals')
    .values({
      id,
      partnership_id: p.id,
      organisation_id: organisationId,
      referring_organisation_id: p.orgs.hub,
      referred_by: p.users.handler.id,
      contact_id: contactId,
      service_id: services[service]!,
      risk_level: riskLevel,
      consent: 'given',
      consent_decided_by: p.users.handler.id,
      state: fields.state ?? fields.decision?.to ?? 'sent',
      acknowledge_due_at: createdAt,
      first_contact_due_at: createdAt,
      first_contact_at: fields.firstContactAt ?? null,
      created_at: createdAt,
    } as never)
    .execute();
  await t.database.db.insertInto('referral_events').values({ referral_id: id, partnership_id: p.id, organisation_id: organisationId, to_state: 'sent', actor_user_id: p.users.handler.id, at: createdAt } as never).execute();
  if (fields.decision) {
    await t.database.db
      .insertInto('referral_events')
      .values({ referral_id: id, partnership_id: p.id, organisation_id: organisationId, from_state: 'acknowledged', to_state: fields.decision.to, reason_code: fields.decision.reason ?? null, actor_user_id: p.users.handler.id, at: createdAt } as never)
      .execute();
  }
  return id;
}

async function escalation(referralId: string, clock: string): Promise<void> {
  await t.database.db.insertInto('escalations').values({ partnership_id: p.id, referral_id: referralId, clock, due_at: new Date() } as never).execute();
}

async function call(contactId: string, startedAt: string, outcome: string, answerSeconds?: number): Promise<void> {
  const answeredAt = answerSeconds === undefined ? null : new Date(new Date(startedAt).getTime() + answerSeconds * 1000).toISOString();
  await t.database.db
    .insertInto('calls')
    .values({ partnership_id: p.id, organisation_id: p.orgs.hub, call_sid: `CA${randomUUID().replace(/-/g, '')}`, contact_id: contactId, started_at: startedAt, answered_at: answeredAt, outcome } as never)
    .execute();
}

async function closedCase(personId: string, organisationId: string, closedAt: string, reason: string, measures: Array<{ stage: string; safe: number; wellbeing: number; physical: string }> = []): Promise<void> {
  const id = randomUUID();
  await t.database.db
    .insertInto('cases')
    .values({ id, partnership_id: p.id, organisation_id: organisationId, person_id: personId, reference: `CASE-${id.slice(0, 8)}`, state: 'closed', opened_by: p.users.handler.id, opened_at: '2026-06-01T10:00:00Z', closed_at: closedAt, closed_by: p.users.handler.id, closure_reason: reason } as never)
    .execute();
  for (const m of measures) {
    await t.database.db
      .insertInto('outcome_measures')
      .values({ partnership_id: p.id, organisation_id: organisationId, case_id: id, stage: m.stage, abuse: JSON.stringify({ physical: { frequency: m.physical, severity: 'low' } }), feeling_safe: m.safe, wellbeing: m.wellbeing, recorded_by: p.users.handler.id } as never)
      .execute();
  }
}

async function maracReferral(contactId: string, referredOn: string, fields: { repeatOf?: string; status?: string } = {}): Promise<string> {
  const id = randomUUID();
  await t.database.db
    .insertInto('marac_referrals')
    .values({ id, partnership_id: p.id, organisation_id: p.orgs.hub, contact_id: contactId, criteria: ['score'], referred_on: referredOn, referred_by: p.users.handler.id, referring_organisation_id: p.orgs.hub, repeat_of_id: fields.repeatOf ?? null, status: fields.status ?? 'listed' } as never)
    .execute();
  return id;
}

beforeAll(async () => {
  t = await startApp();
  p = await createPartnership(t.database);
  services = await addDirectory(t.database, p);
  questionnaireId = (await t.database.db.selectFrom('questionnaire_definitions').select('id').where('partnership_id', '=', p.id).executeTakeFirstOrThrow()).id;
  const A = p.orgs.providerA;
  const B = p.orgs.providerB;

  const v1 = await person({ sex: 'female', ethnicity: 'white', date_of_birth: '1990-08-01' });
  const v2 = await person({ sex: 'female', ethnicity: 'asian', date_of_birth: '2009-07-01' });
  const v3 = await person({ sex: 'male', ethnicity: 'prefer_not_to_say' });
  const v4 = await person();
  const perpetrator = await person({ role: 'perpetrator', sex: 'male' });

  // Before the period: V1 in March (so V1 is a repeat victim), V2 over a year before (not a repeat).
  const c0 = await contact('2026-03-01T10:00:00Z', { personId: v1 });
  await contact('2025-06-01T10:00:00Z', { personId: v2 });
  const c1 = await contact('2026-07-02T10:00:00Z', { personId: v1 });
  const c2 = await contact('2026-07-10T10:00:00Z', { personId: v2 });
  const c3 = await contact('2026-08-01T10:00:00Z', { channel: 'web_self_referral', personId: v3 });
  const c4 = await contact('2026-08-15T10:00:00Z', { channel: 'professional_referral', callerType: 'professional', personId: v1 });
  // 23:30 on 30 September in London (BST): in the period. 00:30 on 1 October in London: not.
  const c5 = await contact('2026-09-30T22:30:00Z', { callerType: 'family_friend' });
  const c6 = await contact('2026-09-30T23:30:00Z');
  const c7 = await contact('2026-07-05T10:00:00Z', { personId: v4, organisationId: A });
  await contact('2026-07-20T10:00:00Z', { callerType: 'perpetrator', personId: perpetrator });

  await assess(c0, 'medium', '2026-03-01T10:10:00Z');
  await assess(c1, 'medium', '2026-07-02T10:10:00Z');
  await assess(c1, 'high', '2026-07-02T10:20:00Z'); // reassessed: the latest counts
  await assess(c2, 'medium', '2026-07-10T10:10:00Z');
  await assess(c3, 'standard', '2026-08-01T10:10:00Z');
  await assess(c4, 'high', '2026-08-15T10:10:00Z');
  await assess(c7, 'standard', '2026-07-05T10:10:00Z');
  await assess(c6, 'high', '2026-10-01T00:00:00Z');

  await referral(c1, 'IDVA service', A, 'high', '2026-07-02T12:00:00Z', { decision: { to: 'accepted' }, firstContactAt: '2026-07-02T18:00:00Z' });
  await referral(c1, "Children's social care front door", B, 'high', '2026-07-02T13:00:00Z', { decision: { to: 'declined', reason: 'no_capacity' } });
  await referral(c2, 'Community outreach', A, 'medium', '2026-07-11T10:00:00Z', { decision: { to: 'accepted' }, firstContactAt: '2026-07-12T10:00:00Z' });
  const r4 = await referral(c3, 'Brookside counselling', B, 'standard', '2026-08-03T10:00:00Z', { decision: { to: 'declined', reason: 'not_eligible' } });
  const r5 = await referral(c4, 'IDVA service', A, 'high', '2026-08-15T11:00:00Z', { decision: { to: 'redirected' } });
  const r6 = await referral(c0, 'Community outreach', A, 'medium', '2026-03-02T10:00:00Z', { decision: { to: 'accepted' } });
  const r7 = await referral(c7, 'Community outreach', A, 'standard', '2026-07-05T14:00:00Z');
  await escalation(r4, 'acknowledge');
  await escalation(r7, 'acknowledge');
  await escalation(r5, 'first_contact');
  await escalation(r6, 'acknowledge');

  await call(c1, '2026-07-02T09:59:00Z', 'answered', 20);
  await call(c2, '2026-07-10T09:59:00Z', 'answered', 90);
  await call(c5, '2026-09-30T22:29:00Z', 'abandoned');
  await call(c6, '2026-09-30T23:29:00Z', 'answered', 5);
  await call(c7, '2026-07-05T09:59:00Z', 'callback_requested');

  await closedCase(v1, A, '2026-09-01T10:00:00Z', 'support_completed', [
    { stage: 'intake', safe: 3, wellbeing: 4, physical: 'weekly' },
    { stage: 'exit', safe: 8, wellbeing: 7, physical: 'none' },
  ]);
  await closedCase(v2, A, '2026-08-20T10:00:00Z', 'disengaged', [{ stage: 'intake', safe: 5, wellbeing: 5, physical: 'daily' }]);
  await closedCase(v3, B, '2026-10-05T10:00:00Z', 'support_completed');

  const m1 = await maracReferral(c1, '2026-07-02');
  await maracReferral(c4, '2026-08-15', { repeatOf: m1 });
  await maracReferral(c2, '2026-07-10', { status: 'withdrawn' });
});
afterAll(() => t.close());

// ── reading a report ─────────────────────────────────────────────────────────────────

interface Table {
  id: string;
  columns: { key: string; label: string; unit: string }[];
  rows: { key: string; label: string; values: (number | null)[] }[];
  total?: { values: (number | null)[] };
}

async function reportAs(persona: keyof Partnership['users'], query: string) {
  const answer = await as(persona).get(`/api/v1/reports?${query}`);
  expect(answer.status, JSON.stringify(answer.body)).toBe(200);
  const table = (id: string) => answer.body.tables.find((x: Table) => x.id === id) as Table;
  /** The value in a table's row and column, by their keys. */
  const at = (id: string, row: string, column = 'n') => {
    const x = table(id);
    const r = row === 'total' ? x.total! : x.rows.find((y) => y.key === row)!;
    return r.values[x.columns.findIndex((c) => c.key === column)];
  };
  return { body: answer.body, table, at };
}

describe('each measure, on the hand-checked data set (the SPOC coordinator filtered to the hub: exact)', () => {
  it('contacts by channel and caller type, and risk at contact, counting the period in London days', async () => {
    const { at, body } = await reportAs('coordinator', Q3);
    expect(body.period).toMatchObject({ kind: 'custom', from: '2026-07-01', to: '2026-09-30' });
    expect(body.suppressed).toBe(true); // the whole partnership leaves the hub's own view
    const exact = await reportAs('coordinator', `${Q3}&organisationId=${p.orgs.hub}`);
    expect(exact.body.suppressed).toBe(false);
    // The hub recorded 6 of the 7 (C7 was recorded by provider A and not referred by the hub).
    expect(exact.at('contacts', 'phone', 'victim')).toBe(2);
    expect(exact.at('contacts', 'total', 'total')).toBe(6);
    const all = await reportAs('commissioner', Q3);
    expect(all.at('contacts', 'total', 'total')).toBe(7);
    expect(at('contacts', 'phone', 'total')).toBe(5);
  });

  it('all figures exact for a provider: its own organisation', async () => {
    const { at, body } = await reportAs('managerA', Q3);
    expect(body.suppressed).toBe(false);
    expect(body.filters.organisationId).toBe(p.orgs.providerA);
    // Recorded by or referred to provider A: C1, C2, C4, C7.
    expect(at('contacts', 'phone', 'victim')).toBe(3);
    expect(at('contacts', 'professional_referral', 'professional')).toBe(1);
    expect(at('contacts', 'total', 'total')).toBe(4);
    expect([at('risk', 'high'), at('risk', 'medium'), at('risk', 'standard'), at('risk', 'not_assessed')]).toEqual([2, 1, 1, 0]);
    // Referrals to A sent in the period: R1, R3, R5, R7.
    expect([at('decisions', 'accepted'), at('decisions', 'declined'), at('decisions', 'redirected'), at('decisions', 'awaiting'), at('decisions', 'total')]).toEqual([2, 0, 1, 1, 4]);
    expect([at('clock-breaches', 'acknowledge', 'standard'), at('clock-breaches', 'first_contact', 'high'), at('clock-breaches', 'total', 'total')]).toEqual([1, 1, 2]);
    // Cases A closed in the period: two.
    expect([at('closures', 'support_completed'), at('closures', 'disengaged'), at('closures', 'total')]).toEqual([1, 1, 2]);
  });

  it('every measure for the whole partnership, unsuppressed through a provider-free check of the raw figures', async () => {
    // The commissioner's view is suppressed; the figures behind it are checked by the SPOC coordinator per organisation
    // above and here through the raw measures (the service's own, before suppression).
    const { measureForTest } = await import('./reports-raw.js');
    const raw = await measureForTest(t.database, p.id, '2026-07-01', '2026-09-30');
    expect(raw.risk).toEqual(expect.arrayContaining([{ key: 'high', n: 2 }, { key: 'medium', n: 1 }, { key: 'standard', n: 2 }, { key: 'not_assessed', n: 2 }]));
    expect(raw.calls.byOutcome).toEqual(expect.arrayContaining([{ key: 'answered', n: 2 }, { key: 'abandoned', n: 1 }, { key: 'callback_requested', n: 1 }, { key: 'forwarded', n: 0 }]));
    expect(raw.calls.total).toBe(4);
    // Answered in 20 s and 90 s: median 55, 90th percentile 20 + 0.9 × 70 = 83; one of two within 60 s.
    expect(raw.calls.answerSeconds).toEqual({ median: 55, p90: 83, within60: 1 });
    // First referrals: high 1 h and 2 h; medium 24 h; standard 4 h and 48 h.
    const byLevel = (rows: { key: string }[]) => Object.fromEntries(rows.map((r) => [r.key, r]));
    expect(byLevel(raw.toReferral)).toEqual({
      high: { key: 'high', n: 2, medianHours: 1.5, p90Hours: expect.closeTo(1.9, 6) },
      medium: { key: 'medium', n: 1, medianHours: 24, p90Hours: 24 },
      standard: { key: 'standard', n: 2, medianHours: 26, p90Hours: expect.closeTo(43.6, 6) },
    });
    // First contact attempts: R1 after 6 h (high), R3 after 24 h (medium); R7 (standard) still waiting.
    expect(byLevel(raw.toFirstContact)).toEqual({
      high: { key: 'high', n: 1, waiting: 0, medianHours: 6, p90Hours: 6 },
      medium: { key: 'medium', n: 1, waiting: 0, medianHours: 24, p90Hours: 24 },
      standard: { key: 'standard', n: 0, waiting: 1, medianHours: null, p90Hours: null },
    });
    expect(raw.decisions.decisions).toEqual(expect.arrayContaining([{ key: 'accepted', n: 2 }, { key: 'declined', n: 2 }, { key: 'redirected', n: 1 }, { key: 'awaiting', n: 1 }]));
    expect(raw.decisions.declineReasons).toEqual(expect.arrayContaining([{ key: 'no_capacity', n: 1 }, { key: 'not_eligible', n: 1 }]));
    expect(raw.breaches.referrals).toBe(6);
    expect(raw.breaches.breaches).toEqual(expect.arrayContaining([{ clock: 'acknowledge', riskLevel: 'standard', n: 2 }, { clock: 'first_contact', riskLevel: 'high', n: 1 }]));
    expect(raw.breaches.breaches).toHaveLength(2);
    expect(raw.marac).toEqual({ referrals: 2, repeats: 1 });
    // V1, V2, V3, V4 made contact (the perpetrator is not counted); V1 had in March too; C5 has no person.
    expect(raw.repeats).toEqual({ people: 4, repeats: 1, contactsNotLinked: 1 });
    expect(raw.outcomes.closureReasons).toEqual(expect.arrayContaining([{ key: 'support_completed', n: 1 }, { key: 'disengaged', n: 1 }]));
    expect(raw.outcomes).toMatchObject({ measured: 1, feelingSafe: { intake: 3, exit: 8 }, wellbeing: { intake: 4, exit: 7 }, lessAbuse: 1, feelSafer: 1 });
    // V1 35 at first contact (born 1 August 1990, first contact 2 July 2026); V2 17; V3 and V4 no date of birth.
    expect(raw.equality.people).toBe(4);
    expect(raw.equality.age).toEqual(expect.arrayContaining([{ key: '35_44', n: 1 }, { key: '16_17', n: 1 }, { key: 'not_recorded', n: 2 }]));
    expect(raw.equality.sex).toEqual(expect.arrayContaining([{ key: 'female', n: 2 }, { key: 'male', n: 1 }, { key: 'not_recorded', n: 1 }]));
    expect(raw.equality.ethnicity).toEqual(expect.arrayContaining([{ key: 'white', n: 1 }, { key: 'asian', n: 1 }, { key: 'prefer_not_to_say', n: 1 }, { key: 'not_recorded', n: 1 }]));
  });

  it('filters narrow every measure: channel, caller type, risk level, service', async () => {
    const { measureForTest } = await import('./reports-raw.js');
    const web = await measureForTest(t.database, p.id, '2026-07-01', '2026-09-30', { channel: 'web_self_referral' });
    expect(web.risk).toEqual([{ key: 'standard', n: 1 }]);
    expect(web.decisions.decisions).toEqual([{ key: 'declined', n: 1 }]);
    const high = await measureForTest(t.database, p.id, '2026-07-01', '2026-09-30', { riskLevel: 'high' });
    expect(high.toReferral.map((r) => [r.key, r.n])).toEqual([['high', 2]]);
    expect(high.marac).toEqual({ referrals: 2, repeats: 1 });
    const idva = await measureForTest(t.database, p.id, '2026-07-01', '2026-09-30', { serviceId: services['IDVA service'] });
    expect(idva.decisions.decisions).toEqual(expect.arrayContaining([{ key: 'accepted', n: 1 }, { key: 'redirected', n: 1 }]));
    const families = await measureForTest(t.database, p.id, '2026-07-01', '2026-09-30', { callerType: 'family_friend' });
    expect(families.calls.byOutcome.find((o) => o.key === 'abandoned')!.n).toBe(1);
    expect(families.calls.total).toBe(1);
  });
});

describe('who sees what', () => {
  it('outside its own view the report is suppressed: counts from 1 to 4 are null, and so are the figures beside them', async () => {
    const { body, at } = await reportAs('commissioner', Q3);
    expect(body.suppressed).toBe(true);
    expect(at('contacts', 'phone', 'victim')).toBeNull();
    expect(at('contacts', 'total', 'total')).toBe(7);
    expect(at('risk', 'high')).toBeNull();
    expect(at('risk', 'total')).toBe(7);
    // The repeat rate would give the repeats away.
    expect([at('marac', 'marac', 'referrals'), at('marac', 'marac', 'rate')]).toEqual([null, null]);
    expect(at('answer-times', 'answered', 'median')).toBeNull();
    // No count anywhere from 1 to 4.
    for (const table of body.tables as Table[]) {
      for (const row of [...table.rows, ...(table.total ? [table.total] : [])]) {
        row.values.forEach((v, i) => {
          if (table.columns[i]!.unit === 'count' && v !== null) expect(v === 0 || v >= 5, `${table.id}`).toBe(true);
        });
      }
    }
  });

  it('a provider manager cannot ask for another organisation; a caseworker and a call handler get no reports', async () => {
    expect((await as('managerA').get(`/api/v1/reports?organisationId=${p.orgs.providerB}`)).status).toBe(403);
    expect((await as('managerA').get(`/api/v1/reports?serviceId=${services['Brookside counselling']}`)).status).toBe(403);
    expect((await as('caseworkerA').get('/api/v1/reports')).status).toBe(403);
    expect((await as('handler').get('/api/v1/reports')).status).toBe(403);
  });

  it('bad periods are refused naming the field, and nothing is audited as viewed', async () => {
    const before = await auditCount(t.database, { action: 'report.view' });
    const cases: Array<[string, string]> = [
      ['period=custom&from=2026-07-01', 'to'],
      ['period=custom&to=2026-07-01', 'from'],
      ['period=custom&from=2026-07-02&to=2026-07-01', 'to'],
      ['period=month&from=2026-07-01', 'from'],
      ['period=custom&from=2020-01-01&to=2026-01-01', 'to'],
      ['period=fortnight', 'period'],
      ['date=2026-02-30', 'date'],
      ['riskLevel=extreme', 'riskLevel'],
    ];
    for (const [query, field] of cases) {
      const answer = await as('coordinator').get(`/api/v1/reports?${query}`);
      expect(answer.status, query).toBe(400);
      expect(JSON.stringify(answer.body.errors), query).toContain(field);
    }
    expect(await auditCount(t.database, { action: 'report.view' })).toBe(before);
  });

  it('periods: week from Monday, month, quarter, financial year', async () => {
    const period = async (q: string) => (await as('coordinator').get(`/api/v1/reports?${q}`)).body.period;
    expect(await period('period=week&date=2026-07-02')).toMatchObject({ from: '2026-06-29', to: '2026-07-05' });
    expect(await period('period=month&date=2026-02-10')).toMatchObject({ from: '2026-02-01', to: '2026-02-28' });
    expect(await period('period=quarter&date=2026-08-10')).toMatchObject({ from: '2026-07-01', to: '2026-09-30', name: expect.stringContaining('Q2 2026/27') });
    expect(await period('period=year&date=2026-02-10')).toMatchObject({ from: '2025-04-01', to: '2026-03-31' });
  });
});

describe('CSV', () => {
  it('each table downloads as CSV, "<5" where suppressed; the quarterly return is one long CSV; both audited as exports', async () => {
    const before = await auditCount(t.database, { action: 'report.export' });
    const risk = await as('commissioner').get(`/api/v1/reports/tables/risk.csv?${Q3}`);
    expect(risk.status).toBe(200);
    expect(risk.headers.get('content-type')).toContain('text/csv');
    expect(risk.text.split('\r\n')).toEqual(['Risk level,Contacts', 'Standard,<5', 'Medium,<5', 'High,<5', 'Not assessed,<5', 'Total,7', '']);
    const own = await as('managerA').get(`/api/v1/reports/tables/risk.csv?${Q3}`);
    expect(own.text).toContain('High,2\r\n');
    expect((await as('managerA').get(`/api/v1/reports/tables/nonsense.csv?${Q3}`)).status).toBe(404);

    const quarterly = await as('commissioner').get('/api/v1/reports/quarterly-return.csv?date=2026-08-01');
    expect(quarterly.status).toBe(200);
    const lines = quarterly.text.trim().split('\r\n');
    expect(lines[0]).toBe('period_from,period_to,table,row,column,value');
    expect(lines).toContain('2026-07-01,2026-09-30,Risk at contact,Total,Contacts,7');
    expect(lines).toContain('2026-07-01,2026-09-30,Risk at contact,High,Contacts,<5');
    expect(await auditCount(t.database, { action: 'report.export' })).toBe(before + 3);
  });
});

describe('safe caseloads', () => {
  it("an IDVA service over its safe caseload says so in pathway proposals (the partnership's setting, people per caseworker in 12 months)", async () => {
    await sql`update partnerships set settings = settings || '{"safeCaseload": {"low": 1, "high": 1}}'::jsonb where id = ${p.id}`.execute(t.database.db);
    const daysAgo = (days: number) => new Date(Date.now() - days * 86_400_000).toISOString();
    // Held in the last 12 months: two closed a month ago and one still open; one closed 13 months ago is not.
    for (const [personId, closedAt] of [[await person(), daysAgo(30)], [await person(), daysAgo(30)], [await person(), null], [await person(), daysAgo(400)]] as const) {
      const id = randomUUID();
      const closed = closedAt ? { state: 'closed', closed_at: closedAt, closed_by: p.users.handler.id, closure_reason: 'support_completed' } : { state: 'open' };
      await t.database.db
        .insertInto('cases')
        .values({ id, partnership_id: p.id, organisation_id: p.orgs.providerA, person_id: personId, reference: `CASE-${id.slice(0, 8)}`, caseworker_id: p.users.caseworkerA.id, opened_by: p.users.handler.id, opened_at: daysAgo(500), ...closed } as never)
        .execute();
    }
    const created = await as('handler').post('/api/v1/contacts', { channel: 'phone', callerType: 'victim', immediateDanger: 'no', person: { postcode: 'XB2 1AA', dateOfBirth: '1990-01-01', gender: 'female' } });
    expect(created.status).toBe(201);
    const answers = Object.fromEntries(Array.from({ length: 24 }, (_, i) => [`q${String(i + 1).padStart(2, '0')}`, i < 15 ? 'yes' : 'no']));
    expect((await as('handler').post(`/api/v1/contacts/${created.body.id}/risk-assessments`, { answers })).status).toBe(201);
    const pathways = await as('handler').get(`/api/v1/contacts/${created.body.id}/pathways`);
    expect(pathways.status).toBe(200);
    const idva = pathways.body.proposals.find((x: { serviceName: string }) => x.serviceName === 'IDVA service');
    expect(idva.caseload).toEqual({ perCaseworker: 3, caseworkers: 1, safeLow: 1, safeHigh: 1, over: true });
    // Other kinds of service carry no caseload.
    expect(pathways.body.proposals.filter((x: { caseload?: unknown }) => x.caseload).map((x: { kind: string }) => x.kind)).toEqual(['idva']);
  });
});

describe('previous contact (kept by the database for repeat victims)', () => {
  it('follows contacts recorded out of order, linked late, moved to another person and unlinked', async () => {
    const v = await person();
    const w = await person();
    const previous = async (id: string) =>
      (await t.database.db.selectFrom('contacts').select('previous_contact_at').where('id', '=', id).executeTakeFirstOrThrow()).previous_contact_at?.toISOString() ?? null;
    const link = (id: string, personId: string | null) => t.database.db.updateTable('contacts').set({ person_id: personId }).where('id', '=', id).execute();
    const march = await contact('2024-03-01T10:00:00Z', { personId: v });
    const may = await contact('2024-05-01T10:00:00Z', { personId: v });
    expect(await previous(march)).toBeNull();
    expect(await previous(may)).toBe('2024-03-01T10:00:00.000Z');
    // Recorded late, between the two: May's previous contact is now April.
    const april = await contact('2024-04-01T10:00:00Z', { personId: v });
    expect(await previous(april)).toBe('2024-03-01T10:00:00.000Z');
    expect(await previous(may)).toBe('2024-04-01T10:00:00.000Z');
    // April was someone else: moved, both people's contacts are set again.
    await link(april, w);
    expect(await previous(april)).toBeNull();
    expect(await previous(may)).toBe('2024-03-01T10:00:00.000Z');
    // A contact linked after it was recorded finds its person's previous contact.
    const june = await contact('2024-06-01T10:00:00Z');
    expect(await previous(june)).toBeNull();
    await link(june, v);
    expect(await previous(june)).toBe('2024-05-01T10:00:00.000Z');
    // Unlinked: it has none, and the next one's previous contact skips it.
    await link(may, null);
    expect(await previous(may)).toBeNull();
    expect(await previous(june)).toBe('2024-03-01T10:00:00.000Z');

    // What reports need of the person rides on each contact: set on linking, followed when the answers change, gone on unlinking.
    const facts = async (id: string) =>
      (await sql<{ person_role: string | null; person_sex: string | null }>`select person_role, person_sex from contacts where id = ${id}`.execute(t.database.db)).rows[0];
    await t.database.db.updateTable('people').set({ sex: 'female' } as never).where('id', '=', v).execute();
    expect(await facts(june)).toEqual({ person_role: 'victim', person_sex: 'female' });
    expect(await facts(march)).toEqual({ person_role: 'victim', person_sex: 'female' });
    expect(await facts(april)).toEqual({ person_role: 'victim', person_sex: null });
    expect(await facts(may)).toEqual({ person_role: null, person_sex: null });
    await link(may, v);
    expect(await facts(may)).toEqual({ person_role: 'victim', person_sex: 'female' });
  });
});

describe('people counted at their first contact of the period', () => {
  it('unfiltered (by previous contact) as filtered (by sorting): each person once, ties in time included', async () => {
    const [v, w, x] = [await person(), await person(), await person()];
    await contact('2023-01-10T10:00:00Z', { personId: v });
    await contact('2023-04-02T10:00:00Z', { personId: v });
    await contact('2023-04-02T10:00:00Z', { personId: v, channel: 'email' });
    await contact('2023-05-01T10:00:00Z', { personId: v });
    await contact('2023-04-05T10:00:00Z', { personId: w });
    await contact('2023-06-30T22:30:00Z', { personId: w }); // 23:30 in London: still June
    await contact('2022-01-01T10:00:00Z', { personId: x });
    await contact('2023-04-10T10:00:00Z', { personId: x });
    await contact('2023-07-01T10:00:00Z', { personId: x });
    const { measureForTest } = await import('./reports-raw.js');
    const unfiltered = await measureForTest(t.database, p.id, '2023-04-01', '2023-06-30');
    // v had contact within the 12 months before (January); x not (over a year before).
    expect(unfiltered.repeats).toMatchObject({ people: 3, repeats: 1 });
    expect(unfiltered.equality.age).toEqual([{ key: 'not_recorded', n: 3 }]);
    // A filter every contact here matches takes the sorting path: the same figures.
    const sorted = await measureForTest(t.database, p.id, '2023-04-01', '2023-06-30', { callerType: 'victim' });
    expect(sorted.repeats).toMatchObject({ people: 3, repeats: 1 });
    expect(sorted.equality).toEqual(unfiltered.equality);
  });
});

describe('implausible ages', () => {
  it('counts a person whose recorded birth is over 200 years before their contact as 65 and over, not a server error (the fuzzer found it)', async () => {
    const q = await createPartnership(t.database);
    const asQ = (persona: keyof Partnership['users']) => t.client.as(q.users[persona].token);
    const created = await asQ('handler').post('/api/v1/contacts', { channel: 'phone', callerType: 'victim', immediateDanger: 'no', person: { name: 'Very Old', dateOfBirth: '1750-06-01' } });
    expect(created.status).toBe(201);
    expect((await asQ('handler').post(`/api/v1/contacts/${created.body.id}/person`)).status).toBe(201);
    const report = await asQ('coordinator').get(`/api/v1/reports?period=month&organisationId=${q.orgs.hub}`);
    expect(report.status).toBe(200);
    const age = report.body.tables.find((x: { id: string }) => x.id === 'equality-age');
    expect(age.rows.find((r: { key: string }) => r.key === '65_plus').values).toEqual([1]);
  });
});
