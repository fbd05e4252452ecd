/**
 * Remembered bearer tokens (src/modules/access/token-holders.ts, 0026_token_check.sql): a
 * token seen recently costs no lookup of its own, and its holder is confirmed in the round-trip
 * that opens the request's transaction (or, for a request that opens none, before its answer
 * is sent). A token revoked or expired, or a user disabled or given other roles, behind
 * spoc's back is refused at once — with nothing read or changed — not a minute later.
 */
import { afterAll, beforeAll, beforeEach, expect, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/connect.js';
import { auditCount, createPartnership, emptyDatabase, newContact, startApp, testDatabase, type Partnership, type TestApp } from './harness.js';

let database: Database;
let t: TestApp;
let p: Partnership;
beforeAll(async () => {
  database = await testDatabase();
  t = await startApp(database);
  p = await createPartnership(database);
});
afterAll(async () => {
  await t.close();
  await database.close();
});

/** A fresh handler with a token of their own, used once so spoc remembers its holder. */
async function rememberedHandler(): Promise<{ token: string; userId: string; tokenId: string }> {
  const email = `h-${Date.now()}-${Math.random().toString(36).slice(2, 8)}@${p.slug}.example`;
  const { inTransaction } = await import('../src/db/transaction.js');
  const { addUser, createToken } = await import('../src/modules/access/service.js');
  const made = await inTransaction(database.db, null, async (tx) => {
    const user = await addUser(tx, null, { partnershipSlug: p.slug, organisationSlug: 'hub', email, name: 'Test remembered', roles: ['call_handler'] });
    return { user, token: await createToken(tx, null, { email, name: 'test' }) };
  });
  expect((await t.client.as(made.token.token).get('/api/v1/me')).status).toBe(200);
  return { token: made.token.token, userId: made.user.id, tokenId: made.token.id };
}

const contactsBy = async (userId: string) =>
  Number((await database.db.selectFrom('contacts').select((eb) => eb.fn.countAll<number>().as('n')).where('handler_user_id', '=', userId).executeTakeFirstOrThrow()).n);

type Change = (ids: { userId: string; tokenId: string }) => Promise<unknown>;
/** Each change made behind spoc's back, and how a request is answered once the token is looked up afresh. */
let changes: Array<[Change, number]>;
beforeEach(() => {
  changes = [
    [({ tokenId }) => database.db.updateTable('api_tokens').set({ revoked_at: new Date() }).where('id', '=', tokenId).execute(), 401],
    [({ tokenId }) => database.db.updateTable('api_tokens').set({ expires_at: new Date(Date.now() - 1000) }).where('id', '=', tokenId).execute(), 401],
    [({ userId }) => database.db.updateTable('users').set({ status: 'disabled' }).where('id', '=', userId).execute(), 401],
    [({ userId }) => database.db.updateTable('users').set({ roles: ['commissioner'] }).where('id', '=', userId).execute(), 403],
    // Still a call handler, now of the police: the contact is theirs to record.
    [({ userId }) => database.db.updateTable('users').set({ organisation_id: p.orgs.police }).where('id', '=', userId).execute(), 201],
  ];
});

it('a remembered token still works, for requests that open a transaction and those that do not', async () => {
  const handler = await rememberedHandler();
  const created = await t.client.as(handler.token).post('/api/v1/contacts', newContact());
  expect(created.status).toBe(201);
  expect((await t.client.as(handler.token).get(`/api/v1/contacts/${created.body.id}`)).status).toBe(200);
  expect((await t.client.as(handler.token).get('/api/v1/me')).body.id).toBe(handler.userId);
});

it('refuses a remembered token at once once it is revoked or expired, or its user disabled, moved or given other roles: nothing written', async () => {
  for (const [index, [change, afresh]] of changes.entries()) {
    const handler = await rememberedHandler();
    await change(handler);
    const writes = await auditCount(database, { action: 'contact.create' });
    const refused = await t.client.as(handler.token).post('/api/v1/contacts', newContact());
    expect(refused.status, `change ${index}`).toBe(401);
    expect(refused.body.detail).toMatch(/not valid/);
    expect(await contactsBy(handler.userId), `change ${index}`).toBe(0);
    expect(await auditCount(database, { action: 'contact.create' })).toBe(writes);
    // And again, the token now looked up afresh: answered as the user now stands.
    expect((await t.client.as(handler.token).post('/api/v1/contacts', newContact())).status, `change ${index}`).toBe(afresh);
  }
});

it('refuses it on a request that opens no transaction (bad input, answered before any), not answering the input', async () => {
  const handler = await rememberedHandler();
  const bad = await t.client.as(handler.token).post('/api/v1/contacts', { channel: 'pigeon' });
  expect(bad.status).toBe(400);
  for (const [index, [change]] of changes.entries()) {
    const stale = await rememberedHandler();
    await change(stale);
    const refused = await t.client.as(stale.token).post('/api/v1/contacts', { channel: 'pigeon' });
    expect(refused.status, `change ${index}`).toBe(401);
    expect(JSON.stringify(refused.body)).not.toContain('channel');
  }
});

it('leaves the connection clean after refusing: the next request on the pool succeeds', async () => {
  const handler = await rememberedHandler();
  const other = await rememberedHandler();
  await changes[0]![0](handler);
  // More refusals than the pool has connections, each interleaved with a good request.
  for (let i = 0; i < 6; i += 1) {
    expect((await t.client.as(handler.token).get('/api/v1/contacts')).status).toBe(401);
    expect((await t.client.as(other.token).post('/api/v1/contacts', newContact())).status).toBe(201);
  }
});

it('remembers a token per database: the same token against another database is looked up there', async () => {
  // Two apps in one process over two databases (as the tests run): a holder remembered for one is not trusted for the other.
  const { database: second, drop } = await emptyDatabase();
  const q = await createPartnership(second);
  const app2 = await startApp(second);
  try {
    const handler = await rememberedHandler();
    expect((await app2.client.as(handler.token).get('/api/v1/me')).status).toBe(401);
    expect((await app2.client.as(q.users.handler.token).get('/api/v1/me')).status).toBe(200);
    expect((await t.client.as(q.users.handler.token).get('/api/v1/me')).status).toBe(401);
  } finally {
    await app2.close();
    await drop();
  }
});

it('looks a remembered token up no more: one round-trip fewer per request', async () => {
  // Counted on a database handle of its own that reports each query.
  let lookups = 0;
  const url = process.env.DATABASE_URL;
  const counted: Database | null = url ? await openDatabase({ kind: 'postgres', url, poolSize: 2, onQuery: (text) => void (text.includes('"api_tokens"') && (lookups += 1)) }) : null;
  if (!counted) {
    console.log('round-trip count checked on PostgreSQL only (an in-memory PGlite cannot be opened twice)');
    expect(lookups).toBe(0);
    return;
  }
  const app = await startApp(counted);
  try {
    for (let i = 0; i < 3; i += 1) expect((await app.client.as(p.users.handler.token).get('/api/v1/contacts')).status).toBe(200);
    expect(lookups).toBe(1);
  } finally {
    await app.close();
    await counted.close();
  }
});
