/**
 * The web app's sign-in, over real HTTP: the session cookie's attributes, CSRF on every
 * form, the idle timeout, signing out, and the headers every page carries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inTransaction } from '../src/db/transaction.js';
import { currentTotp, totpForStep, totpStepAt } from '../src/modules/access/mfa.js';
import { addUser } from '../src/modules/access/service.js';
import { DEMO_PASSWORD, DEMO_TOTP_SECRET } from '../src/seed/demo.js';
import { startDemoApp, type TestApp } from './harness.js';
import { FormClient } from './web/http.js';
import { nextTotp } from './web/totp.js';

describe('web sign-in and sessions', () => {
  let t: TestApp;

  beforeAll(async () => {
    t = await startDemoApp();
  });

  afterAll(async () => {
    await t?.close();
  });

  it('signs in with an HttpOnly, SameSite=Lax cookie, and refuses a wrong password naming no one', async () => {
    const browser = new FormClient(t.client.baseUrl);
    const wrong = await browser.signIn('handler@castlebrook.example', 'not the password');
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('The email address or password is not right');
    expect(browser.cookies.has('spoc_session')).toBe(false);

    const missing = await browser.request('POST', '/sign-in', { _csrf: await browser.csrf('/sign-in'), email: '', password: '' });
    expect(missing.status).toBe(422);
    expect(missing.text).toContain('href="#email"');

    const client = new FormClient(t.client.baseUrl);
    const ok = await client.signIn('handler@castlebrook.example');
    expect(ok.status).toBe(303);
    const cookie = client.setCookieLog.find((c) => c.startsWith('spoc_session='))!;
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);
    // Plain HTTP here, so not Secure; behind TLS (PUBLIC_URL https) it is.
    expect(cookie).not.toMatch(/Secure/i);
    const audit = await t.database.db.selectFrom('audit_events').select(['outcome']).where('action', '=', 'session.sign_in').execute();
    expect(audit.map((a) => a.outcome).sort()).toEqual(['allowed', 'denied']);
  });

  it('sends a signed-out visitor to sign in, and back to the page afterwards', async () => {
    const browser = new FormClient(t.client.baseUrl);
    const page = await browser.request('GET', '/contacts');
    expect(page.status).toBe(303);
    expect(page.headers.get('location')).toBe('/sign-in?next=%2Fcontacts');
    const password = await browser.request('POST', '/sign-in', { _csrf: await browser.csrf('/sign-in'), email: 'handler@castlebrook.example', password: DEMO_PASSWORD, next: '/contacts' });
    expect(password.headers.get('location')).toBe('/sign-in/code?next=%2Fcontacts');
    const signedIn = await browser.request('POST', '/sign-in/code', { _csrf: await browser.csrf('/sign-in/code?next=%2Fcontacts'), code: await nextTotp(t.client.baseUrl, 'handler@castlebrook.example', DEMO_TOTP_SECRET), next: '/contacts' });
    expect(signedIn.headers.get('location')).toBe('/contacts');
    // Only a local path: anywhere else goes home.
    const other = new FormClient(t.client.baseUrl);
    const away = await other.request('POST', '/sign-in', { _csrf: await other.csrf('/sign-in'), email: 'handler@castlebrook.example', password: DEMO_PASSWORD, next: '//evil.example/' });
    expect(away.headers.get('location')).toBe('/sign-in/code?next=%2F');
  });

  it('signs no one in on a password alone: the second factor is required, and a wrong code is refused', async () => {
    const browser = new FormClient(t.client.baseUrl);
    const password = await browser.request('POST', '/sign-in', { _csrf: await browser.csrf('/sign-in'), email: 'coordinator@castlebrook.example', password: DEMO_PASSWORD, next: '/queues' });
    expect(password.status).toBe(303);
    expect(browser.cookies.has('spoc_session')).toBe(true);
    // Half signed in opens nothing.
    for (const path of ['/queues', '/contacts', '/']) {
      let page = await browser.request('GET', path);
      if (page.headers.get('location') === '/sign-in') page = await browser.request('GET', '/sign-in');
      expect(page.status, path).toBe(303);
      expect(page.headers.get('location'), path).toMatch(/^\/sign-in\/code\?next=/);
    }
    const csrf = await browser.csrf('/sign-in/code');
    const wrong = await browser.request('POST', '/sign-in/code', { _csrf: csrf, code: '000000', next: '/queues' });
    expect(wrong.status).toBe(401);
    expect(wrong.text).toContain('That code is not right');
    expect((await browser.request('GET', '/queues')).status).toBe(303);
    const right = await browser.request('POST', '/sign-in/code', { _csrf: csrf, code: await nextTotp(t.client.baseUrl, 'coordinator@castlebrook.example', DEMO_TOTP_SECRET), next: '/queues' });
    expect(right.headers.get('location')).toBe('/queues');
    expect((await browser.request('GET', '/queues')).status).toBe(200);
  });

  it('locks an account after 5 failures in a row, and it stays locked even for the right password and code', async () => {
    const email = 'marac@castlebrook.example';
    for (let i = 0; i < 5; i += 1) expect((await new FormClient(t.client.baseUrl).signIn(email, 'not the password')).status).toBe(401);
    const locked = await new FormClient(t.client.baseUrl).signIn(email);
    expect(locked.status).toBe(401);
    expect(locked.text).toContain('This account is locked after too many attempts');
    const user = await t.database.db.selectFrom('users').select(['id', 'locked_until']).where('email', '=', email).executeTakeFirstOrThrow();
    expect(user.locked_until!.getTime()).toBeGreaterThan(Date.now() + 14 * 60_000);
    const audited = await t.database.db.selectFrom('audit_events').select('id').where('action', '=', 'session.locked').where('record_id', '=', user.id).execute();
    expect(audited).toHaveLength(1);
    // Once the lock has run out, the right password and code sign in again.
    await t.database.db.updateTable('users').set({ locked_until: new Date(Date.now() - 1000) }).where('id', '=', user.id).execute();
    expect((await new FormClient(t.client.baseUrl).signIn(email)).status).toBe(303);
  });

  it('enrols an authenticator on the first sign-in from a QR code, hands out recovery codes once, and each recovery code works once', async () => {
    await inTransaction(t.database.db, null, (tx) =>
      addUser(tx, null, { partnershipSlug: 'castlebrook', organisationSlug: 'castlebrook-spoc', email: 'new.handler@castlebrook.example', name: 'New Handler', roles: ['call_handler'], password: 'a-long-new-password' }),
    );
    const browser = new FormClient(t.client.baseUrl);
    const password = await browser.request('POST', '/sign-in', { _csrf: await browser.csrf('/sign-in'), email: 'new.handler@castlebrook.example', password: 'a-long-new-password', next: '/' });
    expect(password.headers.get('location')).toBe('/sign-in/enrol?next=%2F');
    const setup = await browser.request('GET', '/sign-in/enrol?next=%2F');
    expect(setup.status).toBe(200);
    expect(setup.text).toMatch(/<svg[^>]*>/);
    const secret = (/id="secret">([A-Z2-7 ]+)</.exec(setup.text)?.[1] ?? '').replace(/ /g, '');
    expect(secret.length).toBeGreaterThanOrEqual(26);
    // The same secret on a reload (it may already be in the app).
    expect((await browser.request('GET', '/sign-in/enrol')).text).toContain(/id="secret">([A-Z2-7 ]+)</.exec(setup.text)![1]);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(setup.text)![1]!;
    expect((await browser.request('POST', '/sign-in/enrol', { _csrf: csrf, code: '123456', next: '/' })).status).toBe(401);
    const done = await browser.request('POST', '/sign-in/enrol', { _csrf: csrf, code: await currentTotp(secret), next: '/' });
    expect(done.status).toBe(200);
    const codes = [...done.text.matchAll(/<li><code>([a-z0-9]{5}-[a-z0-9]{5})<\/code><\/li>/g)].map((m) => m[1]!);
    expect(codes).toHaveLength(10);
    expect((await browser.request('GET', '/')).status).toBe(200);
    const stored = await t.database.db.selectFrom('users').select(['recovery_code_hashes', 'totp_enrolled_at']).where('email', '=', 'new.handler@castlebrook.example').executeTakeFirstOrThrow();
    expect(stored.totp_enrolled_at).not.toBeNull();
    expect(stored.recovery_code_hashes.join()).not.toContain(codes[0]!.replace('-', ''));

    // Lost phone: a recovery code signs in once, and never again.
    for (const expected of [303, 401]) {
      const again = new FormClient(t.client.baseUrl);
      await again.request('POST', '/sign-in', { _csrf: await again.csrf('/sign-in'), email: 'new.handler@castlebrook.example', password: 'a-long-new-password', next: '/' });
      const answer = await again.request('POST', '/sign-in/code', { _csrf: await again.csrf('/sign-in/code'), code: codes[3]!, next: '/' });
      expect(answer.status).toBe(expected);
    }
  });

  it('accepts an authenticator code once: the same code again is refused, a later one signs in, an earlier one does not', async () => {
    const email = 'refuge@castlebrook.example';
    const halfSignedIn = async () => {
      const browser = new FormClient(t.client.baseUrl);
      await browser.request('POST', '/sign-in', { _csrf: await browser.csrf('/sign-in'), email, password: DEMO_PASSWORD, next: '/' });
      return { browser, csrf: await browser.csrf('/sign-in/code') };
    };
    const step = totpStepAt(new Date());
    const code = await totpForStep(DEMO_TOTP_SECRET, step);
    const first = await halfSignedIn();
    expect((await first.browser.request('POST', '/sign-in/code', { _csrf: first.csrf, code, next: '/' })).status).toBe(303);
    expect((await first.browser.request('GET', '/')).status).toBe(200);

    // The same code, seen over a shoulder or replayed, in another browser within its 30 seconds.
    const second = await halfSignedIn();
    const replay = await second.browser.request('POST', '/sign-in/code', { _csrf: second.csrf, code, next: '/' });
    expect(replay.status).toBe(401);
    expect(replay.text).toContain('That code has been used already');
    expect((await second.browser.request('GET', '/')).headers.get('location')).toMatch(/^\/sign-in/);
    const user = await t.database.db.selectFrom('users').select(['id', 'totp_last_step', 'failed_sign_ins']).where('email', '=', email).executeTakeFirstOrThrow();
    expect(user.totp_last_step).toBe(step);
    expect(user.failed_sign_ins).toBe(1);
    const refusals = await t.database.db.selectFrom('audit_events').select('details').where('action', '=', 'session.sign_in').where('outcome', '=', 'denied').where('actor_user_id', '=', user.id).execute();
    expect(refusals.map((r) => (r.details as { secondFactor?: string }).secondFactor)).toEqual(['reused']);

    // The next code (an authenticator a little ahead is allowed one step) signs in; then the earlier one is refused.
    const later = await second.browser.request('POST', '/sign-in/code', { _csrf: second.csrf, code: await totpForStep(DEMO_TOTP_SECRET, step + 1), next: '/' });
    expect(later.status).toBe(303);
    expect((await second.browser.request('GET', '/')).status).toBe(200);
    const third = await halfSignedIn();
    const earlier = await third.browser.request('POST', '/sign-in/code', { _csrf: third.csrf, code, next: '/' });
    expect(earlier.status).toBe(401);
    const after = await t.database.db.selectFrom('users').select(['totp_last_step']).where('id', '=', user.id).executeTakeFirstOrThrow();
    expect(after.totp_last_step).toBe(step + 1);
  });

  it('accepts one of two sign-ins sent at once with the same code', async () => {
    const email = 'police@castlebrook.example';
    const browsers = [new FormClient(t.client.baseUrl), new FormClient(t.client.baseUrl)];
    const forms = await Promise.all(
      browsers.map(async (browser) => {
        await browser.request('POST', '/sign-in', { _csrf: await browser.csrf('/sign-in'), email, password: DEMO_PASSWORD, next: '/' });
        return browser.csrf('/sign-in/code');
      }),
    );
    const code = await totpForStep(DEMO_TOTP_SECRET, totpStepAt(new Date()));
    const answers = await Promise.all(browsers.map((browser, i) => browser.request('POST', '/sign-in/code', { _csrf: forms[i]!, code, next: '/' })));
    expect(answers.map((a) => a.status).sort()).toEqual([303, 401]);
  });

  it('refuses a form without its CSRF token, changing nothing', async () => {
    const browser = new FormClient(t.client.baseUrl);
    await browser.signIn('handler@castlebrook.example');
    const before = await t.database.db.selectFrom('contacts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    const forged = await browser.request('POST', '/calls/new', { immediateDanger: 'no', callerType: 'victim', channel: 'phone' });
    expect(forged.status).toBe(403);
    expect(forged.text).toContain('This form has expired or was not sent from spoc');
    const wrong = await browser.request('POST', '/calls/new', { _csrf: 'made-up', immediateDanger: 'no', callerType: 'victim', channel: 'phone' });
    expect(wrong.status).toBe(403);
    const after = await t.database.db.selectFrom('contacts').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
    // With the token, the same form works.
    const real = await browser.request('POST', '/calls/new', { _csrf: await browser.csrf('/calls/new'), immediateDanger: 'no', callerType: 'victim', channel: 'phone' });
    expect(real.status).toBe(303);
    expect(real.headers.get('location')).toMatch(/^\/calls\/[0-9a-f-]{36}\/about$/);
  });

  it('ends a session after 30 minutes idle, and at sign-out', async () => {
    const browser = new FormClient(t.client.baseUrl);
    await browser.signIn('idva@castlebrook.example');
    expect((await browser.request('GET', '/inbox')).status).toBe(200);
    const user = await t.database.db.selectFrom('users').select('id').where('email', '=', 'idva@castlebrook.example').executeTakeFirstOrThrow();
    await t.database.db.updateTable('web_sessions').set({ last_seen_at: new Date(Date.now() - 31 * 60_000) }).where('user_id', '=', user.id).execute();
    const idle = await browser.request('GET', '/inbox');
    expect(idle.status).toBe(303);
    expect(idle.headers.get('location')).toBe('/sign-in?next=%2Finbox&ended=1');
    expect(browser.cookies.has('spoc_session')).toBe(false);

    await browser.signIn('idva@castlebrook.example');
    const token = browser.cookies.get('spoc_session')!;
    const out = await browser.request('POST', '/sign-out', { _csrf: await browser.csrf('/inbox') });
    expect(out.status).toBe(303);
    // The old cookie, replayed, no longer opens anything.
    browser.cookies.set('spoc_session', token);
    expect((await browser.request('GET', '/inbox')).status).toBe(303);
  });

  it('sends no-store, a strict Content-Security-Policy and no Referer on every page', async () => {
    const browser = new FormClient(t.client.baseUrl);
    await browser.signIn('coordinator@castlebrook.example');
    for (const path of ['/', '/queues', '/contacts', '/calls/new', '/sign-in']) {
      const page = await browser.request('GET', path);
      expect(page.headers.get('cache-control'), path).toBe('no-store');
      const csp = page.headers.get('content-security-policy') ?? '';
      expect(csp, path).toContain("default-src 'self'");
      expect(csp, path).toContain("frame-ancestors 'none'");
      expect(csp, path).toMatch(/script-src 'self' 'nonce-[0-9a-f]+'/);
      expect(page.headers.get('referrer-policy'), path).toBe('no-referrer');
    }
  });

  it('gives a role only its own pages', async () => {
    const provider = new FormClient(t.client.baseUrl);
    await provider.signIn('idva@castlebrook.example');
    const queues = await provider.request('GET', '/queues');
    expect(queues.status).toBe(403);
    const commissioner = new FormClient(t.client.baseUrl);
    await commissioner.signIn('commissioner@castlebrook.example');
    expect((await commissioner.request('GET', '/contacts')).status).toBe(403);
    expect((await commissioner.request('GET', '/inbox')).status).toBe(403);
  });
});
