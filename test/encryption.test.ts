/**
 * Application-layer encryption (issue 9; docs/encryption.md): what is sealed in the
 * database, read back in clear through the API, phone numbers matched by keyed hash, and
 * a key rotation from one key to another that leaves everything readable under the new key
 * alone. On a database of its own: the rotation walks every row.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encryptionKeys } from '../src/config.js';
import { inTransaction } from '../src/db/transaction.js';
import { activeKeyring, makeKeyring, useKeyring, type Keyring } from '../src/lib/crypto.js';
import { systemActor } from '../src/modules/access/service.js';
import { casePerpetratorNumberMatches } from '../src/modules/cases/service.js';
import { perpetratorNumberMatches } from '../src/modules/contacts/service.js';
import { rotateEncryption } from '../src/modules/encryption/rotation.js';
import { addDirectory, auditCount, createPartnership, dashAnswers, emptyDatabase, newContact, startApp, type Partnership, type TestApp } from './harness.js';

let t: TestApp;
let p: Partnership;
let services: Record<string, string>;
let drop: () => Promise<void>;
const as = (persona: keyof Partnership['users']) => t.client.as(p.users[persona].token);
const original: Keyring = activeKeyring();
const keyA = original.current;
const keyB = { id: 'b', key: randomBytes(32) };

beforeAll(async () => {
  const empty = await emptyDatabase();
  drop = empty.drop;
  t = await startApp(empty.database);
  p = await createPartnership(t.database);
  services = await addDirectory(t.database, p);
});
afterAll(async () => {
  useKeyring(original);
  await t.close();
  await drop();
});

const ACCOUNT = 'He followed her home from work and said he would find her wherever she went.';
const SAFE_ADDRESS = 'c/o 14 Example Terrace, Castlebrook XB2 1AA';
const NOTE = 'She is staying with her sister on Example Lane until the locks are changed.';
const PLAN = 'Keep the bag at the neighbour’s; the code word is “bluebell”.';
const ADDRESS = '22 Example Gardens, Castlebrook';

/** A contact about someone, assessed, referred to the IDVA service and accepted: the case it opens. */
async function caseFor(contact: Record<string, unknown>): Promise<{ contactId: string; caseId: string }> {
  const created = await as('handler').post('/api/v1/contacts', newContact(contact));
  expect(created.status).toBe(201);
  const contactId = created.body.id as string;
  expect((await as('handler').post(`/api/v1/contacts/${contactId}/risk-assessments`, { answers: dashAnswers(15) })).status).toBe(201);
  const sent = await as('handler').post(`/api/v1/contacts/${contactId}/referrals`, { referrals: [{ serviceId: services['IDVA service'] }], consent: 'given' });
  expect(sent.status).toBe(201);
  const accepted = await as('caseworkerA').post(`/api/v1/referrals/${sent.body.referrals[0].id}/transitions`, { to: 'accepted' });
  expect(accepted.status).toBe(200);
  return { contactId, caseId: accepted.body.caseId };
}

/** Every stored value of the encrypted columns, as text, for the checks on what the database holds. */
async function storedText(): Promise<string> {
  const db = t.database.db;
  const rows = [
    ...(await db.selectFrom('contacts').select(['summary', 'safe_contact', 'perpetrators']).where('partnership_id', '=', p.id).execute()),
    ...(await db.selectFrom('case_notes').select('body').execute()),
    ...(await db.selectFrom('safety_plans').select('content').execute()),
    ...(await db.selectFrom('case_perpetrators').select(['phones', 'phone_digits', 'addresses']).execute()),
    ...(await db.selectFrom('people').select('phone_digits').execute()),
    ...(await db.selectFrom('cases').select('closure_note').execute()),
  ];
  return JSON.stringify(rows);
}

let first: { contactId: string; caseId: string };
let second: { contactId: string; caseId: string };
let templateId: string;

describe('what is sealed', () => {
  it('keeps the account, the safe address, notes, safety plans, addresses and numbers out of the database in clear, and shows them to those who may read them', async () => {
    first = await caseFor({
      person: { name: 'Robin Sealed', dateOfBirth: '1990-02-02', postcode: 'XB2 1AA', phones: ['07700 900321'] },
      safeContact: { safeAddress: SAFE_ADDRESS, whoTheyFear: 'Her former partner', phones: [{ number: '07700 900321', callSafe: true, textSafe: false, voicemailSafe: false }] },
      perpetrators: [{ name: 'Alleged Sealed', phones: ['07700 900654'], relationship: 'former_partner' }],
      summary: ACCOUNT,
    });
    const cw = as('caseworkerA');
    expect((await cw.post(`/api/v1/cases/${first.caseId}/notes`, { body: NOTE })).status).toBe(201);
    templateId = (await cw.get('/api/v1/safety-plan-templates')).body[0].id;
    const soon = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
    expect((await cw.post(`/api/v1/cases/${first.caseId}/safety-plans`, { templateId, sections: { immediate_steps: PLAN }, reviewOn: soon })).status).toBe(201);
    expect((await cw.post(`/api/v1/cases/${first.caseId}/perpetrators`, { relationship: 'former_partner', name: 'Pat Sealed', phones: ['+44 7700 900777'], addresses: [ADDRESS] })).status).toBe(201);

    const raw = await t.database.db.selectFrom('contacts').select(['summary', 'safe_contact', 'perpetrators']).where('id', '=', first.contactId).executeTakeFirstOrThrow();
    expect(raw.summary).toMatch(new RegExp(`^enc:v1:${keyA.id}:`));
    expect(raw.safe_contact).toMatchObject({ safeAddress: expect.stringMatching(/^enc:v1:/), whoTheyFear: expect.stringMatching(/^enc:v1:/) });
    expect(raw.perpetrators).toEqual([expect.objectContaining({ phones: [expect.stringMatching(/^enc:v1:/)], phoneHashes: [expect.stringMatching(/^h1:/)] })]);
    const stored = await storedText();
    for (const secret of [ACCOUNT, SAFE_ADDRESS, NOTE, PLAN, ADDRESS, 'Example', 'bluebell', '900654', '900777']) expect(stored, secret).not.toContain(secret);
    // Kept in clear for search, matching and reports: the name, the postcode, the person's numbers on the contact.
    expect(await t.database.db.selectFrom('contacts').select('person').where('id', '=', first.contactId).executeTakeFirstOrThrow()).toEqual({ person: expect.objectContaining({ name: 'Robin Sealed', postcode: 'XB2 1AA' }) });

    await expectReadable(first);
  });

  it('matches a person by phone number through its keyed hash, however the number is written', async () => {
    second = await caseFor({ person: { phones: ['+44 7700 900321'] } });
    const matches = await as('handler').get(`/api/v1/contacts/${second.contactId}/matches`);
    expect(matches.status).toBe(200);
    const firstPerson = (await as('caseworkerA').get(`/api/v1/cases/${first.caseId}/person`)).body;
    expect(firstPerson.phoneDigits).toEqual(['447700900321']);
    expect(matches.body.candidates).toEqual(expect.arrayContaining([expect.objectContaining({ person: expect.objectContaining({ id: firstPerson.id }), reasons: expect.arrayContaining(['same phone number']) })]));
  });

  it('raises the perpetrator alert on a number recorded on a contact or a case, by its hash', async () => {
    expect(await alerts('07700 900654')).toEqual({ contacts: [first.contactId], cases: [] });
    expect(await alerts('07700900777')).toEqual({ contacts: [], cases: [first.contactId] });
    expect(await alerts('07700 900999')).toEqual({ contacts: [], cases: [] });
  });
});

/** The contacts the perpetrator alert finds for a number: through contacts' and cases' alleged perpetrators. */
async function alerts(number: string): Promise<{ contacts: string[]; cases: string[] }> {
  return inTransaction(t.database.db, null, async (tx) => {
    const actor = await systemActor(tx, p.id, 'telephony');
    return { contacts: await perpetratorNumberMatches(tx, actor, number), cases: await casePerpetratorNumberMatches(tx, actor, number) };
  });
}

/** Everything sealed above, read back through the API in clear. */
async function expectReadable(c: { contactId: string; caseId: string }): Promise<void> {
  const contact = await as('handler').get(`/api/v1/contacts/${c.contactId}`);
  expect(contact.status).toBe(200);
  expect(contact.body).toMatchObject({ summary: ACCOUNT, safeContact: { safeAddress: SAFE_ADDRESS, whoTheyFear: 'Her former partner' } });
  expect(contact.body.perpetrators).toEqual([{ name: 'Alleged Sealed', phones: ['07700 900654'], relationship: 'former_partner' }]);
  const cw = as('caseworkerA');
  expect((await cw.get(`/api/v1/cases/${c.caseId}/notes`)).body.map((n: { body: string }) => n.body)).toContain(NOTE);
  const kase = await cw.get(`/api/v1/cases/${c.caseId}`);
  expect(kase.status).toBe(200);
  expect(kase.body.safetyPlan.sections.find((s: { id: string }) => s.id === 'immediate_steps').text).toBe(PLAN);
  expect(kase.body.perpetrators).toEqual([expect.objectContaining({ name: 'Pat Sealed', phones: ['+44 7700 900777'], addresses: [ADDRESS] })]);
  expect((await cw.get(`/api/v1/cases/${c.caseId}/person`)).body.phoneDigits).toEqual(['447700900321']);
  const timeline = (await cw.get(`/api/v1/cases/${c.caseId}/timeline`)).body as Array<{ kind: string; detail: string }>;
  expect(timeline.find((e) => e.kind === 'note')?.detail).toBe(NOTE);
}

describe('key rotation', () => {
  it('moves everything from key A to key B, rows written before encryption included; after it, B alone reads everything', async () => {
    // A row written before encryption: its account and numbers in clear.
    const legacy = await caseFor({ person: { name: 'Legacy Plain' }, summary: 'placeholder' });
    await t.database.db.updateTable('contacts').set({ summary: 'Written before encryption.' }).where('id', '=', legacy.contactId).execute();
    const legacyPerson = (await as('caseworkerA').get(`/api/v1/cases/${legacy.caseId}/person`)).body.id as string;
    await t.database.db.updateTable('people').set({ phone_digits: ['447700900888'] }).where('id', '=', legacyPerson).execute();
    expect((await as('handler').get(`/api/v1/contacts/${legacy.contactId}`)).body.summary).toBe('Written before encryption.');

    // B alone cannot read what A sealed: the data really was under A.
    useKeyring(makeKeyring([keyB]));
    expect((await as('handler').get(`/api/v1/contacts/${first.contactId}`)).status).toBe(500);

    // Every process has B first and A still listed: then the rotation.
    const both = makeKeyring([keyB, keyA]);
    useKeyring(both);
    const seen: string[] = [];
    const result = await rotateEncryption(t.database, { encryptionKeys: both }, (progress) => seen.push(progress.table), 2);
    const changed = Object.fromEntries(result.map((r) => [r.table, r.changed]));
    expect(changed).toMatchObject({ case_notes: 1, safety_plans: 1, case_perpetrators: 1, cases: 0 });
    // Contacts: the first (sealed under A) and the legacy one (in clear); the second holds nothing to seal.
    expect(changed.contacts).toBe(2);
    expect(changed.people).toBe(3);
    expect(new Set(seen)).toEqual(new Set(['contacts', 'cases', 'case_notes', 'safety_plans', 'case_perpetrators', 'people']));
    expect(await auditCount(t.database, { action: 'encryption.rotate' })).toBeGreaterThan(0);

    // Safe to run again: nothing left to change.
    const again = await rotateEncryption(t.database, { encryptionKeys: both });
    expect(again.map((r) => r.changed)).toEqual(again.map(() => 0));

    // Nothing is under A, or in clear, any more.
    const stored = await storedText();
    expect(stored).not.toMatch(new RegExp(`(enc:v1|h1):${keyA.id}:`));
    expect(stored).not.toContain('Written before encryption');
    expect(stored).not.toContain('447700900888');
    // The append-only guard is back: a note still cannot be changed.
    await expect(t.database.db.updateTable('case_notes').set({ body: 'changed' }).execute()).rejects.toThrow(/append-only/);

    // B alone reads everything back, and the numbers still match.
    useKeyring(makeKeyring([keyB]));
    await expectReadable(first);
    expect((await as('handler').get(`/api/v1/contacts/${legacy.contactId}`)).body.summary).toBe('Written before encryption.');
    expect((await as('caseworkerA').get(`/api/v1/cases/${legacy.caseId}/person`)).body.phoneDigits).toEqual(['447700900888']);
    expect(await alerts('07700 900654')).toEqual({ contacts: [first.contactId], cases: [] });
    expect(await alerts('+447700900777')).toEqual({ contacts: [], cases: [first.contactId] });
    const matches = await as('handler').get(`/api/v1/contacts/${second.contactId}/matches`);
    expect(matches.body.candidates.map((c: { reasons: string[] }) => c.reasons)).toEqual(expect.arrayContaining([expect.arrayContaining(['same phone number'])]));
  });

  it('reads the keys from SPOC_ENCRYPTION_KEYS, the first writing', () => {
    const ring = encryptionKeys({ SPOC_ENCRYPTION_KEYS: `b:${keyB.key.toString('base64')},${keyA.id}:${keyA.key.toString('base64')}` });
    expect(ring.current.id).toBe('b');
    expect(ring.byId.get(keyA.id)?.key.equals(keyA.key)).toBe(true);
  });
});
