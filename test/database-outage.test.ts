/**
 * When the database cannot be reached, requests answer 503 with a clear message and change
 * nothing (the API as problem+json, the staff pages as GOV.UK's "service unavailable" page);
 * when it returns, spoc recovers by itself (issue 10). PostgreSQL only: the
 * embedded database cannot go away. The outage is a TCP proxy in front of the real server
 * that drops every connection and refuses new ones, then comes back.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hash as argon2Hash } from '@node-rs/argon2';
import { sql } from 'kysely';
import { openDatabase } from '../src/db/connect.js';
import { isDatabaseUnavailable } from '../src/http/errors.js';
import { decrypt } from '../src/lib/crypto.js';
import { createPartnership, newContact, onPostgres, startApp, type Partnership, type TestApp } from './harness.js';
import { FormClient } from './web/http.js';

const target = process.env.DATABASE_URL ? new URL(process.env.DATABASE_URL) : null;

/** A proxy to PostgreSQL that can be cut and restored. */
function proxy() {
  const sockets = new Set<net.Socket>();
  let server: net.Server | null = null;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve) => {
      server = net.createServer((client) => {
        const upstream = net.connect(Number(target!.port || 5432), target!.hostname);
        for (const s of [client, upstream]) {
          sockets.add(s);
          s.on('close', () => sockets.delete(s));
          s.on('error', () => s.destroy());
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as net.AddressInfo).port;
        resolve();
      });
    });
  return {
    get port() {
      return port;
    },
    start: listen,
    async cut() {
      // Stop listening, then drop what is open (close's callback waits for every connection to end).
      const closed = new Promise<void>((resolve) => server!.close(() => resolve()));
      for (const s of sockets) s.destroy();
      await closed;
    },
  };
}

describe.skipIf(!onPostgres)('a database outage', () => {
  const link = proxy();
  let t: TestApp;
  let p: Partnership;

  beforeAll(async () => {
    await link.start();
    const url = new URL(target!);
    url.hostname = '127.0.0.1';
    url.port = String(link.port);
    const database = await openDatabase({ kind: 'postgres', url: url.toString(), poolSize: 4 });
    t = await startApp(database);
    p = await createPartnership(t.database);
  });
  afterAll(async () => {
    await t?.close();
    await t?.database.close();
  });

  it('answers 503 while the database is away, saves nothing, and recovers by itself when it returns', async () => {
    const handler = t.client.as(p.users.handler.token);
    expect((await handler.post('/api/v1/contacts', newContact({ summary: 'before' }))).status).toBe(201);
    expect((await t.client.get('/health/ready')).status).toBe(200);

    await link.cut();
    const during = await handler.post('/api/v1/contacts', newContact({ summary: 'during the outage' }));
    expect(during.status).toBe(503);
    expect(during.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(during.headers.get('retry-after')).toBe('5');
    expect(during.body.detail).toMatch(/database is not answering .* nothing was saved/);
    const ready = await t.client.get('/health/ready');
    expect(ready.status).toBe(503);
    expect(ready.body).toMatchObject({ status: 'unavailable', database: { ok: false } });
    expect((await t.client.get('/health/live')).status).toBe(200);
    expect(t.logs.join('')).not.toContain('during the outage');

    await link.start();
    let after = await handler.post('/api/v1/contacts', newContact({ summary: 'after' }));
    for (let i = 0; i < 20 && after.status === 503; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      after = await handler.post('/api/v1/contacts', newContact({ summary: 'after' }));
    }
    expect(after.status).toBe(201);
    expect((await t.client.get('/health/ready')).status).toBe(200);
    const summaries = (await t.database.db.selectFrom('contacts').select('summary').where('partnership_id', '=', p.id).execute()).map((c) => decrypt(c.summary)).sort();
    expect(summaries).toEqual(['after', 'before']);
  }, 60_000);

  it('fails a transaction whose connection is lost mid-way as unavailable, without ending the process', async () => {
    const uncaught: Error[] = [];
    const listener = (error: Error) => uncaught.push(error);
    process.on('uncaughtException', listener);
    try {
      const lost = await t.database.db
        .transaction()
        .execute(async (tx) => {
          await sql`select 1`.execute(tx);
          // The connection goes while this transaction holds it, between two statements.
          await link.cut();
          await new Promise((resolve) => setTimeout(resolve, 100));
          await sql`select 1`.execute(tx);
        })
        .then(
          () => null,
          (error: Error & { code?: string }) => error,
        );
      expect(lost).not.toBeNull();
      expect(isDatabaseUnavailable(lost!), lost!.message).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(uncaught.map((error) => error.message)).toEqual([]);
    } finally {
      process.off('uncaughtException', listener);
      await link.start();
    }
    let ready = await t.client.get('/health/ready');
    for (let i = 0; i < 20 && ready.status !== 200; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      ready = await t.client.get('/health/ready');
    }
    expect(ready.status).toBe(200);
  }, 60_000);

  it('shows signed-in staff the "service unavailable" page while the database is away, and their pages again when it returns', async () => {
    await t.database.db.updateTable('users').set({ password_hash: await argon2Hash('outage-test-password'), name: 'Harriet Outage-Handler' }).where('id', '=', p.users.handler.id).execute();
    const browser = new FormClient(t.client.baseUrl);
    expect((await browser.signIn(`handler@${p.slug}.example`, 'outage-test-password')).status).toBe(303);
    const before = await browser.request('GET', '/contacts');
    expect(before.status).toBe(200);
    expect(before.text).toContain('Harriet Outage-Handler');

    await link.cut();
    for (const path of ['/contacts', '/']) {
      const page = await browser.request('GET', path);
      expect(page.status, path).toBe(503);
      expect(page.headers.get('content-type')).toMatch(/^text\/html/);
      expect(page.headers.get('retry-after')).toBe('5');
      expect(page.headers.get('cache-control')).toBe('no-store');
      expect(page.text).toContain('<title>Sorry, the service is unavailable – spoc</title>');
      expect(page.text).toMatch(/<h1 class="govuk-heading-l">Sorry, the service is unavailable<\/h1>/);
      expect(page.text).toContain('Nothing you entered on this page was saved');
      expect(page.text).toContain('govuk-template');
      // Nothing of the person signed in, no error detail, no stack.
      expect(page.text).not.toContain('Harriet');
      expect(page.text).not.toContain(`handler@${p.slug}.example`);
      expect(page.text).not.toContain('Sign out');
      expect(page.text).not.toMatch(/ECONNREFUSED|Connection terminated|at .*\.ts:\d+|node_modules/);
    }
    // A form posted during the outage gets the same page, and saves nothing.
    const posted = await browser.request('POST', '/sign-out', { _csrf: 'x' });
    expect(posted.status).toBe(503);
    expect(posted.text).toContain('Sorry, the service is unavailable');
    expect(t.logs.join('')).toContain('database unavailable');
    expect(t.logs.join('')).not.toContain('Harriet');

    await link.start();
    let after = await browser.request('GET', '/contacts');
    for (let i = 0; i < 20 && after.status === 503; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      after = await browser.request('GET', '/contacts');
    }
    expect(after.status).toBe(200);
    expect(after.text).toContain('Sign out');
    expect(after.text).toContain('Harriet Outage-Handler');
  }, 60_000);
});

if (!onPostgres) console.log('database-outage.test.ts: skipped on PGlite (the embedded database cannot become unreachable); it runs when DATABASE_URL is set, as in .ci/run');
