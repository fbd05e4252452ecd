/// <reference lib="dom" />
/**
 * Cases in the staff web app. In a real browser, with JavaScript off and on: a caseworker
 * accepts a referral, opens the case, records the household and an alleged perpetrator,
 * writes a safety plan from the template (and prints it without anything that identifies),
 * finds safe accommodation for the household and sends a refuge referral to a vacancy,
 * adds an action and marks it done, records intake and exit outcomes and closes the case,
 * each step on the timeline, every page scanned by axe. Over HTTP: another organisation's
 * case answers exactly as a missing one, a sensitive note stays in its organisation, and a
 * returning person is recognised on the contact page by a person, not the machine.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoToken } from '../src/seed/demo.js';
import { mojDateInLondon } from '../src/web/render.js';
import { dashAnswers, startDemoApp, type TestApp } from './harness.js';
import { browserMissing, expectAccessible, launch, newContext, screenshot, signInAs, press, follow } from './web/browser.js';
import { FormClient } from './web/http.js';

const missing = browserMissing();
if (missing) console.log(`web-cases.test.ts: browser tests skipped: ${missing}`);

const HANDLER = 'handler@castlebrook.example';
const IDVA = 'idva@castlebrook.example';
const REFUGE = 'refuge@castlebrook.example';
const DA_SERVICE = 'Castlebrook Domestic Abuse Service';

/** A day from today as the three fields of a GOV.UK date input. */
function dayFromToday(days: number): { day: string; month: string; year: string; iso: string } {
  const date = new Date(Date.now() + days * 86_400_000);
  return { day: String(date.getUTCDate()), month: String(date.getUTCMonth() + 1), year: String(date.getUTCFullYear()), iso: date.toISOString().slice(0, 10) };
}

let app: TestApp;
const api = (email: string) => app.client.as(demoToken(email));

async function serviceId(name: string): Promise<string> {
  return (await app.database.db.selectFrom('services').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id;
}

/** A contact recorded and assessed by the SPOC's call handler, referred to the named services. */
async function referredContact(person: Record<string, unknown>, services: string[], yes = 15): Promise<{ contactId: string; referralIds: string[] }> {
  const handler = api(HANDLER);
  const contact = await handler.post('/api/v1/contacts', { channel: 'phone', callerType: 'victim', immediateDanger: 'no', person: { postcode: 'XB2 1AA', ...person } });
  expect(contact.status).toBe(201);
  expect((await handler.post(`/api/v1/contacts/${contact.body.id}/risk-assessments`, { answers: dashAnswers(yes) })).status).toBe(201);
  const referrals = await Promise.all(services.map(async (name) => ({ serviceId: await serviceId(name), reason: 'Asked for this service' })));
  const sent = await handler.post(`/api/v1/contacts/${contact.body.id}/referrals`, { referrals, consent: 'given' });
  expect(sent.status).toBe(201);
  return { contactId: contact.body.id, referralIds: sent.body.referrals.map((r: { id: string }) => r.id) };
}

/** The receiving caseworker accepts over the API: the case it opens. */
async function acceptedCase(referralId: string, caseworker: string): Promise<string> {
  const accepted = await api(caseworker).post(`/api/v1/referrals/${referralId}/transitions`, { to: 'accepted' });
  expect(accepted.status).toBe(200);
  return accepted.body.caseId;
}

beforeAll(async () => {
  app = await startDemoApp();
});

afterAll(async () => {
  await app?.close();
});

describe.skipIf(missing !== null)('a case worked in a browser', { timeout: 240_000 }, () => {
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    base = app.client.baseUrl;
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
  });

  async function timelineText(page: Page): Promise<string> {
    return (await page.locator('.moj-timeline').textContent()) ?? '';
  }

  /** Titles and addresses carry no personal data: no name, no reference, no risk level. */
  async function expectNeutral(page: Page, name: string): Promise<void> {
    const title = await page.title();
    expect(title).not.toContain(name.split(' ')[0]);
    expect(title).not.toMatch(/CASE-|high|medium|standard|XB\d/i);
    expect(page.url()).not.toMatch(/CASE-|XB\d|Casework/i);
  }

  it('recognises a returning person on the contact page, confirmed by the handler', async () => {
    const first = await referredContact({ name: 'Ellis Again', dateOfBirth: '1979-07-17' }, ['IDVA service']);
    await acceptedCase(first.referralIds[0]!, IDVA);
    const again = await api(HANDLER).post('/api/v1/contacts', { channel: 'phone', callerType: 'victim', immediateDanger: 'no', person: { name: 'Elis Again', dateOfBirth: '1979-07-17', postcode: 'XB2 1AA' } });
    const page = await (await newContext(browser, { javaScript: true })).newPage();
    await signInAs(page, base, HANDLER);
    await page.goto(`${base}/contacts/${again.body.id}`);
    await expectAccessible(page);
    const section = (await page.locator('#matches ~ .spoc-candidate').first().textContent()) ?? '';
    expect(section).toContain('Ellis Again');
    expect(section).toContain('same date of birth');
    expect(section).toContain(`${DA_SERVICE} (open case)`);
    await screenshot(page, 'contact-matches');
    await Promise.all([page.waitForNavigation(), page.click('.spoc-candidate button:has-text("Confirm")')]);
    expect(await page.locator('.govuk-notification-banner').textContent()).toContain('Linked to the known person');
    expect(await page.locator('main').textContent()).toContain(`Known to: ${DA_SERVICE} (open case)`);
    await expectAccessible(page);
    await page.context().close();
  });

  for (const javaScript of [false, true]) {
    const name = javaScript ? 'Harper Casework' : 'Quinn Casework';
    it(`accepts a referral and works the case to closure, JavaScript ${javaScript ? 'on' : 'off'}`, async () => {
      const { referralIds } = await referredContact({ name, dateOfBirth: javaScript ? '1986-06-16' : '1984-04-14' }, ['IDVA service']);
      const referralId = referralIds[0]!;
      const context = await newContext(browser, { javaScript });
      const page = await context.newPage();
      await signInAs(page, base, IDVA);
      expect(new URL(page.url()).pathname).toBe('/');
      await expectAccessible(page);
      expect(await page.locator('.govuk-service-navigation a:has-text("Cases")').count()).toBe(1);

      // The referral: acknowledged, accepted, and then a link to the case it opened.
      await page.goto(`${base}/referrals/${referralId}`);
      expect(await page.locator('main a:has-text("Open the case")').count()).toBe(0);
      await press(page, 'Acknowledge');
      await press(page, 'Accept');
      await expectAccessible(page);
      await follow(page, 'Open the case');
      const caseId = /\/cases\/([0-9a-f-]{36})$/.exec(page.url())?.[1];
      expect(caseId).toBeDefined();
      const { reference } = await app.database.db.selectFrom('cases').select('reference').where('id', '=', caseId!).executeTakeFirstOrThrow();
      expect(await page.locator('h1').textContent()).toContain(name);
      expect(await page.locator('main').textContent()).toContain(reference);
      await expectAccessible(page);
      await expectNeutral(page, name);
      if (javaScript) await screenshot(page, 'case');
      expect(await timelineText(page)).toContain(`Case ${reference} opened`);
      expect(await timelineText(page)).toContain('Referral to IDVA service: accepted');
      expect(await page.locator('main a[href="/referrals/' + referralId + '"]').count()).toBe(1);

      // Household: a child born in the future is refused, naming the field; then added.
      await follow(page, 'Add a household member');
      await expectAccessible(page);
      await expectNeutral(page, name);
      await page.check('#relationship'); // child
      await page.fill('#name', 'Kit');
      const future = dayFromToday(30);
      await page.fill('#dateOfBirth-day', future.day);
      await page.fill('#dateOfBirth-month', future.month);
      await page.fill('#dateOfBirth-year', future.year);
      await press(page, 'Add household member');
      expect(await page.locator('.govuk-error-summary').textContent()).toContain('Date of birth must be a real date in the past');
      expect(await page.locator('.govuk-error-summary a').first().getAttribute('href')).toBe('#dateOfBirth-day');
      expect(await page.inputValue('#name')).toBe('Kit');
      await expectAccessible(page);
      await page.fill('#dateOfBirth-year', '2018');
      await page.fill('#school', 'Castlebrook Primary');
      await press(page, 'Add household member');
      expect(new URL(page.url()).pathname).toBe(`/cases/${caseId}`);
      expect(await page.locator('main').textContent()).toContain('Castlebrook Primary');

      // An alleged perpetrator, whose number now feeds the perpetrator alert.
      await follow(page, 'Add an alleged perpetrator');
      await expectAccessible(page);
      await page.check('#relationship-2'); // former partner
      await page.fill('#phones', '07700 900666');
      await press(page, 'Add alleged perpetrator');
      expect(await page.locator('main').textContent()).toContain('07700 900666');
      expect(await timelineText(page)).toContain('Alleged perpetrator recorded');

      // The safety plan from the template: bad input named and nothing saved; then version 1.
      await follow(page, 'Write a safety plan');
      await expectAccessible(page);
      await expectNeutral(page, name);
      const sections = await page.locator('main textarea').evaluateAll((areas) => areas.map((a) => a.id));
      expect(sections).toEqual(expect.arrayContaining(['section-immediate_steps', 'section-safe_places', 'section-prepared_bag', 'section-technology']));
      await press(page, 'Save safety plan');
      expect(await page.locator('.govuk-error-summary').textContent()).toContain('Review date is required');
      expect(await page.locator('.govuk-error-summary a').first().getAttribute('href')).toBe('#reviewOn-day');
      await expectAccessible(page);
      await page.fill('#section-immediate_steps', 'Dial 999; if you cannot speak, press 55.');
      await page.fill('#section-safe_places', 'Sister’s flat, any time.');
      const review = dayFromToday(14);
      await page.fill('#reviewOn-day', review.day);
      await page.fill('#reviewOn-month', review.month);
      await page.fill('#reviewOn-year', review.year);
      await press(page, 'Save safety plan');
      expect(await page.locator('.govuk-notification-banner').textContent()).toContain('Safety plan saved');
      expect(await page.locator('#safety-plan + p').textContent()).toContain('Version 1');
      expect(await timelineText(page)).toContain('Safety plan, version 1');
      const plans = await app.database.db.selectFrom('safety_plans').select(['version', 'review_on']).where('case_id', '=', caseId!).execute();
      expect(plans).toHaveLength(1);

      // Safe accommodation for the household (one child living with them): the refuge with a fitting
      // vacancy, its address kept from anyone outside the refuge; a refuge referral to that vacancy.
      await follow(page, 'Find safe accommodation');
      expect(new URL(page.url()).pathname).toBe(`/cases/${caseId}/accommodation`);
      await expectAccessible(page);
      await expectNeutral(page, name);
      const found = (await page.locator('main').textContent()) ?? '';
      expect(found).toContain('1 child living with them');
      expect(found).toContain('Family, 1 child');
      expect(found).toContain('Brookside refuge');
      expect(found).not.toContain('Castlebrook refuge');
      for (const secret of ['2 Example Close', 'XB8 8ZZ']) expect(await page.content()).not.toContain(secret);
      if (javaScript) await screenshot(page, 'case-accommodation');
      await press(page, 'Send refuge referral');
      let summary = (await page.locator('.govuk-error-summary').textContent()) ?? '';
      expect(summary).toContain('Unit is required');
      expect(summary).toContain('Consent is required');
      expect(await page.locator('.govuk-error-summary a').first().getAttribute('href')).toBe('#refuge-1-unitType');
      await expectAccessible(page);
      await page.check('#refuge-1-unitType'); // family, 1 child
      // The lawful basis is asked for when they have not agreed (with JavaScript, only then).
      expect(await page.locator('#refuge-1-lawfulBasis').isVisible()).toBe(!javaScript);
      await page.check('#refuge-1-consent-2'); // they do not agree
      expect(await page.locator('#refuge-1-lawfulBasis').isVisible()).toBe(true);
      await press(page, 'Send refuge referral');
      summary = (await page.locator('.govuk-error-summary').textContent()) ?? '';
      expect(summary).toContain('The lawful basis is required when consent is not given');
      expect(await page.locator('.govuk-error-summary a').first().getAttribute('href')).toBe('#refuge-1-lawfulBasis');
      expect(await page.isChecked('#refuge-1-unitType')).toBe(true);
      await expectAccessible(page);
      await page.fill('#refuge-1-lawfulBasis', 'Serious risk of harm to her and her child.');
      await press(page, 'Send refuge referral');
      expect(new URL(page.url()).pathname).toBe(`/cases/${caseId}`);
      expect(await page.locator('.govuk-notification-banner').textContent()).toContain('Refuge referral sent');
      expect(await timelineText(page)).toContain('Referral to Brookside refuge: sent');
      await expectAccessible(page);
      const refugeReferral = await app.database.db
        .selectFrom('referrals as r')
        .innerJoin('services as s', 's.id', 'r.service_id')
        .select(['s.name', 'r.unit_type', 'r.consent', 'r.lawful_basis', 'r.state'])
        .where('r.referring_case_id', '=', caseId!)
        .execute();
      expect(refugeReferral).toEqual([{ name: 'Brookside refuge', unit_type: 'family_1_child', consent: 'refused', lawful_basis: 'Serious risk of harm to her and her child.', state: 'sent' }]);

      // Printed without a name, a reference, the organisation or navigation.
      await follow(page, 'Print the safety plan');
      expect(new URL(page.url()).pathname).toBe(`/cases/${caseId}/safety-plan/print`);
      // Read through the service, so audited like any view of the case.
      expect(await app.database.db.selectFrom('audit_events').select('id').where('record_id', '=', caseId!).where('action', '=', 'case.safety_plan_read').execute()).toHaveLength(1);
      await expectAccessible(page);
      const printed = (await page.locator('body').textContent()) ?? '';
      expect(printed).toContain('Dial 999; if you cannot speak, press 55.');
      for (const identifying of [name, name.split(' ')[0]!, reference, DA_SERVICE, 'Demo IDVA', 'spoc']) expect(printed).not.toContain(identifying);
      expect(await page.title()).toBe('Plan');
      expect(await page.locator('header, nav, .govuk-service-navigation').count()).toBe(0);
      expect(await page.locator('link[rel="stylesheet"][media="print"]').count()).toBe(1);
      expect(await page.locator('[data-print]').isVisible()).toBe(javaScript);
      await page.goto(`${base}/cases/${caseId}`);

      // An action: missing title named; then added, on the caseworker's tasks, and done.
      await follow(page, 'Add an action');
      await expectAccessible(page);
      // The owner: me unless a colleague who can own actions is chosen.
      expect(await page.locator('#ownerId option:checked').textContent()).toBe('Demo IDVA (you)');
      expect(await page.locator('#ownerId option').allTextContents()).toContain('Demo Provider Manager');
      const due = dayFromToday(7);
      await page.fill('#dueOn-day', due.day);
      await page.fill('#dueOn-month', due.month);
      await page.fill('#dueOn-year', due.year);
      await press(page, 'Add action');
      expect(await page.locator('.govuk-error-summary').textContent()).toContain('Action is required');
      expect(await page.inputValue('#dueOn-day')).toBe(due.day);
      await expectAccessible(page);
      const title = `Apply for a non-molestation order (${javaScript ? 'on' : 'off'})`;
      await page.fill('#title', title);
      await press(page, 'Add action');
      expect(await page.locator('#actions + table').textContent()).toContain(title);
      expect(await page.locator('#actions + table').textContent()).toContain('Demo IDVA (you)');
      expect(await timelineText(page)).toContain(`Action: ${title}`);
      await page.goto(`${base}/`);
      await expectAccessible(page);
      const tasks = (await page.locator('#tasks + table').textContent()) ?? '';
      expect(tasks).toContain(title);
      expect(tasks).toContain(reference);
      await Promise.all([page.waitForNavigation(), page.click(`#tasks + table a:has-text("${reference}")`)]);
      await press(page, 'Mark done');
      expect(await page.locator('.govuk-notification-banner').textContent()).toContain('Action marked as done');
      expect(await timelineText(page)).toContain(`Action done: ${title}`);

      // A sensitive note.
      await follow(page, 'Write a note');
      await expectAccessible(page);
      await page.fill('#body', 'Talked through the plan; she keeps the bag at her sister’s.');
      await page.check('#sensitive');
      await press(page, 'Save note');
      expect(await timelineText(page)).toContain('Note (sensitive)');

      // Outcome measures at intake, then at exit.
      for (const [stage, feelingSafe, wellbeing, frequency] of [
        ['intake', '2', '3', 'weekly'],
        ['exit', '8', '7', 'none'],
      ] as const) {
        await follow(page, 'Record outcome measures');
        await expectAccessible(page);
        expect(await page.locator(`input[name="stage"][value="${stage}"]`).isChecked()).toBe(true);
        for (const type of ['physical', 'sexual', 'emotional', 'coercive_control', 'economic', 'stalking', 'online']) {
          await page.selectOption(`#abuse-${type}-frequency`, type === 'physical' || type === 'coercive_control' ? frequency : 'none');
          await page.selectOption(`#abuse-${type}-severity`, type === 'physical' || type === 'coercive_control' ? (frequency === 'none' ? 'none' : 'high') : 'none');
        }
        if (stage === 'intake') {
          // Leaving a score out is named, and what was chosen is kept.
          await press(page, 'Save outcome measures');
          expect(await page.locator('.govuk-error-summary').textContent()).toContain('How safe they feel is required');
          expect(await page.inputValue('#abuse-physical-frequency')).toBe(frequency);
          await expectAccessible(page);
        }
        await page.selectOption('#feelingSafe', feelingSafe);
        await page.selectOption('#wellbeing', wellbeing);
        await press(page, 'Save outcome measures');
        expect(await timelineText(page)).toContain(`Outcome measures at ${stage}`);
      }
      const outcomes = (await page.locator('#outcomes + table').textContent()) ?? '';
      expect(outcomes).toContain('2 out of 10');
      expect(outcomes).toContain('8 out of 10');

      // Closed with a reason: the case says so, its forms are gone, and it leaves the open list.
      await follow(page, 'Close the case');
      await expectAccessible(page);
      await press(page, 'Close the case');
      expect(await page.locator('.govuk-error-summary').textContent()).toContain('Why it is closing is required');
      await expectAccessible(page);
      await page.check('#reason'); // support completed
      await page.fill('#note', 'Safety plan in place; order granted.');
      await press(page, 'Close the case');
      expect(await page.locator('h1 + p').textContent()).toContain('Support completed');
      expect(await timelineText(page)).toContain('Case closed: support completed');
      expect(await page.locator('main a:has-text("Write a note")').count()).toBe(0);
      await expectAccessible(page);
      const kinds = ['opened', 'Referral to IDVA service: accepted', 'Household member added', 'Alleged perpetrator recorded', 'Safety plan, version 1', 'Referral to Brookside refuge: sent', 'Action done', 'Outcome measures at intake', 'Outcome measures at exit', 'Case closed'];
      const timeline = await timelineText(page);
      for (const kind of kinds) expect(timeline, kind).toContain(kind);
      const state = await app.database.db.selectFrom('cases').select(['state', 'closure_reason']).where('id', '=', caseId!).executeTakeFirstOrThrow();
      expect(state).toEqual({ state: 'closed', closure_reason: 'support_completed' });

      await page.goto(`${base}/cases`);
      await expectAccessible(page);
      expect(await page.locator('main').textContent()).not.toContain(reference);
      await page.goto(`${base}/cases?state=closed`);
      await expectAccessible(page);
      expect(await page.locator('main table').textContent()).toContain(reference);
      await context.close();
    });
  }
});

describe('cases over HTTP', () => {
  /** The page's main content, without what changes from answer to answer (CSRF token, nonce). */
  const mainOf = (html: string) => (/<main[\s\S]*<\/main>/.exec(html)?.[0] ?? '').replace(/name="_csrf" value="[^"]+"/g, '');

  it("answers another organisation's case exactly as a missing one, on every case page", async () => {
    const { referralIds } = await referredContact({ name: 'Sasha Private', dateOfBirth: '1991-01-11' }, ['IDVA service']);
    const caseId = await acceptedCase(referralIds[0]!, IDVA);
    const own = new FormClient(app.client.baseUrl);
    await own.signIn(IDVA);
    expect((await own.request('GET', `/cases/${caseId}`)).status).toBe(200);

    const other = new FormClient(app.client.baseUrl);
    await other.signIn(REFUGE);
    const absent = '00000000-0000-4000-8000-000000000000';
    for (const path of ['', '/notes', '/safety-plan', '/safety-plan/print', '/outcomes', '/accommodation', '/programme-places', '/close']) {
      const theirs = await other.request('GET', `/cases/${caseId}${path}`);
      const none = await other.request('GET', `/cases/${absent}${path}`);
      expect(theirs.status, path).toBe(404);
      expect(none.status, path).toBe(404);
      expect(mainOf(theirs.text)).toBe(mainOf(none.text));
      expect(theirs.text).not.toContain('Sasha');
    }
    const csrf = await other.csrf('/cases');
    const posted = await other.request('POST', `/cases/${caseId}/notes`, { _csrf: csrf, body: 'Not our case' });
    expect(posted.status).toBe(404);
    const notes = await app.database.db.selectFrom('case_notes').select('id').where('case_id', '=', caseId).execute();
    expect(notes).toHaveLength(0);
    // The refusals were recorded.
    const denied = await app.database.db.selectFrom('audit_events').select('action').where('record_id', '=', caseId).where('outcome', '=', 'denied').execute();
    expect(denied.length).toBeGreaterThan(0);
    // Roles without cases have no Cases page at all.
    const handler = new FormClient(app.client.baseUrl);
    await handler.signIn(HANDLER);
    expect((await handler.request('GET', '/cases')).status).toBe(403);
    expect((await handler.request('GET', '/')).text).not.toContain('href="/cases"');
  });

  it("never shows another organisation's sensitive note on the case page", async () => {
    const { referralIds } = await referredContact({ name: 'Robin Shared', dateOfBirth: '1990-10-10' }, ['Community outreach', 'Brookside counselling'], 11);
    const caseA = await acceptedCase(referralIds[0]!, IDVA);
    const caseB = await acceptedCase(referralIds[1]!, REFUGE);
    expect(caseB).not.toBe(caseA);

    const refuge = new FormClient(app.client.baseUrl);
    await refuge.signIn(REFUGE);
    const csrf = await refuge.csrf(`/cases/${caseB}/notes`);
    const sensitive = await refuge.request('POST', `/cases/${caseB}/notes`, { _csrf: csrf, body: 'Disclosed something only we may know.', sensitive: 'yes' });
    expect(sensitive.status).toBe(303);
    expect(sensitive.headers.get('location')).toBe(`/cases/${caseB}?saved=note`);
    expect((await refuge.request('POST', `/cases/${caseB}/notes`, { _csrf: csrf, body: 'Attending counselling weekly.' })).status).toBe(303);
    const empty = await refuge.request('POST', `/cases/${caseB}/notes`, { _csrf: csrf, body: '   ' });
    expect(empty.status).toBe(422);
    expect(empty.text).toContain('href="#body"');
    const theirs = await refuge.request('GET', `/cases/${caseB}`);
    expect(theirs.text).toContain('only we may know');
    expect(theirs.text).toContain('Note (sensitive)');

    const idva = new FormClient(app.client.baseUrl);
    await idva.signIn(IDVA);
    const ours = await idva.request('GET', `/cases/${caseA}`);
    expect(ours.status).toBe(200);
    expect(ours.text).toContain('Attending counselling weekly.');
    expect(ours.text).not.toContain('only we may know');
    expect(ours.text).not.toContain('Note (sensitive)');
  });

  it('names bad input on the case forms and changes nothing', async () => {
    const { referralIds } = await referredContact({ name: 'Ali Forms', dateOfBirth: '1993-03-13' }, ['IDVA service']);
    const caseId = await acceptedCase(referralIds[0]!, IDVA);
    const idva = new FormClient(app.client.baseUrl);
    await idva.signIn(IDVA);
    const csrf = await idva.csrf(`/cases/${caseId}`);
    const perpetrator = await idva.request('POST', `/cases/${caseId}/perpetrators`, { _csrf: csrf, relationship: 'former_partner', phones: 'not a number' });
    expect(perpetrator.status).toBe(422);
    expect(perpetrator.text).toContain('href="#phones"');
    const household = await idva.request('POST', `/cases/${caseId}/household`, { _csrf: csrf, 'dateOfBirth-day': '31', 'dateOfBirth-month': '2', 'dateOfBirth-year': '2015' });
    expect(household.status).toBe(422);
    expect(household.text).toContain('href="#relationship"');
    expect(household.text).toContain('href="#dateOfBirth-day"');
    // Listed in the order the page asks.
    expect(household.text.indexOf('href="#relationship"')).toBeLessThan(household.text.indexOf('href="#dateOfBirth-day"'));
    const plan = await idva.request('POST', `/cases/${caseId}/safety-plan`, {
      _csrf: csrf,
      templateId: /name="templateId" value="([0-9a-f-]{36})"/.exec((await idva.request('GET', `/cases/${caseId}/safety-plan`)).text)![1]!,
      'sections[immediate_steps]': '',
      'reviewOn-day': '1',
      'reviewOn-month': '1',
      'reviewOn-year': '2001',
    });
    expect(plan.status).toBe(422);
    expect(plan.text).toContain('href="#reviewOn-day"');
    expect(plan.text).toContain('href="#section-immediate_steps"');
    const outcome = await idva.request('POST', `/cases/${caseId}/outcomes`, { _csrf: csrf, stage: 'intake', feelingSafe: '11', wellbeing: '3' });
    expect(outcome.status).toBe(422);
    expect(outcome.text).toContain('href="#feelingSafe"');
    expect(outcome.text).toContain('href="#abuse-physical-frequency"');
    const view = await api(IDVA).get(`/api/v1/cases/${caseId}`);
    expect(view.body).toMatchObject({ household: [], perpetrators: [], safetyPlan: null, outcomes: [] });
    // The referral shows "Open the case" to the receiving organisation only.
    expect((await idva.request('GET', `/referrals/${referralIds[0]}`)).text).toContain(`href="/cases/${caseId}"`);
    const handler = new FormClient(app.client.baseUrl);
    await handler.signIn(HANDLER);
    expect((await handler.request('GET', `/referrals/${referralIds[0]}`)).text).not.toContain('Open the case');
  });

  it('finds safe accommodation for the household or as adjusted, names bad input, and sends one refuge referral', async () => {
    const { referralIds } = await referredContact({ name: 'Jo Housing', dateOfBirth: '1989-09-09' }, ['IDVA service']);
    const caseId = await acceptedCase(referralIds[0]!, IDVA);
    const idva = new FormClient(app.client.baseUrl);
    await idva.signIn(IDVA);
    const path = `/cases/${caseId}/accommodation`;
    // No children, no other needs: a single unit; the IDVA's own organisation's refuge, with its address.
    const page = await idva.request('GET', path);
    expect(page.status).toBe(200);
    expect(page.text).toContain('No children living with them');
    expect(page.text).toContain('Castlebrook refuge');
    expect(page.text).toContain('1 Example Row');
    expect(page.text).not.toContain('Brookside refuge');
    // The household as the caseworker adjusts it: another refuge, whose address they never see.
    const adjusted = await idva.request('GET', `${path}?filter=1&children=1&noRecourse=yes`);
    expect(adjusted.text).toContain('Brookside refuge');
    expect(adjusted.text).not.toContain('Castlebrook refuge');
    expect(adjusted.text).not.toContain('2 Example Close');
    expect(adjusted.text).toContain('From the case: No children living with them');
    expect(adjusted.text).toContain(`action="${path}?filter=1&amp;children=1&amp;noRecourse=yes"`);
    const badFilter = await idva.request('GET', `${path}?filter=1&children=lots`);
    expect(badFilter.status).toBe(422);
    expect(badFilter.text).toContain('href="#children"');
    expect(badFilter.text).toContain('Children living with them must be a whole number from 0 to 12');

    const csrf = await idva.csrf(path);
    const refuge = await serviceId('Castlebrook refuge');
    const nothing = await idva.request('POST', path, { _csrf: csrf, serviceId: refuge, consent: 'not_asked' });
    expect(nothing.status).toBe(422);
    const links = ['#refuge-1-unitType', '#refuge-1-lawfulBasis'].map((href) => nothing.text.indexOf(`href="${href}"`));
    expect(links[0]).toBeGreaterThan(-1);
    expect(links[1]).toBeGreaterThan(links[0]!);
    const noRoom = await idva.request('POST', path, { _csrf: csrf, serviceId: refuge, unitType: 'family_2_children', consent: 'given' });
    expect(noRoom.status).toBe(422);
    expect(noRoom.text).toContain('Castlebrook refuge has no family 2 children vacancy');
    expect(noRoom.text).toContain('href="#refuge-1-unitType"');
    const sent = await idva.request('POST', path, { _csrf: csrf, serviceId: refuge, unitType: 'single', consent: 'given', reason: 'Needs to leave this week.' });
    expect(sent.status).toBe(303);
    expect(sent.headers.get('location')).toBe(`/cases/${caseId}?saved=refuge`);
    const twice = await idva.request('POST', path, { _csrf: csrf, serviceId: refuge, unitType: 'single', consent: 'given' });
    expect(twice.status).toBe(409);
    expect(twice.text).toContain('This contact already has a live referral to Castlebrook refuge');
    expect(twice.text).toContain('href="#refuge-1-unitType"');
    const made = await app.database.db.selectFrom('referrals').select(['unit_type', 'added_reason']).where('referring_case_id', '=', caseId).execute();
    expect(made).toEqual([{ unit_type: 'single', added_reason: 'Needs to leave this week.' }]);
    const casePage = await idva.request('GET', `/cases/${caseId}?saved=refuge`);
    expect(casePage.text).toContain('Refuge referral sent.');
    expect(casePage.text).toContain('Referral to Castlebrook refuge: sent');
    // Roles that do not refer have no such page, and no link to it.
    const manager = new FormClient(app.client.baseUrl);
    await manager.signIn('provider-manager@castlebrook.example');
    expect((await manager.request('GET', path)).status).toBe(403);
    expect((await manager.request('GET', `/cases/${caseId}`)).text).not.toContain(`href="${path}"`);
  });

  it('asks "Is this someone we know?" on a contact, with reasons, and links only on a person’s confirmation', async () => {
    const first = await referredContact({ name: 'Morgan Returning', dateOfBirth: '1982-02-12', phones: ['07700 900321'] }, ['IDVA service']);
    await acceptedCase(first.referralIds[0]!, IDVA);
    const handlerApi = api(HANDLER);
    const again = await handlerApi.post('/api/v1/contacts', { channel: 'phone', callerType: 'victim', immediateDanger: 'no', person: { name: 'Morgan Returning', dateOfBirth: '1982-02-12', postcode: 'XB2 1AA' } });
    const handler = new FormClient(app.client.baseUrl);
    await handler.signIn(HANDLER);
    const page = await handler.request('GET', `/contacts/${again.body.id}`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Is this someone we know?');
    expect(page.text).toContain('same date of birth');
    expect(page.text).toContain(`${DA_SERVICE} (open case)`);
    const personId = /name="personId" value="([0-9a-f-]{36})"/.exec(page.text)?.[1];
    expect(personId).toBeDefined();
    // Proposed, not merged.
    expect((await app.database.db.selectFrom('contacts').select('person_id').where('id', '=', again.body.id).executeTakeFirstOrThrow()).person_id).toBeNull();

    const csrf = await handler.csrf(`/contacts/${again.body.id}`);
    const wrong = await handler.request('POST', `/contacts/${again.body.id}/matches`, { _csrf: csrf, personId: '00000000-0000-4000-8000-000000000000', decision: 'confirmed' });
    expect(wrong.status).toBe(422);
    expect(wrong.text).toContain('href="#matches"');
    const confirmed = await handler.request('POST', `/contacts/${again.body.id}/matches`, { _csrf: csrf, personId: personId!, decision: 'confirmed' });
    expect(confirmed.status).toBe(303);
    expect(confirmed.headers.get('location')).toBe(`/contacts/${again.body.id}?matched=confirmed#matches`);
    const linked = await handler.request('GET', `/contacts/${again.body.id}`);
    expect(linked.text).toContain('This contact is linked to a known person');
    expect(linked.text).toContain(`Known to: ${DA_SERVICE} (open case)`);
    expect(linked.text).not.toContain('Record as a new person');
    const decisions = await app.database.db.selectFrom('person_match_decisions').select('decision').where('contact_id', '=', again.body.id).execute();
    expect(decisions).toEqual([{ decision: 'confirmed' }]);

    // Someone new: recorded as a new person.
    const stranger = await handlerApi.post('/api/v1/contacts', { channel: 'phone', callerType: 'victim', immediateDanger: 'no', person: { name: 'Wren Unknown', dateOfBirth: '1999-09-19' } });
    const fresh = await handler.request('GET', `/contacts/${stranger.body.id}`);
    expect(fresh.text).toContain('No one known to you matches');
    const created = await handler.request('POST', `/contacts/${stranger.body.id}/person`, { _csrf: csrf });
    expect(created.status).toBe(303);
    expect((await app.database.db.selectFrom('contacts').select('person_id').where('id', '=', stranger.body.id).executeTakeFirstOrThrow()).person_id).not.toBeNull();

    // A perpetrator seeking help is never offered victims' records as matches.
    const perpetrator = await handlerApi.post('/api/v1/contacts', { channel: 'phone', callerType: 'perpetrator', immediateDanger: 'no', person: { name: 'Morgan Returning', dateOfBirth: '1982-02-12' } });
    expect(perpetrator.status).toBe(201);
    const theirPage = await handler.request('GET', `/contacts/${perpetrator.body.id}`);
    expect(theirPage.status).toBe(200);
    expect(theirPage.text).not.toContain('Is this someone we know?');
  });
});

describe('times on the timeline', () => {
  it('are shown in Europe/London whatever the server’s zone, in MOJ Frontend’s formats', () => {
    expect(mojDateInLondon('2026-07-01T12:30:00Z', 'datetime')).toBe('1 July 2026 at 1:30pm');
    expect(mojDateInLondon('2026-12-01T09:00:00Z', 'datetime')).toBe('1 December 2026 at 9am');
    expect(mojDateInLondon('2026-03-29T00:59:00Z', 'shortdatetime')).toBe('29 Mar 2026 at 12:59am');
    expect(mojDateInLondon('2026-11-30', 'date')).toBe('30 November 2026');
  });
});
