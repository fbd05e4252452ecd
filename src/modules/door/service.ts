/**
 * The public web door (SPEC §2 step 1, §5): a self-referral and a professional referral,
 * answered a page at a time. Answers are held server-side against a browser-session cookie
 * (only its hash stored) for a short while; submitting turns them into a contact in the
 * SPOC's triage queue, recorded by the partnership's "web door" system actor, and deletes
 * them in the same transaction, so a referral is either fully recorded or still answerable.
 */
import type { Kysely } from 'kysely';
import { actAs, inTransaction } from '../../db/transaction.js';
import type { DB } from '../../db/types.js';
import { NotFound } from '../../lib/errors.js';
import { toJson } from '../../lib/json.js';
import { systemActor } from '../access/service.js';
import { generateToken, hashToken, looksLikeToken } from '../access/tokens.js';
import type { NewContact } from '../contacts/schema.js';
import { createContact } from '../contacts/service.js';
import type { NewAssessment } from '../risk/schema.js';
import { submitAssessment } from '../risk/service.js';

/** Answers are kept this long after the last page saved (a fresh start after that). */
export const DOOR_TTL_MS = 60 * 60 * 1000;

export type DoorForm = 'self' | 'professional';
export type Answers = Record<string, unknown>;

export interface Door {
  id: string;
  partnershipId: string;
  form: DoorForm;
  answers: Answers;
}

export async function openDoor(db: Kysely<DB>, partnershipId: string, form: DoorForm): Promise<{ token: string; door: Door }> {
  const { token, hash } = generateToken();
  const now = Date.now();
  const row = await db
    .insertInto('door_sessions')
    .values({ token_hash: hash, partnership_id: partnershipId, form, answers: toJson({}), expires_at: new Date(now + DOOR_TTL_MS) })
    .returning(['id', 'partnership_id', 'form'])
    .executeTakeFirstOrThrow();
  return { token, door: { id: row.id, partnershipId: row.partnership_id, form, answers: {} } };
}

/** Deletes answers past their expiry; the number deleted. */
export async function purgeExpiredDoors(db: Kysely<DB>): Promise<number> {
  const result = await db.deleteFrom('door_sessions').where('expires_at', '<', new Date()).executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** The answers behind a cookie, or null when there are none (expired, submitted, left). */
export async function findDoor(db: Kysely<DB>, token: string | undefined, form: DoorForm): Promise<Door | null> {
  if (!token || !looksLikeToken(token)) return null;
  const row = await db
    .selectFrom('door_sessions')
    .select(['id', 'partnership_id', 'form', 'answers', 'expires_at'])
    .where('token_hash', '=', hashToken(token))
    .executeTakeFirst();
  if (!row || row.form !== form || row.expires_at.getTime() < Date.now()) return null;
  return { id: row.id, partnershipId: row.partnership_id, form, answers: row.answers as Answers };
}

export async function saveAnswers(db: Kysely<DB>, door: Door, answers: Answers): Promise<void> {
  await db
    .updateTable('door_sessions')
    .set({ answers: toJson(answers), expires_at: new Date(Date.now() + DOOR_TTL_MS) })
    .where('id', '=', door.id)
    .execute();
}

/** "Exit this page": the answers go at once. */
export async function closeDoor(db: Kysely<DB>, token: string | undefined): Promise<void> {
  if (!token || !looksLikeToken(token)) return;
  await db.deleteFrom('door_sessions').where('token_hash', '=', hashToken(token)).execute();
}

/**
 * Records the answers as a contact (with its checklist, for a professional referral) and
 * deletes them, in one transaction. Returns the reference to quote.
 */
export async function submitDoor(
  db: Kysely<DB>,
  door: Door,
  contact: NewContact,
  assessment?: NewAssessment,
  requestId?: string,
): Promise<{ reference: string; contactId: string }> {
  return inTransaction(db, null, async (tx) => {
    // Claimed first: a double submit finds nothing left to submit.
    const claimed = await tx.deleteFrom('door_sessions').where('id', '=', door.id).returning('id').executeTakeFirst();
    if (!claimed) throw new NotFound('These answers (they were already sent, or have expired)');
    const actor = await systemActor(tx, door.partnershipId, 'web_door', requestId);
    await actAs(tx, actor);
    const created = await createContact(tx, actor, contact);
    if (assessment) await submitAssessment(tx, actor, created.id, assessment);
    return { reference: created.reference, contactId: created.id };
  });
}
