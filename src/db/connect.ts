import { PGlite } from '@electric-sql/pglite';
import { pg_trgm } from '@electric-sql/pglite/contrib/pg_trgm';
import { Kysely, PostgresDialect, sql, type Transaction } from 'kysely';
import pg from 'pg';
import { lockDataDir } from './lockfile.js';
import { PGlitePool } from './pglite-pool.js';
import type { DB } from './types.js';

export type DatabaseTarget = (
  | { kind: 'postgres'; url: string; poolSize?: number }
  | { kind: 'pglite'; dataDir: string }
  /** In memory, optionally started from a dump (tests clone one migrated database). */
  | { kind: 'pglite-memory'; loadFrom?: Blob }
) & {
  /** Called with each query's SQL (no parameters): for counting round-trips in benchmarks. */
  onQuery?: (sql: string) => void;
};

function logOption(onQuery: ((sql: string) => void) | undefined) {
  return onQuery ? { log: (event: { query: { sql: string } }) => onQuery(event.query.sql) } : {};
}

type Row = Record<string, unknown>;

export interface Session {
  /** Runs a script of several statements (migrations). */
  exec(script: string): Promise<void>;
  query<R extends Row = Row>(sql: string, parameters?: unknown[]): Promise<R[]>;
}

export interface Database {
  kind: 'pglite' | 'postgres';
  db: Kysely<DB>;
  /** One database session held for `fn` (advisory locks, multi-statement scripts). */
  session<T>(fn: (session: Session) => Promise<T>): Promise<T>;
  /**
   * Read-only work on another connection, seeing exactly what an open transaction sees (its
   * exported snapshot): so a report's independent queries run at once (PostgreSQL only; on a
   * small pool of its own, so it never waits for the connections the transactions hold).
   */
  beside?: Beside;
  /** A tarball of the embedded database (PGlite only). */
  dump?(): Promise<Blob>;
  /** A consistent, gzipped copy of the embedded database taken while it runs (PGlite only): no transaction is open during it. */
  backup?(): Promise<Blob>;
  close(): Promise<void>;
}

export type Beside = <T>(snapshot: string, fn: (tx: Transaction<DB>) => Promise<T>) => Promise<T>;

const SNAPSHOT_ID = /^[0-9A-F]+-[0-9A-F]+-[0-9A-F]+$/i;

const DATE_OID = 1082;
const INT8_OID = 20;

// Dates stay 'YYYY-MM-DD' strings (no midnight-in-some-timezone Date objects); counts are numbers.
const pgTypes = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === DATE_OID) return (value: string) => value;
    if (oid === INT8_OID) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format ?? 'text');
  },
} as pg.CustomTypesConfig;

export async function openDatabase(target: DatabaseTarget): Promise<Database> {
  return target.kind === 'postgres' ? openPostgres(target.url, target.poolSize ?? 10, target.onQuery) : openPGlite(target);
}

async function openPostgres(url: string, poolSize: number, onQuery?: (sql: string) => void): Promise<Database> {
  // A connection attempt gives up after 5 s, so a request answers 503 rather than waiting while the server is away.
  const pool = new pg.Pool({ connectionString: url, max: poolSize, types: pgTypes, connectionTimeoutMillis: 5000 });
  // An idle client losing its server must not crash the process; the next query reconnects.
  pool.on('error', () => undefined);
  // Nor one in use (a transaction open, a query running): its query fails (503) and the pool
  // drops it on release, but pg also emits the error on the client, and unheard it ends the process.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: preparing(pool) }), ...logOption(onQuery) });
  const readerPool = new pg.Pool({ connectionString: url, max: READERS, types: pgTypes, connectionTimeoutMillis: 30_000 });
  readerPool.on('error', () => undefined);
  readerPool.on('connect', (client) => client.on('error', () => undefined));
  const readers = new Kysely<DB>({ dialect: new PostgresDialect({ pool: readerPool }), ...logOption(onQuery) });
  return {
    kind: 'postgres',
    db,
    async beside(snapshot, fn) {
      if (!SNAPSHOT_ID.test(snapshot)) throw new Error('not a snapshot id');
      return readers.connection().execute(async (connection) => {
        await sql.raw(`begin isolation level repeatable read read only; set transaction snapshot '${snapshot}'`).execute(connection);
        try {
          // A connection inside begin/commit is a transaction in all but its class (as inTransaction).
          return await fn(connection as unknown as Transaction<DB>);
        } finally {
          await sql.raw('rollback').execute(connection).catch(() => undefined);
        }
      });
    },
    async session(fn) {
      const client = await pool.connect();
      try {
        return await fn({
          exec: async (script) => {
            await client.query(script);
          },
          query: async <R extends Row>(text: string, parameters: unknown[] = []) =>
            (await client.query(text, parameters)).rows as R[],
        });
      } finally {
        client.release();
      }
    },
    close: async () => {
      await readers.destroy();
      await db.destroy();
    },
  };
}

/** Connections for work beside a transaction (Database.beside): enough for a report's queries on a 2-core server. */
const READERS = 3;

/**
 * Kysely's queries as named prepared statements: PostgreSQL parses and plans each distinct
 * query once per connection instead of on every call. Kysely emits the same text for the
 * same query shape, so there are few distinct texts; past a bound, queries go unnamed.
 */
function preparing(pool: pg.Pool): pg.Pool {
  const names = new Map<string, string>();
  const nameOf = (text: string): string | undefined => {
    let name = names.get(text);
    if (name === undefined && names.size < 2000) {
      name = `k${names.size}`;
      names.set(text, name);
    }
    return name;
  };
  const prepared = new WeakSet<pg.PoolClient>();
  pool.on('connect', (client) => {
    if (prepared.has(client as pg.PoolClient)) return;
    prepared.add(client as pg.PoolClient);
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    client.query = ((first: unknown, ...rest: unknown[]) => {
      const values = rest[0];
      if (typeof first !== 'string' || !Array.isArray(values) || values.length === 0 || rest.length > 1) return query(first, ...rest);
      const name = nameOf(first);
      return query(name ? { name, text: first, values } : { text: first, values });
    }) as typeof client.query;
  });
  return pool;
}

async function openPGlite(target: Extract<DatabaseTarget, { kind: 'pglite' | 'pglite-memory' }>): Promise<Database> {
  const unlock = target.kind === 'pglite' ? lockDataDir(target.dataDir) : () => undefined;
  let pglite: PGlite;
  try {
    pglite = await PGlite.create({
      ...(target.kind === 'pglite' ? { dataDir: target.dataDir } : {}),
      ...(target.kind === 'pglite-memory' && target.loadFrom ? { loadDataDir: target.loadFrom } : {}),
      parsers: { [DATE_OID]: (value: string) => value },
      // Trigram similarity for recognising a returning person by a misspelt name (cases).
      extensions: { pg_trgm },
    });
  } catch (error) {
    unlock();
    throw error;
  }
  const pool = new PGlitePool(pglite);
  const db = new Kysely<DB>({ dialect: new PostgresDialect({ pool: pool as unknown as pg.Pool }), ...logOption(target.onQuery) });
  return {
    kind: 'pglite',
    db,
    async session(fn) {
      const client = await pool.connect();
      try {
        return await fn({
          exec: async (script) => {
            await pglite.exec(script);
          },
          query: async <R extends Row>(text: string, parameters: unknown[] = []) =>
            (await pglite.query<R>(text, parameters)).rows,
        });
      } finally {
        client.release();
      }
    },
    dump: () => pglite.dumpDataDir('none'),
    async backup() {
      // Holding the one connection: every transaction has committed or rolled back, none can start.
      const client = await pool.connect();
      try {
        await pglite.exec('checkpoint');
        return await pglite.dumpDataDir('gzip');
      } finally {
        client.release();
      }
    },
    async close() {
      await db.destroy();
      await pglite.close();
      unlock();
    },
  };
}

export function targetFromConfig(config: { databaseUrl: string | undefined; dataDir: string }): DatabaseTarget {
  return config.databaseUrl ? { kind: 'postgres', url: config.databaseUrl } : { kind: 'pglite', dataDir: config.dataDir };
}
