import { Forbidden } from '../../lib/errors.js';
import { serviceChecksOn } from './checks.js';
import type { TokenCheck } from './token-holders.js';
import { hasPermission, isRole, type Permission, type Role } from './policy.js';

/** The person (or named system actor) on whose behalf every operation runs. */
export interface Actor {
  userId: string;
  partnershipId: string;
  organisationId: string;
  roles: readonly Role[];
  /** Correlates audit rows with the request that caused them. */
  requestId?: string;
  /** A bearer token's holder remembered rather than looked up: still to be confirmed (token-holders.ts). */
  tokenCheck?: TokenCheck;
}

export function can(actor: Actor, permission: Permission): boolean {
  return !serviceChecksOn() || hasPermission(actor.roles, permission);
}

export function requirePermission(actor: Actor, permission: Permission): void {
  if (!can(actor, permission)) throw new Forbidden(`Your role does not allow ${permission}`);
}

/** The actor for a user row (unknown roles dropped), tagged with the request that acts. */
export function actorForUser(user: { id: string; partnership_id: string; organisation_id: string; roles: string[] }, requestId?: string): Actor {
  return {
    userId: user.id,
    partnershipId: user.partnership_id,
    organisationId: user.organisation_id,
    roles: user.roles.filter(isRole),
    ...(requestId ? { requestId } : {}),
  };
}
