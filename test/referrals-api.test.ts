/** Pathways and referrals over HTTP (SPEC §2 steps 6–11): tell it once, nothing lost, safe contact enforced. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { raiseDueEscalations } from '../src/modules/referrals/escalations.js';
import { isNearBreach, NEAR_BREACH_MINUTES, nearBreach } from '../src/modules/referrals/store.js';
import { addDirectory, createPartnership, dashAnswers, newContact, startApp, type Partnership, type TestApp } from './harness.js';

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

const SAFE = {
  phones: [{ number: '07700 900111', callSafe: true, textSafe: false, voicemailSafe: false }],
  safeTimes: [{ days: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'], from: '10:00', to: '15:00' }],
};

async function highRiskContact(by: keyof Partnership['users'] = 'handler', extra: Record<string, unknown> = {}) {
  const contact = await as(by).post('/api/v1/contacts', newContact({
    person: { name: 'Riley Referred', dateOfBirth: '1990-01-01', gender: 'female', postcode: 'XB2 3CD' },
    safeContact: SAFE,
    children: [{ name: 'Kit Referred', dateOfBirth: '2020-05-05' }],
    perpetrators: [{ name: 'Pat Harmful' }],
    summary: 'Tell it once: the whole story.',
    ...extra,
  }));
  expect(contact.status).toBe(201);
  const assessment = await as('handler').post(`/api/v1/contacts/${contact.body.id}/risk-assessments`, { answers: dashAnswers(15) });
  expect(assessment.status).toBe(201);
  return contact.body.id as string;
}

async function refer(contactId: string, serviceNames: string[], extra: Record<string, unknown> = {}, headers: Record<string, string> = {}) {
  return as('handler').post(
    `/api/v1/contacts/${contactId}/referrals`,
    { referrals: serviceNames.map((name) => ({ serviceId: services[name] })), consent: 'given', ...extra },
    headers,
  );
}

describe('pathways', () => {
  it('proposes IDVA, MARAC and children’s services for high risk with children, each explained', async () => {
    const id = await highRiskContact();
    const answer = await as('handler').get(`/api/v1/contacts/${id}/pathways`);
    expect(answer.status).toBe(200);
    expect(answer.body.riskLevel).toBe('high');
    const kinds = [...new Set(answer.body.proposals.map((p: { kind: string }) => p.kind))].sort();
    expect(kinds).toEqual(['childrens_social_care', 'idva', 'marac']);
    const idva = answer.body.proposals.find((x: { kind: string }) => x.kind === 'idva');
    expect(idva).toMatchObject({ ruleId: 'high-risk', capacity: { status: 'open' } });
    expect(idva.checks.every((c: { passed: boolean }) => c.passed)).toBe(true);
    expect(Date.parse(idva.deadlines.acknowledgeBy)).toBeLessThan(Date.parse(idva.deadlines.firstContactBy));
    expect(answer.body.excluded.length).toBeGreaterThan(0);
  });

  it('lets a coordinator change the rules as data, and the proposals follow', async () => {
    const id = await highRiskContact();
    const rules = (await as('coordinator').get('/api/v1/pathways/rules')).body.rules;
    const changed = rules.map((r: { id: string; propose: string[] }) => (r.id === 'high-risk' ? { ...r, propose: ['idva'] } : r));
    expect((await as('handler').put('/api/v1/pathways/rules', { rules: changed })).status).toBe(403);
    const saved = await as('coordinator').put('/api/v1/pathways/rules', { rules: changed });
    expect(saved.status).toBe(200);
    const kinds = (await as('handler').get(`/api/v1/contacts/${id}/pathways`)).body.proposals.map((x: { kind: string }) => x.kind);
    expect(kinds).not.toContain('marac');
    await as('coordinator').put('/api/v1/pathways/rules', { rules });
  });
});

describe('referrals', () => {
  it('sends several referrals in one request; the receiver sees the whole contact and its assessment, and only the receiver', async () => {
    const id = await highRiskContact();
    const missingReason = await refer(id, ['IDVA service', 'Brookside counselling']);
    expect(missingReason.status).toBe(422);
    expect(missingReason.body.errors).toEqual([expect.objectContaining({ field: '/referrals/1/reason' })]);

    const sent = await as('handler').post(`/api/v1/contacts/${id}/referrals`, {
      referrals: [{ serviceId: services['IDVA service'] }, { serviceId: services['Castlebrook MARAC'] }],
      consent: 'refused',
      lawfulBasis: 'Serious risk of harm: high risk on the DASH RIC',
    });
    expect(sent.status).toBe(201);
    expect(sent.body.referrals).toHaveLength(2);
    const idva = sent.body.referrals.find((r: { serviceName: string }) => r.serviceName === 'IDVA service');
    expect(idva).toMatchObject({ state: 'sent', riskLevel: 'high', ruleId: 'high-risk', consent: 'refused', organisationId: p.orgs.providerA });
    expect(idva.clocks.acknowledge.breached).toBe(false);
    expect(idva.clocks.acknowledge.minutesRemaining).toBeGreaterThan(0);

    const inbox = await as('caseworkerA').get('/api/v1/referrals');
    expect(inbox.body.items.map((r: { id: string }) => r.id)).toContain(idva.id);
    const pack = await as('caseworkerA').get(`/api/v1/referrals/${idva.id}`);
    expect(pack.status).toBe(200);
    expect(pack.body.contact.summary).toBe('Tell it once: the whole story.');
    expect(pack.body.contact.children).toHaveLength(1);
    expect(pack.body.assessment.level).toBe('high');
    expect((await as('caseworkerA').get(`/api/v1/contacts/${id}`)).status).toBe(200);

    expect((await as('caseworkerB').get(`/api/v1/referrals/${idva.id}`)).status).toBe(404);
    expect((await as('caseworkerB').get('/api/v1/referrals')).body.items.map((r: { id: string }) => r.id)).not.toContain(idva.id);
    expect((await as('caseworkerB').post(`/api/v1/referrals/${idva.id}/transitions`, { to: 'accepted' })).status).toBe(404);
  });

  it('lists the inbox soonest open deadline first, nothing due last, the same across pages and by state', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      const sent = await refer(await highRiskContact(), ['IDVA service']);
      expect(sent.status).toBe(201);
      ids.push(sent.body.referrals[0].id);
    }
    const [acknowledged, declined, untouched] = ids as [string, string, string];
    // The first is acknowledged (next due: its later first contact); the second declined (nothing due).
    expect((await as('caseworkerA').post(`/api/v1/referrals/${acknowledged}/transitions`, { to: 'acknowledged' })).status).toBe(200);
    expect((await as('caseworkerA').post(`/api/v1/referrals/${declined}/transitions`, { to: 'declined', reasonCode: 'no_capacity' })).status).toBe(200);

    type Item = { id: string; state: string; nextDueAt: string | null };
    const items: Item[] = (await as('caseworkerA').get('/api/v1/referrals?perPage=100')).body.items;
    const due = items.map((r) => (r.nextDueAt === null ? Infinity : Date.parse(r.nextDueAt)));
    expect(due).toEqual([...due].sort((a, b) => a - b));
    const position = (id: string) => items.findIndex((r) => r.id === id);
    expect(position(untouched)).toBeLessThan(position(acknowledged));
    expect(items[position(declined)]?.nextDueAt).toBeNull();
    expect(position(declined)).toBeGreaterThan(position(acknowledged));

    const paged: string[] = [];
    for (let page = 1; page <= items.length; page++) paged.push(...(await as('caseworkerA').get(`/api/v1/referrals?perPage=1&page=${page}`)).body.items.map((r: Item) => r.id));
    expect(paged).toEqual(items.map((r) => r.id));
    const declinedOnes: Item[] = (await as('caseworkerA').get('/api/v1/referrals?state=declined')).body.items;
    expect(declinedOnes.map((r) => r.id)).toContain(declined);
    expect(declinedOnes.every((r) => r.state === 'declined')).toBe(true);
  });

  it('calls a referral near breach, in the queues and on the dashboard alike, when its next deadline is under two hours off and not past', async () => {
    const sent = await refer(await highRiskContact(), ['IDVA service']);
    const id: string = sent.body.referrals[0].id;
    const near = async (minutesAhead: number) => {
      await sql`update referrals set acknowledge_due_at = now() + make_interval(mins => ${minutesAhead}) where id = ${id}`.execute(t.database.db);
      const { rows } = await sql<{ near: boolean; next_due_at: Date }>`select ${nearBreach} as near, r.next_due_at from referrals r where r.id = ${id}`.execute(t.database.db);
      const row = rows[0]!;
      expect(isNearBreach(row.next_due_at)).toBe(row.near);
      return row.near;
    };
    expect(await near(90)).toBe(true);
    expect(await near(NEAR_BREACH_MINUTES + 30)).toBe(false);
    expect(await near(-10)).toBe(false);
  });

  it('needs a lawful basis when consent is not given', async () => {
    const id = await highRiskContact();
    const answer = await refer(id, ['IDVA service'], { consent: 'not_asked' });
    expect(answer.status).toBe(422);
    expect(answer.body.errors[0].field).toBe('/lawfulBasis');
  });

  it('refuses a second live referral to the same service', async () => {
    const id = await highRiskContact();
    expect((await refer(id, ['IDVA service'])).status).toBe(201);
    const again = await refer(id, ['IDVA service']);
    expect(again.status).toBe(409);
  });

  it('answers an invalid transition with 409 listing the allowed ones', async () => {
    const id = await highRiskContact();
    const referral = (await refer(id, ['IDVA service'])).body.referrals[0];
    const answer = await as('caseworkerA').post(`/api/v1/referrals/${referral.id}/transitions`, { to: 'engaged' });
    expect(answer.status).toBe(409);
    expect(answer.body.allowed).toEqual(['acknowledged', 'accepted', 'declined', 'redirected', 'withdrawn']);
  });

  it('walks the lifecycle, keeping every step as an event', async () => {
    const id = await highRiskContact();
    const referral = (await refer(id, ['IDVA service'])).body.referrals[0];
    const move = (to: string, extra = {}) => as('caseworkerA').post(`/api/v1/referrals/${referral.id}/transitions`, { to, ...extra });
    expect((await move('acknowledged')).body.clocks.acknowledge.metAt).not.toBeNull();
    expect((await move('accepted')).body.state).toBe('accepted');
    const attempt = await as('caseworkerA').post(`/api/v1/referrals/${referral.id}/contact-attempts`, { channel: 'phone_call', number: '07700 900111', outcome: 'reached' });
    expect(attempt.status).toBe(201);
    expect(attempt.body.referral.state).toBe('first_contact_attempted');
    expect(attempt.body.referral.clocks.firstContact.metAt).not.toBeNull();
    expect((await move('engaged')).body.state).toBe('engaged');
    expect((await move('closed')).status).toBe(422);
    expect((await move('closed', { reasonCode: 'support_completed', reasonText: 'Safety plan in place' })).body.state).toBe('closed');
    const history = await as('handler').get(`/api/v1/referrals/${referral.id}/history`);
    expect(history.body.events.map((e: { to: string }) => e.to)).toEqual(['sent', 'acknowledged', 'accepted', 'first_contact_attempted', 'engaged', 'closed']);
  });

  it('refuses a contact attempt on a channel not marked safe, naming the rule, and records nothing', async () => {
    const id = await highRiskContact();
    const referral = (await refer(id, ['IDVA service'])).body.referrals[0];
    await as('caseworkerA').post(`/api/v1/referrals/${referral.id}/transitions`, { to: 'accepted' });
    for (const channel of ['text', 'voicemail', 'email', 'letter']) {
      const refused = await as('caseworkerA').post(`/api/v1/referrals/${referral.id}/contact-attempts`, { channel, outcome: 'message_left' });
      expect(refused.status, channel).toBe(422);
      expect(refused.body.errors[0].field).toBe('/channel');
      expect(refused.body.errors[0].message).toMatch(/safe-contact rule/);
    }
    const otherNumber = await as('caseworkerA').post(`/api/v1/referrals/${referral.id}/contact-attempts`, { channel: 'phone_call', number: '07700 900999', outcome: 'reached' });
    expect(otherNumber.status).toBe(422);
    const pack = await as('caseworkerA').get(`/api/v1/referrals/${referral.id}`);
    expect(pack.body.attempts).toEqual([]);
    expect(pack.body.referral.state).toBe('accepted');
  });

  it('returns a declined referral to the SPOC re-routing queue, and re-routes it', async () => {
    const id = await highRiskContact();
    const referral = (await refer(id, ['IDVA service'])).body.referrals[0];
    const declined = await as('caseworkerA').post(`/api/v1/referrals/${referral.id}/transitions`, { to: 'declined', reasonCode: 'no_capacity', reasonText: 'Caseload full this week' });
    expect(declined.body.state).toBe('declined');
    const queue = await as('handler').get('/api/v1/rerouting-queue');
    expect(queue.body.map((r: { id: string }) => r.id)).toContain(referral.id);
    const rerouted = await as('handler').post(`/api/v1/referrals/${referral.id}/reroute`, { serviceId: services['Community outreach'], reason: 'IDVA full: outreach meanwhile' });
    expect(rerouted.status).toBe(200);
    expect(rerouted.body.referrals[0]).toMatchObject({ replacesReferralId: referral.id, state: 'sent', addedReason: 'IDVA full: outreach meanwhile' });
    expect((await as('handler').get('/api/v1/rerouting-queue')).body.map((r: { id: string }) => r.id)).not.toContain(referral.id);
    expect((await as('handler').post(`/api/v1/referrals/${referral.id}/reroute`, { reason: 'again' })).status).toBe(409);
  });

  it('makes one referral for a retried request with the same Idempotency-Key', async () => {
    const id = await highRiskContact();
    const key = `retry-${id}`;
    const [first, second] = await Promise.all([refer(id, ['IDVA service'], {}, { 'idempotency-key': key }), refer(id, ['IDVA service'], {}, { 'idempotency-key': key })]);
    const third = await refer(id, ['IDVA service'], {}, { 'idempotency-key': key });
    expect([first.status, second.status, third.status]).toEqual([201, 201, 201]);
    expect(second.body).toEqual(first.body);
    expect(third.body).toEqual(first.body);
    expect(third.headers.get('idempotent-replayed')).toBe('true');
    const count = await t.database.db.selectFrom('referrals').select((eb) => eb.fn.countAll<number>().as('n')).where('contact_id', '=', id).executeTakeFirstOrThrow();
    expect(Number(count.n)).toBe(1);
    const misuse = await refer(id, ['Castlebrook MARAC'], {}, { 'idempotency-key': key });
    expect(misuse.status).toBe(422);
    expect(misuse.body.errors[0].field).toBe('header/idempotency-key');
  });

  it('tells the referring professional what happened, without case notes', async () => {
    const id = await highRiskContact('professional', { channel: 'professional_referral', callerType: 'professional' });
    const referral = (await refer(id, ['IDVA service'])).body.referrals[0];
    await as('caseworkerA').post(`/api/v1/referrals/${referral.id}/transitions`, { to: 'declined', reasonCode: 'already_open', reasonText: 'Known to us: case notes say more' });
    const mine = await as('professional').get(`/api/v1/contacts/${id}/referrals`);
    expect(mine.body.map((r: { state: string }) => r.state)).toEqual(['declined']);
    const history = await as('professional').get(`/api/v1/referrals/${referral.id}/history`);
    expect(history.status).toBe(200);
    expect(history.body.events.map((e: { to: string; reasonCode: string | null }) => [e.to, e.reasonCode])).toEqual([['sent', null], ['declined', 'already_open']]);
    expect(history.text).not.toContain('case notes say more');
    expect((await as('professional').get(`/api/v1/referrals/${referral.id}`)).status).toBe(404);
    expect((await as('professional2').get(`/api/v1/referrals/${referral.id}/history`)).status).toBe(404);
  });

  it('sends a perpetrator seeking help to the behaviour-change programme only, with no victim data', async () => {
    const contact = await as('handler').post('/api/v1/contacts', newContact({
      callerType: 'perpetrator',
      person: { name: 'Sam Seeking', gender: 'male', postcode: 'XB1 1AA' },
      safeContact: SAFE,
      perpetrators: [{ name: 'Victim Name Hidden' }],
      children: [{ name: 'Child Name Hidden' }],
      summary: 'Partner’s address is 1 Hidden Road',
    }));
    const id = contact.body.id;
    const pathways = await as('handler').get(`/api/v1/contacts/${id}/pathways`);
    expect(pathways.body.proposals.map((x: { kind: string }) => x.kind)).toEqual(['perpetrator_programme']);
    const wrong = await refer(id, ['IDVA service'], { referrals: [{ serviceId: services['IDVA service'], reason: 'try' }] });
    expect(wrong.status).toBe(422);
    const sent = await refer(id, ['Turning Point behaviour-change programme']);
    expect(sent.status).toBe(201);
    const pack = await as('caseworkerB').get(`/api/v1/referrals/${sent.body.referrals[0].id}`);
    expect(pack.status).toBe(200);
    expect(pack.body.contact.person.name).toBe('Sam Seeking');
    for (const hidden of ['Victim Name Hidden', 'Child Name Hidden', 'Hidden Road']) expect(pack.text).not.toContain(hidden);
    expect(pack.body.assessment).toBeNull();
    expect((await as('caseworkerB').get(`/api/v1/contacts/${id}`)).status).toBe(404);
  });
});

describe('response clocks that run out', () => {
  it('raise one escalation per breached clock, however often the check runs', async () => {
    const id = await highRiskContact();
    const referral = (await refer(id, ['IDVA service'])).body.referrals[0];
    await t.database.db
      .updateTable('referrals')
      .set({ acknowledge_due_at: new Date(Date.now() - 60_000), first_contact_due_at: new Date(Date.now() - 30_000) })
      .where('id', '=', referral.id)
      .execute();
    await raiseDueEscalations(t.database.db);
    await raiseDueEscalations(t.database.db);
    const rows = await t.database.db.selectFrom('escalations').select(['clock']).where('referral_id', '=', referral.id).orderBy('clock').execute();
    expect(rows.map((r) => r.clock)).toEqual(['acknowledge', 'first_contact']);
    const list = await as('coordinator').get('/api/v1/escalations');
    expect(list.body.filter((e: { referralId: string }) => e.referralId === referral.id)).toHaveLength(2);
    const view = await as('caseworkerA').get(`/api/v1/referrals/${referral.id}`);
    expect(view.body.referral.clocks.acknowledge.breached).toBe(true);
    // A clock met in time raises nothing.
    const other = (await refer(await highRiskContact(), ['IDVA service'])).body.referrals[0];
    await as('caseworkerA').post(`/api/v1/referrals/${other.id}/transitions`, { to: 'acknowledged' });
    await t.database.db.updateTable('referrals').set({ acknowledge_due_at: new Date(Date.now() - 60_000) }).where('id', '=', other.id).execute();
    await raiseDueEscalations(t.database.db);
    expect(await t.database.db.selectFrom('escalations').select('id').where('referral_id', '=', other.id).execute()).toEqual([]);
  });
});
