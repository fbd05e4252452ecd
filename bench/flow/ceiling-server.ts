/**
 * The ceiling's server, run as a process of its own as spoc is (so the benchmark client,
 * the server and the database are three processes in both measurements): a bare Fastify
 * route making CEILING_TRIPS sequential round-trips to the database of DATABASE_URL (or the
 * PGlite folder SPOC_DATA_DIR). Prints "ceiling at URL" when it listens.
 */
import Fastify from 'fastify';
import { sql } from 'kysely';
import { openDatabase } from '../../src/db/connect.js';

const trips = Number(process.env.CEILING_TRIPS);
const database = process.env.DATABASE_URL
  ? await openDatabase({ kind: 'postgres', url: process.env.DATABASE_URL })
  : await openDatabase({ kind: 'pglite', dataDir: process.env.SPOC_DATA_DIR! });
const app = Fastify();
app.get('/ceiling', async () => {
  for (let i = 0; i < trips; i += 1) await sql`select ${i}::int as i`.execute(database.db);
  return { ok: true };
});
const url = await app.listen({ port: 0, host: '127.0.0.1' });
console.log(`ceiling at ${url}`);
process.on('SIGTERM', async () => {
  await app.close();
  await database.close();
  process.exit(0);
});
