import { sql, type Kysely, type Transaction } from 'kysely';
import { Forbidden, Refused } from '../lib/errors.js';
import type { Actor } from '../modules/access/actor.js';
import { audit, holdAuditUntilCommit } from '../modules/access/audit.js';
import { isStaleToken, refuseStaleToken, tokenCheckStatement } from '../modules/access/token-holders.js';
import type { DB } from './types.js';

export type Tx = Transaction<DB>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const ROLE_NAME = /^[a-z_]+$/;

/**
 * What tells the database who acts (0021_row_security.sql): the role spoc_app, under which
 * row-level security applies, and the actor's ids and roles as transaction-local settings.
 * The values are inlined, so each must be a UUID or a role name — they come from our own
 * rows, and anything else is refused rather than quoted.
 */
function actingAs(actor: Actor): string {
  const settings = { 'app.actor_id': actor.userId, 'app.actor_partnership': actor.partnershipId, 'app.actor_org': actor.organisationId };
  for (const [name, value] of Object.entries(settings)) {
    if (!UUID.test(value)) throw new Error(`${name} is not a UUID`);
  }
  if (!actor.roles.every((role) => ROLE_NAME.test(role))) throw new Error('app.actor_roles holds a name that is not a role');
  const calls = [...Object.entries(settings), ['app.actor_roles', actor.roles.join(',')]].map(([name, value]) => `set_config('${name}', '${value}', true)`);
  return `set local role spoc_app; select ${calls.join(', ')}`;
}

/**
 * The statement that opens a transaction acting as `actor`: `begin`, the check of a
 * remembered bearer token's holder if the request has not made it yet (token-holders.ts),
 * the role and the actor's settings, sent together as one simple query (one round-trip).
 */
function beginAs(actor: Actor | null): string {
  if (!actor) return 'begin';
  const check = actor.tokenCheck?.pending ? `${tokenCheckStatement(actor, actor.tokenCheck)}; ` : '';
  return `begin; ${check}${actingAs(actor)}`;
}

/** Opens the transaction (beginAs); if that fails part way, ends it, so the connection goes back to the pool clean. */
async function begin(connection: Kysely<DB>, actor: Actor | null): Promise<void> {
  try {
    await sql.raw(beginAs(actor)).execute(connection);
  } catch (error) {
    await sql.raw('rollback').execute(connection).catch(() => undefined);
    if (actor?.tokenCheck && isStaleToken(error)) throw refuseStaleToken(actor.tokenCheck);
    throw error;
  }
  if (actor?.tokenCheck) actor.tokenCheck.pending = false;
}

/**
 * Runs `fn` in one transaction that knows who is acting: the actor's ids are set as
 * transaction-local settings, for database triggers and row-level security. Commits when
 * `fn` resolves, rolls back when it throws.
 */
export async function inTransaction<T>(db: Kysely<DB>, actor: Actor | null, fn: (tx: Tx) => Promise<T>): Promise<T> {
  try {
    return await db.connection().execute(async (connection) => {
      await begin(connection, actor);
      const heldAudit = holdAuditUntilCommit(connection);
      try {
        // A connection inside begin/commit is a transaction in all but its class.
        const result = await fn(connection as unknown as Tx);
        // The audit rows go with the commit, in one round-trip.
        const audited = heldAudit();
        await sql.raw(audited ? `${audited}; commit` : 'commit').execute(connection);
        return result;
      } catch (error) {
        // Also when the commit's round-trip failed part way (the audit rows refused, say).
        await sql.raw('rollback').execute(connection).catch(() => undefined);
        throw error;
      }
    });
  } catch (error) {
    // Row-level security refused a write the service layer let through (a bug, but not a leak).
    if (isRowSecurityRefusal(error)) throw new Forbidden('You do not have access to that record');
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

/** PostgreSQL's insufficient_privilege: here, a row that row-level security would not let the actor write. */
function isRowSecurityRefusal(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '42501';
}

/** Acts as `actor` for the rest of the transaction (its role and settings, for triggers and row-level security). */
export async function actAs(tx: Tx, actor: Actor | null): Promise<void> {
  if (!actor) return;
  await sql.raw(actingAs(actor)).execute(tx);
}

/**
 * The reads a purpose needs beyond the actor's own reach, while `fn` runs, and no longer
 * (app_purpose_allows in 0021_row_security.sql says which roles each purpose is for):
 * `aggregate` for a report's measures, `subject_access` for everything held about one
 * person (`subject`), `perpetrator_check` for the contacts recording an alleged perpetrator's number,
 * `known_to` for the organisations holding a case for a person (the hub's view), `caseload`
 * for counting services' caseloads, `break_glass` to find a restricted record in one's reach,
 * `marac_list` for the contacts on a MARAC meeting's list, `marac_allocation` for a person's last MARAC referral
 * and how many referrals each meeting lists.
 */
export type Purpose = 'aggregate' | 'subject_access' | 'perpetrator_check' | 'known_to' | 'caseload' | 'break_glass' | 'marac_list' | 'marac_allocation';

export async function forPurpose<T>(tx: Tx, purpose: Purpose, fn: () => Promise<T>, subject = ''): Promise<T> {
  // The purpose already open (a report's aggregate, say) is read as the new one is set (a
  // select list runs left to right), and is what the transaction goes back to afterwards.
  const { rows } = await sql<{ purpose: string | null; subject: string | null }>`select current_setting('app.purpose', true) as purpose, current_setting('app.subject', true) as subject,
      set_config('app.purpose', ${purpose}, true), set_config('app.subject', ${subject}, true)`.execute(tx);
  const before = rows[0]!;
  try {
    return await fn();
  } finally {
    // After a failed statement the transaction takes no more; it will roll back anyway.
    await sql`select set_config('app.purpose', ${before.purpose ?? ''}, true), set_config('app.subject', ${before.subject ?? ''}, true)`.execute(tx).catch(() => undefined);
  }
}
