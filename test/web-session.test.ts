/**
 * The web app's sign-in, over real HTTP: the session cookie's attributes, CSRF on every
 * form, the idle timeout, signing out, and the headers every page carries.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PASSWORD } from '../src/seed/demo.js';
import { startDemoApp, type TestApp } from './harness.js';
import { FormClient } from './web/http.js';

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

    const ok = await new FormClient(t.client.baseUrl).signIn('handler@castlebrook.example');
    expect(ok.status).toBe(303);
    const cookie = ok.headers.getSetCookie().find((c) => c.startsWith('spoc_session='))!;
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
    const signedIn = await browser.request('POST', '/sign-in', { _csrf: await browser.csrf('/sign-in'), email: 'handler@castlebrook.example', password: DEMO_PASSWORD, next: '/contacts' });
    expect(signedIn.headers.get('location')).toBe('/contacts');
    // Only a local path: anywhere else goes home.
    const other = new FormClient(t.client.baseUrl);
    const away = await other.request('POST', '/sign-in', { _csrf: await other.csrf('/sign-in'), email: 'handler@castlebrook.example', password: DEMO_PASSWORD, next: '//evil.example/' });
    expect(away.headers.get('location')).toBe('/');
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
