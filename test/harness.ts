/**
 * Test harness: a real database (PGlite cloned from the migrated template, or the
 * PostgreSQL server of DATABASE_URL), the real app on a real port, and small factories.
 */
import { createHash, randomUUID } from 'node:crypto';
import fs from 'node:fs';
import { Writable } from 'node:stream';
import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { inject } from 'vitest';
import { buildApp } from '../src/app.js';
import { loadConfig, type Config } from '../src/config.js';
import { openDatabase, type Database } from '../src/db/connect.js';
import { migrate } from '../src/db/migrate.js';
import { inTransaction } from '../src/db/transaction.js';
import { createLogger } from '../src/http/logger.js';
import type { Role } from '../src/modules/access/policy.js';
import { addUser, createOrganisation, createToken } from '../src/modules/access/service.js';
import { seedDemo } from '../src/seed/demo.js';
import { provisionPartnership } from '../src/seed/partnership.js';
import { registerTestDatabase } from './web/totp.js';

export const onPostgres = Boolean(process.env.DATABASE_URL);

/**
 * The tests' encryption key (docs/encryption.md): not the development key, so a test that
 * reads a column directly sees it sealed under "test". Processes the tests start inherit it.
 */
export const TEST_ENCRYPTION_KEYS = `test:${createHash('sha256').update('spoc tests: not a secret').digest('base64')}`;
process.env.SPOC_ENCRYPTION_KEYS ||= TEST_ENCRYPTION_KEYS;

/** A database of the run's kind with the schema and no data of this file's. */
export async function testDatabase(): Promise<Database> {
  if (process.env.DATABASE_URL) return openDatabase({ kind: 'postgres', url: process.env.DATABASE_URL, poolSize: 4 });
  const template = fs.readFileSync(inject('pgliteTemplate'));
  return openDatabase({ kind: 'pglite-memory', loadFrom: new Blob([template]) });
}

/** A database that holds nothing at all but the schema (its own PostgreSQL database, on PostgreSQL). */
export async function emptyDatabase(): Promise<{ database: Database; drop: () => Promise<void> }> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    const database = await testDatabase();
    return { database, drop: () => database.close() };
  }
  const name = `spoc_empty_${randomUUID().replace(/-/g, '')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create database ${name}`);
  await admin.end();
  const target = new URL(url);
  target.pathname = `/${name}`;
  const database = await openDatabase({ kind: 'postgres', url: target.toString(), poolSize: 2 });
  await migrate(database);
  return {
    database,
    drop: async () => {
      await database.close();
      const again = new pg.Client({ connectionString: url });
      await again.connect();
      await again.query(`drop database if exists ${name}`);
      await again.end();
    },
  };
}

export interface Answer<T = any> {
  status: number;
  body: T;
  headers: Headers;
  text: string;
}

export class Client {
  constructor(
    readonly baseUrl: string,
    readonly token?: string,
  ) {}

  as(token: string | undefined): Client {
    return new Client(this.baseUrl, token);
  }

  async request<T = any>(method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Answer<T>> {
    const response = await fetch(this.baseUrl + path, {
      method,
      headers: {
        ...(this.token ? { authorization: `Bearer ${this.token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...headers,
      },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      // not JSON: keep the text
    }
    return { status: response.status, body: parsed as T, headers: response.headers, text };
  }

  get<T = any>(path: string) {
    return this.request<T>('GET', path);
  }
  post<T = any>(path: string, body?: unknown, headers?: Record<string, string>) {
    return this.request<T>('POST', path, body, headers);
  }
  patch<T = any>(path: string, body?: unknown) {
    return this.request<T>('PATCH', path, body);
  }
  put<T = any>(path: string, body?: unknown) {
    return this.request<T>('PUT', path, body);
  }
}

export interface TestApp {
  app: FastifyInstance;
  database: Database;
  client: Client;
  /** Every line the app logged, as text. */
  logs: string[];
  close(): Promise<void>;
}

/** The real app listening on a free port, over a real database. */
export async function startApp(database?: Database, overrides: Partial<Config> = {}, now?: () => Date): Promise<TestApp> {
  const db = database ?? (await testDatabase());
  const logs: string[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      logs.push(String(chunk));
      done();
    },
  });
  const config = { ...loadConfig({ SPOC_ENCRYPTION_KEYS: process.env.SPOC_ENCRYPTION_KEYS }), logLevel: 'info' as const, port: 0, jobIntervalMs: 0, ...overrides };
  const app = await buildApp({ config, database: db, logger: createLogger('info', stream), ...(now ? { now } : {}) });
  const address = await app.listen({ port: config.port, host: '127.0.0.1' });
  // The sign-in helpers find this app's database by its address (see web/totp.ts).
  const unregister = registerTestDatabase(address, db);
  return {
    app,
    database: db,
    client: new Client(address),
    logs,
    async close() {
      unregister();
      await app.close();
      if (!database) await db.close();
    },
  };
}

/** The real app over a database of its own holding the demo partnership (web tests sign in as its users). */
export async function startDemoApp(overrides: Partial<Config> = {}, now?: () => Date): Promise<TestApp> {
  const empty = await emptyDatabase();
  await inTransaction(empty.database.db, null, (tx) => seedDemo(tx));
  const started = await startApp(empty.database, overrides, now);
  return {
    ...started,
    async close() {
      await started.close();
      await empty.drop();
    },
  };
}

export type Persona =
  | 'handler'
  | 'coordinator'
  | 'marac'
  | 'admin'
  | 'caseworkerA'
  | 'managerA'
  | 'caseworkerB'
  | 'professional'
  | 'professional2'
  | 'commissioner';

export interface Partnership {
  id: string;
  slug: string;
  hubId: string;
  orgs: { hub: string; providerA: string; providerB: string; police: string; commissioners: string };
  users: Record<Persona, { id: string; token: string; organisationId: string }>;
}

const PERSONAS: Array<[Persona, Role, keyof Partnership['orgs']]> = [
  ['handler', 'call_handler', 'hub'],
  ['coordinator', 'spoc_coordinator', 'hub'],
  ['marac', 'marac_coordinator', 'hub'],
  ['admin', 'system_admin', 'hub'],
  ['caseworkerA', 'provider_caseworker', 'providerA'],
  ['managerA', 'provider_manager', 'providerA'],
  ['caseworkerB', 'provider_caseworker', 'providerB'],
  ['professional', 'referring_professional', 'police'],
  ['professional2', 'referring_professional', 'police'],
  ['commissioner', 'commissioner', 'commissioners'],
];

/** A partnership of its own: hub, two providers, police, commissioners, and a user (with token) per persona. */
export async function createPartnership(database: Database): Promise<Partnership> {
  const slug = `t-${randomUUID().slice(0, 8)}`;
  return inTransaction(database.db, null, async (tx) => {
    const { partnership, hub } = await provisionPartnership(tx, { slug, name: `Test ${slug}`, hubSlug: 'hub', hubName: 'Test SPOC' });
    const org = (orgSlug: string, kind: string) =>
      createOrganisation(tx, null, { partnershipId: partnership.id, slug: orgSlug, name: `Test ${orgSlug}`, kind }).then((o) => o.id);
    const orgs = {
      hub: hub.id,
      providerA: await org('provider-a', 'provider'),
      providerB: await org('provider-b', 'provider'),
      police: await org('police', 'referrer'),
      commissioners: await org('commissioners', 'commissioner'),
    };
    const orgSlugs = { hub: 'hub', providerA: 'provider-a', providerB: 'provider-b', police: 'police', commissioners: 'commissioners' };
    const users = {} as Partnership['users'];
    for (const [persona, role, orgKey] of PERSONAS) {
      const email = `${persona.toLowerCase()}@${slug}.example`;
      const user = await addUser(tx, null, { partnershipSlug: slug, organisationSlug: orgSlugs[orgKey], email, name: `Test ${persona}`, roles: [role] });
      const { token } = await createToken(tx, null, { email, name: 'test' });
      users[persona] = { id: user.id, token, organisationId: orgs[orgKey] };
    }
    return { id: partnership.id, slug, hubId: hub.id, orgs, users };
  });
}

/** A minimal valid contact. */
export function newContact(overrides: Record<string, unknown> = {}) {
  return { channel: 'phone', callerType: 'victim', immediateDanger: 'no', ...overrides };
}

export function dashAnswers(yes: number): Record<string, string> {
  return Object.fromEntries(Array.from({ length: 24 }, (_, i) => [`q${String(i + 1).padStart(2, '0')}`, i < yes ? 'yes' : 'no']));
}

export async function auditCount(database: Database, filter: { recordId?: string; action?: string } = {}): Promise<number> {
  let q = database.db.selectFrom('audit_events').select((eb) => eb.fn.countAll<number>().as('n'));
  if (filter.recordId) q = q.where('record_id', '=', filter.recordId);
  if (filter.action) q = q.where('action', '=', filter.action);
  return Number((await q.executeTakeFirstOrThrow()).n);
}

/** The demo directory's services, given to this partnership's organisations (hub, provider A, provider B). */
export async function addDirectory(database: Database, p: Partnership): Promise<Record<string, string>> {
  const { DEMO_SERVICES } = await import('../src/seed/demo.js');
  const { createService } = await import('../src/modules/directory/service.js');
  const owner = (organisation: string) =>
    organisation === 'castlebrook-spoc' ? p.orgs.hub : organisation === 'castlebrook-da-service' ? p.orgs.providerA : p.orgs.providerB;
  const ids: Record<string, string> = {};
  await inTransaction(database.db, null, async (tx) => {
    for (const { organisation, ...service } of DEMO_SERVICES) {
      ids[service.name] = await createService(tx, null, p.id, { ...service, organisationId: owner(organisation) });
    }
  });
  return ids;
}
