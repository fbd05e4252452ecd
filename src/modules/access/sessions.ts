/**
 * Staff web sessions: a random token in an HttpOnly cookie, only its hash stored, with an
 * idle limit (30 minutes by default) and an absolute one (12 hours). Signing in takes two
 * steps: the password (or the council's sign-in, see oidc.ts), then a code from an
 * authenticator app (TOTP, enrolled on the first sign-in, each code accepted once) or a
 * recovery code; the session counts only once `second_factor_at` is set.
 */
import type { Kysely } from 'kysely';
import { inTransaction, type Tx } from '../../db/transaction.js';
import type { DB } from '../../db/types.js';
import { actorForUser, type Actor } from './actor.js';
import { audit } from './audit.js';
import { checkTotp, hashRecoveryCode, newRecoveryCodes, newTotpSecret, totpQrSvg } from './mfa.js';
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

/** Failed passwords or codes in a row that lock an account, and for how long. */
export const MAX_FAILURES = 5;
export const LOCK_MS = 15 * 60 * 1000;
/** How long a signed-in password waits for its second factor. */
const PENDING_MS = 10 * 60 * 1000;

export type SignInResult = { token: string; next: 'code' | 'enrol' } | { lockedUntil: Date } | null;

type UserRow = NonNullable<Awaited<ReturnType<typeof store.findUserByEmail>>>;

/** Counts a failure against the user; the fifth in a row locks the account (and ends its half-signed-in sessions). */
async function countFailure(tx: Tx, user: { id: string; partnership_id: string; organisation_id: string; roles: string[] }, requestId?: string): Promise<Date | null> {
  const row = await tx
    .updateTable('users')
    .set((eb) => ({ failed_sign_ins: eb('failed_sign_ins', '+', 1) }))
    .where('id', '=', user.id)
    .returning(['failed_sign_ins'])
    .executeTakeFirstOrThrow();
  if (row.failed_sign_ins < MAX_FAILURES) return null;
  const lockedUntil = new Date(Date.now() + LOCK_MS);
  await tx.updateTable('users').set({ failed_sign_ins: 0, locked_until: lockedUntil }).where('id', '=', user.id).execute();
  await tx.updateTable('web_sessions').set({ revoked_at: new Date() }).where('user_id', '=', user.id).where('second_factor_at', 'is', null).where('revoked_at', 'is', null).execute();
  await audit(tx, actorForUser(user, requestId), { action: 'session.locked', recordType: 'user', recordId: user.id, details: { minutes: LOCK_MS / 60_000 } });
  return lockedUntil;
}

export const isLocked = (user: { locked_until: Date | null }): boolean => user.locked_until !== null && user.locked_until > new Date();

/**
 * A new session for a user whose first factor is proven (a password, or the council's
 * sign-in): it counts for nothing until `second_factor_at` is set, here when the first
 * factor already proved a second one.
 */
export async function newSession(tx: Tx, user: { id: string; partnership_id: string }, secondFactorAt: Date | null = null): Promise<{ token: string; sessionId: string }> {
  const generated = generateToken();
  const now = new Date();
  const row = await tx
    .insertInto('web_sessions')
    .values({ token_hash: generated.hash, partnership_id: user.partnership_id, user_id: user.id, expires_at: new Date(now.getTime() + ABSOLUTE_LIMIT_MS), second_factor_at: secondFactorAt })
    .returning('id')
    .executeTakeFirstOrThrow();
  return { token: generated.token, sessionId: row.id };
}

/**
 * Takes the time step of an accepted code for the user, unless a code of that step or a
 * later one was accepted first (a replay, or the same code sent twice at once): each code
 * works once. The conditional update makes two racing requests take turns.
 */
async function takeTotpStep(tx: Tx, userId: string, step: number): Promise<boolean> {
  const row = await tx
    .updateTable('users')
    .set({ totp_last_step: step })
    .where('id', '=', userId)
    .where((eb) => eb.or([eb('totp_last_step', 'is', null), eb('totp_last_step', '<', step)]))
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}

/**
 * The first step of signing in: the email and password. A session is made that counts for
 * nothing until the second factor is given (or, the first time, enrolled). An account
 * stays locked for 15 minutes after 5 failures in a row, whatever is typed meanwhile.
 */
export async function signIn(db: Kysely<DB>, email: string, password: string, requestId?: string): Promise<SignInResult> {
  const user = await store.findUserByEmail(db, email.trim());
  if (user && isLocked(user)) {
    await inTransaction(db, null, (tx) => audit(tx, actorForUser(user, requestId), { action: 'session.sign_in', outcome: 'denied', recordType: 'user', recordId: user.id, details: { locked: true } }));
    return { lockedUntil: user.locked_until! };
  }
  const ok = user !== undefined && user.status === 'active' && (await verifyPassword(user.password_hash, password));
  return inTransaction(db, null, async (tx) => {
    if (!ok) {
      // The email tried is not recorded: it may be someone's personal address.
      await audit(tx, user ? actorForUser(user, requestId) : null, { action: 'session.sign_in', outcome: 'denied', ...(user ? { recordType: 'user', recordId: user.id } : {}) });
      const lockedUntil = user ? await countFailure(tx, user, requestId) : null;
      return lockedUntil ? { lockedUntil } : null;
    }
    const session = await newSession(tx, user);
    await tx.updateTable('users').set({ failed_sign_ins: 0 }).where('id', '=', user.id).execute();
    await audit(tx, actorForUser(user, requestId), { action: 'session.password', recordType: 'web_session', recordId: session.sessionId });
    return { token: session.token, next: user.totp_enrolled_at ? 'code' : 'enrol' };
  });
}

/** A session waiting for its second factor, with its user. */
async function pending(db: Kysely<DB> | Tx, token: string) {
  if (!looksLikeToken(token)) return null;
  const row = await db
    .selectFrom('web_sessions as s')
    .innerJoin('users as u', 'u.id', 's.user_id')
    .selectAll('u')
    .select(['s.id as session_id', 's.created_at as session_created_at'])
    .where('s.token_hash', '=', hashToken(token))
    .where('s.revoked_at', 'is', null)
    .where('s.second_factor_at', 'is', null)
    .where('u.status', '=', 'active')
    .executeTakeFirst();
  if (!row || Date.now() - row.session_created_at.getTime() > PENDING_MS) return null;
  return row;
}

/** Whether a token belongs to a session waiting for its second factor, and which step it is at. */
export async function pendingStep(db: Kysely<DB>, token: string): Promise<'code' | 'enrol' | null> {
  const row = await pending(db, token);
  if (!row || isLocked(row)) return null;
  return row.totp_enrolled_at ? 'code' : 'enrol';
}

/** Enrolment, first time: the authenticator secret to show (made once, kept until enrolled). */
export async function enrolment(db: Kysely<DB>, token: string): Promise<{ secret: string; qrSvg: string; label: string } | null> {
  const row = await pending(db, token);
  if (!row || row.totp_enrolled_at || isLocked(row)) return null;
  let secret = row.totp_secret;
  if (!secret) {
    secret = newTotpSecret();
    await db.updateTable('users').set({ totp_secret: secret }).where('id', '=', row.id).where('totp_secret', 'is', null).execute();
    secret = (await db.selectFrom('users').select('totp_secret').where('id', '=', row.id).executeTakeFirstOrThrow()).totp_secret!;
  }
  return { secret, qrSvg: await totpQrSvg(secret, row.email), label: row.email };
}

/** `reused`: the code was right but already used (wait for the next one). */
export type SecondFactorResult = { ok: true; recoveryCodes?: string[] } | { ok: false; lockedUntil?: Date; reused?: boolean };

async function secondFactorPassed(tx: Tx, row: UserRow & { session_id: string }, requestId: string | undefined, how: string) {
  await tx.updateTable('web_sessions').set({ second_factor_at: new Date() }).where('id', '=', row.session_id).execute();
  await tx.updateTable('users').set({ failed_sign_ins: 0 }).where('id', '=', row.id).execute();
  await audit(tx, actorForUser(row, requestId), { action: 'session.sign_in', recordType: 'web_session', recordId: row.session_id, details: { secondFactor: how } });
}

/** Enrols the authenticator with its first code, and hands out the recovery codes (shown once). */
export async function completeEnrolment(db: Kysely<DB>, token: string, code: string, requestId?: string): Promise<SecondFactorResult> {
  return inTransaction(db, null, async (tx) => {
    const row = await pending(tx, token);
    if (!row || row.totp_enrolled_at || !row.totp_secret || isLocked(row)) return { ok: false };
    const step = await checkTotp(row.totp_secret, code, row.totp_last_step);
    if (step === null || !(await takeTotpStep(tx, row.id, step))) {
      await audit(tx, actorForUser(row, requestId), { action: 'user.mfa_enrol', outcome: 'denied', recordType: 'user', recordId: row.id });
      const lockedUntil = await countFailure(tx, row, requestId);
      return lockedUntil ? { ok: false, lockedUntil } : { ok: false };
    }
    const recoveryCodes = newRecoveryCodes();
    await tx.updateTable('users').set({ totp_enrolled_at: new Date(), recovery_code_hashes: recoveryCodes.map(hashRecoveryCode) }).where('id', '=', row.id).execute();
    await audit(tx, actorForUser(row, requestId), { action: 'user.mfa_enrol', recordType: 'user', recordId: row.id });
    await secondFactorPassed(tx, row, requestId, 'totp');
    return { ok: true, recoveryCodes };
  });
}

/** The second step: a code from the authenticator, or one of the recovery codes (each works once). */
export async function secondFactor(db: Kysely<DB>, token: string, code: string, requestId?: string): Promise<SecondFactorResult> {
  return inTransaction(db, null, async (tx) => {
    const row = await pending(tx, token);
    if (!row || !row.totp_enrolled_at || !row.totp_secret) return { ok: false };
    if (isLocked(row)) return { ok: false, lockedUntil: row.locked_until! };
    const step = await checkTotp(row.totp_secret, code, row.totp_last_step);
    if (step !== null && (await takeTotpStep(tx, row.id, step))) {
      await secondFactorPassed(tx, row, requestId, 'totp');
      return { ok: true };
    }
    const hash = hashRecoveryCode(code);
    if (/[a-z]/i.test(code) && row.recovery_code_hashes.includes(hash)) {
      await tx.updateTable('users').set({ recovery_code_hashes: row.recovery_code_hashes.filter((h) => h !== hash) }).where('id', '=', row.id).execute();
      await secondFactorPassed(tx, row, requestId, 'recovery_code');
      return { ok: true };
    }
    // Right once, but used already: refused (and counted) like a wrong code, and said so.
    const reused = step !== null || (row.totp_last_step !== null && (await checkTotp(row.totp_secret, code)) !== null);
    await audit(tx, actorForUser(row, requestId), { action: 'session.sign_in', outcome: 'denied', recordType: 'web_session', recordId: row.session_id, details: { secondFactor: reused ? 'reused' : 'wrong' } });
    const lockedUntil = await countFailure(tx, row, requestId);
    return lockedUntil ? { ok: false, lockedUntil } : { ok: false, ...(reused ? { reused } : {}) };
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
    // Signed in only once the second factor is given.
    .where('s.second_factor_at', 'is not', null)
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
