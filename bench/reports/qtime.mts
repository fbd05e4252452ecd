/**
 * Each report measure's statements timed alone, twice, for one period (default Q2 2025/26), then
 * the whole set at once as the report runs them (Database.beside, three connections), each
 * as the commissioner under the report reader role (asReportReader):
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/spoc_bench5m npx tsx bench/reports/qtime.mts 2025-07-01 2025-09-30
 */
import { openDatabase } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import { actorForUser } from '../../src/modules/access/actor.js';
import * as m from '../../src/modules/reports/measures.js';
const db = await openDatabase({ kind: 'postgres', url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/spoc_bench5m', poolSize: 2 });
const p = (await db.db.selectFrom('partnerships').select('id').where('slug', '=', 'castlebrook').executeTakeFirstOrThrow()).id;
const commissioner = await db.db.selectFrom('users').select(['id', 'partnership_id', 'organisation_id', 'roles']).where('partnership_id', '=', p).where('email', 'like', 'commissioner@%').executeTakeFirstOrThrow();
const actor = actorForUser(commissioner);
const scope = { partnershipId: p, from: process.argv[2] ?? '2025-07-01', to: process.argv[3] ?? '2025-09-30' };
for (let round = 0; round < 2; round++) {
  await inTransaction(db.db, actor, async (tx) => {
    await m.forReports(tx);
    await m.asReportReader(tx, async (reader) => {
      for (const [name, f] of Object.entries({ contacts: m.contacts, calls: m.calls, referralTimes: m.referralTimes, referralDecisions: m.referralDecisions, marac: m.marac, people: m.people, outcomesAtExit: m.outcomesAtExit })) {
        const t = performance.now();
        await (f as (tx: unknown, scope: unknown) => Promise<unknown>)(reader, scope);
        console.log(round, name.padEnd(24), (performance.now() - t).toFixed(0), 'ms');
      }
    });
  });
}
for (let round = 0; round < 2; round++) {
  const t = performance.now();
  await inTransaction(db.db, actor, async (tx) => {
    const { rows } = await (await import('kysely')).sql<{ s: string }>`select pg_export_snapshot() as s`.execute(tx);
    await m.measureAll((measure) => db.beside!(rows[0]!.s, async (other) => (await m.forReports(other, actor), m.asReportReader(other, measure))), scope);
  });
  console.log(round, 'all at once'.padEnd(24), (performance.now() - t).toFixed(0), 'ms');
}
await db.close();
