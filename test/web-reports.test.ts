/// <reference lib="dom" />
/**
 * Dashboards and reports in the staff web app (issue 11), over the demo partnership with a
 * synthetic history (spoc seed --synthetic). In a real browser: each role's dashboard (SPOC
 * manager, provider manager, commissioner) and the reports page with its charts, tables and
 * CSV, every page scanned by axe; the commissioner never sees a count from 1 to 4. Over
 * HTTP: a bad date in the report form is named, and the quarterly return prints.
 */
import { sql } from 'kysely';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedSynthetic } from '../src/seed/synthetic.js';
import { startDemoApp, type TestApp } from './harness.js';
import { browserMissing, expectAccessible, launch, newContext, screenshot, signInAs } from './web/browser.js';
import { FormClient } from './web/http.js';

const missing = browserMissing();
if (missing) console.log(`web-reports.test.ts: browser tests skipped: ${missing}`);

const COORDINATOR = 'coordinator@castlebrook.example';
const MANAGER = 'provider-manager@castlebrook.example';
const COMMISSIONER = 'commissioner@castlebrook.example';

let app: TestApp;
let base: string;

beforeAll(async () => {
  app = await startDemoApp();
  base = app.client.baseUrl;
  const result = await seedSynthetic(app.database, { partnershipSlug: 'castlebrook', contacts: 3000, years: 2, seed: 7 });
  expect(result.contacts).toBe(3000);
  // A safe caseload this partnership's synthetic IDVAs are over, so the flag shows.
  await sql`update partnerships set settings = settings || '{"safeCaseload": {"low": 5, "high": 6}}'::jsonb where slug = 'castlebrook'`.execute(app.database.db);
}, 120_000);
afterAll(() => app?.close());

/** The counts in the page's report tables of counts (risk at contact, the services' decisions): numbers as shown. */
async function shownCounts(page: Page): Promise<string[]> {
  return page.$$eval('#table-risk ~ table td.govuk-table__cell--numeric, #table-decisions ~ table td.govuk-table__cell--numeric', (cells) => cells.map((c) => (c.textContent ?? '').trim()));
}

describe('the synthetic history', () => {
  it('keeps the facts the database keeps for reports, as its triggers would (it writes them itself, triggers off)', async () => {
    const { rows } = await sql<Record<string, number>>`
      select
        (select count(*)::int from contacts c
           left join lateral (select p.received_at from contacts p where p.person_id = c.person_id and (p.received_at, p.id) < (c.received_at, c.id)
                               order by p.received_at desc, p.id desc limit 1) prev on true
          where c.person_id is not null and c.previous_contact_at is distinct from prev.received_at) as previous_wrong,
        (select count(*)::int from contacts c where c.person_id is not null and c.previous_contact_at is not null) as previous_set,
        (select count(*)::int from contacts c join people v on v.id = c.person_id
          where c.person_role is distinct from v.role or c.person_born is distinct from v.date_of_birth or c.person_sex is distinct from v.sex
             or c.person_ethnicity is distinct from v.ethnicity or c.person_religion is distinct from v.religion) as person_wrong,
        (select count(*)::int from referrals r
          where r.acknowledge_breached <> exists (select 1 from escalations x where x.referral_id = r.id and x.clock = 'acknowledge')
             or r.first_contact_breached <> exists (select 1 from escalations x where x.referral_id = r.id and x.clock = 'first_contact')) as breaches_wrong,
        (select count(*)::int from escalations) as escalations,
        (select count(*)::int from cases k
           left join lateral (select o.feeling_safe, o.wellbeing, o.abuse from outcome_measures o where o.case_id = k.id and o.stage = 'intake' order by o.recorded_at desc limit 1) i on true
           left join lateral (select o.feeling_safe, o.wellbeing, o.abuse from outcome_measures o where o.case_id = k.id and o.stage = 'exit' order by o.recorded_at desc limit 1) x on true
          where k.intake_feeling_safe is distinct from i.feeling_safe or k.intake_wellbeing is distinct from i.wellbeing or k.intake_abuse is distinct from abuse_frequency_score(i.abuse)
             or k.exit_feeling_safe is distinct from x.feeling_safe or k.exit_wellbeing is distinct from x.wellbeing or k.exit_abuse is distinct from abuse_frequency_score(x.abuse)) as outcomes_wrong,
        (select count(*)::int from cases where exit_abuse is not null) as outcomes_set`.execute(app.database.db);
    const facts = rows[0]!;
    expect(facts).toMatchObject({ previous_wrong: 0, person_wrong: 0, breaches_wrong: 0, outcomes_wrong: 0 });
    // Each of those is there to be checked: repeat contacts, breaches, cases measured at exit.
    expect(facts.previous_set).toBeGreaterThan(0);
    expect(facts.escalations).toBeGreaterThan(0);
    expect(facts.outcomes_set).toBeGreaterThan(0);
  });
});

describe.skipIf(missing)('dashboards and reports in a browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launch();
  });
  afterAll(() => browser?.close());

  it("the SPOC manager's dashboard: today, queues, response times, and the service over its safe caseload", async () => {
    const page = await (await newContext(browser, { javaScript: true })).newPage();
    await signInAs(page, base, COORDINATOR);
    await page.goto(`${base}/dashboard`);
    await expect(page.locator('h2', { hasText: 'Today' }).count()).resolves.toBe(1);
    await expect(page.locator('h2', { hasText: 'Queues' }).count()).resolves.toBe(1);
    await expect(page.locator('caption', { hasText: 'Referrals sent this month' }).count()).resolves.toBe(1);
    expect(await page.locator('.govuk-warning-text').innerText()).toContain('IDVA service');
    await expectAccessible(page);
    await screenshot(page, 'dashboard-spoc');
    await page.close();
  });

  it("a provider manager's dashboard: their organisation's referrals, capacity and each caseworker's caseload", async () => {
    const page = await (await newContext(browser, { javaScript: true })).newPage();
    await signInAs(page, base, MANAGER);
    await page.goto(`${base}/dashboard`);
    await expect(page.locator('h2', { hasText: 'Caseloads' }).count()).resolves.toBe(1);
    const caseworkers = await page.$$eval('main table:last-of-type tbody tr', (rows) => rows.map((r) => (r.textContent ?? '').replace(/\s+/g, ' ').trim()));
    expect(caseworkers.length).toBeGreaterThan(0);
    expect(caseworkers.some((row) => row.includes('Synthetic caseworker') && row.includes('Over safe caseload'))).toBe(true);
    // Only their own organisation's services under Capacity.
    const capacity = await page.locator('h2:has-text("Capacity") + ul').innerText();
    expect(capacity).toContain('IDVA service');
    expect(capacity).not.toContain('Brookside');
    await expectAccessible(page);
    await screenshot(page, 'dashboard-provider');
    await page.close();
  });

  it("the commissioner's dashboard and reports: aggregates only, no count from 1 to 4, charts with tables, CSV", async () => {
    const page = await (await newContext(browser, { javaScript: true })).newPage();
    await signInAs(page, base, COMMISSIONER);
    await page.goto(`${base}/dashboard`);
    expect(await page.locator('h1').innerText()).toBe('Dashboard');
    const shown = await shownCounts(page);
    expect(shown.length).toBe(5 + 6);
    for (const text of shown) expect(['1', '2', '3', '4']).not.toContain(text);
    await expectAccessible(page);
    await screenshot(page, 'dashboard-commissioner');

    await page.goto(`${base}/reports`);
    await page.selectOption('#period', 'year');
    await Promise.all([page.waitForNavigation(), page.click('form[action="/reports"] button')]);
    expect(new URL(page.url()).searchParams.get('period')).toBe('year');
    expect(await page.locator('main h2').first().innerText()).toMatch(/April \d{4} to 31 March \d{4}/);
    // Charts are images described in words; the tables hold the same figures.
    expect(await page.locator('svg.spoc-plot[role="img"]').count()).toBeGreaterThan(5);
    expect(await page.locator('svg.spoc-plot[aria-label="Risk at contact: bar chart"]').count()).toBe(1);
    const counts = await shownCounts(page);
    expect(counts.length).toBe(11);
    for (const text of counts) expect(['1', '2', '3', '4']).not.toContain(text);
    const csvHref = await page.locator('a', { hasText: 'Download “Risk at contact” as CSV' }).getAttribute('href');
    const csv = await page.request.get(`${base}${csvHref}`);
    expect(csv.status()).toBe(200);
    expect((await csv.text()).split('\r\n')[0]).toBe('Risk level,Contacts');
    await expectAccessible(page);
    await page.locator('#table-risk').scrollIntoViewIfNeeded();
    await screenshot(page, 'reports');
    await page.close();
  });
});

describe('report pages over HTTP', () => {
  it('names a bad date, keeps what was typed, and prints the quarterly return', async () => {
    const client = new FormClient(base);
    await client.signIn(COMMISSIONER);
    const bad = await client.request('GET', '/reports?period=month&date-day=31&date-month=2&date-year=2026');
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('govuk-error-summary');
    expect(bad.text).toContain('href="#date-day"');
    expect(bad.text).toContain('value="31"');
    const quarterly = await client.request('GET', '/reports/quarterly');
    expect(quarterly.status).toBe(200);
    expect(quarterly.text).toContain('Quarterly return');
    expect(quarterly.text).toContain('Risk at contact');
    const caseworker = new FormClient(base);
    await caseworker.signIn('idva@castlebrook.example');
    expect((await caseworker.request('GET', '/reports')).status).toBe(403);
  });
});

describe('equality monitoring on a case', () => {
  it('a caseworker records answers (or "not asked"), the person keeps them, and the change is audited without the answers', async () => {
    const idva = await app.database.db.selectFrom('users').select(['id', 'organisation_id']).where('email', '=', 'idva@castlebrook.example').executeTakeFirstOrThrow();
    const kase = await app.database.db.selectFrom('cases').select(['id', 'person_id']).where('organisation_id', '=', idva.organisation_id).where('state', '=', 'open').executeTakeFirstOrThrow();
    const client = new FormClient(base);
    await client.signIn('idva@castlebrook.example');
    const page = await client.request('GET', `/cases/${kase.id}/equality`);
    expect(page.status).toBe(200);
    expect(page.text).toContain('Prefer not to say');
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page.text)![1]!;
    const saved = await client.request('POST', `/cases/${kase.id}/equality`, { _csrf: csrf, sex: 'female', ethnicity: 'prefer_not_to_say', religion: '', disability: 'yes', genderSameAsBirth: '', sexualOrientation: '' });
    expect(saved.status).toBe(303);
    const person = await app.database.db.selectFrom('people').select(['sex', 'ethnicity', 'religion', 'disability']).where('id', '=', kase.person_id).executeTakeFirstOrThrow();
    expect(person).toEqual({ sex: 'female', ethnicity: 'prefer_not_to_say', religion: null, disability: 'yes' });
    const bad = await client.request('POST', `/cases/${kase.id}/equality`, { _csrf: csrf, sex: 'unicorn' });
    expect(bad.status).toBe(422);
    expect(bad.text).toContain('href="#sex"');
    const audit = await app.database.db.selectFrom('audit_events').select('details').where('action', '=', 'person.update').where('record_id', '=', kase.person_id).executeTakeFirstOrThrow();
    expect(JSON.stringify(audit.details)).toContain('equality.sex');
    expect(JSON.stringify(audit.details)).not.toContain('female');
  });
});
