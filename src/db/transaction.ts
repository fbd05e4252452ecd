import { sql, type Kysely, type Transaction } from 'kysely';
import { Refused } from '../lib/errors.js';
import type { Actor } from '../modules/access/actor.js';
import { audit } from '../modules/access/audit.js';
import type { DB } from './types.js';

export type Tx = Transaction<DB>;

/**
 * Runs `fn` in one transaction that knows who is acting: the actor's ids are set as
 * transaction-local settings, for database triggers and row-level security.
 */
export async function inTransaction<T>(db: Kysely<DB>, actor: Actor | null, fn: (tx: Tx) => Promise<T>): Promise<T> {
  try {
    return await db.transaction().execute(async (tx) => {
      await actAs(tx, actor);
      return fn(tx);
    });
  } catch (error) {
    // A refusal rolls back whatever was under way, but the record of it must stand.
    if (error instanceof Refused) {
      await db.transaction().execute(async (tx) => {
        await actAs(tx, actor);
        await audit(tx, actor, { ...error.audit, outcome: 'denied' });
      });
    }
    throw error;
  }
}

/** Sets the acting user for the rest of the transaction (for triggers and row-level security). */
export async function actAs(tx: Tx, actor: Actor | null): Promise<void> {
  if (!actor) return;
  await sql`select set_config('app.actor_id', ${actor.userId}, true),
                   set_config('app.actor_partnership', ${actor.partnershipId}, true),
                   set_config('app.actor_org', ${actor.organisationId}, true)`.execute(tx);
}
