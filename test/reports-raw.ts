/** The report measures straight from the database (before suppression), for tests that check figures by hand. */
import type { Database } from '../src/db/connect.js';
import { inTransaction } from '../src/db/transaction.js';
import * as measures from '../src/modules/reports/measures.js';

export async function measureForTest(database: Database, partnershipId: string, from: string, to: string, filters: Partial<measures.Scope> = {}) {
  const scope: measures.Scope = { partnershipId, from, to, ...filters };
  return inTransaction(database.db, null, async (tx) => ({
    byChannel: await measures.contactsByChannel(tx, scope),
    risk: await measures.riskDistribution(tx, scope),
    calls: await measures.calls(tx, scope),
    toReferral: await measures.contactToReferral(tx, scope),
    toFirstContact: await measures.referralToFirstContact(tx, scope),
    decisions: await measures.referralDecisions(tx, scope),
    breaches: await measures.clockBreaches(tx, scope),
    marac: await measures.marac(tx, scope),
    repeats: await measures.repeatVictims(tx, scope),
    outcomes: await measures.outcomesAtExit(tx, scope),
    equality: await measures.equality(tx, scope),
  }));
}
