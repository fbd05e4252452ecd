/**
 * The ceiling's server, run as a process of its own as spoc is (so the benchmark client,
 * the server and the database are three processes in both measurements): a bare Fastify
 * route making CEILING_TRIPS sequential round-trips to the database of DATABASE_URL (or the
 * PGlite folder SPOC_DATA_DIR). Prints "ceiling at URL" when it listens.
 *
 * With CEILING_STEPS (a JSON list of round-trips per step, e.g. [4,9,7,12,6,10]) it also
 * answers POST /ceiling/step/:i, the flow's step i done bare: its round-trips on one
 * connection inside a transaction (`begin` first, `commit` last), as spoc makes each
 * request one transaction.
 */
import Fastify from 'fastify';
import { sql } from 'kysely';
import { openDatabase } from '../../src/db/connect.js';

const trips = Number(process.env.CEILING_TRIPS);
const database = process.env.DATABASE_URL
  ? await openDatabase({ kind: 'postgres', url: process.env.DATABASE_URL })
  : await openDatabase({ kind: 'pglite', dataDir: process.env.SPOC_DATA_DIR! });
const steps = JSON.parse(process.env.CEILING_STEPS ?? '[]') as number[];
const app = Fastify();
app.get('/ceiling', async () => {
  for (let i = 0; i < trips; i += 1) await sql`select ${i}::int as i`.execute(database.db);
  return { ok: true };
});
app.post<{ Params: { i: string } }>('/ceiling/step/:i', async (request) => {
  const stepTrips = steps[Number(request.params.i)] ?? 0;
  await database.db.connection().execute(async (connection) => {
    if (stepTrips < 2) {
      for (let i = 0; i < stepTrips; i += 1) await sql`select ${i}::int as i`.execute(connection);
      return;
    }
    await sql`begin`.execute(connection);
    for (let i = 0; i < stepTrips - 2; i += 1) await sql`select ${i}::int as i`.execute(connection);
    await sql`commit`.execute(connection);
  });
  return { ok: true, body: request.body };
});
const url = await app.listen({ port: 0, host: '127.0.0.1' });
console.log(`ceiling at ${url}`);
process.on('SIGTERM', async () => {
  await app.close();
  await database.close();
  process.exit(0);
});
