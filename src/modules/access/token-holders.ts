import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import type { DB } from '../../db/types.js';
import { Unauthorised } from '../../lib/errors.js';
import { actorForUser, type Actor } from './actor.js';
import * as store from './store.js';
import { hashToken, looksLikeToken } from './tokens.js';

type Holder = NonNullable<Awaited<ReturnType<typeof store.findTokenHolder>>>;

/**
 * What a request's bearer token still has to prove when its holder came from this process's
 * memory of recently seen tokens: that the token is still unrevoked and unexpired, and its
 * user still active with the same organisation, partnership and roles. The first transaction
 * the request opens asks it in its `begin` round-trip (src/db/transaction.ts); a request that
 * opens none asks it before its answer is sent (src/http/auth.ts). Either way nothing is
 * read or answered for a token that is no longer good.
 */
export interface TokenCheck {
  tokenId: string;
  /** The user's roles as stored (the actor's may have dropped unknown ones). */
  roles: string[];
  /** Still to be asked; set to false once the database has said yes. */
  pending: boolean;
  /** Forgets the remembered holder (when the database said no). */
  forget: () => void;
}

const REMEMBER_MS = 60_000;
const MOST_REMEMBERED = 10_000;
/** Per database (tests run several in one process, with the demo partnership's fixed tokens in each). */
const remembered = new WeakMap<object, Map<string, { holder: Holder; until: number }>>();

const NOT_VALID = 'The bearer token is not valid, has expired or was revoked';

/**
 * The actor a bearer token stands for. A token seen in the last minute costs no round-trip
 * here: its holder is remembered, and the actor carries a pending `tokenCheck` that the
 * request's first database round-trip settles. Otherwise the holder is looked up.
 */
export async function authenticate(db: Kysely<DB>, token: string, requestId?: string): Promise<Actor> {
  if (!looksLikeToken(token)) throw new Unauthorised();
  const hash = hashToken(token);
  const now = Date.now();
  let holders = remembered.get(db);
  if (!holders) remembered.set(db, (holders = new Map()));
  const memory = holders.get(hash);
  if (memory && memory.until > now) {
    const { holder } = memory;
    const forget = () => holders.delete(hash);
    return { ...actorForUser({ ...holder, id: holder.userId }, requestId), tokenCheck: { tokenId: holder.tokenId, roles: holder.roles, pending: true, forget } };
  }
  holders.delete(hash);
  const holder = await store.findTokenHolder(db, hash, new Date(now));
  if (!holder) throw new Unauthorised(NOT_VALID);
  if (holders.size >= MOST_REMEMBERED) holders.delete(holders.keys().next().value!);
  const expires = holder.expires_at ? holder.expires_at.getTime() : Infinity;
  holders.set(hash, { holder, until: Math.min(now + REMEMBER_MS, expires) });
  return actorForUser({ ...holder, id: holder.userId }, requestId);
}

/** The statement that asks whether a remembered holder is still current (0026_token_check.sql); inlined, for a simple query. */
export function tokenCheckStatement(actor: Actor, check: TokenCheck): string {
  const values = [check.tokenId, actor.userId, actor.organisationId, actor.partnershipId, check.roles.join(',')];
  return `select app_token_current(${values.map((value) => pg.escapeLiteral(value)).join(', ')})`;
}

/** PostgreSQL's invalid_authorization_specification, as app_token_current raises it. */
export function isStaleToken(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === '28000';
}

/** The token's holder was not current after all: forget it, and refuse the request (settled: the refusal is the answer). */
export function refuseStaleToken(check: TokenCheck): Unauthorised {
  check.pending = false;
  check.forget();
  return new Unauthorised(NOT_VALID);
}

/** Settles a request's pending token check on its own round-trip (for requests that open no transaction). */
export async function settleTokenCheck(db: Kysely<DB>, actor: Actor): Promise<void> {
  const check = actor.tokenCheck;
  if (!check?.pending) return;
  try {
    await sql.raw(tokenCheckStatement(actor, check)).execute(db);
  } catch (error) {
    throw isStaleToken(error) ? refuseStaleToken(check) : error;
  }
  check.pending = false;
}
