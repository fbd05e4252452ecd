/**
 * Council sign-in (issue 9): who a council identity provider's person is in spoc. spoc never
 * makes an account for them: the identity (issuer and subject) finds the user it was linked
 * to, or, the first time, an email the provider says it has verified finds the user and the
 * link is recorded. Disabled and locked accounts stay refused. The session is the same kind
 * a password makes (sessions.ts), with the same second step unless the provider proved a
 * second factor itself (see `provesSecondFactor`). Every sign-in, refusal and link is audited.
 */
import type { Kysely } from 'kysely';
import { inTransaction, type Tx } from '../../db/transaction.js';
import type { DB } from '../../db/types.js';
import { actorForUser } from './actor.js';
import { audit } from './audit.js';
import type { IdpIdentity } from './oidc-client.js';
import { isLocked, newSession } from './sessions.js';
import * as store from './store.js';

/**
 * RFC 8176 method references that prove more than a password: `mfa` (several factors) as
 * Entra ID and most providers say it, Entra's `ngcmfa` (Windows Hello for Business), or a
 * possession factor of the kind our own step is: a one-time code (`otp`), a hardware key
 * (`hwk`), a smart card (`sc`). Anything else (`pwd`, `wia`, `kba`, `sms`…) is a first
 * factor only, and our code step still applies.
 */
const SECOND_FACTOR_AMR = new Set(['mfa', 'ngcmfa', 'otp', 'hwk', 'sc']);

/** Whether the identity provider's sign-in already included a second factor, so spoc's code step is not asked for again. */
export function provesSecondFactor(amr: readonly string[]): boolean {
  return amr.some((method) => SECOND_FACTOR_AMR.has(method));
}

export type IdpRefusal = 'no_account' | 'disabled' | 'locked' | 'linked_to_another';

export type IdpSignInResult =
  /** `next`: `done` when signed in, else the second step still to take (as after a password). */
  | { token: string; next: 'done' | 'code' | 'enrol' }
  | { refused: IdpRefusal; lockedUntil?: Date };

type UserRow = NonNullable<Awaited<ReturnType<typeof store.findUserByEmail>>>;

/** The user this identity signs in as, linking it on a first match by verified email; a refusal reason otherwise. */
async function userFor(tx: Tx, identity: IdpIdentity, requestId: string | undefined): Promise<UserRow | IdpRefusal> {
  const linked = await store.findUserByIdpSubject(tx, identity.issuer, identity.subject);
  if (linked) return linked;
  if (!identity.email || !identity.emailVerified) return 'no_account';
  const user = await store.findUserByEmail(tx, identity.email.trim());
  if (!user) return 'no_account';
  // Linked already to another identity (or another provider): an administrator decides.
  if (user.oidc_subject !== null) return 'linked_to_another';
  if (user.status !== 'active' || isLocked(user)) return user;
  // Another sign-in linked it a moment ago: refused this once, found by its link next time.
  if (!(await store.linkUserToIdp(tx, user.id, identity.issuer, identity.subject))) return 'linked_to_another';
  await audit(tx, actorForUser(user, requestId), { action: 'user.oidc_link', recordType: 'user', recordId: user.id, details: { issuer: identity.issuer, by: 'verified_email' } });
  return user;
}

/**
 * Signs in the person the identity provider vouched for, as the spoc user they are linked
 * to: a session that counts at once when the provider proved a second factor, or one that
 * waits for spoc's code (or enrolment) as after a password.
 */
export async function signInWithIdp(db: Kysely<DB>, identity: IdpIdentity, requestId?: string): Promise<IdpSignInResult> {
  return inTransaction(db, null, async (tx) => {
    const user = await userFor(tx, identity, requestId);
    // Neither the email nor the subject is recorded: ids and reasons only.
    if (typeof user === 'string') {
      await audit(tx, null, { action: 'session.sign_in', outcome: 'denied', details: { via: 'oidc', reason: user, issuer: identity.issuer, ...(requestId ? { requestId } : {}) } });
      return { refused: user };
    }
    const refused: IdpRefusal | null = user.status !== 'active' ? 'disabled' : isLocked(user) ? 'locked' : null;
    if (refused) {
      await audit(tx, actorForUser(user, requestId), { action: 'session.sign_in', outcome: 'denied', recordType: 'user', recordId: user.id, details: { via: 'oidc', reason: refused } });
      return refused === 'locked' ? { refused, lockedUntil: user.locked_until! } : { refused };
    }
    const secondFactor = provesSecondFactor(identity.amr);
    const session = await newSession(tx, user, secondFactor ? new Date() : null);
    await tx.updateTable('users').set({ failed_sign_ins: 0 }).where('id', '=', user.id).execute();
    const details = { via: 'oidc', issuer: identity.issuer, amr: identity.amr };
    if (secondFactor) {
      await audit(tx, actorForUser(user, requestId), { action: 'session.sign_in', recordType: 'web_session', recordId: session.sessionId, details: { ...details, secondFactor: 'identity_provider' } });
      return { token: session.token, next: 'done' };
    }
    // The first factor only, as `session.password` is for a password.
    await audit(tx, actorForUser(user, requestId), { action: 'session.oidc', recordType: 'web_session', recordId: session.sessionId, details });
    return { token: session.token, next: user.totp_enrolled_at ? 'code' : 'enrol' };
  });
}

/** A return from the identity provider that was refused before anyone was known (state, the provider's error, a failed check). */
export async function auditIdpRefusal(db: Kysely<DB>, reason: string, code: string | undefined, requestId?: string): Promise<void> {
  await inTransaction(db, null, (tx) =>
    audit(tx, null, { action: 'session.sign_in', outcome: 'denied', details: { via: 'oidc', reason, ...(code ? { code } : {}), ...(requestId ? { requestId } : {}) } }),
  );
}
