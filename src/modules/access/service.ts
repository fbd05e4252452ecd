import { hash as argon2Hash, verify as argon2Verify } from '@node-rs/argon2';
import type { Kysely } from 'kysely';
import type { Tx } from '../../db/transaction.js';
import type { DB } from '../../db/types.js';
import { Conflict, Invalid, NotFound } from '../../lib/errors.js';
import { actorForUser, type Actor } from './actor.js';
import { audit } from './audit.js';
import { isRole, ROLES, SYSTEM_ROLES, type Role } from './policy.js';
import * as store from './store.js';
import { generateToken, hashToken } from './tokens.js';

const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
export const ORGANISATION_KINDS = ['spoc_hub', 'provider', 'referrer', 'council', 'commissioner'] as const;

export async function createPartnership(
  tx: Tx,
  input: { slug: string; name: string; settings?: Record<string, unknown>; isDemo?: boolean },
) {
  if (!SLUG.test(input.slug)) throw Invalid.field('slug', 'use lower-case letters, digits and hyphens');
  if (await store.findPartnershipBySlug(tx, input.slug)) {
    throw new Conflict(`A partnership with slug "${input.slug}" already exists`);
  }
  const partnership = await store.insertPartnership(tx, {
    slug: input.slug,
    name: input.name,
    settings: input.settings ?? {},
    isDemo: input.isDemo ?? false,
  });
  await audit(tx, null, { action: 'partnership.create', recordType: 'partnership', recordId: partnership.id });
  return partnership;
}

export async function requirePartnership(db: Kysely<DB> | Tx, slug: string) {
  const partnership = await store.findPartnershipBySlug(db, slug);
  if (!partnership) throw new NotFound(`Partnership "${slug}"`);
  return partnership;
}

export async function createOrganisation(
  tx: Tx,
  actor: Actor | null,
  input: Parameters<typeof store.insertOrganisation>[1],
) {
  if (!SLUG.test(input.slug)) throw Invalid.field('slug', 'use lower-case letters, digits and hyphens');
  if (!(ORGANISATION_KINDS as readonly string[]).includes(input.kind)) {
    throw Invalid.field('kind', `must be one of ${ORGANISATION_KINDS.join(', ')}`);
  }
  if (await store.findOrganisation(tx, input.partnershipId, input.slug)) {
    throw new Conflict(`An organisation with slug "${input.slug}" already exists in this partnership`);
  }
  const organisation = await store.insertOrganisation(tx, input);
  await audit(tx, actor, { action: 'organisation.create', recordType: 'organisation', recordId: organisation.id });
  return organisation;
}

export interface NewUser {
  partnershipSlug: string;
  organisationSlug: string;
  email: string;
  name: string;
  roles: string[];
  password?: string;
}

export async function addUser(tx: Tx, actor: Actor | null, input: NewUser) {
  const errors = [];
  if (!EMAIL.test(input.email)) errors.push({ field: 'email', message: 'must be an email address' });
  if (input.name.trim() === '') errors.push({ field: 'name', message: 'is required' });
  const personRoles = ROLES.filter((role) => !SYSTEM_ROLES.includes(role));
  const badRoles = input.roles.filter((role) => !isRole(role) || SYSTEM_ROLES.includes(role));
  if (input.roles.length === 0 || badRoles.length > 0) {
    errors.push({ field: 'roles', message: `must be one or more of ${personRoles.join(', ')}` });
  }
  if (input.password !== undefined && input.password.length < 12) {
    errors.push({ field: 'password', message: 'must be at least 12 characters' });
  }
  if (errors.length > 0) throw new Invalid(errors);
  const partnership = await requirePartnership(tx, input.partnershipSlug);
  const organisation = await store.findOrganisation(tx, partnership.id, input.organisationSlug);
  if (!organisation) throw Invalid.field('organisation', `no organisation "${input.organisationSlug}" in ${partnership.slug}`);
  if (await store.findUserByEmail(tx, input.email)) throw new Conflict('A user with that email already exists');
  const user = await store.insertUser(tx, {
    partnershipId: partnership.id,
    organisationId: organisation.id,
    email: input.email.toLowerCase(),
    name: input.name.trim(),
    roles: input.roles,
    passwordHash: input.password === undefined ? null : await argon2Hash(input.password),
  });
  await audit(tx, actor, {
    action: 'user.create',
    recordType: 'user',
    recordId: user.id,
    details: { roles: input.roles, organisationId: organisation.id },
  });
  return user;
}

export async function verifyPassword(passwordHash: string | null, password: string): Promise<boolean> {
  return passwordHash !== null && argon2Verify(passwordHash, password);
}

/**
 * A bearer token for a user. Returns the token itself, which is never stored: only its
 * hash is. `fixedToken` is for the demo partnership's published tokens only.
 */
export async function createToken(
  tx: Tx,
  actor: Actor | null,
  input: { email: string; name: string; expiresInDays?: number; fixedToken?: string },
) {
  const user = await store.findUserByEmail(tx, input.email);
  if (!user) throw Invalid.field('user', 'no user with that email');
  if (user.status !== 'active') throw Invalid.field('user', 'that user is disabled');
  const generated = input.fixedToken
    ? { token: input.fixedToken, hash: hashToken(input.fixedToken), prefix: input.fixedToken.slice(0, 12) }
    : generateToken();
  const expiresAt =
    input.expiresInDays === undefined ? null : new Date(Date.now() + input.expiresInDays * 24 * 60 * 60 * 1000);
  const row = await store.insertToken(tx, {
    partnershipId: user.partnership_id,
    userId: user.id,
    name: input.name,
    hash: generated.hash,
    prefix: generated.prefix,
    expiresAt,
  });
  await audit(tx, actor, { action: 'token.create', recordType: 'api_token', recordId: row.id, details: { userId: user.id } });
  return { id: row.id, token: generated.token, userId: user.id, expiresAt };
}

export async function describeActor(db: Kysely<DB> | Tx, actor: Actor) {
  const row = await db
    .selectFrom('users as u')
    .innerJoin('organisations as o', 'o.id', 'u.organisation_id')
    .innerJoin('partnerships as p', 'p.id', 'u.partnership_id')
    .select(['u.id', 'u.name', 'u.email', 'u.roles', 'o.id as organisationId', 'o.name as organisationName', 'p.slug as partnershipSlug', 'p.name as partnershipName'])
    .where('u.id', '=', actor.userId)
    .executeTakeFirstOrThrow();
  return row;
}

/**
 * The partnership the public pages (the /oruk directory, the web door) serve: the
 * configured one (SPOC_PUBLIC_PARTNERSHIP), or the only one there is.
 */
export async function publicPartnershipId(db: Kysely<DB> | Tx, configured: string | undefined): Promise<string> {
  if (configured) {
    const partnership = await store.findPartnershipBySlug(db, configured);
    if (partnership) return partnership.id;
  } else {
    const all = await store.listPartnerships(db);
    if (all.length === 1) return all[0]!.id;
  }
  throw new NotFound('The public partnership (set SPOC_PUBLIC_PARTNERSHIP)');
}

/**
 * A system actor of a partnership (the web door, telephony): a user in the SPOC hub with one
 * system role and no password or token, made on first use, so every write it makes has an
 * acting user and an audit trail like anyone else's.
 */
export async function systemActor(tx: Tx, partnershipId: string, role: 'web_door' | 'telephony', requestId?: string): Promise<Actor> {
  const hub = await store.findHub(tx, partnershipId);
  const partnership = await store.findPartnershipById(tx, partnershipId);
  if (!hub || !partnership) throw new NotFound('The partnership SPOC hub');
  const email = `${role.replace('_', '-')}@${partnership.slug}.invalid`;
  const name = role === 'web_door' ? 'Web door' : 'Telephony';
  // Two first calls at once both find no system user: one makes it, the other then finds it.
  const user =
    (await store.findUserByEmail(tx, email)) ??
    (await store.insertUserUnlessExists(tx, { partnershipId, organisationId: hub.id, email, name, roles: [role], passwordHash: null })) ??
    (await store.findUserByEmail(tx, email));
  if (!user) throw new Error(`The ${role} system user could not be made`);
  return { ...actorForUser(user, requestId), roles: [role] };
}
