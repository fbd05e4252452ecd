import { sql } from 'kysely';
import type { Tx } from '../../db/transaction.js';

export function selectReferrals(tx: Tx) {
  return tx
    .selectFrom('referrals as r')
    .innerJoin('services as s', 's.id', 'r.service_id')
    .innerJoin('contacts as c', 'c.id', 'r.contact_id')
    .selectAll('r')
    .select(['s.name as service_name', 's.kind as service_kind', 'c.reference as contact_reference', 'c.handler_user_id as contact_handler_id', 'c.caller_type as contact_caller_type']);
}
export type ReferralRow = Awaited<ReturnType<ReturnType<typeof selectReferrals>['execute']>>[number];

export function findReferral(tx: Tx, id: string) {
  return selectReferrals(tx).where('r.id', '=', id).executeTakeFirst();
}

/** The time a referral is next due: its acknowledgement, then its first contact, while they are open (kept by the database, indexed). */
export const nextDue = sql<Date | null>`r.next_due_at`;

/** A referral is near breach when its next deadline is less than this far off (and not yet past): one definition for queues and dashboards. */
export const NEAR_BREACH_MINUTES = 120;

/** Whether a referral (alias `r`) is near breach at the database's now. */
export const nearBreach = sql<boolean>`(r.next_due_at >= now() and r.next_due_at < now() + make_interval(mins => ${NEAR_BREACH_MINUTES}))`;

/** Whether a referral whose next deadline is `nextDueAt` is near breach at `now`. */
export function isNearBreach(nextDueAt: string | Date | null, now = new Date()): boolean {
  if (nextDueAt === null) return false;
  const left = new Date(nextDueAt).getTime() - now.getTime();
  return left >= 0 && left < NEAR_BREACH_MINUTES * 60_000;
}

export interface NewEvent {
  referralId: string;
  partnershipId: string;
  organisationId: string;
  from: string | null;
  to: string;
  actorUserId: string | null;
  actorLabel?: string;
  reasonCode?: string | null;
  reasonText?: string | null;
  redirectServiceId?: string | null;
}

export function insertEvent(tx: Tx, event: NewEvent) {
  return insertEvents(tx, [event]);
}

/** Lifecycle events, append-only, in one statement. */
export async function insertEvents(tx: Tx, events: NewEvent[]): Promise<void> {
  if (events.length === 0) return;
  await tx
    .insertInto('referral_events')
    .values(
      events.map((values) => ({
        referral_id: values.referralId,
        partnership_id: values.partnershipId,
        organisation_id: values.organisationId,
        from_state: values.from,
        to_state: values.to,
        actor_user_id: values.actorUserId,
        actor_label: values.actorLabel ?? null,
        reason_code: values.reasonCode ?? null,
        reason_text: values.reasonText ?? null,
        redirect_service_id: values.redirectServiceId ?? null,
      })),
    )
    .execute();
}

export function eventsOf(tx: Tx, referralId: string) {
  return tx.selectFrom('referral_events').selectAll().where('referral_id', '=', referralId).orderBy('id').execute();
}

export function attemptsOf(tx: Tx, referralId: string) {
  return tx.selectFrom('contact_attempts').selectAll().where('referral_id', '=', referralId).orderBy('attempted_at').execute();
}
