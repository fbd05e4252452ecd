/**
 * The one number (SPEC §6): each call to it is one row in `calls` and one contact (channel
 * phone), recorded by the partnership's telephony system actor and kept current as the
 * call goes: menu choice, queue, who answered, and how it ended.
 */
import { sql, type Kysely } from 'kysely';
import { inTransaction, type Tx } from '../../db/transaction.js';
import type { DB } from '../../db/types.js';
import { isBankHoliday } from '../../lib/holidays.js';
import type { Actor } from '../access/actor.js';
import { audit } from '../access/audit.js';
import { systemActor } from '../access/service.js';
import * as accessStore from '../access/store.js';
import type { ContactPatch } from '../contacts/schema.js';
import { casePerpetratorNumberMatches } from '../cases/service.js';
import { createContact, getContact, perpetratorNumberMatches, updateContact } from '../contacts/service.js';
import { isOpenAt, OFFICE_HOURS, type OpeningSlot } from '../referrals/clock.js';

export const NATIONAL_HELPLINE = '+448082000247';

export interface TelephonySettings {
  authToken: string | undefined;
  /** Seconds on-duty handlers' phones ring before the caller is offered the helpline or a call-back. */
  ringSeconds: number;
  openingHours: OpeningSlot[];
  /** Seconds in the queue before the caller is offered the helpline or a call-back. */
  queueTimeoutSeconds: number;
}

/** The partnership's telephony settings, over the server's (TWILIO_AUTH_TOKEN). */
export async function telephonySettings(db: Kysely<DB> | Tx, partnershipId: string, serverAuthToken: string | undefined): Promise<TelephonySettings> {
  const partnership = await accessStore.findPartnershipById(db, partnershipId);
  const settings = ((partnership?.settings as Record<string, unknown> | undefined)?.telephony ?? {}) as Partial<TelephonySettings>;
  return {
    authToken: settings.authToken ?? serverAuthToken,
    openingHours: settings.openingHours ?? OFFICE_HOURS,
    queueTimeoutSeconds: settings.queueTimeoutSeconds ?? 120,
    ringSeconds: settings.ringSeconds ?? 25,
  };
}

export function isOpen(settings: TelephonySettings, now = new Date()): boolean {
  return isOpenAt(now, settings.openingHours, isBankHoliday);
}

const MENU: Record<string, ContactPatch['callerType']> = { '1': 'victim', '2': 'family_friend', '3': 'professional' };

async function withCall<T>(db: Kysely<DB>, partnershipId: string, callSid: string, requestId: string | undefined, fn: (tx: Tx, actor: Actor, call: { id: string; contact_id: string; from_number: string | null; answered_at: Date | null; outcome: string | null }) => Promise<T>) {
  return inTransaction(db, null, async (tx) => {
    const actor = await systemActor(tx, partnershipId, 'telephony', requestId);
    const call = await tx
      .selectFrom('calls')
      .select(['id', 'contact_id', 'from_number', 'answered_at', 'outcome'])
      .where('call_sid', '=', callSid)
      .where('partnership_id', '=', partnershipId)
      .forUpdate()
      .executeTakeFirst();
    if (!call) return null;
    return fn(tx, actor, call);
  });
}

/** A new call: its contact and its row, once per CallSid however often the provider retries. */
export async function startCall(db: Kysely<DB>, partnershipId: string, input: { callSid: string; from: string | null }, requestId?: string) {
  return inTransaction(db, null, async (tx) => {
    const actor = await systemActor(tx, partnershipId, 'telephony', requestId);
    // One at a time per CallSid: a retried webhook waits for the first and finds its row.
    await sql`select pg_advisory_xact_lock(hashtext(${input.callSid}))`.execute(tx);
    const existing = await tx.selectFrom('calls').select(['id', 'contact_id']).where('call_sid', '=', input.callSid).executeTakeFirst();
    if (existing) return existing;
    const contact = await createContact(tx, actor, {
      channel: 'phone',
      callerType: 'other',
      immediateDanger: 'not_known',
      // The number called from is recorded, but not as safe to call: only the caller can say that.
      ...(input.from && /^\+?[0-9]{6,16}$/.test(input.from) ? { person: { phones: [input.from] } } : {}),
    });
    // The perpetrator alert: the caller's number against every number recorded for an alleged perpetrator.
    const matches = input.from
      ? [...new Set([...(await perpetratorNumberMatches(tx, actor, input.from)), ...(await casePerpetratorNumberMatches(tx, actor, input.from))])].filter((id) => id !== contact.id)
      : [];
    const call = await tx
      .insertInto('calls')
      .values({
        partnership_id: partnershipId,
        organisation_id: actor.organisationId,
        call_sid: input.callSid,
        from_number: input.from,
        contact_id: contact.id,
        perpetrator_alert: matches.length > 0,
      })
      .returning(['id', 'contact_id'])
      .executeTakeFirstOrThrow();
    await audit(tx, actor, { action: 'call.start', recordType: 'call', recordId: call.id, details: { contactId: contact.id, perpetratorAlert: matches.length > 0 } });
    return call;
  });
}

/** The caller's menu choice (no choice counts as the person experiencing abuse). */
export async function recordMenu(db: Kysely<DB>, partnershipId: string, callSid: string, digits: string | undefined, inHours: boolean, requestId?: string) {
  return withCall(db, partnershipId, callSid, requestId, async (tx, actor, call) => {
    const choice = digits && Object.hasOwn(MENU, digits) ? digits : 'none';
    await tx.updateTable('calls').set({ menu_choice: choice, in_hours: inHours, ...(inHours ? { queued_at: new Date() } : {}) }).where('id', '=', call.id).execute();
    await updateContact(tx, actor, call.contact_id, { callerType: Object.hasOwn(MENU, choice) ? MENU[choice]! : 'victim' });
    return choice;
  });
}

export type CallOutcome = 'answered' | 'abandoned' | 'forwarded' | 'callback_requested';

export async function recordOutcome(db: Kysely<DB>, partnershipId: string, callSid: string, outcome: CallOutcome, details: { queueSeconds?: number } = {}, requestId?: string) {
  return withCall(db, partnershipId, callSid, requestId, async (tx, actor, call) => {
    const now = new Date();
    await tx
      .updateTable('calls')
      .set({ outcome, ...(outcome === 'answered' ? { answered_at: now } : {}), ...(details.queueSeconds !== undefined ? { queue_seconds: details.queueSeconds } : {}) })
      .where('id', '=', call.id)
      .execute();
    await audit(tx, actor, { action: 'call.outcome', recordType: 'call', recordId: call.id, details: { outcome } });
  });
}

/** A safe call-back: the caller confirmed the number is safe to ring and chose when. */
export async function requestCallback(db: Kysely<DB>, partnershipId: string, callSid: string, time: string, requestId?: string) {
  return withCall(db, partnershipId, callSid, requestId, async (tx, actor, call) => {
    const contact = await getContact(tx, actor, call.contact_id);
    const patch: ContactPatch = {
      safeContact: {
        ...contact.safeContact,
        ...(call.from_number ? { phones: [{ number: call.from_number, callSafe: true, textSafe: false, voicemailSafe: false }] } : {}),
        safeTimesNote: `Call back: ${time}`,
      },
    };
    await updateContact(tx, actor, call.contact_id, patch);
    await tx.updateTable('calls').set({ outcome: 'callback_requested', callback_time: time }).where('id', '=', call.id).execute();
    await audit(tx, actor, { action: 'call.callback', recordType: 'call', recordId: call.id });
  });
}

/** The provider's status callback: the call ended; unanswered and not otherwise resolved, it was abandoned. */
export async function endCall(db: Kysely<DB>, partnershipId: string, callSid: string, status: string, requestId?: string) {
  return withCall(db, partnershipId, callSid, requestId, async (tx, actor, call) => {
    const outcome = call.outcome ?? (call.answered_at ? 'answered' : 'abandoned');
    await tx.updateTable('calls').set({ ended_at: new Date(), provider_status: status.slice(0, 40), outcome }).where('id', '=', call.id).execute();
    await audit(tx, actor, { action: 'call.end', recordType: 'call', recordId: call.id, details: { outcome } });
  });
}

/** The call a contact came from, for the handler's screen: when it started, and whether it raised the perpetrator alert. */
export async function callOfContact(tx: Tx, contactId: string) {
  return tx.selectFrom('calls').select(['id', 'started_at', 'perpetrator_alert', 'menu_choice', 'from_number']).where('contact_id', '=', contactId).executeTakeFirst();
}

/** Going on duty (with the phone to ring) or off it. */
export async function setOnDuty(tx: Tx, actor: Actor, phone: string | null): Promise<void> {
  if (phone) {
    await tx
      .insertInto('on_duty')
      .values({ user_id: actor.userId, partnership_id: actor.partnershipId, phone })
      .onConflict((oc) => oc.column('user_id').doUpdateSet({ phone, since: new Date() }))
      .execute();
  } else {
    await tx.deleteFrom('on_duty').where('user_id', '=', actor.userId).execute();
  }
  await audit(tx, actor, { action: phone ? 'telephony.on_duty' : 'telephony.off_duty', recordType: 'user', recordId: actor.userId });
}

export async function dutyOf(tx: Tx, actor: Actor) {
  return tx.selectFrom('on_duty').select(['phone', 'since']).where('user_id', '=', actor.userId).executeTakeFirst();
}

/** Who to ring now: on-duty call handlers of the partnership who are not on a call. */
export async function onDutyHandlers(db: Kysely<DB> | Tx, partnershipId: string) {
  return db
    .selectFrom('on_duty as d')
    .innerJoin('users as u', 'u.id', 'd.user_id')
    .select(['d.user_id', 'd.phone'])
    .where('d.partnership_id', '=', partnershipId)
    .where('u.status', '=', 'active')
    .where(({ not, exists, selectFrom }) =>
      not(exists(selectFrom('calls as c').select('c.id').whereRef('c.answered_by', '=', 'd.user_id').where('c.ended_at', 'is', null).where('c.answered_at', '>', new Date(Date.now() - 60 * 60 * 1000)))),
    )
    .orderBy('d.since')
    .execute();
}

/** A handler answered (their leg's whisper): the call is theirs, and its contact pops up on their screen. */
export async function answeredBy(db: Kysely<DB>, partnershipId: string, callSid: string, userId: string, requestId?: string) {
  return withCall(db, partnershipId, callSid, requestId, async (tx, actor, call) => {
    const user = await tx.selectFrom('on_duty').select('user_id').where('user_id', '=', userId).where('partnership_id', '=', partnershipId).executeTakeFirst();
    if (!user) return;
    await tx.updateTable('calls').set({ answered_by: userId, answered_at: new Date(), outcome: 'answered' }).where('id', '=', call.id).execute();
    await audit(tx, actor, { action: 'call.answered', recordType: 'call', recordId: call.id, details: { by: userId } });
  });
}

/** The screen-pop: the live call this handler answered, if any (answered in the last hour and not ended). */
export async function myLiveCall(tx: Tx, actor: Actor) {
  return tx
    .selectFrom('calls')
    .select(['id', 'contact_id', 'answered_at', 'perpetrator_alert'])
    .where('answered_by', '=', actor.userId)
    .where('ended_at', 'is', null)
    .where('answered_at', '>', new Date(Date.now() - 60 * 60 * 1000))
    .orderBy('answered_at', 'desc')
    .executeTakeFirst();
}

/** The call-back time bands a caller can choose, in London time on weekdays. */
export const CALLBACK_BANDS: Record<string, { from: string; to: string }> = {
  'weekday mornings': { from: '09:00', to: '12:00' },
  'weekday afternoons': { from: '12:00', to: '17:00' },
  'weekday evenings': { from: '17:00', to: '20:00' },
};

/** Whether `now` is inside the caller's chosen safe time (weekdays, not bank holidays). */
export function safeToCallBack(band: string, now: Date): boolean {
  const slot = CALLBACK_BANDS[band];
  if (!slot) return false;
  const days = ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'] as const;
  return isOpenAt(now, days.map((day) => ({ day, opens: slot.from, closes: slot.to })), isBankHoliday);
}

/** Call-backs waiting in the SPOC's queue (their contact still open), each with whether now is a safe time. */
export async function callbacksWaiting(tx: Tx, actor: Actor, now: Date) {
  const rows = await tx
    .selectFrom('calls as c')
    .innerJoin('contacts as k', 'k.id', 'c.contact_id')
    .select(['c.id', 'c.contact_id', 'c.callback_time', 'c.started_at', 'k.reference'])
    .where('c.partnership_id', '=', actor.partnershipId)
    .where('c.organisation_id', '=', actor.organisationId)
    .where('c.outcome', '=', 'callback_requested')
    .where('k.status', '=', 'open')
    .orderBy('c.started_at')
    .limit(200)
    .execute();
  await audit(tx, actor, rows.map((row) => ({ action: 'contact.list', recordType: 'contact', recordId: row.contact_id })));
  return rows.map((row) => ({ ...row, safeNow: safeToCallBack(row.callback_time ?? '', now) }));
}
