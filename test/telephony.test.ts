/// <reference lib="dom" />
/**
 * The one number over Twilio's real webhook contract: form-encoded POSTs with Twilio's own
 * parameter names, signed with the `twilio` package's signature helper exactly as Twilio
 * signs them, and TwiML answers read back.
 */
import twilio from 'twilio';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WORDS } from '../src/modules/telephony/twilio-routes.js';
import { demoToken } from '../src/seed/demo.js';
import { startDemoApp, type TestApp } from './harness.js';
import { browserMissing, expectAccessible, launch, newContext, signInAs } from './web/browser.js';
import { FormClient } from './web/http.js';

const TOKEN = 'test-auth-token-0123456789abcdef';
const PUBLIC_URL = 'https://spoc.example.org';
const ACCOUNT = 'AC00000000000000000000000000000000';

describe('the number, through Twilio webhooks', () => {
  let t: TestApp;
  let sequence = 0;
  /** The app's clock: the real one unless a test sets a moment. */
  let moment: Date | null = null;

  beforeAll(async () => {
    t = await startDemoApp({ twilioAuthToken: TOKEN, publicUrl: PUBLIC_URL }, () => moment ?? new Date());
  });
  afterAll(() => t?.close());

  /** Posts as Twilio does: the signature covers the public URL and every parameter. */
  async function twilioPost(path: string, params: Record<string, string>, signWith: string | null = TOKEN) {
    const url = `${PUBLIC_URL}/telephony/twilio/${path}`;
    const headers: Record<string, string> = { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'TwilioProxy/1.1' };
    if (signWith) headers['x-twilio-signature'] = twilio.getExpectedTwilioSignature(signWith, url, params);
    const response = await fetch(`${t.client.baseUrl}/telephony/twilio/${path}`, { method: 'POST', headers, body: new URLSearchParams(params).toString() });
    return { status: response.status, type: response.headers.get('content-type') ?? '', xml: await response.text() };
  }

  function newCall(from = '+447700900321') {
    sequence += 1;
    const CallSid = `CA${String(sequence).padStart(32, '0')}`;
    return { CallSid, AccountSid: ACCOUNT, From: from, To: '+441632960000', CallStatus: 'ringing', Direction: 'inbound', ApiVersion: '2010-04-01' };
  }

  /** The verbs of a TwiML answer, in order, with their text. */
  function verbs(xml: string): string[] {
    return [...xml.matchAll(/<(Say|Gather|Enqueue|Dial|Redirect|Leave|Hangup|Pause)\b[^>]*?(?:\/>|>([^<]*))/g)].map((m) => `${m[1]}${m[2] ? `: ${m[2]}` : ''}`);
  }

  async function setHours(openingHours: unknown[]) {
    await t.database.db
      .updateTable('partnerships')
      .set({ settings: sql`jsonb_set(settings, '{telephony}', ${JSON.stringify({ openingHours, queueTimeoutSeconds: 90 })}::jsonb)` })
      .where('slug', '=', 'castlebrook')
      .execute();
  }
  const ALWAYS = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday', 'sunday'].map((day) => ({ day, opens: '00:00', closes: '24:00' }));

  async function callRow(callSid: string) {
    return t.database.db.selectFrom('calls').selectAll().where('call_sid', '=', callSid).executeTakeFirstOrThrow();
  }

  it('refuses an unsigned or wrongly signed request, changing nothing', async () => {
    const call = newCall();
    expect((await twilioPost('voice', call, null)).status).toBe(403);
    expect((await twilioPost('voice', call, 'another-token')).status).toBe(403);
    // A parameter changed after signing breaks the signature too.
    const url = `${PUBLIC_URL}/telephony/twilio/voice`;
    const signature = twilio.getExpectedTwilioSignature(TOKEN, url, call);
    const tampered = await fetch(`${t.client.baseUrl}/telephony/twilio/voice`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'x-twilio-signature': signature },
      body: new URLSearchParams({ ...call, From: '+447700900999' }).toString(),
    });
    expect(tampered.status).toBe(403);
    expect(await t.database.db.selectFrom('calls').select('id').where('call_sid', '=', call.CallSid).execute()).toHaveLength(0);
  });

  it('says "dial 999" first, then the menu; a retried webhook makes no second contact', async () => {
    const call = newCall();
    const first = await twilioPost('voice', call);
    expect(first.status).toBe(200);
    expect(first.type).toContain('text/xml');
    const said = verbs(first.xml);
    expect(said[0]).toBe(`Say: ${WORDS.danger}`);
    expect(said.slice(1, 3)).toEqual(['Gather', `Say: ${WORDS.menu}`]);
    await twilioPost('voice', call);
    const row = await callRow(call.CallSid);
    const contacts = await t.database.db.selectFrom('contacts').selectAll().where('id', '=', row.contact_id).execute();
    expect(contacts).toHaveLength(1);
    expect(contacts[0]).toMatchObject({ channel: 'phone', caller_type: 'other' });
    expect(await t.database.db.selectFrom('calls').select('id').where('call_sid', '=', call.CallSid).execute()).toHaveLength(1);
  });

  it('queues an in-hours call, offers the helpline or a call-back after the wait, and records who answered', async () => {
    await setHours(ALWAYS);
    const call = newCall();
    await twilioPost('voice', call);
    const menu = await twilioPost('gather', { ...call, Digits: '2' });
    expect(verbs(menu.xml)).toEqual([`Say: ${WORDS.queued}`, expect.stringMatching(/^Enqueue: spoc-/)]);
    const row = await callRow(call.CallSid);
    expect(row).toMatchObject({ menu_choice: '2', in_hours: true });
    expect((await t.database.db.selectFrom('contacts').select('caller_type').where('id', '=', row.contact_id).executeTakeFirstOrThrow()).caller_type).toBe('family_friend');

    const waiting = await twilioPost('wait', { ...call, QueuePosition: '3', QueueTime: '30', QueueSid: 'QU1', CurrentQueueSize: '3', AvgQueueTime: '20' });
    expect(verbs(waiting.xml)[0]).toBe('Say: You are number 3 in the queue. Please hold.');
    const tooLong = await twilioPost('wait', { ...call, QueuePosition: '2', QueueTime: '95', QueueSid: 'QU1', CurrentQueueSize: '2', AvgQueueTime: '60' });
    expect(verbs(tooLong.xml)).toEqual(['Leave']);
    const left = await twilioPost('queue-result', { ...call, QueueResult: 'leave', QueueTime: '95' });
    expect(verbs(left.xml)[1]).toBe(`Say: ${WORDS.busy} ${WORDS.options}`);

    const answered = newCall();
    await twilioPost('voice', answered);
    await twilioPost('gather', { ...answered, Digits: '1' });
    await twilioPost('queue-result', { ...answered, QueueResult: 'bridged', QueueTime: '12' });
    await twilioPost('status', { ...answered, CallStatus: 'completed', CallDuration: '300' });
    expect(await callRow(answered.CallSid)).toMatchObject({ outcome: 'answered', queue_seconds: 12, provider_status: 'completed' });
  });

  it('offers the National Domestic Abuse Helpline out of hours, and connects the call', async () => {
    await setHours([]);
    const call = newCall();
    await twilioPost('voice', call);
    const closed = await twilioPost('gather', { ...call });
    const said = verbs(closed.xml);
    expect(said).toContain(`Say: ${WORDS.closed} ${WORDS.options}`);
    expect(said.some((v) => v.startsWith('Enqueue'))).toBe(false);
    const forwarded = await twilioPost('options', { ...call, Digits: '1' });
    expect(forwarded.xml).toMatch(/<Dial[^>]*>\+448082000247<\/Dial>/);
    await twilioPost('status', { ...call, CallStatus: 'completed' });
    expect(await callRow(call.CallSid)).toMatchObject({ outcome: 'forwarded', in_hours: false, menu_choice: 'none' });
  });

  it('takes a safe call-back request only once the caller says the number is safe, at the time they choose', async () => {
    await setHours([]);
    const unsafe = newCall('+447700900456');
    await twilioPost('voice', unsafe);
    await twilioPost('gather', { ...unsafe, Digits: '1' });
    await twilioPost('options', { ...unsafe, Digits: '2' });
    const no = await twilioPost('callback-safe', { ...unsafe, Digits: '2' });
    expect(verbs(no.xml)).toEqual([`Say: ${WORDS.callbackUnsafe}`, 'Hangup']);
    const unsafeRow = await callRow(unsafe.CallSid);
    expect(unsafeRow.outcome).toBeNull();
    const unsafeContact = await t.database.db.selectFrom('contacts').select('safe_contact').where('id', '=', unsafeRow.contact_id).executeTakeFirstOrThrow();
    expect(unsafeContact.safe_contact).toEqual({});

    const call = newCall('+447700900457');
    await twilioPost('voice', call);
    await twilioPost('gather', { ...call, Digits: '1' });
    await twilioPost('options', { ...call, Digits: '2' });
    const safe = await twilioPost('callback-safe', { ...call, Digits: '1' });
    expect(verbs(safe.xml)[1]).toBe(`Say: ${WORDS.callbackTime}`);
    const done = await twilioPost('callback-time', { ...call, Digits: '3' });
    expect(verbs(done.xml)).toEqual([`Say: ${WORDS.callbackDone}`, 'Hangup']);
    const row = await callRow(call.CallSid);
    expect(row).toMatchObject({ outcome: 'callback_requested', callback_time: 'weekday evenings' });
    const contact = await t.database.db.selectFrom('contacts').select(['safe_contact', 'reference']).where('id', '=', row.contact_id).executeTakeFirstOrThrow();
    expect(contact.safe_contact).toEqual({
      phones: [{ number: '+447700900457', callSafe: true, textSafe: false, voicemailSafe: false }],
      safeTimesNote: 'Call back: weekday evenings',
    });
    // It waits in the SPOC's queue as a call-back task, marked safe to call only in its time.
    const coordinator = new FormClient(t.client.baseUrl);
    await coordinator.signIn('coordinator@castlebrook.example');
    moment = new Date('2026-11-25T18:30:00Z'); // a Wednesday evening
    const evening = await coordinator.request('GET', '/queues');
    const row18 = /<tr class="govuk-table__row">(?:(?!<\/tr>)[\s\S])*?SPOC-[^<]*<\/a>(?:(?!<\/tr>)[\s\S])*<\/tr>/.exec(evening.text.slice(evening.text.indexOf('id="callbacks"'), evening.text.indexOf('id="reroute"')))?.[0] ?? '';
    expect(row18).toContain(contact.reference);
    expect(row18).toContain('weekday evenings');
    expect(row18).toContain('Safe to call now');
    moment = new Date('2026-11-25T10:30:00Z'); // the same morning
    const morning = await coordinator.request('GET', '/queues');
    const section = morning.text.slice(morning.text.indexOf('id="callbacks"'), morning.text.indexOf('id="reroute"'));
    expect(section).toContain(contact.reference);
    expect(section).not.toContain('Safe to call now');
    moment = null;
  });

  it('leaves exactly one contact for every call, abandoned ones included', async () => {
    await setHours(ALWAYS);
    const abandoned = newCall();
    await twilioPost('voice', abandoned);
    await twilioPost('status', { ...abandoned, CallStatus: 'completed', CallDuration: '4' });
    expect(await callRow(abandoned.CallSid)).toMatchObject({ outcome: 'abandoned' });
    const queuedThenGone = newCall();
    await twilioPost('voice', queuedThenGone);
    await twilioPost('gather', { ...queuedThenGone, Digits: '1' });
    await twilioPost('queue-result', { ...queuedThenGone, QueueResult: 'hangup', QueueTime: '40' });
    await twilioPost('status', { ...queuedThenGone, CallStatus: 'completed' });
    expect(await callRow(queuedThenGone.CallSid)).toMatchObject({ outcome: 'abandoned', queue_seconds: 40 });

    const counts = await t.database.db
      .selectFrom('calls as c')
      .leftJoin('contacts as k', 'k.id', 'c.contact_id')
      .select([(eb) => eb.fn.count<number>('c.id').as('calls'), (eb) => eb.fn.count<number>('k.id').distinct().as('contacts')])
      .executeTakeFirstOrThrow();
    expect(Number(counts.calls)).toBeGreaterThanOrEqual(8);
    expect(Number(counts.contacts)).toBe(Number(counts.calls));
  });

  it('raises the perpetrator alert when the caller\'s number is recorded for an alleged perpetrator, over HTTP and on the handler\'s screen', async () => {
    const api = t.client.as(demoToken('handler@castlebrook.example'));
    const victim = await api.post('/api/v1/contacts', {
      channel: 'phone',
      callerType: 'victim',
      immediateDanger: 'no',
      perpetrators: [{ name: 'Alleged Person', phones: ['07700 900666'], relationship: 'former_partner' }],
    });
    expect(victim.status).toBe(201);
    const call = newCall('+447700900666');
    await twilioPost('voice', call);
    const row = await callRow(call.CallSid);
    expect(row.perpetrator_alert).toBe(true);
    const audited = await t.database.db.selectFrom('audit_events').select('record_id').where('action', '=', 'contact.perpetrator_number_match').execute();
    expect(audited.map((a) => a.record_id)).toContain(victim.body.id);
    // Another number raises nothing.
    const other = newCall('+447700900667');
    await twilioPost('voice', other);
    expect((await callRow(other.CallSid)).perpetrator_alert).toBe(false);

    if (browserMissing()) return console.log(`telephony.test.ts: browser part skipped: ${browserMissing()}`);
    const browser = await launch();
    try {
      const page = await (await newContext(browser, { javaScript: true })).newPage();
      await signInAs(page, t.client.baseUrl, 'handler@castlebrook.example');
      await page.goto(`${t.client.baseUrl}/calls/${row.contact_id}/about`);
      const alert = page.locator('#perpetrator-alert');
      expect(await alert.textContent()).toContain('recorded for an alleged perpetrator');
      // It comes before anything else on the page.
      expect(await page.evaluate(() => document.querySelector('main [role=alert]')?.id)).toBe('perpetrator-alert');
      await expectAccessible(page);
      await page.goto(`${t.client.baseUrl}/calls/${(await callRow(other.CallSid)).contact_id}/about`);
      expect(await page.locator('#perpetrator-alert').count()).toBe(0);
    } finally {
      await browser.close();
    }
  });

  it('raises the perpetrator alert for a number a caseworker recorded on a case\'s alleged perpetrator', async () => {
    const handler = t.client.as(demoToken('handler@castlebrook.example'));
    const idva = t.client.as(demoToken('idva@castlebrook.example'));
    const contact = await handler.post('/api/v1/contacts', { channel: 'phone', callerType: 'victim', immediateDanger: 'no', person: { name: 'Case Alert' } });
    const services = (await handler.get('/api/v1/services')).body as Array<{ id: string; name: string }>;
    const idvaService = services.find((s) => s.name === 'IDVA service')!;
    const sent = await handler.post(`/api/v1/contacts/${contact.body.id}/referrals`, { referrals: [{ serviceId: idvaService.id, reason: 'test' }], consent: 'given' });
    const accepted = await idva.post(`/api/v1/referrals/${sent.body.referrals[0].id}/transitions`, { to: 'accepted' });
    expect((await idva.post(`/api/v1/cases/${accepted.body.caseId}/perpetrators`, { relationship: 'former_partner', phones: ['+44 7700 900777'] })).status).toBe(201);
    const call = newCall('+447700900777');
    await twilioPost('voice', call);
    expect((await callRow(call.CallSid)).perpetrator_alert).toBe(true);
    const audited = await t.database.db.selectFrom('audit_events').select('record_id').where('action', '=', 'case.perpetrator_number_match').execute();
    expect(audited.map((a) => a.record_id)).toContain(contact.body.id);
  });

  it('rings on-duty handlers; the one who answers has the call, and its contact screen pops up for them', async () => {
    await setHours(ALWAYS);
    // The handler goes on duty in the staff app, with the phone to ring.
    const staff = new FormClient(t.client.baseUrl);
    await staff.signIn('handler@castlebrook.example');
    const bad = await staff.request('POST', '/calls/live/duty', { _csrf: await staff.csrf('/calls/live'), duty: 'on', phone: 'not a number' });
    expect(bad.status).toBe(422);
    expect((await staff.request('POST', '/calls/live/duty', { _csrf: await staff.csrf('/calls/live'), duty: 'on', phone: '+447700900100' })).status).toBe(303);
    const handler = await t.database.db.selectFrom('users').select('id').where('email', '=', 'handler@castlebrook.example').executeTakeFirstOrThrow();

    const call = newCall('+447700900200');
    await twilioPost('voice', call);
    const ringing = await twilioPost('gather', { ...call, Digits: '1' });
    expect(ringing.xml).toContain(`<Number url="/telephony/twilio/whisper?user=${handler.id}">+447700900100</Number>`);
    expect(ringing.xml).toMatch(/<Dial [^>]*action="\/telephony\/twilio\/dial-result"/);
    expect(await staff.request('GET', '/calls/live/poll').then((r) => JSON.parse(r.text))).toEqual({});

    // The handler picks up: Twilio runs the whisper URL on their leg.
    const whisper = await twilioPost(`whisper?user=${handler.id}`, { CallSid: 'CA_child_leg', ParentCallSid: call.CallSid, AccountSid: ACCOUNT, From: '+441632960000', To: '+447700900100', CallStatus: 'in-progress', Direction: 'outbound-api' });
    expect(verbs(whisper.xml)).toEqual([`Say: ${WORDS.whisper}`]);
    const row = await callRow(call.CallSid);
    expect(row).toMatchObject({ answered_by: handler.id, outcome: 'answered' });
    const pop = JSON.parse((await staff.request('GET', '/calls/live/poll')).text);
    expect(pop).toEqual({ contactUrl: `/calls/${row.contact_id}/about` });
    // The contact screen is pre-filled with the number called from (not marked safe).
    const screen = await staff.request('GET', pop.contactUrl);
    expect(screen.text).toContain('value="+447700900200"');
    await twilioPost('status', { ...call, CallStatus: 'completed' });
    expect(JSON.parse((await staff.request('GET', '/calls/live/poll')).text)).toEqual({});

    // No one answers in time: the caller is offered the helpline or a call-back.
    const unanswered = newCall();
    await twilioPost('voice', unanswered);
    await twilioPost('gather', { ...unanswered, Digits: '1' });
    const missed = await twilioPost('dial-result', { ...unanswered, DialCallStatus: 'no-answer', DialCallDuration: '0' });
    expect(verbs(missed.xml)[1]).toBe(`Say: ${WORDS.busy} ${WORDS.options}`);
    await staff.request('POST', '/calls/live/duty', { _csrf: await staff.csrf('/calls/live'), duty: 'off' });
    expect(await t.database.db.selectFrom('on_duty').select('user_id').execute()).toHaveLength(0);
  });

  it('offers the helpline on a bank holiday, even within the usual opening hours', async () => {
    await setHours([{ day: 'friday', opens: '09:00', closes: '17:00' }]);
    // Christmas Day 2026 is a Friday: noon is inside Friday's hours, but it is a bank holiday.
    moment = new Date('2026-12-25T12:00:00Z');
    try {
      const holiday = newCall();
      await twilioPost('voice', holiday);
      const said = verbs((await twilioPost('gather', { ...holiday, Digits: '1' })).xml);
      expect(said).toContain(`Say: ${WORDS.closed} ${WORDS.options}`);
      expect((await callRow(holiday.CallSid)).in_hours).toBe(false);
      // The Friday before, at the same time, the call is taken.
      moment = new Date('2026-12-18T12:00:00Z');
      const ordinary = newCall();
      await twilioPost('voice', ordinary);
      expect(verbs((await twilioPost('gather', { ...ordinary, Digits: '1' })).xml)[0]).toBe(`Say: ${WORDS.queued}`);
    } finally {
      moment = null;
    }
  });

  it('queues callers while no handler is free, and rings a handler as soon as one is', async () => {
    await setHours(ALWAYS);
    const call = newCall();
    await twilioPost('voice', call);
    const queued = await twilioPost('gather', { ...call, Digits: '1' });
    expect(verbs(queued.xml)[1]).toMatch(/^Enqueue: spoc-/);
    const holding = await twilioPost('wait', { ...call, QueuePosition: '1', QueueTime: '10', QueueSid: 'QU1', CurrentQueueSize: '1', AvgQueueTime: '0' });
    expect(verbs(holding.xml)[0]).toBe('Say: You are next in the queue. Please hold.');

    // A handler comes on duty: the caller leaves the queue to ring them.
    const staff = new FormClient(t.client.baseUrl);
    await staff.signIn('handler@castlebrook.example');
    await staff.request('POST', '/calls/live/duty', { _csrf: await staff.csrf('/calls/live'), duty: 'on', phone: '+447700900101' });
    const free = await twilioPost('wait', { ...call, QueuePosition: '1', QueueTime: '20', QueueSid: 'QU1', CurrentQueueSize: '1', AvgQueueTime: '0' });
    expect(verbs(free.xml)).toEqual(['Leave']);
    const ring = await twilioPost('queue-result', { ...call, QueueResult: 'leave', QueueTime: '20' });
    expect(ring.xml).toContain('>+447700900101</Number>');

    // Once they answer they are busy: the next caller queues again rather than ringing them.
    const handler = await t.database.db.selectFrom('users').select('id').where('email', '=', 'handler@castlebrook.example').executeTakeFirstOrThrow();
    await twilioPost(`whisper?user=${handler.id}`, { CallSid: 'CA_leg_2', ParentCallSid: call.CallSid, AccountSid: ACCOUNT, From: '+441632960000', To: '+447700900101', CallStatus: 'in-progress' });
    const next = newCall();
    await twilioPost('voice', next);
    expect(verbs((await twilioPost('gather', { ...next, Digits: '1' })).xml)[1]).toMatch(/^Enqueue: spoc-/);
    await twilioPost('status', { ...call, CallStatus: 'completed' });
    await twilioPost('status', { ...next, CallStatus: 'completed' });
    await staff.request('POST', '/calls/live/duty', { _csrf: await staff.csrf('/calls/live'), duty: 'off' });
  });

  it('offers to link a call from a number on an earlier contact, and records the link', async () => {
    const api = t.client.as(demoToken('handler@castlebrook.example'));
    const earlier = await api.post('/api/v1/contacts', { channel: 'phone', callerType: 'victim', immediateDanger: 'no', person: { name: 'Earlier Caller', phones: ['07700 900789'] } });
    expect(earlier.status).toBe(201);
    const call = newCall('+447700900789');
    await twilioPost('voice', call);
    const row = await callRow(call.CallSid);
    const staff = new FormClient(t.client.baseUrl);
    await staff.signIn('handler@castlebrook.example');
    const screen = await staff.request('GET', `/calls/${row.contact_id}/about`);
    expect(screen.text).toContain('This number is on earlier contacts');
    expect(screen.text).toContain(earlier.body.reference);
    const link = await staff.request('POST', `/calls/${row.contact_id}/link`, { _csrf: await staff.csrf(`/calls/${row.contact_id}/about`), otherId: earlier.body.id });
    expect(link.status).toBe(303);
    const after = await staff.request('GET', `/calls/${row.contact_id}/about`);
    expect(after.text).toContain('id="linked"');
    expect(after.text).not.toContain('This number is on earlier contacts');
    const links = await t.database.db.selectFrom('contact_links').selectAll().where('contact_id', '=', row.contact_id).execute();
    expect(links).toEqual([expect.objectContaining({ linked_contact_id: earlier.body.id })]);
    expect(await t.database.db.selectFrom('audit_events').select('id').where('action', '=', 'contact.link').where('record_id', '=', row.contact_id).execute()).toHaveLength(1);
    // A provider cannot link contacts it cannot reach.
    const provider = new FormClient(t.client.baseUrl);
    await provider.signIn('idva@castlebrook.example');
    const refused = await provider.request('POST', `/calls/${row.contact_id}/link`, { _csrf: await provider.csrf('/inbox'), otherId: earlier.body.id });
    expect(refused.status).toBe(404);
  });
});
