import { sql, type Kysely } from 'kysely';
import type { Tx } from '../../db/transaction.js';
import type { DB } from '../../db/types.js';
import { requirePermission, type Actor } from '../access/actor.js';
import { audit } from '../access/audit.js';

/** The named system actor background work acts as (never a user with every permission). */
export const ESCALATION_JOB = 'system:escalation-job';

/**
 * Raises an escalation for every response clock that has run out (SPEC §2 step 8). The
 * unique (referral, clock) key makes each one exactly once, however many spoc processes
 * run this at the same moment, and after any restart.
 */
export async function raiseDueEscalations(db: Kysely<DB>, now = new Date()): Promise<number> {
  return db.transaction().execute(async (tx) => {
    const raised = await sql<{ id: string; referral_id: string; partnership_id: string; clock: string }>`
      insert into escalations (partnership_id, referral_id, clock, due_at)
      select partnership_id, id, 'acknowledge', acknowledge_due_at from referrals
        where state = 'sent' and acknowledged_at is null and acknowledge_due_at < ${now}
      union all
      select partnership_id, id, 'first_contact', first_contact_due_at from referrals
        where state in ('sent', 'acknowledged', 'accepted') and first_contact_at is null and first_contact_due_at < ${now}
      on conflict (referral_id, clock) do nothing
      returning id, referral_id, partnership_id, clock`.execute(tx);
    for (const row of raised.rows) {
      await tx
        .insertInto('audit_events')
        .values({
          partnership_id: row.partnership_id,
          action: 'referral.escalate',
          record_type: 'referral',
          record_id: row.referral_id,
          outcome: 'allowed',
          details: JSON.stringify({ actor: ESCALATION_JOB, clock: row.clock, escalationId: row.id }),
        })
        .execute();
    }
    return raised.rows.length;
  });
}

/** Escalations for the SPOC coordinator: breaches of referrals the actor's organisation sent. */
export async function listEscalations(tx: Tx, actor: Actor) {
  requirePermission(actor, 'escalation:read');
  const rows = await tx
    .selectFrom('escalations as e')
    .innerJoin('referrals as r', 'r.id', 'e.referral_id')
    .innerJoin('services as s', 's.id', 'r.service_id')
    .select(['e.id', 'e.referral_id', 'e.clock', 'e.due_at', 'e.raised_at', 's.name as service_name', 'r.state'])
    .where('e.partnership_id', '=', actor.partnershipId)
    .where('r.referring_organisation_id', '=', actor.organisationId)
    .orderBy('e.raised_at', 'desc')
    .limit(500)
    .execute();
  await audit(tx, actor, { action: 'escalation.list', details: { count: rows.length } });
  return rows.map((row) => ({
    id: row.id,
    referralId: row.referral_id,
    clock: row.clock,
    dueAt: row.due_at.toISOString(),
    raisedAt: row.raised_at.toISOString(),
    serviceName: row.service_name,
    state: row.state,
  }));
}
