import { sql, type Kysely, type Transaction } from 'kysely';
import { Refused } from '../lib/errors.js';
import type { Actor } from '../modules/access/actor.js';
import { audit } from '../modules/access/audit.js';
import type { DB } from './types.js';

export type Tx = Transaction<DB>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The statement that opens a transaction acting as `actor`: `begin` and the actor's ids
 * as transaction-local settings, sent together as one simple query (one round-trip
 * instead of two). The ids are inlined, so each must be a UUID — they come from our own
 * rows, and anything else is refused rather than quoted.
 */
function beginAs(actor: Actor | null): string {
  if (!actor) return 'begin';
  const settings = { 'app.actor_id': actor.userId, 'app.actor_partnership': actor.partnershipId, 'app.actor_org': actor.organisationId };
  for (const [name, value] of Object.entries(settings)) {
    if (!UUID.test(value)) throw new Error(`${name} is not a UUID`);
  }
  const calls = Object.entries(settings).map(([name, value]) => `set_config('${name}', '${value}', true)`);
  return `begin; select ${calls.join(', ')}`;
}

/**
 * Runs `fn` in one transaction that knows who is acting: the actor's ids are set as
 * transaction-local settings, for database triggers and row-level security. Commits when
 * `fn` resolves, rolls back when it throws.
 */
export async function inTransaction<T>(db: Kysely<DB>, actor: Actor | null, fn: (tx: Tx) => Promise<T>): Promise<T> {
  try {
    return await db.connection().execute(async (connection) => {
      await sql.raw(beginAs(actor)).execute(connection);
      let result: T;
      try {
        // A connection inside begin/commit is a transaction in all but its class.
        result = await fn(connection as unknown as Tx);
      } catch (error) {
        await sql.raw('rollback').execute(connection).catch(() => undefined);
        throw error;
      }
      await sql.raw('commit').execute(connection);
      return result;
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
