import type { Kysely } from 'kysely';
import type { Tx } from '../../db/transaction.js';
import type { DB } from '../../db/types.js';
import { toJson } from '../../lib/json.js';

type Queryable = Kysely<DB> | Tx;

export function findPartnershipBySlug(db: Queryable, slug: string) {
  return db.selectFrom('partnerships').selectAll().where('slug', '=', slug).executeTakeFirst();
}

export function findPartnershipById(db: Queryable, id: string) {
  return db.selectFrom('partnerships').selectAll().where('id', '=', id).executeTakeFirst();
}

export function listPartnerships(db: Queryable) {
  return db.selectFrom('partnerships').selectAll().orderBy('created_at').execute();
}

export function insertPartnership(
  tx: Tx,
  values: { slug: string; name: string; settings: Record<string, unknown>; isDemo: boolean },
) {
  return tx
    .insertInto('partnerships')
    .values({ slug: values.slug, name: values.name, settings: toJson(values.settings), is_demo: values.isDemo })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function findOrganisation(db: Queryable, partnershipId: string, slugOrId: string) {
  const isUuid = /^[0-9a-f-]{36}$/i.test(slugOrId);
  return db
    .selectFrom('organisations')
    .selectAll()
    .where('partnership_id', '=', partnershipId)
    .where(isUuid ? 'id' : 'slug', '=', slugOrId)
    .executeTakeFirst();
}

export function listOrganisations(db: Queryable, partnershipId: string) {
  return db.selectFrom('organisations').selectAll().where('partnership_id', '=', partnershipId).orderBy('name').execute();
}

export function findHub(db: Queryable, partnershipId: string) {
  return db
    .selectFrom('organisations')
    .selectAll()
    .where('partnership_id', '=', partnershipId)
    .where('kind', '=', 'spoc_hub')
    .executeTakeFirst();
}

export function insertOrganisation(
  tx: Tx,
  values: {
    partnershipId: string;
    slug: string;
    name: string;
    kind: string;
    description?: string;
    url?: string | null;
    email?: string | null;
    phone?: string | null;
    id?: string;
  },
) {
  return tx
    .insertInto('organisations')
    .values({
      ...(values.id ? { id: values.id } : {}),
      partnership_id: values.partnershipId,
      slug: values.slug,
      name: values.name,
      kind: values.kind,
      description: values.description ?? '',
      url: values.url ?? null,
      email: values.email ?? null,
      phone: values.phone ?? null,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function findUserByEmail(db: Queryable, email: string) {
  return db
    .selectFrom('users')
    .selectAll()
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
    .executeTakeFirst();
}

type NewUser = { partnershipId: string; organisationId: string; email: string; name: string; roles: string[]; passwordHash: string | null };

function userValues(values: NewUser) {
  return {
    partnership_id: values.partnershipId,
    organisation_id: values.organisationId,
    email: values.email,
    name: values.name,
    roles: values.roles,
    password_hash: values.passwordHash,
  };
}

export function insertUser(tx: Tx, values: NewUser) {
  return tx.insertInto('users').values(userValues(values)).returningAll().executeTakeFirstOrThrow();
}

/** The new user, or undefined when one with the email exists (made by another transaction at the same moment, say). */
export function insertUserUnlessExists(tx: Tx, values: NewUser) {
  return tx.insertInto('users').values(userValues(values)).onConflict((oc) => oc.doNothing()).returningAll().executeTakeFirst();
}

export function insertToken(
  tx: Tx,
  values: { partnershipId: string; userId: string; name: string; hash: string; prefix: string; expiresAt: Date | null },
) {
  return tx
    .insertInto('api_tokens')
    .values({
      partnership_id: values.partnershipId,
      user_id: values.userId,
      name: values.name,
      token_hash: values.hash,
      prefix: values.prefix,
      expires_at: values.expiresAt,
    })
    .returning(['id', 'prefix', 'expires_at'])
    .executeTakeFirstOrThrow();
}

/** The active user behind an unexpired, unrevoked token. */
export function findTokenHolder(db: Queryable, tokenHash: string, now: Date) {
  return db
    .selectFrom('api_tokens as t')
    .innerJoin('users as u', 'u.id', 't.user_id')
    .select(['t.id as tokenId', 't.expires_at', 'u.id as userId', 'u.partnership_id', 'u.organisation_id', 'u.roles', 'u.name', 'u.email'])
    .where('t.token_hash', '=', tokenHash)
    .where('t.revoked_at', 'is', null)
    .where((eb) => eb.or([eb('t.expires_at', 'is', null), eb('t.expires_at', '>', now)]))
    .where('u.status', '=', 'active')
    .executeTakeFirst();
}

/** The user linked to this identity at a council identity provider (issuer and subject). */
export function findUserByIdpSubject(db: Queryable, issuer: string, subject: string) {
  return db.selectFrom('users').selectAll().where('oidc_issuer', '=', issuer).where('oidc_subject', '=', subject).executeTakeFirst();
}

/** Links a user, not linked yet, to an identity at a council identity provider; false when someone was first. */
export async function linkUserToIdp(tx: Tx, userId: string, issuer: string, subject: string): Promise<boolean> {
  const row = await tx
    .updateTable('users')
    .set({ oidc_issuer: issuer, oidc_subject: subject, oidc_linked_at: new Date() })
    .where('id', '=', userId)
    .where('oidc_subject', 'is', null)
    .returning('id')
    .executeTakeFirst();
  return row !== undefined;
}
