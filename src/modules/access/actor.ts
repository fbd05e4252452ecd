import { Forbidden } from '../../lib/errors.js';
import { hasPermission, type Permission, type Role } from './policy.js';

/** The person (or named system actor) on whose behalf every operation runs. */
export interface Actor {
  userId: string;
  partnershipId: string;
  organisationId: string;
  roles: readonly Role[];
  /** Correlates audit rows with the request that caused them. */
  requestId?: string;
}

export function can(actor: Actor, permission: Permission): boolean {
  return hasPermission(actor.roles, permission);
}

export function requirePermission(actor: Actor, permission: Permission): void {
  if (!can(actor, permission)) throw new Forbidden(`Your role does not allow ${permission}`);
}
