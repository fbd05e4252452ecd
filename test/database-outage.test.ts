/**
 * When the database cannot be reached, requests answer 503 with a clear message and change
 * nothing; when it returns, spoc recovers by itself (issue 10). PostgreSQL only: the
 * embedded database cannot go away. The outage is a TCP proxy in front of the real server
 * that drops every connection and refuses new ones, then comes back.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/connect.js';
import { createPartnership, newContact, onPostgres, startApp, type Partnership, type TestApp } from './harness.js';

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
      await new Promise<void>((resolve) => server!.close(() => resolve()));
      for (const s of sockets) s.destroy();
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
    const summaries = (await t.database.db.selectFrom('contacts').select('summary').where('partnership_id', '=', p.id).execute()).map((c) => c.summary).sort();
    expect(summaries).toEqual(['after', 'before']);
  }, 60_000);
});

if (!onPostgres) console.log('database-outage.test.ts: skipped on PGlite (the embedded database cannot become unreachable); it runs when DATABASE_URL is set, as in .ci/run');
