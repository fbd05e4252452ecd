/**
 * Each report measure's statement timed alone, twice, for one period (default Q2 2025/26):
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/spoc_bench5m npx tsx bench/reports/qtime.mts 2025-07-01 2025-09-30
 */
import { openDatabase } from '../../src/db/connect.js';
import { inTransaction } from '../../src/db/transaction.js';
import * as m from '../../src/modules/reports/measures.js';
const db = await openDatabase({ kind: 'postgres', url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/spoc_bench5m', poolSize: 2 });
const p = (await db.db.selectFrom('partnerships').select('id').where('slug', '=', 'castlebrook').executeTakeFirstOrThrow()).id;
const scope = { partnershipId: p, from: process.argv[2] ?? '2025-07-01', to: process.argv[3] ?? '2025-09-30' };
for (let round = 0; round < 2; round++) {
  await inTransaction(db.db, null, async (tx) => {
    await m.forReports(tx);
    for (const [name, f] of Object.entries({ contactsByChannel: m.contactsByChannel, riskDistribution: m.riskDistribution, calls: m.calls, contactToReferral: m.contactToReferral, referralToFirstContact: m.referralToFirstContact, referralDecisions: m.referralDecisions, clockBreaches: m.clockBreaches, marac: m.marac, repeatVictims: m.repeatVictims, outcomesAtExit: m.outcomesAtExit, equality: m.equality })) {
      const t = performance.now();
      await (f as (tx: unknown, scope: unknown) => Promise<unknown>)(tx, scope);
      console.log(round, name.padEnd(24), (performance.now() - t).toFixed(0), 'ms');
    }
  });
}
await db.close();
