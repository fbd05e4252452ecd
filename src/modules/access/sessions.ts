/**
 * Staff web sessions: a random token in an HttpOnly cookie, only its hash stored, with an
 * idle limit (30 minutes by default) and an absolute one (12 hours). Multi-factor sign-in
 * (issue 9) slots in as a second step that sets `second_factor_at` before the session counts.
 */
import type { Kysely } from 'kysely';
import { inTransaction } from '../../db/transaction.js';
import type { DB } from '../../db/types.js';
import { actorForUser, type Actor } from './actor.js';
import { audit } from './audit.js';
import { verifyPassword } from './service.js';
import * as store from './store.js';
import { generateToken, hashToken, looksLikeToken } from './tokens.js';

export const ABSOLUTE_LIMIT_MS = 12 * 60 * 60 * 1000;
/** last_seen_at is written at most this often, not on every page. */
const TOUCH_EVERY_MS = 60 * 1000;

export interface SessionActor extends Actor {
  name: string;
  organisationName: string;
  /** When the session ends if the user does nothing. */
  idleExpiresAt: Date;
}

/** Checks an email and password; a new session token, or null (audited either way). */
export async function signIn(db: Kysely<DB>, email: string, password: string, requestId?: string): Promise<{ token: string } | null> {
  const user = await store.findUserByEmail(db, email.trim());
  const ok = user !== undefined && user.status === 'active' && (await verifyPassword(user.password_hash, password));
  return inTransaction(db, null, async (tx) => {
    if (!ok) {
      // The email tried is not recorded: it may be someone's personal address.
      await audit(tx, user ? actorForUser(user, requestId) : null, { action: 'session.sign_in', outcome: 'denied', ...(user ? { recordType: 'user', recordId: user.id } : {}) });
      return null;
    }
    const generated = generateToken();
    const now = new Date();
    const row = await tx
      .insertInto('web_sessions')
      .values({ token_hash: generated.hash, partnership_id: user.partnership_id, user_id: user.id, expires_at: new Date(now.getTime() + ABSOLUTE_LIMIT_MS) })
      .returning('id')
      .executeTakeFirstOrThrow();
    await audit(tx, actorForUser(user, requestId), { action: 'session.sign_in', recordType: 'web_session', recordId: row.id });
    return { token: generated.token };
  });
}

/** The signed-in actor of a session token, or null when it is unknown, revoked, idle too long or past its limit. */
export async function sessionActor(db: Kysely<DB>, token: string, idleMs: number, requestId?: string): Promise<SessionActor | null> {
  if (!looksLikeToken(token)) return null;
  const now = new Date();
  const row = await db
    .selectFrom('web_sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .innerJoin('organisations as o', 'o.id', 'u.organisation_id')
    .select(['s.id as sessionId', 's.last_seen_at', 's.expires_at', 'u.id', 'u.partnership_id', 'u.organisation_id', 'u.roles', 'u.name', 'o.name as organisationName'])
    .where('s.token_hash', '=', hashToken(token))
    .where('s.revoked_at', 'is', null)
    .where('u.status', '=', 'active')
    .executeTakeFirst();
  if (!row || row.expires_at <= now || now.getTime() - row.last_seen_at.getTime() > idleMs) return null;
  if (now.getTime() - row.last_seen_at.getTime() > TOUCH_EVERY_MS) {
    await db.updateTable('web_sessions').set({ last_seen_at: now }).where('id', '=', row.sessionId).execute();
  }
  const seen = Math.max(now.getTime() - TOUCH_EVERY_MS, row.last_seen_at.getTime());
  return {
    ...actorForUser(row, requestId),
    name: row.name,
    organisationName: row.organisationName,
    idleExpiresAt: new Date(Math.min(seen + idleMs, row.expires_at.getTime())),
  };
}

/** Ends a session (signing out); a token already ended or unknown is no error. */
export async function signOut(db: Kysely<DB>, token: string, actor: Actor | null): Promise<void> {
  if (!looksLikeToken(token)) return;
  await inTransaction(db, actor, async (tx) => {
    const row = await tx
      .updateTable('web_sessions')
      .set({ revoked_at: new Date() })
      .where('token_hash', '=', hashToken(token))
      .where('revoked_at', 'is', null)
      .returning('id')
      .executeTakeFirst();
    if (row) await audit(tx, actor, { action: 'session.sign_out', recordType: 'web_session', recordId: row.id });
  });
}
