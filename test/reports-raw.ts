/** The report measures straight from the database (before suppression), for tests that check figures by hand. */
import type { Database } from '../src/db/connect.js';
import { inTransaction } from '../src/db/transaction.js';
import * as measures from '../src/modules/reports/measures.js';

export async function measureForTest(database: Database, partnershipId: string, from: string, to: string, filters: Partial<measures.Scope> = {}) {
  const scope: measures.Scope = { partnershipId, from, to, ...filters };
  return inTransaction(database.db, null, (tx) => measures.measureAll((measure) => measure(tx), scope));
}
