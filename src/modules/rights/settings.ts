/** A partnership's retention rules, changed by the command line (`spoc retention rules`), validated and audited. */
import type { Kysely } from 'kysely';
import { inTransaction } from '../../db/transaction.js';
import type { DB } from '../../db/types.js';
import { Invalid, NotFound } from '../../lib/errors.js';
import { toJson } from '../../lib/json.js';
import { retentionRules, ruleErrors, type RetentionRules } from './rules.js';

/** Sets some of a partnership's retention rules (the others keep theirs) and answers the rules now in force. */
export async function setRetentionRules(db: Kysely<DB>, partnershipId: string, changes: Partial<RetentionRules>, by: string): Promise<RetentionRules> {
  return inTransaction(db, null, async (tx) => {
    const row = await tx.selectFrom('partnerships').select('settings').where('id', '=', partnershipId).forUpdate().executeTakeFirst();
    if (!row) throw new NotFound('The partnership');
    const own = { ...((row.settings.retention as Record<string, unknown> | undefined) ?? {}), ...changes };
    const errors = ruleErrors(own);
    if (errors.length > 0) throw new Invalid(errors);
    await tx.updateTable('partnerships').set({ settings: toJson({ ...row.settings, retention: own }) }).where('id', '=', partnershipId).execute();
    const rules = retentionRules({ retention: own });
    await tx
      .insertInto('audit_events')
      .values({ partnership_id: partnershipId, action: 'retention.rules_set', outcome: 'allowed', details: toJson({ by, rules }) })
      .execute();
    return rules;
  });
}
