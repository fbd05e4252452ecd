/// <reference lib="dom" />
/**
 * The staff web app in a real browser (Debian's chromium): a high-risk call taken with the
 * keyboard only, the provider accepting it, the same call flow with JavaScript off, a
 * decline reaching the coordinator's re-route queue, and another organisation's referral
 * refused by URL. Every page is scanned by axe.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD, DEMO_TOTP_SECRET, demoToken } from '../src/seed/demo.js';
import { dashAnswers, startApp, startDemoApp, type TestApp } from './harness.js';
import { browserMissing, expectAccessible, launch, newContext, screenshot, submitWithKeyboard, tabTo, typeInto, signInAs } from './web/browser.js';
import { nextTotp } from './web/totp.js';

const missing = browserMissing();
if (missing) console.log(`web.test.ts: skipped: ${missing}`);

describe.skipIf(missing !== null)('staff web app in a browser', { timeout: 120_000 }, () => {
  let app: TestApp;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    app = await startDemoApp();
    base = app.client.baseUrl;
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  async function signIn(page: Page, email: string): Promise<void> {
    await page.goto(`${base}/sign-in`);
    await expectAccessible(page);
    await signInAs(page, base, email);
    expect(new URL(page.url()).pathname).toBe('/');
  }

  /** The pages' titles and addresses carry no personal data. */
  async function expectNeutral(page: Page): Promise<void> {
    const title = await page.title();
    expect(title).not.toMatch(/Keyboard|Nojs|high|medium|standard|XB\d/i);
    expect(page.url()).not.toMatch(/Keyboard|Nojs|XB\d|07700/i);
  }

  let keyboardContactId = '';
  let idvaReferralId = '';

  it('a call handler takes a high-risk call to sent referrals with the keyboard only', async () => {
    const context = await newContext(browser, { javaScript: true });
    const page = await context.newPage();
    // Signing in, by keyboard too.
    await page.goto(`${base}/`);
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    await typeInto(page, '#email', 'handler@castlebrook.example');
    await typeInto(page, '#password', DEMO_PASSWORD);
    await submitWithKeyboard(page, 'form[action="/sign-in"] button');
    // The second factor, by keyboard: the code from the demo users' authenticator.
    expect(new URL(page.url()).pathname).toBe('/sign-in/code');
    await expectAccessible(page);
    await typeInto(page, '#code', await nextTotp(base, 'handler@castlebrook.example', DEMO_TOTP_SECRET));
    await submitWithKeyboard(page, 'form[action="/sign-in/code"] button');
    await expectAccessible(page);
    await tabTo(page, 'a[href="/calls/new"]');
    await Promise.all([page.waitForNavigation(), page.keyboard.press('Enter')]);

    // Stage 1: immediate danger first.
    expect(new URL(page.url()).pathname).toBe('/calls/new');
    await expectAccessible(page);
    await tabTo(page, '#immediateDanger');
    await page.keyboard.press('Space'); // yes
    await tabTo(page, '#callerType');
    await page.keyboard.press('Space'); // the person experiencing abuse
    await submitWithKeyboard(page, 'form[action="/calls/new"] button');

    // Stage 2: a "yes" shows the 999 guidance first; the person and safe contact.
    expect(page.url()).toMatch(/\/calls\/[0-9a-f-]{36}\/about$/);
    keyboardContactId = page.url().split('/')[4]!;
    await expect.poll(() => page.locator('.spoc-danger').textContent()).toContain('call 999');
    await expectAccessible(page);
    await expectNeutral(page);
    await screenshot(page, 'live-call-about');
    await typeInto(page, '#name', 'Keyboard Person');
    await typeInto(page, '#dateOfBirth-day', '4');
    await typeInto(page, '#dateOfBirth-month', '3');
    await typeInto(page, '#dateOfBirth-year', '1990');
    await tabTo(page, '#gender');
    await page.keyboard.press('Space');
    await typeInto(page, '#postcode', 'XB2 1AA');
    await tabTo(page, '#children');
    await page.keyboard.press('Control+A');
    await page.keyboard.type('2');
    await typeInto(page, '#phone', '07700 900123');
    await tabTo(page, '#safeChannels');
    await page.keyboard.press('Space'); // safe to ring
    await submitWithKeyboard(page, 'form[action$="/about"] button');

    // Stage 3: the checklist, 15 yes and 9 no, answered by keyboard; the live count follows.
    expect(page.url()).toMatch(/\/risk$/);
    await expectAccessible(page);
    for (let i = 1; i <= 24; i += 1) {
      await tabTo(page, `input[name="answers[q${String(i).padStart(2, '0')}]"]`);
      await page.keyboard.press(i <= 15 ? 'Space' : 'ArrowRight');
    }
    await expect.poll(() => page.locator('[data-yes-count]').textContent()).toBe('15 yes of 24 answered');
    await expect.poll(() => page.locator('[data-yes-level]').textContent()).toContain('high');
    // The connection drops and the page is opened again before saving: the answers are still there.
    await page.goto(page.url());
    await expect.poll(() => page.locator('[data-yes-count]').textContent()).toBe('15 yes of 24 answered');
    await tabTo(page, 'input[name="answers[q24]"]');
    await screenshot(page, 'live-call-checklist');
    await submitWithKeyboard(page, 'form[action$="/risk"] button');

    // Stage 4: needs.
    expect(page.url()).toMatch(/\/needs$/);
    await expectAccessible(page);
    await expect.poll(() => page.locator('.spoc-summary').textContent()).toContain('High (15 yes)');
    await typeInto(page, '#summary', 'Told once, read by every service.');
    await submitWithKeyboard(page, 'form[action$="/needs"] button');

    // Stage 5: pathways with reasons; consent; send.
    expect(page.url()).toMatch(/\/send$/);
    await expectAccessible(page);
    const proposed = await page.locator('input[name="services"]').evaluateAll((inputs) =>
      inputs.map((input) => (input as HTMLInputElement).labels?.[0]?.textContent?.trim()),
    );
    expect(proposed).toEqual(expect.arrayContaining(['IDVA service', 'Castlebrook MARAC']));
    await screenshot(page, 'live-call-pathways');
    await tabTo(page, '#consent');
    await page.keyboard.press('Space'); // given
    await submitWithKeyboard(page, 'form[action$="/send"] button');

    expect(new URL(page.url()).pathname).toBe(`/contacts/${keyboardContactId}`);
    await expectAccessible(page);
    await expectNeutral(page);
    await screenshot(page, 'contact');
    await expect.poll(() => page.locator('.govuk-notification-banner').textContent()).toContain('Referrals sent');
    const rows = await page.locator('table tbody tr').allTextContents();
    expect(rows.some((row) => row.includes('IDVA service') && row.includes('Sent'))).toBe(true);
    const referral = await app.database.db
      .selectFrom('referrals as r')
      .innerJoin('services as s', 's.id', 'r.service_id')
      .select(['r.id', 'r.risk_level', 'r.consent'])
      .where('r.contact_id', '=', keyboardContactId)
      .where('s.name', '=', 'IDVA service')
      .executeTakeFirstOrThrow();
    expect(referral).toMatchObject({ risk_level: 'high', consent: 'given' });
    idvaReferralId = referral.id;
    // The contacts list finds it.
    await page.goto(`${base}/contacts?q=Keyboard`);
    await expectAccessible(page);
    expect(await page.locator('table tbody').textContent()).toContain('Keyboard Person');
    await context.close();
  });

  it('the IDVA service sees it in its inbox and accepts it', async () => {
    const context = await newContext(browser, { javaScript: true });
    const page = await context.newPage();
    await signIn(page, 'idva@castlebrook.example');
    await page.goto(`${base}/inbox`);
    await expectAccessible(page);
    await screenshot(page, 'provider-inbox');
    await Promise.all([page.waitForNavigation(), page.click(`a[href="/referrals/${idvaReferralId}"]`)]);
    await expectAccessible(page);
    await expectNeutral(page);
    // Tell it once: the whole contact is there.
    expect(await page.locator('main').textContent()).toContain('Told once, read by every service.');
    await screenshot(page, 'provider-referral');
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Acknowledge")')]);
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Accept")')]);
    await expect.poll(() => page.locator('h1 + p .govuk-tag').textContent()).toContain('Accepted');
    // Only the channels marked safe are offered for a contact attempt.
    const channels = await page.locator('input[name="channel"]').evaluateAll((inputs) => inputs.map((i) => (i as HTMLInputElement).value));
    expect(channels).toEqual(['phone_call', 'in_person']);
    await expectAccessible(page);
    const state = await app.database.db.selectFrom('referrals').select('state').where('id', '=', idvaReferralId).executeTakeFirstOrThrow();
    expect(state.state).toBe('accepted');
    // A contact attempt on a safe channel is recorded and moves the referral on.
    await page.check('#channel'); // phone call
    await page.check('#outcome-2'); // no answer
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Record attempt")')]);
    await expect.poll(() => page.locator('h1 + p .govuk-tag').textContent()).toContain('Contact attempted');
    expect(await page.locator('main').textContent()).toContain('contact attempt by phone call, no answer');
    const attempts = await app.database.db.selectFrom('contact_attempts').select(['channel', 'outcome']).where('referral_id', '=', idvaReferralId).execute();
    expect(attempts).toEqual([{ channel: 'phone_call', outcome: 'no_answer' }]);
    await context.close();
  });

  it('another organisation cannot open the referral by changing the id in the URL', async () => {
    const context = await newContext(browser, { javaScript: true });
    const page = await context.newPage();
    await signIn(page, 'refuge@castlebrook.example');
    const response = await page.goto(`${base}/referrals/${idvaReferralId}`);
    expect(response?.status()).toBe(404);
    expect(await page.locator('main').textContent()).not.toContain('Keyboard Person');
    await expectAccessible(page);
    const contact = await page.goto(`${base}/contacts/${keyboardContactId}`);
    expect(contact?.status()).toBe(404);
    await context.close();
  });

  it('the new-contact flow works with JavaScript off, and a decline reaches the coordinator’s re-route queue', async () => {
    const handler = await (await newContext(browser, { javaScript: false })).newPage();
    await signIn(handler, 'handler@castlebrook.example');
    await handler.goto(`${base}/calls/new`);
    // Saving with nothing chosen names the missing answers.
    await Promise.all([handler.waitForNavigation(), handler.click('form[action="/calls/new"] button')]);
    expect(await handler.locator('.govuk-error-summary').textContent()).toContain('Whether anyone is in immediate danger');
    await expectAccessible(handler);
    await handler.check('#immediateDanger-2'); // no
    await handler.check('#callerType');
    await Promise.all([handler.waitForNavigation(), handler.click('form[action="/calls/new"] button')]);
    expect(await handler.locator('.spoc-danger').count()).toBe(0);
    const contactId = handler.url().split('/')[4]!;
    await handler.fill('#name', 'Nojs Person');
    await handler.fill('#postcode', 'XB2 1AB');
    await handler.fill('#phone', '07700 900456');
    await handler.check('#safeChannels');
    await Promise.all([handler.waitForNavigation(), handler.click('form[action$="/about"] button')]);
    // A reload keeps what was saved: the draft is on the server.
    await handler.goto(`${base}/calls/${contactId}/about`);
    expect(await handler.inputValue('#name')).toBe('Nojs Person');
    await handler.goto(`${base}/calls/${contactId}/risk`);
    for (let i = 1; i <= 24; i += 1) await handler.check(`#answers-q${String(i).padStart(2, '0')}${i <= 15 ? '' : '-2'}`);
    await Promise.all([handler.waitForNavigation(), handler.click('form[action$="/risk"] button')]);
    // Without JavaScript the count appears once the checklist is saved.
    expect(await handler.locator('.spoc-summary').textContent()).toContain('High (15 yes)');
    await Promise.all([handler.waitForNavigation(), handler.click('form[action$="/needs"] button')]);
    await expectAccessible(handler);
    // Send to the IDVA service only, without consent but with a lawful basis.
    const idva = await handler.locator('input[name="services"]').evaluateAll((inputs) =>
      inputs.map((input) => ({ value: (input as HTMLInputElement).value, label: (input as HTMLInputElement).labels?.[0]?.textContent?.trim() })),
    );
    for (const item of idva) if (item.label !== 'IDVA service') await handler.uncheck(`input[name="services"][value="${item.value}"]`);
    await handler.check('#consent-2'); // refused
    await Promise.all([handler.waitForNavigation(), handler.click('form[action$="/send"] button')]);
    expect(await handler.locator('.govuk-error-summary').textContent()).toContain('lawful basis');
    await handler.fill('#lawfulBasis', 'Serious risk of harm to the children');
    await Promise.all([handler.waitForNavigation(), handler.click('form[action$="/send"] button')]);
    expect(new URL(handler.url()).pathname).toBe(`/contacts/${contactId}`);
    const sent = await app.database.db.selectFrom('referrals').select(['id', 'consent', 'lawful_basis']).where('contact_id', '=', contactId).execute();
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatchObject({ consent: 'refused', lawful_basis: 'Serious risk of harm to the children' });

    // The IDVA service declines it, with a reason, JavaScript off.
    const idvaPage = await (await newContext(browser, { javaScript: false })).newPage();
    await signIn(idvaPage, 'idva@castlebrook.example');
    await idvaPage.goto(`${base}/referrals/${sent[0]!.id}`);
    await idvaPage.locator('summary:has-text("Decline this referral")').click();
    await idvaPage.selectOption('#declined-reasonCode', 'no_capacity');
    await idvaPage.fill('#declined-reasonText', 'Caseloads full this week');
    await Promise.all([idvaPage.waitForNavigation(), idvaPage.click('button:has-text("Decline")')]);
    expect(await idvaPage.locator('h1 + p .govuk-tag').textContent()).toContain('Declined');

    // The coordinator finds it in the re-route queue.
    const coordinator = await (await newContext(browser, { javaScript: true })).newPage();
    await signIn(coordinator, 'coordinator@castlebrook.example');
    await coordinator.goto(`${base}/queues`);
    await expectAccessible(coordinator);
    await screenshot(coordinator, 'coordinator-queues');
    const queue = await coordinator.locator('#reroute + .govuk-summary-card, #reroute ~ .govuk-summary-card').allTextContents();
    // A professional's referral made through the API waits in the triage queue.
    const police = app.client.as(demoToken('police@castlebrook.example'));
    const referred = await police.post('/api/v1/contacts', { channel: 'professional_referral', callerType: 'professional', immediateDanger: 'no' });
    expect(referred.status).toBe(201);
    await coordinator.goto(`${base}/queues`);
    expect(await coordinator.locator('#triage + table').textContent()).toContain(referred.body.reference);
    expect(queue.some((card) => card.includes('IDVA service') && card.includes('Declined'))).toBe(true);
  });

  it('the coordinator keeps the directory current and replays candidate rules', async () => {
    const context = await newContext(browser, { javaScript: true });
    const page = await context.newPage();
    await signIn(page, 'coordinator@castlebrook.example');
    await page.goto(`${base}/directory`);
    await expectAccessible(page);
    await Promise.all([page.waitForNavigation(), page.click('a:has-text("Castlebrook refuge")')]);
    await expectAccessible(page);
    await page.fill('#available-single', '0');
    await page.fill('#available-family_2_children', '1');
    await page.check('#capacityStatus-2'); // waiting list
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save capacity")')]);
    const refuge = await app.database.db.selectFrom('services').select(['capacity_status', 'vacancies']).where('name', '=', 'Castlebrook refuge').executeTakeFirstOrThrow();
    expect(refuge.capacity_status).toBe('waiting_list');
    expect(refuge.vacancies).toEqual([{ unitType: 'family_2_children', available: 1, acceptsNoRecourse: false }]);

    // Opening hours: a half-filled day is refused, naming it, and nothing changes.
    await page.fill('#opens-saturday', '10:00');
    await page.fill('#closes-saturday', '');
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save opening hours")')]);
    expect(await page.locator('.govuk-error-summary').textContent()).toContain('Saturday needs both an opening and a closing time');
    await expectAccessible(page);
    const hours = await app.database.db.selectFrom('services').select('opening_hours').where('name', '=', 'Castlebrook refuge').executeTakeFirstOrThrow();
    expect(hours.opening_hours).toHaveLength(7);
    // A weekday service's hours, saved.
    await page.fill('#opens-saturday', '10:00');
    await page.fill('#closes-saturday', '14:00');
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save opening hours")')]);
    const saved = await app.database.db.selectFrom('services').select('opening_hours').where('name', '=', 'Castlebrook refuge').executeTakeFirstOrThrow();
    expect(saved.opening_hours).toContainEqual({ day: 'saturday', opens: '10:00', closes: '14:00' });

    // Details: bad input is named and changes nothing; good input is saved, the refuge's address kept.
    const before = await app.database.db.selectFrom('services').select(['name', 'address', 'min_age']).where('name', '=', 'Castlebrook refuge').executeTakeFirstOrThrow();
    await page.fill('#minAge', '30');
    await page.fill('#maxAge', '20');
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save details")')]);
    expect(await page.locator('.govuk-error-summary').textContent()).toContain('Oldest age must not be below minAge');
    await expectAccessible(page);
    expect((await app.database.db.selectFrom('services').select('min_age').where('name', '=', 'Castlebrook refuge').executeTakeFirstOrThrow()).min_age).toBe(before.min_age);
    await page.fill('#minAge', '18');
    await page.fill('#maxAge', '');
    await page.fill('#areaDistricts', 'xb1, XB2');
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Save details")')]);
    const after = await app.database.db.selectFrom('services').select(['address', 'min_age', 'area_districts']).where('name', '=', 'Castlebrook refuge').executeTakeFirstOrThrow();
    expect(after).toEqual({ address: before.address, min_age: 18, area_districts: ['XB1', 'XB2'] });

    // Rules: drop the high-risk rule and see which contacts would change (one high-risk contact at least).
    const api = app.client.as(demoToken('handler@castlebrook.example'));
    const made = await api.post('/api/v1/contacts', { channel: 'phone', callerType: 'victim', immediateDanger: 'no', person: { postcode: 'XB2 1AA', dateOfBirth: '1990-01-01' } });
    expect((await api.post(`/api/v1/contacts/${made.body.id}/risk-assessments`, { answers: dashAnswers(15) })).status).toBe(201);
    await page.goto(`${base}/rules`);
    await expectAccessible(page);
    const candidate = JSON.parse(await page.inputValue('#candidate')) as { rules: Array<{ id: string; propose: string[] }> };
    const highRisk = candidate.rules.find((r) => r.propose.includes('idva'))!;
    await page.fill('#candidate', JSON.stringify({ rules: candidate.rules.filter((r) => r !== highRisk) }));
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Replay")')]);
    await expectAccessible(page);
    const heading = await page.locator('h2:has-text("Replay")').textContent();
    expect(heading).toMatch(/Replay: [1-9]\d* of \d+ contacts would change/);
    const rows = await page.locator('table').last().locator('tbody tr').allTextContents();
    expect(rows.some((row) => row.includes('IDVA service'))).toBe(true);
    // Bad JSON is named, not a crash.
    await page.fill('#candidate', '{ not json');
    await Promise.all([page.waitForNavigation(), page.click('button:has-text("Replay")')]);
    expect(await page.locator('.govuk-error-summary').textContent()).toContain('is not valid JSON');

    // The staffing forecast: a chart with its figures as a table.
    await page.goto(`${base}/forecast?from=2026-11-01&to=2026-11-30&day=2`);
    await expectAccessible(page);
    expect(await page.locator('figure progress').count()).toBe(24);
    expect(await page.locator('table').last().locator('tbody tr').count()).toBe(24);

    // A provider manager may change only their own organisation's services.
    const manager = await (await newContext(browser, { javaScript: true })).newPage();
    await signIn(manager, 'provider-manager@castlebrook.example');
    await manager.goto(`${base}/directory`);
    expect(await manager.locator('a:has-text("IDVA service")').count()).toBe(1);
    expect(await manager.locator('a:has-text("Brookside refuge")').count()).toBe(0);
    const brookside = await app.database.db.selectFrom('services').select('id').where('name', '=', 'Brookside refuge').executeTakeFirstOrThrow();
    expect((await manager.goto(`${base}/directory/services/${brookside.id}`))?.status()).toBe(403);
    await context.close();
  });

  it('warns before an idle session ends, and "stay signed in" keeps it', async () => {
    // A second app over the same database whose sessions end after 2 idle minutes: the warning comes after 10 s.
    const short = await startApp(app.database, { sessionIdleMinutes: 2 });
    try {
      const page = await (await newContext(browser, { javaScript: true })).newPage();
      await signInAs(page, short.client.baseUrl, 'handler@castlebrook.example');
      expect(await page.locator('#idle-warning').isVisible()).toBe(false);
      await page.locator('#idle-warning').waitFor({ state: 'visible', timeout: 20_000 });
      await expectAccessible(page);
      // Focus is on the button: the keyboard alone keeps the session.
      await page.keyboard.press('Enter');
      await page.locator('#idle-warning').waitFor({ state: 'hidden', timeout: 5_000 });
      expect((await page.goto(`${short.client.baseUrl}/contacts`))?.url()).toMatch(/\/contacts$/);
    } finally {
      await short.app.close();
    }
  });
});
