/// <reference lib="dom" />
/**
 * MARAC in the staff web app (issue 8). In a real browser, with JavaScript off and on: a
 * high-risk contact waits for a meeting on the coordinator's dashboard; the coordinator
 * schedules a meeting (a past date is named first) and the referral lands on its list;
 * research and an action are recorded on the entry; the overdue action shows on the
 * dashboard and leads back to the entry, where it is marked done; the list prints; every
 * page scanned by axe. Over HTTP: an agency that does not attend gets 404 for the meeting,
 * an attending agency's list has no postcode, the CSV download, bad input named on the
 * forms, referring by hand, and the figures.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoToken } from '../src/seed/demo.js';
import { dashAnswers, startDemoApp, type TestApp } from './harness.js';
import { browserMissing, expectAccessible, launch, newContext, screenshot, signInAs, press } from './web/browser.js';
import { FormClient } from './web/http.js';

const missing = browserMissing();
if (missing) console.log(`web-marac.test.ts: browser tests skipped: ${missing}`);

const HANDLER = 'handler@castlebrook.example';
const MARAC = 'marac@castlebrook.example';
const IDVA = 'idva@castlebrook.example';
const REFUGE = 'refuge@castlebrook.example';
const POLICE = 'police@castlebrook.example';
const DA_SERVICE = 'Castlebrook Domestic Abuse Service';

/** A day from today as the three fields of a GOV.UK date input. */
function dayFromToday(days: number): { day: string; month: string; year: string; iso: string } {
  const date = new Date(Date.now() + days * 86_400_000);
  return { day: String(date.getUTCDate()), month: String(date.getUTCMonth() + 1), year: String(date.getUTCFullYear()), iso: date.toISOString().slice(0, 10) };
}

const dateFields = (name: string, days: number) => {
  const d = dayFromToday(days);
  return { [`${name}-day`]: d.day, [`${name}-month`]: d.month, [`${name}-year`]: d.year };
};

let app: TestApp;
const api = (email: string) => app.client.as(demoToken(email));

async function organisationId(name: string): Promise<string> {
  return (await app.database.db.selectFrom('organisations').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id;
}

/** A contact recorded and assessed by the SPOC's call handler (15 yes: high, so referred to MARAC automatically). */
async function assessedContact(person: Record<string, unknown>, yes = 15): Promise<{ id: string; reference: string }> {
  const handler = api(HANDLER);
  const contact = await handler.post('/api/v1/contacts', {
    channel: 'phone',
    callerType: 'victim',
    immediateDanger: 'no',
    person,
    children: [{ name: 'Robin', dateOfBirth: '2019-05-04' }],
    perpetrators: [{ name: 'Pat Alleged', relationship: 'former_partner' }],
  });
  expect(contact.status).toBe(201);
  expect((await handler.post(`/api/v1/contacts/${contact.body.id}/risk-assessments`, { answers: dashAnswers(yes) })).status).toBe(201);
  return { id: contact.body.id, reference: contact.body.reference };
}

async function referralOf(contactId: string): Promise<{ id: string; status: string; meetingId: string | null }> {
  return app.database.db.selectFrom('marac_referrals').select(['id', 'status', 'meeting_id as meetingId']).where('contact_id', '=', contactId).executeTakeFirstOrThrow();
}

beforeAll(async () => {
  app = await startDemoApp();
});

afterAll(async () => {
  await app?.close();
});

describe.skipIf(missing !== null)('MARAC in a browser', { timeout: 240_000 }, () => {
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    base = app.client.baseUrl;
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function follow(page: Page, selector: string): Promise<void> {
    await Promise.all([page.waitForNavigation(), page.click(selector)]);
  }

  async function fillDate(page: Page, id: string, days: number): Promise<void> {
    const d = dayFromToday(days);
    await page.fill(`#${id}-day`, d.day);
    await page.fill(`#${id}-month`, d.month);
    await page.fill(`#${id}-year`, d.year);
  }

  /** Titles and addresses carry no personal data: no name, no reference, no risk level. */
  async function expectNeutral(page: Page, name: string): Promise<void> {
    const title = await page.title();
    expect(title).not.toContain(name.split(' ')[0]);
    expect(title).not.toMatch(/SPOC-\d|high|medium|standard|XB\d/i);
    expect(page.url()).not.toMatch(/SPOC-\d|XB\d/i);
  }

  for (const javaScript of [false, true]) {
    const name = javaScript ? 'Blake Meeting' : 'Sidney Meeting';
    const postcode = javaScript ? 'XB4 2DQ' : 'XB5 3EF';
    it(`a coordinator schedules a meeting, the referral lands on its list, actions are recorded, an overdue action shows on the dashboard; JavaScript ${javaScript ? 'on' : 'off'}`, async () => {
      const contact = await assessedContact({ name, dateOfBirth: '1988-08-18', postcode });
      // Every earlier meeting is full (capacity 1): this referral waits for a meeting.
      expect((await referralOf(contact.id)).status).toBe('awaiting_meeting');
      const description = `Safety plan review with the victim (${javaScript ? 'on' : 'off'})`;

      const context = await newContext(browser, { javaScript });
      const page = await context.newPage();
      await signInAs(page, base, MARAC);
      await follow(page, '.govuk-service-navigation a:has-text("MARAC")');
      expect(new URL(page.url()).pathname).toBe('/marac');
      await expectAccessible(page);
      await expectNeutral(page, name);
      expect(await page.locator('#awaiting + p + table').textContent()).toContain(contact.reference);
      if (javaScript) await screenshot(page, 'marac-dashboard');

      // The waiting referral on a page of its own, until it has a meeting.
      await follow(page, `#awaiting + p + table a:has-text("${contact.reference}")`);
      expect(await page.locator('main').textContent()).toContain('Waiting for a meeting');
      await expectAccessible(page);
      await expectNeutral(page, name);
      await page.goto(`${base}/marac`);

      // Scheduling: a date in the past is named, and what was entered is kept.
      await follow(page, 'main a:has-text("Schedule meetings")');
      expect(new URL(page.url()).pathname).toBe('/marac/meetings/new');
      await expectAccessible(page);
      await fillDate(page, 'heldOn', -1);
      await page.fill('#capacity', '1');
      await page.check(`label:has-text("${DA_SERVICE}")`);
      await press(page, 'Schedule');
      expect(await page.locator('.govuk-error-summary').textContent()).toContain('Date of the meeting must be today or later');
      expect(await page.locator('.govuk-error-summary a').first().getAttribute('href')).toBe('#heldOn-day');
      expect(await page.inputValue('#capacity')).toBe('1');
      expect(await page.isChecked(`label:has-text("${DA_SERVICE}")`)).toBe(true);
      await expectAccessible(page);
      await fillDate(page, 'heldOn', javaScript ? 9 : 8);
      await press(page, 'Schedule');

      // The referral lands on the new meeting's list: the hub sees the postcode.
      const meetingId = /\/marac\/meetings\/([0-9a-f-]{36})/.exec(page.url())?.[1];
      expect(meetingId).toBeDefined();
      expect(await page.locator('.govuk-notification-banner').textContent()).toContain('Meeting scheduled');
      const list = (await page.locator('table.spoc-marac-list').textContent()) ?? '';
      expect(list).toContain(name);
      expect(list).toContain(postcode);
      expect(list).toContain('Robin');
      expect(list).toContain('Pat Alleged (former partner)');
      expect(list).toContain('15 of 24 yes');
      expect(list).toContain('Visible high risk');
      expect(await referralOf(contact.id)).toMatchObject({ status: 'listed', meetingId });
      await expectAccessible(page);
      await expectNeutral(page, name);
      if (javaScript) await screenshot(page, 'marac-meeting');

      // The entry opens to what agencies hold and the actions; the hub records what it holds.
      const entry = page.locator(`#referral-${(await referralOf(contact.id)).id}`);
      await entry.locator('.govuk-details__summary').click();
      await page.fill('#entry-1-summary', 'Two police call-outs this year; bail conditions in place.');
      await press(page, 'Save');
      expect(await page.locator('.govuk-notification-banner').textContent()).toContain('What your agency holds is recorded');
      expect(await page.locator('details[open]').count()).toBe(1);
      expect(await entry.textContent()).toContain('Two police call-outs this year');
      await expectAccessible(page);

      // An action: what is missing is named, linked to its field; then added, due yesterday (overdue).
      await press(page, 'Add action');
      const summary = (await page.locator('.govuk-error-summary').textContent()) ?? '';
      expect(summary).toContain('Agency is required');
      expect(summary).toContain('Action is required');
      expect(summary).toContain('Due date is required');
      expect(await page.locator('.govuk-error-summary a').first().getAttribute('href')).toBe('#entry-1-organisationId');
      await expectAccessible(page);
      await page.selectOption('#entry-1-organisationId', { label: DA_SERVICE });
      await page.fill('#entry-1-description', description);
      await page.fill('#entry-1-ownerName', 'IDVA team');
      await fillDate(page, 'entry-1-dueOn', -1);
      await press(page, 'Add action');
      expect(await page.locator('.govuk-notification-banner').textContent()).toContain('Action added');
      const actions = (await entry.locator('table').textContent()) ?? '';
      expect(actions).toContain(description);
      expect(actions).toContain('Overdue');
      await expectAccessible(page);

      // The overdue action on the dashboard, highlighted, leading back to the entry.
      await follow(page, '.govuk-service-navigation a:has-text("MARAC")');
      const overdue = (await page.locator('.spoc-overdue').textContent()) ?? '';
      expect(overdue).toContain(description);
      expect(overdue).toContain(DA_SERVICE);
      expect(overdue).toContain('IDVA team');
      expect(overdue).toContain(contact.reference);
      expect(overdue).toContain('Overdue');
      expect(await page.locator('#meetings + table').textContent()).toContain('1 of 1');
      await expectAccessible(page);
      await follow(page, `.spoc-overdue a:has-text("${contact.reference}")`);
      expect(new URL(page.url()).pathname).toBe(`/marac/meetings/${meetingId}`);
      expect(await entry.locator('details[open]').count()).toBe(1);

      // Marked done: off the dashboard.
      await press(page, 'Mark done');
      expect(await page.locator('.govuk-notification-banner').textContent()).toContain('Action marked as done');
      expect(await entry.locator('table').textContent()).toContain('Done');
      await page.goto(`${base}/marac`);
      expect((await page.locator('main').textContent()) ?? '').not.toContain(description);

      // The list to print: no navigation, a print stylesheet, the handling marking.
      await page.goto(`${base}/marac/meetings/${meetingId}`);
      expect(await page.locator(`main a[href="/marac/meetings/${meetingId}/list.csv"]`).count()).toBe(1);
      await follow(page, 'main a:has-text("Print the list")');
      expect(new URL(page.url()).pathname).toBe(`/marac/meetings/${meetingId}/print`);
      await expectAccessible(page);
      expect(await page.title()).toBe('MARAC list');
      expect(await page.locator('header, nav, .govuk-service-navigation').count()).toBe(0);
      expect(await page.locator('link[rel="stylesheet"][media="print"]').count()).toBe(1);
      expect(await page.locator('[data-print]').isVisible()).toBe(javaScript);
      const printed = (await page.locator('body').textContent()) ?? '';
      expect(printed).toContain('OFFICIAL-SENSITIVE');
      expect(printed).toContain(name);
      expect(printed).toContain('Two police call-outs this year');

      // The other pages of MARAC pass axe too.
      await page.goto(`${base}/marac/figures`);
      await expectAccessible(page);
      expect(await page.locator('main').textContent()).toContain('Repeat rate');
      await page.goto(`${base}/marac/refer?q=${encodeURIComponent(contact.reference)}`);
      await expectAccessible(page);
      expect(await page.locator('main').textContent()).toContain(contact.reference);
      await context.close();
    });
  }
});

describe('MARAC over HTTP', () => {
  let meetingId = '';
  let listed: { id: string; reference: string };

  it('shows each agency only what it may see: 404 for an agency that does not attend, no postcode for one that does; the CSV', async () => {
    const coordinator = new FormClient(app.client.baseUrl);
    await coordinator.signIn(MARAC);
    const csrf = await coordinator.csrf('/marac/meetings/new');
    const scheduled = await coordinator.request('POST', '/marac/meetings/new', { _csrf: csrf, ...dateFields('heldOn', 20), capacity: '10', attendingOrganisationIds: await organisationId(DA_SERVICE) });
    expect(scheduled.status).toBe(303);
    meetingId = /\/marac\/meetings\/([0-9a-f-]{36})\?saved=scheduled$/.exec(scheduled.headers.get('location') ?? '')?.[1] ?? '';
    expect(meetingId).not.toBe('');
    listed = await assessedContact({ name: 'Avery Listed', dateOfBirth: '1990-01-10', postcode: 'XB3 7QT' });
    expect(await referralOf(listed.id)).toMatchObject({ status: 'listed', meetingId });

    // The same person again, recognised before the checklist: a repeat, with the earlier date.
    const personId = (await api(HANDLER).post(`/api/v1/contacts/${listed.id}/person`)).body.linkedPerson.id;
    const again = await api(HANDLER).post('/api/v1/contacts', { channel: 'phone', callerType: 'victim', immediateDanger: 'no', person: { name: 'Avery Listed', dateOfBirth: '1990-01-10' } });
    expect((await api(HANDLER).post(`/api/v1/contacts/${again.body.id}/matches`, { personId, decision: 'confirmed' })).status).toBeLessThan(300);
    expect((await api(HANDLER).post(`/api/v1/contacts/${again.body.id}/risk-assessments`, { answers: dashAnswers(16) })).status).toBe(201);
    expect(await referralOf(again.body.id)).toMatchObject({ status: 'listed', meetingId });

    const hubPage = await coordinator.request('GET', `/marac/meetings/${meetingId}`);
    expect(hubPage.status).toBe(200);
    expect(hubPage.text).toContain('Avery Listed');
    expect(hubPage.text).toContain('XB3 7QT');
    expect(hubPage.text).toMatch(/govuk-tag--orange">\s*Repeat\s*<\/strong>\s*<br>last referred \d{1,2} \w+ \d{4}/);
    // The contact's page says so too, for the hub.
    const contactPage = await coordinator.request('GET', `/contacts/${again.body.id}`);
    expect(contactPage.text).toMatch(/Referred to MARAC on \d{1,2} \w+ \d{4} \(Visible high risk \(the checklist score\)\)/);
    expect(contactPage.text).toMatch(/Repeat[\s\S]*within 12 months of the referral on/);
    expect(contactPage.text).toContain('Listed for the meeting on');

    // An attending agency: the list without the postcode.
    const idva = new FormClient(app.client.baseUrl);
    await idva.signIn(IDVA);
    const theirs = await idva.request('GET', `/marac/meetings/${meetingId}`);
    expect(theirs.status).toBe(200);
    expect(theirs.text).toContain('Avery Listed');
    expect(theirs.text).not.toContain('XB3 7QT');
    expect(theirs.text).not.toContain('>Postcode<');
    expect((await idva.request('GET', '/marac')).text).toContain(`href="/marac/meetings/${meetingId}"`);

    // An agency that does not attend: as if there were no such meeting, on every page of it.
    const refuge = new FormClient(app.client.baseUrl);
    await refuge.signIn(REFUGE);
    for (const path of ['', '/print', '/list.csv']) {
      const answer = await refuge.request('GET', `/marac/meetings/${meetingId}${path}`);
      expect(answer.status, path).toBe(404);
      expect(answer.text).not.toContain('Avery');
    }
    expect((await refuge.request('GET', '/marac')).text).not.toContain(`/marac/meetings/${meetingId}`);
    const refugeCsrf = await refuge.csrf('/marac');
    expect((await refuge.request('POST', `/marac/meetings/${meetingId}/entries/${(await referralOf(listed.id)).id}/research`, { _csrf: refugeCsrf, summary: 'Not ours' })).status).toBe(404);
    expect(await app.database.db.selectFrom('marac_research').select('id').where('summary', '=', 'Not ours').execute()).toEqual([]);

    // The CSV: text/csv, an attachment, the header row first; the postcode column for the hub only.
    const csv = await idva.request('GET', `/marac/meetings/${meetingId}/list.csv`);
    expect(csv.status).toBe(200);
    expect(csv.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(csv.headers.get('content-disposition')).toMatch(/^attachment/);
    expect(csv.headers.get('cache-control')).toBe('no-store');
    expect(csv.text.split('\r\n')[0]).toBe('Meeting,Victim,Date of birth,Children,Alleged perpetrators,Risk,Criteria,Repeat,Previous referral,Referring agency');
    expect(csv.text).toContain('Avery Listed');
    expect(csv.text).not.toContain('XB3 7QT');
    const hubCsv = await coordinator.request('GET', `/marac/meetings/${meetingId}/list.csv`);
    expect(hubCsv.text.split('\r\n')[0]).toBe('Meeting,Victim,Date of birth,Postcode,Children,Alleged perpetrators,Risk,Criteria,Repeat,Previous referral,Referring agency');
    expect(hubCsv.text).toContain('XB3 7QT');

    // Roles without MARAC have no MARAC page and no link to it.
    const handler = new FormClient(app.client.baseUrl);
    await handler.signIn(HANDLER);
    expect((await handler.request('GET', '/marac')).status).toBe(403);
    expect((await handler.request('GET', '/')).text).not.toContain('href="/marac"');
    expect((await idva.request('GET', '/')).text).toContain('href="/marac"');
    // Signed out: to sign in, and back.
    const nobody = new FormClient(app.client.baseUrl);
    const signedOut = await nobody.request('GET', `/marac/meetings/${meetingId}`);
    expect(signedOut.status).toBe(303);
    expect(signedOut.headers.get('location')).toBe(`/sign-in?next=${encodeURIComponent(`/marac/meetings/${meetingId}`)}`);
  });

  it('an attending agency records what it holds; the coordinator adds an action; the owning agency marks it done', async () => {
    const referralId = (await referralOf(listed.id)).id;
    const idva = new FormClient(app.client.baseUrl);
    await idva.signIn(IDVA);
    const csrf = await idva.csrf(`/marac/meetings/${meetingId}`);
    const empty = await idva.request('POST', `/marac/meetings/${meetingId}/entries/${referralId}/research`, { _csrf: csrf, summary: '  ' });
    expect(empty.status).toBe(422);
    expect(empty.text).toContain('href="#entry-1-summary"');
    expect(empty.text).toContain('What your agency holds is required');
    const research = await idva.request('POST', `/marac/meetings/${meetingId}/entries/${referralId}/research`, { _csrf: csrf, summary: 'Open to our IDVA service since March.' });
    expect(research.status).toBe(303);
    expect(research.headers.get('location')).toBe(`/marac/meetings/${meetingId}?saved=research&entry=${referralId}#referral-${referralId}`);
    // Only the coordinator adds actions: no form for the agency, and a refusal if posted.
    const page = await idva.request('GET', `/marac/meetings/${meetingId}?entry=${referralId}`);
    expect(page.text).toContain('Open to our IDVA service since March.');
    expect(page.text).not.toContain('/actions" novalidate');
    expect((await idva.request('POST', `/marac/meetings/${meetingId}/entries/${referralId}/actions`, { _csrf: csrf, description: 'x' })).status).toBe(403);

    const coordinator = new FormClient(app.client.baseUrl);
    await coordinator.signIn(MARAC);
    const coordinatorCsrf = await coordinator.csrf(`/marac/meetings/${meetingId}`);
    const due = dateFields('dueOn', 5);
    const badDate = await coordinator.request('POST', `/marac/meetings/${meetingId}/entries/${referralId}/actions`, {
      _csrf: coordinatorCsrf,
      organisationId: await organisationId(DA_SERVICE),
      description: 'Apply for a non-molestation order',
      'dueOn-day': '31',
      'dueOn-month': '2',
      'dueOn-year': '2027',
    });
    expect(badDate.status).toBe(422);
    expect(badDate.text).toContain('href="#entry-1-dueOn-day"');
    expect(badDate.text).toContain('Due date must be a real date');
    // What was entered comes back, in the entry, opened.
    expect(badDate.text).toContain('Apply for a non-molestation order</textarea>');
    expect(badDate.text).toMatch(/<details[^>]*open/);
    const added = await coordinator.request('POST', `/marac/meetings/${meetingId}/entries/${referralId}/actions`, {
      _csrf: coordinatorCsrf,
      organisationId: await organisationId(DA_SERVICE),
      description: 'Apply for a non-molestation order',
      ...due,
    });
    expect(added.status).toBe(303);
    const { id: actionId } = await app.database.db.selectFrom('marac_actions').select('id').where('marac_referral_id', '=', referralId).executeTakeFirstOrThrow();

    // Another agency cannot mark it done; the owning agency can, once.
    const refuge = new FormClient(app.client.baseUrl);
    await refuge.signIn(REFUGE);
    expect((await refuge.request('POST', `/marac/meetings/${meetingId}/actions/${actionId}/done`, { _csrf: await refuge.csrf('/marac') })).status).toBe(404);
    const done = await idva.request('POST', `/marac/meetings/${meetingId}/actions/${actionId}/done`, { _csrf: csrf, referralId });
    expect(done.status).toBe(303);
    expect(done.headers.get('location')).toBe(`/marac/meetings/${meetingId}?saved=done&entry=${referralId}#referral-${referralId}`);
    const again = await idva.request('POST', `/marac/meetings/${meetingId}/actions/${actionId}/done`, { _csrf: csrf, referralId });
    expect(again.status).toBe(303);
    expect((await app.database.db.selectFrom('marac_actions').select('done_at').where('id', '=', actionId).executeTakeFirstOrThrow()).done_at).not.toBeNull();
  });

  it('names bad input on the schedule form and changes nothing', async () => {
    const coordinator = new FormClient(app.client.baseUrl);
    await coordinator.signIn(MARAC);
    const csrf = await coordinator.csrf('/marac/meetings/new');
    const before = (await app.database.db.selectFrom('marac_meetings').select('id').execute()).length;

    const past = await coordinator.request('POST', '/marac/meetings/new', { _csrf: csrf, ...dateFields('heldOn', -3), capacity: '10' });
    expect(past.status).toBe(422);
    expect(past.text).toContain('href="#heldOn-day"');
    expect(past.text).toContain('Date of the meeting must be today or later');
    expect(past.text).toContain('<title>Error: Schedule MARAC meetings – spoc</title>');

    const several = await coordinator.request('POST', '/marac/meetings/new', { _csrf: csrf, 'heldOn-day': '30', 'heldOn-month': '2', 'heldOn-year': '2030', capacity: 'lots', count: '3', repeatEveryDays: '' });
    expect(several.status).toBe(422);
    const links = ['#heldOn-day', '#capacity', '#repeatEveryDays'].map((href) => several.text.indexOf(`href="${href}"`));
    expect(links.every((at) => at > -1)).toBe(true);
    // In the order the page asks.
    expect([...links].sort((a, b) => a - b)).toEqual(links);
    expect(several.text).toContain('How many cases it can hear must be a whole number from 1 to 100');
    expect(several.text).toContain('Days between meetings is required to schedule more than one meeting');

    const stranger = await coordinator.request('POST', '/marac/meetings/new', { _csrf: csrf, ...dateFields('heldOn', 30), capacity: '10', attendingOrganisationIds: '00000000-0000-4000-8000-000000000000' });
    expect(stranger.status).toBe(422);
    expect(stranger.text).toContain('href="#attendingOrganisationIds"');
    expect((await app.database.db.selectFrom('marac_meetings').select('id').execute()).length).toBe(before);

    // A series: fortnightly, three meetings.
    const series = await coordinator.request('POST', '/marac/meetings/new', { _csrf: csrf, ...dateFields('heldOn', 40), capacity: '12', count: '3', repeatEveryDays: '14' });
    expect(series.status).toBe(303);
    expect(series.headers.get('location')).toMatch(/\?saved=series$/);
    const dates = await app.database.db.selectFrom('marac_meetings').select('held_on').where('capacity', '=', 12).orderBy('held_on').execute();
    expect(dates.map((d) => d.held_on)).toEqual([40, 54, 68].map((days) => dayFromToday(days).iso));

    // Only the MARAC coordinator schedules.
    const idva = new FormClient(app.client.baseUrl);
    await idva.signIn(IDVA);
    expect((await idva.request('GET', '/marac/meetings/new')).status).toBe(403);
  });

  it('refers a contact by hand, naming what is missing, and once only', async () => {
    const medium = await assessedContact({ name: 'Casey Byhand', dateOfBirth: '1985-05-15' }, 12);
    const coordinator = new FormClient(app.client.baseUrl);
    await coordinator.signIn(MARAC);
    // From the contact's page.
    const contactPage = await coordinator.request('GET', `/contacts/${medium.id}`);
    expect(contactPage.text).toContain(`href="/marac/refer?contactId=${medium.id}"`);

    const search = await coordinator.request('GET', `/marac/refer?q=${encodeURIComponent(medium.reference)}`);
    expect(search.status).toBe(200);
    expect(search.text).toContain(`value="${medium.id}"`);
    expect(search.text).toContain('Casey Byhand');
    const tooShort = await coordinator.request('GET', '/marac/refer?q=x');
    expect(tooShort.status).toBe(422);
    expect(tooShort.text).toContain('href="#q"');

    const csrf = await coordinator.csrf('/marac/refer');
    const noReason = await coordinator.request('POST', '/marac/refer', { _csrf: csrf, q: medium.reference, contactId: medium.id });
    expect(noReason.status).toBe(422);
    expect(noReason.text).toContain('href="#reason"');
    expect(noReason.text).toContain('Why they should be heard at MARAC is required');
    const noContact = await coordinator.request('POST', '/marac/refer', { _csrf: csrf, q: medium.reference, reason: 'Stalking reported by the police' });
    expect(noContact.status).toBe(422);
    expect(noContact.text).toContain('href="#contactId"');
    expect(noContact.text).toContain('Stalking reported by the police</textarea>');

    const referred = await coordinator.request('POST', '/marac/refer', { _csrf: csrf, contactId: medium.id, reason: 'Stalking reported by the police' });
    expect(referred.status).toBe(303);
    const referral = await referralOf(medium.id);
    expect(referral.meetingId).toBe(meetingId);
    expect(referred.headers.get('location')).toBe(`/marac/meetings/${meetingId}?saved=referred&entry=${referral.id}#referral-${referral.id}`);
    const meeting = await coordinator.request('GET', `/marac/meetings/${meetingId}?saved=referred&entry=${referral.id}`);
    expect(meeting.text).toContain('Referred by the MARAC coordinator');

    const twice = await coordinator.request('POST', '/marac/refer', { _csrf: csrf, contactId: medium.id, reason: 'Again' });
    expect(twice.status).toBe(409);
    expect(twice.text).toContain('This contact has already been referred to MARAC');
    expect(twice.text).toContain('href="#contactId"');
    // A contact that is not there is named, not a crash.
    const absent = await coordinator.request('POST', '/marac/refer', { _csrf: csrf, contactId: '00000000-0000-4000-8000-000000000000', reason: 'x' });
    expect(absent.status).toBe(404);
    expect(absent.text).toContain('The contact was not found, or you do not have access to it');

    // A referring professional has MARAC access (their agency's meetings) but refers through the SPOC.
    const police = new FormClient(app.client.baseUrl);
    await police.signIn(POLICE);
    expect((await police.request('GET', '/marac')).status).toBe(200);
    expect((await police.request('GET', '/marac/refer')).status).toBe(403);
  });

  it('shows the figures for the current quarter or a period asked for, and names a bad period', async () => {
    const coordinator = new FormClient(app.client.baseUrl);
    await coordinator.signIn(MARAC);
    const now = await coordinator.request('GET', '/marac/figures');
    expect(now.status).toBe(200);
    expect(now.text).toContain('By source agency');
    expect(now.text).toContain('Castlebrook SPOC');
    expect(now.text).toContain('Referred by the MARAC coordinator');
    expect(now.text).toMatch(/Referrals\s*<\/dt>\s*<dd class="govuk-summary-list__value">\s*\d+\s*<\/dd>/);
    expect(now.text).toContain('Repeat rate');

    const backwards = await coordinator.request('GET', '/marac/figures?from-day=1&from-month=6&from-year=2026&to-day=1&to-month=5&to-year=2026');
    expect(backwards.status).toBe(422);
    expect(backwards.text).toContain('href="#to-day"');
    expect(backwards.text).toContain('End date must be the same as or after the start date');
    const impossible = await coordinator.request('GET', '/marac/figures?from-day=31&from-month=2&from-year=2026');
    expect(impossible.status).toBe(422);
    expect(impossible.text).toContain('href="#from-day"');
    const empty = await coordinator.request('GET', '/marac/figures?from-day=1&from-month=1&from-year=2001&to-day=31&to-month=12&to-year=2001');
    expect(empty.status).toBe(200);
    expect(empty.text).toContain('No referrals in this period');

    const idva = new FormClient(app.client.baseUrl);
    await idva.signIn(IDVA);
    expect((await idva.request('GET', '/marac/figures')).status).toBe(403);
  });
});
