/** No personal data in logs: the log of a full contact creation holds none of the names or numbers used. */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPartnership, dashAnswers, startApp, type Partnership, type TestApp } from './harness.js';

let t: TestApp;
let p: Partnership;

beforeAll(async () => {
  t = await startApp();
  p = await createPartnership(t.database);
});
afterAll(() => t.close());

const personal = {
  victim: 'Harriet Loggable',
  otherName: 'Hattie Traceable',
  victimPhone: '07700 900321',
  postcode: 'XB4 7QT',
  child: 'Oliver Loggable',
  perpetrator: 'Victor Dangerous',
  perpetratorPhone: '07700 900654',
  email: 'hidden.mailbox@example.org',
  codeWord: 'marmalade',
  summary: 'He waits outside the school gates',
};

it('logs no names, numbers, addresses or notes while a contact is created, searched, changed and assessed', async () => {
  const client = t.client.as(p.users.handler.token);
  const created = await client.post('/api/v1/contacts', {
    channel: 'phone',
    callerType: 'victim',
    immediateDanger: 'yes',
    person: { name: personal.victim, otherNames: [personal.otherName], dateOfBirth: '1985-07-14', postcode: personal.postcode, phones: [personal.victimPhone] },
    safeContact: { phones: [{ number: personal.victimPhone, callSafe: true, textSafe: false, voicemailSafe: false }], safeEmail: personal.email, codeWord: personal.codeWord },
    children: [{ name: personal.child, dateOfBirth: '2018-01-02' }],
    perpetrators: [{ name: personal.perpetrator, phones: [personal.perpetratorPhone], relationship: 'current_partner' }],
    summary: personal.summary,
  });
  expect(created.status).toBe(201);
  const id = created.body.id;
  await client.get(`/api/v1/contacts?q=${encodeURIComponent(personal.victim)}`);
  await client.get(`/api/v1/contacts?q=${encodeURIComponent(personal.victimPhone)}`);
  await client.patch(`/api/v1/contacts/${id}`, { person: { name: personal.victim, postcode: 'bad postcode' } });
  await client.patch(`/api/v1/contacts/${id}`, { summary: `${personal.summary} again` });
  await client.post(`/api/v1/contacts/${id}/risk-assessments`, { answers: dashAnswers(15), professionalJudgement: { level: 'high', reason: personal.summary } });
  await client.post('/api/v1/contacts', `{"person": {"name": "${personal.victim}"`);

  const log = t.logs.join('');
  expect(t.logs.length).toBeGreaterThanOrEqual(7);
  expect(log).toContain('"route":"/api/v1/contacts/:id"');
  for (const value of Object.values(personal)) {
    expect(log).not.toContain(value);
    expect(log).not.toContain(value.replace(/\s/g, ''));
  }
  expect(log).not.toContain('Loggable');
});
