/// <reference lib="dom" />
/**
 * The public web door in a real browser: a self-referral with JavaScript off reaching the
 * triage queue, a professional referral with 14 "yes" arriving as high risk, "Exit this
 * page" from every page (button and Shift ×3) with Back not returning the answers, axe on
 * every page, the headers, no answer in any URL, bad input, and the rate limit.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoToken } from '../src/seed/demo.js';
import { startDemoApp, type TestApp } from './harness.js';
import { FormClient } from './web/http.js';
import { browserMissing, expectAccessible, launch, newContext, screenshot, signInAs } from './web/browser.js';

const missing = browserMissing();
if (missing) console.log(`door.test.ts: skipped: ${missing}`);
/** The neutral site "Exit this page" goes to: served locally here (this machine has no internet). */
const neutral = http.createServer((_request, response) => response.writeHead(200, { 'content-type': 'text/html' }).end('<title>Weather</title><p>Weather</p>'));
await new Promise<void>((resolve) => neutral.listen(0, '127.0.0.1', resolve));
const EXIT = `http://127.0.0.1:${(neutral.address() as AddressInfo).port}/weather`;
afterAll(() => new Promise<void>((resolve) => neutral.close(() => resolve())));

// The journeys check every page with axe in a real browser: on this 2-core machine with other
// work running, the JavaScript-off journey through eleven pages has taken up to two minutes.
describe.skipIf(missing !== null)('the public web door', { timeout: 300_000 }, () => {
  let app: TestApp;
  let browser: Browser;
  let base: string;

  beforeAll(async () => {
    app = await startDemoApp({ exitUrl: EXIT, doorPostsPerIp: 10_000, doorPostsPerSession: 10_000 });
    base = app.client.baseUrl;
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    await app?.close();
  });

  /** A page whose every visited URL is kept, and the neutral exit site answered locally (no internet here). */
  async function openPage(javaScript: boolean): Promise<{ page: Page; urls: string[] }> {
    const context = await newContext(browser, { javaScript });
    const page = await context.newPage();
    const urls: string[] = [];
    page.on('request', (request) => urls.push(request.url()));
    return { page, urls };
  }

  /** Every page is scanned by axe as it is left, then its button pressed. */
  async function next(page: Page) {
    await expectAccessible(page);
    await Promise.all([page.waitForNavigation(), page.click('main button.govuk-button')]);
  }

  it('a victim completes a self-referral with JavaScript off, and it reaches the triage queue', async () => {
    const { page, urls } = await openPage(false);
    await page.goto(`${base}/get-help`);
    await expectAccessible(page);
    expect(await page.title()).toBe('Get support');
    await next(page);
    // Immediate danger first; sending nothing names the question and saves nothing.
    expect(new URL(page.url()).pathname).toBe('/get-help/now');
    await next(page);
    expect(await page.locator('.govuk-error-summary').textContent()).toContain('Answer this question');
    await expectAccessible(page);
    await page.check('#now');
    await next(page);
    expect(new URL(page.url()).pathname).toBe('/get-help/emergency');
    expect(await page.locator('main').textContent()).toContain('press 55');
    await expectAccessible(page);
    await Promise.all([page.waitForNavigation(), page.click('main a.govuk-button')]);
    await expectAccessible(page);
    await page.check('#who');
    await next(page);
    await page.check('#happening-2');
    await page.check('#happening-4');
    await next(page);
    await page.fill('#name', 'Webdoor Person');
    await next(page);
    // A phone without a safe way to use it, and no email: refused, naming the field.
    await page.fill('#phone', '07700 900777');
    await next(page);
    expect(await page.locator('.govuk-error-summary').textContent()).toContain('tick how it is safe to contact you');
    await expectAccessible(page);
    await page.check('#phoneSafe-2'); // text
    await next(page);
    await page.check('#times');
    await next(page);
    await page.fill('#postcode', 'not a postcode');
    await next(page);
    expect(await page.locator('.govuk-error-summary').textContent()).toContain('Enter a real postcode');
    await page.fill('#postcode', 'XB2 1AA');
    await next(page);
    await page.check('#age-3');
    await next(page);
    await page.check('#children');
    await page.fill('#count', '2');
    await next(page);
    await page.check('#support');
    await next(page);
    await page.fill('#more', 'He reads my messages');
    await next(page);
    expect(new URL(page.url()).pathname).toBe('/get-help/check');
    await expectAccessible(page);
    await screenshot(page, 'door-check');
    expect(await page.locator('.govuk-summary-list').textContent()).toContain('Webdoor Person');
    const before = await app.database.db.selectFrom('contacts').select('id').where('channel', '=', 'web_self_referral').execute();
    expect(before).toHaveLength(0);
    await next(page);
    expect(new URL(page.url()).pathname).toBe('/get-help/done');
    await expectAccessible(page);

    const contact = await app.database.db.selectFrom('contacts').selectAll().where('channel', '=', 'web_self_referral').executeTakeFirstOrThrow();
    expect(contact).toMatchObject({ caller_type: 'victim', immediate_danger: 'yes', status: 'open' });
    expect(contact.person).toMatchObject({ name: 'Webdoor Person', postcode: 'XB2 1AA' });
    expect(contact.safe_contact).toMatchObject({ phones: [{ number: '07700 900777', callSafe: false, textSafe: true, voicemailSafe: false }] });
    expect(contact.needs).toEqual(expect.arrayContaining(['accommodation', 'children_in_household']));
    // The answers are gone from the server once sent.
    expect(await app.database.db.selectFrom('door_sessions').select('id').execute()).toHaveLength(0);
    // No answer ever appeared in a URL.
    expect(urls.filter((u) => /Webdoor|07700|XB2|reads/i.test(decodeURIComponent(u)))).toEqual([]);

    const coordinator = await (await newContext(browser, { javaScript: true })).newPage();
    await signInAs(coordinator, base, 'coordinator@castlebrook.example');
    await coordinator.goto(`${base}/queues`);
    const triage = await coordinator.locator('#triage + table').textContent();
    expect(triage).toContain(contact.reference);
    expect(triage).toContain('Web self-referral');
  });

  it('a professional referral with 14 "yes" arrives as high risk, with a reference to quote', async () => {
    const { page } = await openPage(true);
    await page.goto(`${base}/refer`);
    await expectAccessible(page);
    await next(page);
    await page.fill('#organisation', 'Castlebrook GP surgery');
    await page.fill('#role', 'Practice nurse');
    await page.fill('#name', 'Nurse Example');
    await page.fill('#phone', '01632 960001');
    await page.fill('#email', 'nurse@gp.example');
    await next(page);
    await page.check('#now-2');
    await next(page);
    await page.fill('#name', 'Referred Person');
    await page.fill('#dateOfBirth-day', '1');
    await page.fill('#dateOfBirth-month', '2');
    await page.fill('#dateOfBirth-year', '1985');
    await page.check('#gender');
    await page.fill('#postcode', 'XB1 2AB');
    await page.fill('#phone', '07700 900888');
    await page.check('#phoneSafe');
    await next(page);
    // The checklist: every one of the 24 must be answered.
    await next(page);
    expect(await page.locator('.govuk-error-summary__list li').count()).toBe(24);
    await expectAccessible(page);
    for (let i = 1; i <= 24; i += 1) await page.check(`#answers-q${String(i).padStart(2, '0')}${i <= 14 ? '' : '-2'}`);
    await next(page);
    await page.check('#consent-2'); // refused
    await next(page);
    expect(await page.locator('.govuk-error-summary').textContent()).toContain('Say why you are referring without their agreement');
    await page.fill('#lawfulBasis', 'Serious risk of harm');
    await next(page);
    await page.check('#urgency-2');
    await next(page);
    await expectAccessible(page);
    await next(page);
    expect(new URL(page.url()).pathname).toBe('/refer/done');
    await expectAccessible(page);
    const reference = (await page.locator('.govuk-panel__body strong').textContent())!.trim();
    expect(reference).toMatch(/^SPOC-\d{4}-\d{6}$/);
    await screenshot(page, 'door-professional-done');

    const contact = await app.database.db.selectFrom('contacts').selectAll().where('reference', '=', reference).executeTakeFirstOrThrow();
    expect(contact).toMatchObject({ channel: 'professional_referral', caller_type: 'professional' });
    expect(contact.caller).toMatchObject({ organisation: 'Castlebrook GP surgery', role: 'Practice nurse' });
    const assessment = await app.database.db.selectFrom('risk_assessments').select(['level', 'yes_count']).where('contact_id', '=', contact.id).executeTakeFirstOrThrow();
    expect(assessment).toEqual({ level: 'high', yes_count: 14 });
    // The SPOC sees it through the API too.
    const seen = await app.client.as(demoToken('coordinator@castlebrook.example')).get(`/api/v1/contacts/${contact.id}`);
    expect(seen.status).toBe(200);
  });

  it('"Exit this page" leaves from every page, by button and by Shift ×3, and Back does not bring the answers back', async () => {
    for (const path of ['/get-help', '/get-help/now', '/get-help/who', '/refer', '/staying-safe']) {
      const { page } = await openPage(true);
      await page.goto(`${base}/get-help`);
      await Promise.all([page.waitForNavigation(), page.click('main button.govuk-button')]);
      await page.check('#now-2');
      await Promise.all([page.waitForNavigation(), page.click('main button.govuk-button')]);
      await page.goto(`${base}${path}`);
      await expectAccessible(page);
      const open = (await app.database.db.selectFrom('door_sessions').select('id').execute()).length;
      await Promise.all([page.waitForURL(EXIT), page.click('.govuk-exit-this-page__button')]);
      expect(page.url()).toBe(EXIT);
      // The answers were deleted on the way out.
      expect(await app.database.db.selectFrom('door_sessions').select('id').execute()).toHaveLength(open - 1);
      // Back: the page was replaced where the browser allows; if it comes back, it holds nothing.
      await page.goBack().catch(() => null);
      if (page.url() !== EXIT && new URL(page.url()).pathname.startsWith('/get-help/')) {
        expect(await page.locator('main').textContent()).not.toContain('Answer');
        expect(await page.locator('input:checked').count()).toBe(0);
      }
      await page.context().close();
    }
    // Shift pressed three times.
    const { page } = await openPage(true);
    await page.goto(`${base}/get-help`);
    await Promise.all([page.waitForNavigation(), page.click('main button.govuk-button')]);
    await page.locator('h1').click();
    await Promise.all([page.waitForURL(EXIT), (async () => {
      for (let i = 0; i < 3; i += 1) await page.keyboard.press('Shift');
    })()]);
    expect(page.url()).toBe(EXIT);
    // Without JavaScript, the button is a link through the exit route.
    const plain = await openPage(false);
    await plain.page.goto(`${base}/get-help`);
    await Promise.all([plain.page.waitForURL(EXIT), plain.page.click('.govuk-exit-this-page__button')]);
    expect(plain.page.url()).toBe(EXIT);
  });
  it('fits a small phone screen without sideways scrolling', async () => {
    const context = await browser.newContext({ viewport: { width: 320, height: 640 }, javaScriptEnabled: true });
    const page = await context.newPage();
    await page.goto(`${base}/get-help`);
    await Promise.all([page.waitForNavigation(), page.click('main button.govuk-button')]);
    for (const path of ['/get-help', '/get-help/now', '/get-help/reach', '/get-help/children', '/refer', '/staying-safe']) {
      await page.goto(`${base}${path}`);
      expect(await page.evaluate(() => document.documentElement.scrollWidth), path).toBeLessThanOrEqual(320);
    }
    await screenshot(page, 'door-phone');
    await context.close();
  });
});

describe('the public web door over HTTP', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startDemoApp({ exitUrl: EXIT, doorPostsPerIp: 1000, doorPostsPerSession: 15 });
  });

  afterAll(async () => {
    await app?.close();
  });

  /** A visitor's browser on the start page, with the page's CSRF token. */
  async function session() {
    const client = new FormClient(app.client.baseUrl);
    const first = await client.request('GET', '/get-help');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(first.text)![1]!;
    return { request: client.request.bind(client), csrf, first };
  }

  it('sends no-store, a strict CSP and no third-party origin on every public page; the answers cookie lasts only the browser session', async () => {
    const { request, csrf, first } = await session();
    const start = await request('POST', '/get-help/start', { _csrf: csrf });
    expect(start.status).toBe(303);
    const cookie = start.setCookie.find((c) => c.startsWith('spoc_door='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).not.toMatch(/Max-Age|Expires/i);
    for (const path of ['/get-help', '/get-help/now', '/refer', '/staying-safe']) {
      const page = path === '/get-help' ? first : await request('GET', path);
      expect(page.headers.get('cache-control'), path).toBe('no-store');
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp).toContain("default-src 'self'");
      expect(csp).not.toMatch(/https?:\/\//);
      // Every script, style, image and font comes from this site.
      const origins = [...page.text.matchAll(/(?:src|href)="(https?:\/\/[^"]+)"/g)].map((m) => m[1]);
      expect(origins, path).toEqual([]);
      expect(page.text.length, path).toBeLessThan(100 * 1024);
    }
  });

  it('refuses bad input naming the field and creating nothing, and answers 429 with a readable page when limited', async () => {
    const { request, csrf } = await session();
    await request('POST', '/get-help/start', { _csrf: csrf });
    const bad = await request('POST', '/get-help/now', { _csrf: csrf, now: 'perhaps' });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('govuk-error-summary');
    expect(bad.text).toContain('href="#now"');
    expect(await app.database.db.selectFrom('contacts').select('id').execute()).toHaveLength(0);
    // Sending the answers page before answering everything sends nothing.
    const early = await request('POST', '/get-help/check', { _csrf: csrf });
    expect(early.status).toBe(303);
    expect(await app.database.db.selectFrom('contacts').select('id').execute()).toHaveLength(0);
    let limited;
    for (let i = 0; i < 20 && !limited; i += 1) {
      const answer = await request('POST', '/get-help/now', { _csrf: csrf, now: 'no' });
      if (answer.status === 429) limited = answer;
    }
    expect(limited?.status).toBe(429);
    expect(limited?.text).toContain('Too many attempts');
    expect(limited?.headers.get('content-type')).toContain('text/html');
  });

  it('leaves through the exit route: answers deleted, 303 to the neutral site', async () => {
    const { request, csrf } = await session();
    await request('POST', '/get-help/start', { _csrf: csrf });
    await request('POST', '/get-help/now', { _csrf: csrf, now: 'no' });
    expect(await app.database.db.selectFrom('door_sessions').select('id').execute()).not.toHaveLength(0);
    const leave = await request('GET', '/leave');
    expect(leave.status).toBe(303);
    expect(leave.headers.get('location')).toBe(EXIT);
    const gone = await request('GET', '/get-help/who');
    expect(gone.status).toBe(404);
    expect(gone.text).toContain('Your answers are no longer here');
  });

  it('has every Welsh message also in English, and falls back to English for the rest', async () => {
    const { translate } = await import('../src/web/door/steps.js');
    const en = (await import('../src/web/door/messages/en.json', { with: { type: 'json' } })).default as Record<string, string>;
    const cy = (await import('../src/web/door/messages/cy.json', { with: { type: 'json' } })).default as Record<string, string>;
    for (const key of Object.keys(cy)) expect(en, key).toHaveProperty(key);
    expect(translate('cy', 'exit')).toBe('Gadael y dudalen hon');
    expect(translate('cy', 'safe.title')).toBe(en['safe.title']);
    const { request } = await session();
    const welsh = await request('GET', '/get-help?lang=cy');
    expect(welsh.text).toContain('lang="cy"');
    expect(welsh.text).toContain('Gadael y dudalen hon');
  });

  it('drops a submission whose honeypot is filled, looking sent but recording nothing', async () => {
    const { request, csrf } = await session();
    await request('POST', '/get-help/start', { _csrf: csrf });
    const answers: Array<[string, Record<string, string>]> = [
      ['now', { now: 'no' }], ['who', { who: 'myself' }], ['happening', {}], ['name', { name: '' }],
      ['reach', { phone: '07700 900123', phoneSafe: 'call' }], ['times', {}], ['area', { postcode: 'XB2 1AA' }],
      ['age', { age: '18_24' }], ['children', { children: 'no' }], ['support', {}], ['more', { more: '' }],
    ];
    for (const [slug, form] of answers) expect((await request('POST', `/get-help/${slug}`, { _csrf: csrf, ...form })).status, slug).toBe(303);
    // Changing an answer from the check page returns there.
    const changed = await request('POST', '/get-help/age?change=1', { _csrf: csrf, age: '25_44' });
    expect(changed.headers.get('location')).toBe('/get-help/check');
    const sent = await request('POST', '/get-help/check', { _csrf: csrf, website: 'https://spam.example' });
    expect(sent.headers.get('location')).toBe('/get-help/done');
    expect(await app.database.db.selectFrom('contacts').select('id').execute()).toHaveLength(0);
    // And the answers are gone, as after a real submission.
    expect((await request('GET', '/get-help/check')).status).toBe(404);
  });

  it('refuses a body over 32 KB with a readable page, and keeps each page light', async () => {
    const { request, csrf } = await session();
    await request('POST', '/get-help/start', { _csrf: csrf });
    const huge = await request('POST', '/get-help/more', { _csrf: csrf, more: 'x'.repeat(40_000) });
    expect(huge.status).toBe(413);
    expect(huge.text).toContain('That was too long to send');
    // Page weight: the HTML and its scripts (the stylesheet is shared and cached).
    const page = await request('GET', '/get-help/now');
    const scripts = await Promise.all(['/assets/spoc/door.mjs', '/assets/govuk/govuk-frontend.min.js'].map((path) => request('GET', path)));
    const weight = page.text.length + scripts.reduce((sum, s) => sum + s.text.length, 0);
    expect(weight).toBeLessThan(100 * 1024);
  });

  it('answers bad input on every question page with the error summary and field errors, saving nothing', async () => {
    const { STEPS } = await import('../src/web/door/steps.js');
    for (const [form, base] of [['self', '/get-help'], ['professional', '/refer']] as const) {
      const { request, csrf } = await session();
      await request('POST', `${base}/start`, { _csrf: csrf });
      for (const step of STEPS[form]) {
        const body: Record<string, string> = { _csrf: csrf };
        for (const field of step.fields) {
          if (field.kind === 'radios' || field.kind === 'checkboxes') body[field.name] = 'not-an-answer';
          else if (field.kind === 'text' || field.kind === 'textarea') body[field.name] = 'x'.repeat(field.max + 1);
          else if (field.kind === 'date') Object.assign(body, { [`${field.name}-day`]: '31', [`${field.name}-month`]: '2', [`${field.name}-year`]: '1990' });
          // The checklist: its answers are simply left out.
        }
        const answer = await request('POST', `${base}/${step.slug}`, body);
        expect(answer.status, `${base}/${step.slug}`).toBe(422);
        expect(answer.text, `${base}/${step.slug}`).toContain('govuk-error-summary');
        const named = step.fields.map((f) => (f.kind === 'dash' ? 'answers-q01' : f.kind === 'date' ? `${f.name}-day` : f.name));
        for (const id of named) expect(answer.text, `${base}/${step.slug} names ${id}`).toContain(`href="#${id}"`);
      }
      // Nothing was saved: the check page sends back to the first question.
      const check = await request('GET', `${base}/check`);
      expect(check.headers.get('location')).toBe(`${base}/${STEPS[form][0]!.slug}`);
    }
    expect(await app.database.db.selectFrom('contacts').select('id').execute()).toHaveLength(0);
  });

  it('deletes answers nobody came back for once they expire', async () => {
    const { purgeExpiredDoors } = await import('../src/modules/door/service.js');
    const { request, csrf } = await session();
    await request('POST', '/get-help/start', { _csrf: csrf });
    await request('POST', '/get-help/now', { _csrf: csrf, now: 'no' });
    const open = await app.database.db.selectFrom('door_sessions').select('id').execute();
    expect(open.length).toBeGreaterThan(0);
    expect(await purgeExpiredDoors(app.database.db)).toBe(0);
    await app.database.db.updateTable('door_sessions').set({ expires_at: new Date(Date.now() - 1000) }).execute();
    expect(await purgeExpiredDoors(app.database.db)).toBe(open.length);
    expect((await request('GET', '/get-help/who')).status).toBe(404);
  });
});
