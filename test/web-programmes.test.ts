/// <reference lib="dom" />
/**
 * Recovery programmes in the staff web app. Over HTTP: a caseworker offers a place when no
 * course has room (the waiting list, said on the case), the provider manager schedules a
 * course (bad input named, nothing created) which takes the person waiting; a course's
 * attendance page lists people by case reference only, to the running organisation only,
 * and records sessions. In a real browser, with JavaScript off and on: the manager
 * schedules a course, a caseworker offers a place on it from a case and records
 * attendance, every page scanned by axe.
 */
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoToken } from '../src/seed/demo.js';
import { longDate } from '../src/web/render.js';
import { dashAnswers, startDemoApp, type TestApp } from './harness.js';
import { browserMissing, expectAccessible, launch, newContext, screenshot, signInAs, press, follow } from './web/browser.js';
import { FormClient } from './web/http.js';
import { londonDate } from '../src/lib/dates.js';

const missing = browserMissing();
if (missing) console.log(`web-programmes.test.ts: browser tests skipped: ${missing}`);

const HANDLER = 'handler@castlebrook.example';
const COORDINATOR = 'coordinator@castlebrook.example';
const IDVA = 'idva@castlebrook.example';
const MANAGER = 'provider-manager@castlebrook.example';
const REFUGE = 'refuge@castlebrook.example';
const PROGRAMME = 'Freedom recovery programme';

function dayFromToday(days: number): { day: string; month: string; year: string; iso: string } {
  // The date in Europe/London, as the service counts days.
  const iso = londonDate(new Date(Date.now() + days * 86_400_000));
  const [year, month, day] = iso.split('-').map(Number);
  return { day: String(day), month: String(month), year: String(year), iso };
}

let app: TestApp;
let base: string;
const api = (email: string) => app.client.as(demoToken(email));

async function serviceId(name: string): Promise<string> {
  return (await app.database.db.selectFrom('services').select('id').where('name', '=', name).executeTakeFirstOrThrow()).id;
}

/** A person referred by the SPOC to the IDVA service and accepted there: the case it opens. */
async function idvaCase(person: Record<string, unknown>): Promise<{ caseId: string; reference: string }> {
  const handler = api(HANDLER);
  const contact = await handler.post('/api/v1/contacts', { channel: 'phone', callerType: 'victim', immediateDanger: 'no', person: { postcode: 'XB2 1AA', gender: 'female', ...person } });
  expect(contact.status).toBe(201);
  expect((await handler.post(`/api/v1/contacts/${contact.body.id}/risk-assessments`, { answers: dashAnswers(15) })).status).toBe(201);
  const sent = await handler.post(`/api/v1/contacts/${contact.body.id}/referrals`, { referrals: [{ serviceId: await serviceId('IDVA service'), reason: 'Asked for this service' }], consent: 'given' });
  expect(sent.status).toBe(201);
  const accepted = await api(IDVA).post(`/api/v1/referrals/${sent.body.referrals[0].id}/transitions`, { to: 'accepted' });
  expect(accepted.status).toBe(200);
  const { reference } = await app.database.db.selectFrom('cases').select('reference').where('id', '=', accepted.body.caseId).executeTakeFirstOrThrow();
  return { caseId: accepted.body.caseId, reference };
}

async function signedIn(email: string): Promise<FormClient> {
  const client = new FormClient(base);
  expect((await client.signIn(email)).status).toBe(303);
  return client;
}

/** The page's main content, without what changes from answer to answer (CSRF token, nonce). */
const mainOf = (html: string) => (/<main[\s\S]*<\/main>/.exec(html)?.[0] ?? '').replace(/name="_csrf" value="[^"]+"/g, '');
const titleOf = (html: string) => /<title>([^<]*)<\/title>/.exec(html)?.[1] ?? '';

beforeAll(async () => {
  app = await startDemoApp();
  base = app.client.baseUrl;
});

afterAll(async () => {
  await app?.close();
});

// Over HTTP first: these start from the demo programme as seeded (no course, no one waiting).
describe('programme pages over HTTP', () => {
  it('puts someone on the waiting list when no course has room; a course the manager schedules takes them; bad input is named', async () => {
    const programmeId = await serviceId(PROGRAMME);
    const { caseId } = await idvaCase({ name: 'Noor Waiting', dateOfBirth: '1988-08-18' });
    const idva = await signedIn(IDVA);

    const form = await idva.request('GET', `/cases/${caseId}/programme-places`);
    expect(form.status).toBe(200);
    expect(titleOf(form.text)).toBe('Offer a place on a programme – spoc');
    expect(form.text).toContain(PROGRAMME);
    expect(form.text).toContain('The waiting list (0 waiting): no course with room is scheduled yet');
    const csrf = await idva.csrf(`/cases/${caseId}`);
    const none = await idva.request('POST', `/cases/${caseId}/programme-places`, { _csrf: csrf });
    expect(none.status).toBe(422);
    expect(none.text).toContain('href="#serviceId"');
    expect(none.text).toContain('Programme is required');
    const notProgramme = await idva.request('POST', `/cases/${caseId}/programme-places`, { _csrf: csrf, serviceId: await serviceId('IDVA service') });
    expect(notProgramme.status).toBe(422);
    expect(notProgramme.text).toContain('Programme is not a recovery programme');
    expect(await app.database.db.selectFrom('programme_places').select('id').where('case_id', '=', caseId).execute()).toHaveLength(0);

    const joined = await idva.request('POST', `/cases/${caseId}/programme-places`, { _csrf: csrf, serviceId: programmeId });
    expect(joined.status).toBe(303);
    expect(joined.headers.get('location')).toBe(`/cases/${caseId}?saved=waiting`);
    const waiting = await idva.request('GET', `/cases/${caseId}?saved=waiting`);
    expect(waiting.text).toContain('No course has room: they are on the programme’s waiting list.');
    expect(waiting.text).toContain('Number 1 on the waiting list; no course with room is scheduled yet.');

    // The provider manager sees the waiting list on the programme's page and schedules a course.
    const manager = await signedIn(MANAGER);
    const servicePage = await manager.request('GET', `/directory/services/${programmeId}`);
    expect(servicePage.status).toBe(200);
    expect(servicePage.text).toContain('Waiting list: <strong>1 person</strong>');
    expect(servicePage.text).toContain('No course is scheduled.');
    const mcsrf = await manager.csrf(`/directory/services/${programmeId}`);
    const bad = await manager.request('POST', `/directory/services/${programmeId}/courses`, {
      _csrf: mcsrf,
      title: ' ',
      'startsOn-day': '31',
      'startsOn-month': '2',
      'startsOn-year': '2027',
      sessions: 'six',
      places: '0',
    });
    expect(bad.status).toBe(422);
    const links = ['#course-title', '#startsOn-day', '#sessions', '#places'].map((href) => bad.text.indexOf(`href="${href}"`));
    for (const at of links) expect(at).toBeGreaterThan(-1);
    expect([...links].sort((a, b) => a - b)).toEqual(links);
    expect(bad.text).toContain('Start date must be a real date');
    // What was typed stays; the page's other forms keep the service's own values.
    expect(bad.text).toContain('value="six"');
    expect(bad.text).toContain(`value="${PROGRAMME}"`);
    const past = await manager.request('POST', `/directory/services/${programmeId}/courses`, { _csrf: mcsrf, title: 'Too late', 'startsOn-day': '1', 'startsOn-month': '1', 'startsOn-year': '2020', sessions: '8', places: '1' });
    expect(past.status).toBe(422);
    expect(past.text).toContain('Start date must be today or later');
    expect(past.text).toContain('href="#startsOn-day"');
    expect(await app.database.db.selectFrom('programme_courses').select('id').where('service_id', '=', programmeId).execute()).toHaveLength(0);

    const start = dayFromToday(30);
    const created = await manager.request('POST', `/directory/services/${programmeId}/courses`, {
      _csrf: mcsrf,
      title: 'Autumn group',
      'startsOn-day': start.day,
      'startsOn-month': start.month,
      'startsOn-year': start.year,
      sessions: '8',
      places: '1',
    });
    expect(created.status).toBe(303);
    expect(created.headers.get('location')).toBe(`/directory/services/${programmeId}?saved=course#courses`);
    const after = await manager.request('GET', `/directory/services/${programmeId}?saved=course`);
    expect(after.text).toContain('Course scheduled.');
    expect(after.text).toContain('Autumn group');
    expect(after.text).toContain(longDate(start.iso));
    expect(after.text).toContain('Waiting list: <strong>0 people</strong>');
    expect(after.text).toContain('no course with room is scheduled yet');
    expect(titleOf(after.text)).toBe('Service – spoc');

    // The person waiting took the place.
    const placed = await idva.request('GET', `/cases/${caseId}`);
    expect(placed.text).toContain('Has a place');
    expect(placed.text).toContain(`Course starts ${longDate(start.iso)}; 0 sessions attended.`);
    // Offering again answers the place they have.
    const again = await idva.request('POST', `/cases/${caseId}/programme-places`, { _csrf: csrf, serviceId: programmeId });
    expect(again.headers.get('location')).toBe(`/cases/${caseId}?saved=place`);
    expect(await app.database.db.selectFrom('programme_places').select('status').where('case_id', '=', caseId).execute()).toEqual([{ status: 'enrolled' }]);

    // Only the running organisation's managers schedule its courses; other roles have no such page.
    const refuge = await signedIn(REFUGE);
    expect((await refuge.request('GET', `/directory/services/${programmeId}`)).status).toBe(403);
  });

  it("shows a course's attendance by case reference only, to the organisation running it, and records sessions", async () => {
    const programmeId = await serviceId(PROGRAMME);
    const course = await api(MANAGER).post(`/api/v1/services/${programmeId}/courses`, { title: 'Evening group', startsOn: dayFromToday(0).iso, sessions: 4, places: 1 });
    expect(course.status).toBe(201);
    const { caseId, reference } = await idvaCase({ name: 'Tamsin Attending', dateOfBirth: '1990-09-19' });
    const place = await api(IDVA).post(`/api/v1/cases/${caseId}/programme-places`, { serviceId: programmeId });
    expect(place.status).toBe(201);
    expect(place.body.status).toBe('enrolled');
    const courseId = place.body.courseId as string;
    const path = `/courses/${courseId}/attendance`;

    const idva = await signedIn(IDVA);
    const page = await idva.request('GET', path);
    expect(page.status).toBe(200);
    expect(titleOf(page.text)).toBe('Attendance – spoc');
    expect(page.text).toContain(reference);
    expect(page.text).not.toContain('Tamsin');
    expect(page.text).toContain('0 of 4 sessions attended.');
    const reads = await app.database.db.selectFrom('audit_events').select('action').where('record_id', '=', caseId).where('action', '=', 'programme.course_places_read').execute();
    expect(reads).toHaveLength(1);
    // The case page links to it.
    expect((await idva.request('GET', `/cases/${caseId}`)).text).toContain(`href="${path}"`);

    const csrf = await idva.csrf(path);
    const row = /id="(place-\d+)"><a class="govuk-link" href="\/cases\/([0-9a-f-]{36})"/g;
    const prefix = [...page.text.matchAll(row)].find((m) => m[2] === caseId)![1]!;
    const unanswered = await idva.request('POST', path, { _csrf: csrf, placeId: place.body.id, session: '1' });
    expect(unanswered.status).toBe(422);
    expect(unanswered.text).toContain(`href="#${prefix}-attended"`);
    expect(unanswered.text).toContain('Whether they attended is required');
    const tooFar = await idva.request('POST', path, { _csrf: csrf, placeId: place.body.id, session: '9', attended: 'yes' });
    expect(tooFar.status).toBe(422);
    expect(tooFar.text).toContain(`href="#${prefix}-session"`);
    expect(tooFar.text).toContain('Session must be between 1 and 4');
    expect(await app.database.db.selectFrom('programme_attendance').select('session').where('place_id', '=', place.body.id).execute()).toHaveLength(0);

    const recorded = await idva.request('POST', path, { _csrf: csrf, placeId: place.body.id, session: '1', attended: 'yes' });
    expect(recorded.status).toBe(303);
    expect(recorded.headers.get('location')).toBe(`${path}?saved=1`);
    const shown = await idva.request('GET', `${path}?saved=1`);
    expect(shown.text).toContain('Attendance recorded.');
    expect(shown.text).toContain('1 of 4 sessions attended. Recorded: 1: attended.');
    // The next session to record is offered first.
    expect(shown.text).toMatch(/<option value="2" selected>Session 2<\/option>/);
    // Recorded again, it replaces what was recorded.
    expect((await idva.request('POST', path, { _csrf: csrf, placeId: place.body.id, session: '1', attended: 'no' })).status).toBe(303);
    expect((await idva.request('GET', path)).text).toContain('0 of 4 sessions attended. Recorded: 1: missed.');
    expect(await app.database.db.selectFrom('programme_attendance').select(['session', 'attended']).where('place_id', '=', place.body.id).execute()).toEqual([{ session: 1, attended: false }]);

    // The provider manager of the same organisation sees it, from the programme's page too.
    const manager = await signedIn(MANAGER);
    expect((await manager.request('GET', path)).text).toContain(reference);
    expect((await manager.request('GET', `/directory/services/${programmeId}`)).text).toContain(`href="${path}"`);

    // Another organisation's staff: exactly as a course that does not exist; nothing recorded.
    const refuge = await signedIn(REFUGE);
    const theirs = await refuge.request('GET', path);
    const absent = await refuge.request('GET', '/courses/00000000-0000-4000-8000-000000000000/attendance');
    expect(theirs.status).toBe(404);
    expect(absent.status).toBe(404);
    expect(mainOf(theirs.text)).toBe(mainOf(absent.text));
    expect(theirs.text).not.toContain(reference);
    const rcsrf = await refuge.csrf('/cases');
    expect((await refuge.request('POST', path, { _csrf: rcsrf, placeId: place.body.id, session: '2', attended: 'yes' })).status).toBe(404);
    expect(await app.database.db.selectFrom('programme_attendance').select('session').where('place_id', '=', place.body.id).execute()).toHaveLength(1);
    // Roles without case work have no attendance page; the coordinator may schedule but not see who attends.
    for (const email of [HANDLER, COORDINATOR]) {
      const other = await signedIn(email);
      const answer = await other.request('GET', path);
      expect(answer.status, email).toBe(403);
      expect(answer.text).not.toContain(reference);
    }
    const coordinator = await signedIn(COORDINATOR);
    const coordinatorView = await coordinator.request('GET', `/directory/services/${programmeId}`);
    expect(coordinatorView.text).toContain('Evening group');
    expect(coordinatorView.text).not.toContain(`href="${path}"`);
  });
});

describe.skipIf(missing !== null)('programmes worked in a browser', { timeout: 180_000 }, () => {
  let browser: Browser;

  beforeAll(async () => {
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
  });

  for (const javaScript of [false, true]) {
    const mode = javaScript ? 'on' : 'off';
    it(`a manager schedules a course; a caseworker offers a place on it from a case and records attendance, JavaScript ${mode}`, async () => {
      const title = `Spring group (JavaScript ${mode})`;
      // Sooner than the courses above, and the second run's after the first's (which it fills).
      const start = dayFromToday(javaScript ? 21 : 14);

      const managerContext = await newContext(browser, { javaScript });
      const manager = await managerContext.newPage();
      await signInAs(manager, base, MANAGER);
      await manager.goto(`${base}/directory`);
      await expectAccessible(manager);
      await follow(manager, PROGRAMME);
      await expectAccessible(manager);
      expect(await manager.locator('#courses').count()).toBe(1);
      await press(manager, 'Schedule the course');
      expect(await manager.locator('.govuk-error-summary').textContent()).toContain('Title is required');
      expect(await manager.locator('.govuk-error-summary a').first().getAttribute('href')).toBe('#course-title');
      await expectAccessible(manager);
      await manager.fill('#course-title', title);
      await manager.fill('#startsOn-day', start.day);
      await manager.fill('#startsOn-month', start.month);
      await manager.fill('#startsOn-year', start.year);
      await manager.fill('#sessions', '6');
      await manager.fill('#places', '1');
      await press(manager, 'Schedule the course');
      expect(await manager.locator('.govuk-notification-banner').textContent()).toContain('Course scheduled');
      const courses = (await manager.locator('#courses + table').textContent()) ?? '';
      expect(courses).toContain(title);
      expect(courses).toContain(longDate(start.iso));
      await expectAccessible(manager);
      if (javaScript) await screenshot(manager, 'programme-courses');
      await managerContext.close();

      const name = javaScript ? 'Rowan Programme' : 'Sage Programme';
      const { caseId, reference } = await idvaCase({ name, dateOfBirth: javaScript ? '1987-07-17' : '1985-05-15' });
      const context = await newContext(browser, { javaScript });
      const page = await context.newPage();
      await signInAs(page, base, IDVA);
      await page.goto(`${base}/cases/${caseId}`);
      await expectAccessible(page);
      expect(await page.locator('#programmes + p').textContent()).toContain('No place on a programme');
      await follow(page, 'Offer a place on a programme');
      await expectAccessible(page);
      expect(await page.title()).toBe('Offer a place on a programme – spoc');
      expect(await page.locator('main').textContent()).toContain(`A place on “${title}”, starting ${longDate(start.iso)}`);
      await press(page, 'Offer a place');
      expect(await page.locator('.govuk-error-summary').textContent()).toContain('Programme is required');
      await expectAccessible(page);
      await page.check('#serviceId');
      await press(page, 'Offer a place');
      expect(new URL(page.url()).pathname).toBe(`/cases/${caseId}`);
      expect(await page.locator('.govuk-notification-banner').textContent()).toContain('They have a place on a course');
      expect(await page.locator('main').textContent()).toContain(`Course starts ${longDate(start.iso)}; 0 sessions attended.`);
      await expectAccessible(page);

      await follow(page, 'Attendance');
      expect(new URL(page.url()).pathname).toMatch(/^\/courses\/[0-9a-f-]{36}\/attendance$/);
      await expectAccessible(page);
      expect(await page.title()).toBe('Attendance – spoc');
      expect(await page.locator('h1').textContent()).toContain(title);
      const listed = (await page.locator('main').textContent()) ?? '';
      expect(listed).toContain(reference);
      expect(listed).not.toContain(name.split(' ')[0]);
      if (javaScript) await screenshot(page, 'programme-attendance');
      await press(page, 'Record attendance');
      expect(await page.locator('.govuk-error-summary').textContent()).toContain('Whether they attended is required');
      expect(await page.locator('.govuk-error-summary a').first().getAttribute('href')).toBe('#place-1-attended');
      await expectAccessible(page);
      await page.check('#place-1-attended'); // attended
      await press(page, 'Record attendance');
      expect(await page.locator('.govuk-notification-banner').textContent()).toContain('Attendance recorded');
      expect(await page.locator('main').textContent()).toContain('1 of 6 sessions attended');
      await expectAccessible(page);
      const marks = await app.database.db
        .selectFrom('programme_attendance as a')
        .innerJoin('programme_places as p', 'p.id', 'a.place_id')
        .select(['a.session', 'a.attended'])
        .where('p.case_id', '=', caseId)
        .execute();
      expect(marks).toEqual([{ session: 1, attended: true }]);
      await context.close();
    });
  }
});
