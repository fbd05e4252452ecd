/**
 * Council sign-in (OpenID Connect) over real HTTP, end to end: a real OpenID provider
 * (oidc-provider, with a small login and consent of its own, as a council's Entra ID would
 * show) on a port of its own, spoc on another, and a cookie-keeping client that follows
 * every redirect between them as a browser does.
 */
import { generateKeyPairSync } from 'node:crypto';
import http from 'node:http';
import net from 'node:net';
import Provider from 'oidc-provider';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.js';
import { provesSecondFactor } from '../src/modules/access/oidc.js';
import { DEMO_TOTP_SECRET } from '../src/seed/demo.js';
import { startApp, startDemoApp, type TestApp } from './harness.js';
import { nextTotp } from './web/totp.js';

const CLIENT_ID = 'spoc-test';
const CLIENT_SECRET = 'a-client-secret-for-these-tests-only-0123456789';

interface Answer {
  status: number;
  /** Where a redirect points, made absolute. */
  location: string | null;
  text: string;
  url: string;
  setCookie: string[];
}

/** Just enough of a browser: cookies kept per host and path, forms posted, redirects followed. */
class Browser {
  private readonly jar = new Map<string, Array<{ name: string; value: string; path: string }>>();

  async request(method: string, url: string, form?: Record<string, string>): Promise<Answer> {
    const target = new URL(url);
    const cookie = (this.jar.get(target.host) ?? [])
      .filter((c) => target.pathname.startsWith(c.path))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
    const response = await fetch(target, {
      method,
      redirect: 'manual',
      headers: { ...(cookie ? { cookie } : {}), ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}) },
      ...(form ? { body: new URLSearchParams(form).toString() } : {}),
    });
    const setCookie = response.headers.getSetCookie();
    for (const header of setCookie) this.keep(target.host, header);
    const location = response.headers.get('location');
    return { status: response.status, location: location ? new URL(location, target).href : null, text: await response.text(), url: target.href, setCookie };
  }

  private keep(host: string, header: string): void {
    const [pair = '', ...attributes] = header.split(';').map((part) => part.trim());
    const name = pair.slice(0, pair.indexOf('='));
    const value = pair.slice(pair.indexOf('=') + 1);
    const path = attributes.find((a) => /^path=/i.test(a))?.slice(5) || '/';
    const gone = value === '' || attributes.some((a) => /^max-age=0$/i.test(a) || (/^expires=/i.test(a) && new Date(a.slice(8)) < new Date()));
    const list = (this.jar.get(host) ?? []).filter((c) => !(c.name === name && c.path === path));
    if (!gone) list.push({ name, value, path });
    this.jar.set(host, list);
  }

  has(host: string, name: string): boolean {
    return (this.jar.get(host) ?? []).some((c) => c.name === name);
  }

  /** Follows redirects until a page, or until one points at an address `stop` wants to see first. */
  async follow(answer: Answer, stop: (url: string) => boolean = () => false): Promise<Answer> {
    let current = answer;
    for (let hops = 0; current.location && current.status >= 300 && current.status < 400 && !stop(current.location); hops += 1) {
      if (hops > 20) throw new Error('too many redirects');
      current = await this.request('GET', current.location);
    }
    return current;
  }
}

/** The council's people, as their identity provider knows them (claims besides `sub`). */
const accounts = new Map<string, { email?: string; email_verified?: boolean }>();

async function readBody(req: http.IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** The provider's login and consent pages: a form each, posted back here, as devInteractions does (plus the `amr` of the login). */
async function interact(provider: Provider, req: http.IncomingMessage, res: http.ServerResponse): Promise<boolean> {
  const match = /^\/interaction\/([\w-]+)(?:\/(login|consent))?$/.exec(new URL(req.url ?? '/', 'http://idp').pathname);
  if (!match) return false;
  const [, uid, action] = match;
  const details = await provider.interactionDetails(req, res);
  if (req.method === 'GET') {
    const form =
      details.prompt.name === 'login'
        ? `<form method="post" action="/interaction/${uid}/login"><input name="login"><input name="amr"><button>Sign in</button></form>`
        : `<form method="post" action="/interaction/${uid}/consent"><button>Allow</button></form>`;
    res.writeHead(200, { 'content-type': 'text/html' }).end(`<h1>${details.prompt.name}</h1>${form}`);
  } else if (action === 'login') {
    const body = new URLSearchParams(await readBody(req));
    const amr = (body.get('amr') || 'pwd').split(' ');
    await provider.interactionFinished(req, res, { login: { accountId: body.get('login'), amr } }, { mergeWithLastSubmission: false });
  } else {
    await readBody(req);
    const grant = details.grantId ? (await provider.Grant.find(details.grantId))! : new provider.Grant({ accountId: details.session!.accountId, clientId: details.params.client_id });
    if (details.prompt.details.missingOIDCScope) grant.addOIDCScope(details.prompt.details.missingOIDCScope.join(' '));
    if (details.prompt.details.missingOIDCClaims) grant.addOIDCClaims(details.prompt.details.missingOIDCClaims);
    await provider.interactionFinished(req, res, { consent: { grantId: await grant.save() } }, { mergeWithLastSubmission: true });
  }
  return true;
}

async function startIdentityProvider(redirectUri: string): Promise<{ issuer: string; close: () => Promise<void> }> {
  let handle: http.RequestListener = (_req, res) => res.writeHead(503).end();
  const server = http.createServer((req, res) => handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const issuer = `http://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const provider = new Provider(issuer, {
    clients: [
      { client_id: CLIENT_ID, client_secret: CLIENT_SECRET, redirect_uris: [redirectUri], grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'client_secret_post' },
    ],
    jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' }] },
    cookies: { keys: ['a-cookie-key-for-these-tests'] },
    pkce: { required: () => true },
    ttl: { AccessToken: 600, AuthorizationCode: 60, Grant: 3600, IdToken: 600, Interaction: 600, Session: 3600 },
    features: { devInteractions: { enabled: false } },
    interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
    // How the person signed in (amr) goes into every ID token, as Entra ID does.
    claims: { acr: null, amr: null, auth_time: null, iss: null, sid: null, openid: ['sub', 'amr'], email: ['email', 'email_verified'] },
    findAccount: (_ctx: unknown, sub: string) => (accounts.has(sub) ? { accountId: sub, claims: async () => ({ sub, ...accounts.get(sub) }) } : undefined),
  });
  const callback = provider.callback();
  handle = (req, res) => {
    interact(provider, req, res)
      .then((handled) => {
        if (!handled) callback(req, res);
      })
      .catch((error: unknown) => res.writeHead(500).end(String(error)));
  };
  return { issuer, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('council sign-in (OpenID Connect)', () => {
  let t: TestApp;
  let idp: { issuer: string; close: () => Promise<void> };
  let spoc = '';
  let host = '';

  beforeAll(async () => {
    const port = await freePort();
    spoc = `http://127.0.0.1:${port}`;
    host = new URL(spoc).host;
    idp = await startIdentityProvider(`${spoc}/sign-in/oidc/callback`);
    const config = loadConfig({ PUBLIC_URL: spoc, SPOC_OIDC_ISSUER: idp.issuer, SPOC_OIDC_CLIENT_ID: CLIENT_ID, SPOC_OIDC_CLIENT_SECRET: CLIENT_SECRET });
    t = await startDemoApp({ port, publicUrl: config.publicUrl, oidc: config.oidc });
    expect(t.client.baseUrl).toBe(spoc);
  });

  afterAll(async () => {
    await t?.close();
    await idp?.close();
  });

  const userByEmail = (email: string) =>
    t.database.db.selectFrom('users').select(['id', 'oidc_issuer', 'oidc_subject', 'oidc_linked_at']).where('email', '=', email).executeTakeFirstOrThrow();
  const isCallback = (url: string) => url.startsWith(`${spoc}/sign-in/oidc/callback`);

  /** From spoc's button through the council's login and consent, up to (not into) spoc's callback; answers the callback's address. */
  async function throughCouncil(browser: Browser, login: string, amr: string, start = `${spoc}/sign-in/oidc?next=%2F`): Promise<string> {
    const toProvider = await browser.request('GET', start);
    expect(toProvider.status).toBe(303);
    expect(toProvider.location!.startsWith(`${idp.issuer}/auth?`)).toBe(true);
    const loginPage = await browser.follow(toProvider);
    expect(loginPage.text).toContain('<h1>login</h1>');
    const consentPage = await browser.follow(await browser.request('POST', `${loginPage.url}/login`, { login, amr }));
    expect(consentPage.text).toContain('<h1>consent</h1>');
    const back = await browser.follow(await browser.request('POST', `${consentPage.url}/consent`, {}), isCallback);
    expect(back.status).toBe(303);
    expect(isCallback(back.location!)).toBe(true);
    return back.location!;
  }

  it("signs in from the sign-in page's button, through the council's login and consent, linking the account by its verified email", async () => {
    accounts.set('council-handler-1', { email: 'Handler@Castlebrook.example', email_verified: true });
    const browser = new Browser();
    const signInPage = await browser.follow(await browser.request('GET', `${spoc}/contacts`));
    expect(signInPage.url).toBe(`${spoc}/sign-in?next=%2Fcontacts`);
    expect(signInPage.text).toContain('Sign in with your council account');
    const button = /href="(\/sign-in\/oidc\?next=[^"]+)"/.exec(signInPage.text)?.[1];
    expect(button).toBe('/sign-in/oidc?next=%2Fcontacts');

    // The first leg: PKCE (S256), state and nonce, and a cookie only the callback gets back.
    const start = await browser.request('GET', `${spoc}${button}`);
    const authorization = new URL(start.location!);
    expect(authorization.searchParams.get('client_id')).toBe(CLIENT_ID);
    expect(authorization.searchParams.get('response_type')).toBe('code');
    expect(authorization.searchParams.get('redirect_uri')).toBe(`${spoc}/sign-in/oidc/callback`);
    expect(authorization.searchParams.get('scope')).toContain('openid');
    expect(authorization.searchParams.get('code_challenge_method')).toBe('S256');
    expect(authorization.searchParams.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(authorization.searchParams.get('state')).toMatch(/^[\w-]{20,}$/);
    expect(authorization.searchParams.get('nonce')).toMatch(/^[\w-]{20,}$/);
    const flowCookie = start.setCookie.find((c) => c.startsWith('spoc_oidc='))!;
    expect(flowCookie).toMatch(/HttpOnly/i);
    expect(flowCookie).toMatch(/Path=\/sign-in\/oidc/);
    expect(flowCookie).toMatch(/SameSite=Lax/i);
    expect(flowCookie).not.toContain(authorization.searchParams.get('code_challenge')!);

    const callback = await throughCouncil(browser, 'council-handler-1', 'pwd mfa', `${spoc}${button}`);
    const landed = await browser.request('GET', callback);
    // The council's sign-in proved a second factor (amr "mfa"): no code step, straight to the page asked for.
    expect(landed.status).toBe(303);
    expect(landed.location).toBe(`${spoc}/contacts`);
    expect(browser.has(host, 'spoc_oidc')).toBe(false);
    const contacts = await browser.request('GET', `${spoc}/contacts`);
    expect(contacts.status).toBe(200);
    expect(contacts.text).toContain('Demo Call Handler');

    const handler = await userByEmail('handler@castlebrook.example');
    expect(handler.oidc_issuer).toBe(idp.issuer);
    expect(handler.oidc_subject).toBe('council-handler-1');
    expect(handler.oidc_linked_at).not.toBeNull();
    const links = await t.database.db.selectFrom('audit_events').select(['outcome', 'details']).where('action', '=', 'user.oidc_link').where('record_id', '=', handler.id).execute();
    expect(links).toEqual([{ outcome: 'allowed', details: { issuer: idp.issuer, by: 'verified_email' } }]);
    const signIns = await t.database.db.selectFrom('audit_events').select(['details']).where('action', '=', 'session.sign_in').where('actor_user_id', '=', handler.id).where('outcome', '=', 'allowed').execute();
    expect(signIns.map((s) => s.details)).toEqual([{ via: 'oidc', issuer: idp.issuer, amr: ['pwd', 'mfa'], secondFactor: 'identity_provider' }]);
    // Ids in logs, never emails or names.
    expect(t.logs.join('\n')).not.toMatch(/handler@castlebrook|Demo Call Handler/i);
  });

  it('finds a linked account by its subject the next time, whatever the email now says', async () => {
    accounts.set('council-handler-1', { email: 'someone.else@council.example', email_verified: false });
    const browser = new Browser();
    const landed = await browser.request('GET', await throughCouncil(browser, 'council-handler-1', 'pwd mfa'));
    expect(landed.location).toBe(`${spoc}/`);
    const home = await browser.request('GET', `${spoc}/`);
    expect(home.status).toBe(200);
    expect(home.text).toContain('Demo Call Handler');
    const links = await t.database.db.selectFrom('audit_events').select('id').where('action', '=', 'user.oidc_link').execute();
    expect(links).toHaveLength(1);
  });

  it("still asks for spoc's own code when the council's sign-in was a password alone", async () => {
    accounts.set('council-marac', { email: 'marac@castlebrook.example', email_verified: true });
    const browser = new Browser();
    const landed = await browser.request('GET', await throughCouncil(browser, 'council-marac', 'pwd'));
    expect(landed.status).toBe(303);
    expect(landed.location).toBe(`${spoc}/sign-in/code?next=%2F`);
    // Half signed in opens nothing.
    expect((await browser.request('GET', `${spoc}/marac`)).location).toMatch(/\/sign-in\/code/);
    const codePage = await browser.request('GET', `${spoc}/sign-in/code?next=%2F`);
    const csrf = /name="_csrf" value="([^"]+)"/.exec(codePage.text)![1]!;
    const code = await nextTotp(spoc, 'marac@castlebrook.example', DEMO_TOTP_SECRET);
    const signedIn = await browser.request('POST', `${spoc}/sign-in/code`, { _csrf: csrf, code, next: '/' });
    expect(signedIn.location).toBe(`${spoc}/`);
    const home = await browser.request('GET', `${spoc}/`);
    expect(home.status).toBe(200);
    expect(home.text).toContain('Demo MARAC Coordinator');
    const marac = await userByEmail('marac@castlebrook.example');
    const firstFactor = await t.database.db.selectFrom('audit_events').select('details').where('action', '=', 'session.oidc').where('actor_user_id', '=', marac.id).execute();
    expect(firstFactor.map((row) => row.details)).toEqual([{ via: 'oidc', issuer: idp.issuer, amr: ['pwd'] }]);
  });

  it('refuses someone the council knows and spoc does not, making no account, and an email the council has not verified', async () => {
    const before = await t.database.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    accounts.set('council-stranger', { email: 'stranger@elsewhere.example', email_verified: true });
    accounts.set('council-unverified', { email: 'coordinator@castlebrook.example', email_verified: false });
    for (const login of ['council-stranger', 'council-unverified']) {
      const browser = new Browser();
      const refused = await browser.request('GET', await throughCouncil(browser, login, 'pwd mfa'));
      expect(refused.status, login).toBe(403);
      expect(refused.text, login).toContain('There is no spoc account for the council account you signed in with');
      expect(browser.has(host, 'spoc_session'), login).toBe(false);
      expect((await browser.request('GET', `${spoc}/`)).location, login).toBe(`${spoc}/sign-in`);
    }
    const after = await t.database.db.selectFrom('users').select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow();
    expect(Number(after.n)).toBe(Number(before.n));
    expect((await userByEmail('coordinator@castlebrook.example')).oidc_subject).toBeNull();
    const refusals = await t.database.db
      .selectFrom('audit_events')
      .select(['actor_user_id', 'details'])
      .where('action', '=', 'session.sign_in')
      .where('outcome', '=', 'denied')
      .where(({ ref }) => ref('details', '->>').key('reason' as never), '=', 'no_account')
      .execute();
    expect(refusals).toHaveLength(2);
    expect(refusals.every((r) => r.actor_user_id === null)).toBe(true);
    expect(JSON.stringify(refusals)).not.toMatch(/stranger|coordinator@|council-/);
    expect(t.logs.join('\n')).not.toMatch(/stranger@elsewhere|coordinator@castlebrook/);
  });

  it('refuses a disabled account and a locked one, linking neither', async () => {
    await t.database.db.updateTable('users').set({ status: 'disabled' }).where('email', '=', 'commissioner@castlebrook.example').execute();
    await t.database.db.updateTable('users').set({ locked_until: new Date(Date.now() + 10 * 60_000) }).where('email', '=', 'provider-manager@castlebrook.example').execute();
    accounts.set('council-commissioner', { email: 'commissioner@castlebrook.example', email_verified: true });
    accounts.set('council-manager', { email: 'provider-manager@castlebrook.example', email_verified: true });
    const cases: Array<[string, string, string, string]> = [
      ['council-commissioner', 'commissioner@castlebrook.example', 'disabled', 'Your spoc account is switched off'],
      ['council-manager', 'provider-manager@castlebrook.example', 'locked', 'Your spoc account is locked after too many attempts'],
    ];
    for (const [login, email, reason, text] of cases) {
      const browser = new Browser();
      const refused = await browser.request('GET', await throughCouncil(browser, login, 'pwd mfa'));
      expect(refused.status, login).toBe(403);
      expect(refused.text, login).toContain(text);
      expect(browser.has(host, 'spoc_session'), login).toBe(false);
      const user = await userByEmail(email);
      expect(user.oidc_subject, login).toBeNull();
      const audited = await t.database.db.selectFrom('audit_events').select(['outcome', 'details']).where('action', '=', 'session.sign_in').where('record_id', '=', user.id).execute();
      expect(audited, login).toEqual([{ outcome: 'denied', details: { via: 'oidc', reason } }]);
    }
  });

  it('refuses a return whose state is not the one this browser started with, and a return with no sign-in started', async () => {
    accounts.set('council-idva', { email: 'idva@castlebrook.example', email_verified: true });
    // Tampered with on the way back.
    const browser = new Browser();
    const callback = new URL(await throughCouncil(browser, 'council-idva', 'pwd mfa'));
    const genuineState = callback.searchParams.get('state')!;
    callback.searchParams.set('state', `${genuineState}x`);
    const tampered = await browser.request('GET', callback.href);
    expect(tampered.status).toBe(400);
    expect(tampered.text).toContain('did not match the one started in this browser');
    expect(browser.has(host, 'spoc_session')).toBe(false);
    // The sign-in is spent: the genuine return, replayed, finds nothing to finish.
    callback.searchParams.set('state', genuineState);
    const replayed = await browser.request('GET', callback.href);
    expect(replayed.status).toBe(400);
    expect(replayed.text).toContain('This sign-in has expired or was started in another browser');

    // Someone else's completed sign-in pushed into this browser (login CSRF): the states differ.
    const attacker = new Browser();
    const attackersReturn = await throughCouncil(attacker, 'council-idva', 'pwd mfa');
    const victim = new Browser();
    await victim.request('GET', `${spoc}/sign-in/oidc?next=%2F`);
    expect(victim.has(host, 'spoc_oidc')).toBe(true);
    const pushed = await victim.request('GET', attackersReturn);
    expect(pushed.status).toBe(400);
    expect(victim.has(host, 'spoc_session')).toBe(false);
    // And with no sign-in started at all.
    const stranger = new Browser();
    expect((await stranger.request('GET', attackersReturn)).status).toBe(400);

    const reasons = await t.database.db
      .selectFrom('audit_events')
      .select('details')
      .where('action', '=', 'session.sign_in')
      .where('outcome', '=', 'denied')
      .where(({ ref }) => ref('details', '->>').key('reason' as never), 'in', ['state', 'expired'])
      .execute();
    expect(reasons.map((r) => (r.details as { reason: string }).reason).sort()).toEqual(['expired', 'expired', 'state', 'state']);
    expect((await userByEmail('idva@castlebrook.example')).oidc_subject).toBeNull();
  });
});

describe('council sign-in configuration', () => {
  it('is off unless configured, and a wrong setting stops spoc naming the variable', () => {
    expect(loadConfig({}).oidc).toBeUndefined();
    const good = { PUBLIC_URL: 'https://spoc.example.gov.uk/', SPOC_OIDC_ISSUER: 'https://login.microsoftonline.com/tenant-id/v2.0', SPOC_OIDC_CLIENT_ID: 'client', SPOC_OIDC_CLIENT_SECRET: 'secret' };
    expect(loadConfig(good).oidc).toEqual({ issuer: good.SPOC_OIDC_ISSUER, clientId: 'client', clientSecret: 'secret', redirectUrl: 'https://spoc.example.gov.uk/sign-in/oidc/callback' });
    const wrong: Array<[Record<string, string>, RegExp]> = [
      [{ ...good, SPOC_OIDC_ISSUER: '' }, /^SPOC_OIDC_ISSUER must be set when SPOC_OIDC_CLIENT_ID is/],
      [{ ...good, SPOC_OIDC_ISSUER: 'not a url' }, /^SPOC_OIDC_ISSUER must be a URL/],
      [{ ...good, SPOC_OIDC_ISSUER: 'http://login.example.com' }, /^SPOC_OIDC_ISSUER must be an https:\/\/ URL/],
      [{ ...good, SPOC_OIDC_CLIENT_ID: '' }, /^SPOC_OIDC_CLIENT_ID must be set/],
      [{ ...good, SPOC_OIDC_CLIENT_SECRET: '' }, /^SPOC_OIDC_CLIENT_SECRET must be set/],
      [{ ...good, PUBLIC_URL: '' }, /^PUBLIC_URL must be set when SPOC_OIDC_ISSUER is/],
    ];
    for (const [env, message] of wrong) expect(() => loadConfig(env), message.source).toThrow(message);
  });

  it('counts the council\'s MFA as the second factor only when its amr says so', () => {
    const table: Array<[string[], boolean]> = [
      [['pwd', 'mfa'], true],
      [['rsa', 'mfa'], true],
      [['ngcmfa'], true],
      [['pwd', 'otp'], true],
      [['hwk'], true],
      [['pwd'], false],
      [['wia'], false],
      [['pwd', 'sms'], false],
      [[], false],
    ];
    for (const [amr, expected] of table) expect(provesSecondFactor(amr), amr.join(' ')).toBe(expected);
  });

  it('shows no council button when off, and says so when the identity provider does not answer', async () => {
    const off = await startApp();
    try {
      expect((await off.client.get('/sign-in')).text).not.toContain('Sign in with your council account');
      expect((await off.client.get('/sign-in/oidc')).status).toBe(404);
    } finally {
      await off.close();
    }
    const deadPort = await freePort();
    const down = await startApp(undefined, {
      publicUrl: 'http://127.0.0.1:1',
      oidc: { issuer: `http://127.0.0.1:${deadPort}`, clientId: CLIENT_ID, clientSecret: CLIENT_SECRET, redirectUrl: 'http://127.0.0.1:1/sign-in/oidc/callback' },
    });
    try {
      expect((await down.client.get('/sign-in')).text).toContain('Sign in with your council account');
      const unavailable = await down.client.get('/sign-in/oidc');
      expect(unavailable.status).toBe(503);
      expect(unavailable.text).toContain('The council sign-in is not answering');
    } finally {
      await down.close();
    }
  });
});
