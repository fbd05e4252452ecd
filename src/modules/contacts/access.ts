/**
 * Which contacts an actor may see and change (SPEC §5: least access). The rules are data,
 * compiled twice: as a check on one record, and as a SQL filter for lists and searches,
 * so a list can never show what the detail page would refuse.
 */
import { sql, type ExpressionBuilder, type Expression, type SqlBool } from 'kysely';
import type { DB } from '../../db/types.js';
import type { Actor } from '../access/actor.js';
import { serviceChecksOn } from '../access/checks.js';
import type { Role } from '../access/policy.js';

/** How a contact can be within an actor's reach. */
export type Scope = 'owned_by_my_organisation' | 'shared_with_my_organisation' | 'handled_by_me';

interface ContactRules {
  read: readonly Scope[];
  update: readonly Scope[];
  share: readonly Scope[];
}

const CASEWORK: ContactRules = {
  read: ['owned_by_my_organisation', 'shared_with_my_organisation'],
  update: ['owned_by_my_organisation'],
  share: ['owned_by_my_organisation'],
};
const NONE: ContactRules = { read: [], update: [], share: [] };

export const CONTACT_RULES: Record<Role, ContactRules> = {
  call_handler: CASEWORK,
  spoc_coordinator: CASEWORK,
  provider_caseworker: CASEWORK,
  provider_manager: { ...CASEWORK, update: [] },
  marac_coordinator: { ...CASEWORK, update: [], share: [] },
  // A professional hears back about what they referred, and nothing else.
  referring_professional: { read: ['handled_by_me'], update: [], share: [] },
  commissioner: NONE,
  system_admin: NONE,
  // The web door reads only what it has just recorded (to attach the checklist).
  web_door: { read: ['handled_by_me'], update: [], share: [] },
  // Telephony keeps the contact of each call current as the call goes (menu choice, call-back).
  telephony: { read: ['handled_by_me'], update: ['handled_by_me'], share: [] },
};

export type ContactAction = keyof ContactRules;

export interface ContactFacts {
  partnership_id: string;
  organisation_id: string;
  handler_user_id: string;
  /** Organisations the contact is shared with. */
  sharedWith: readonly string[];
}

function scopesFor(actor: Actor, action: ContactAction): Set<Scope> {
  return new Set(actor.roles.flatMap((role) => CONTACT_RULES[role][action]));
}

/** The check on one record. */
export function mayActOnContact(actor: Actor, action: ContactAction, contact: ContactFacts): boolean {
  if (!serviceChecksOn()) return true;
  if (contact.partnership_id !== actor.partnershipId) return false;
  const scopes = scopesFor(actor, action);
  return (
    (scopes.has('owned_by_my_organisation') && contact.organisation_id === actor.organisationId) ||
    (scopes.has('shared_with_my_organisation') && contact.sharedWith.includes(actor.organisationId)) ||
    (scopes.has('handled_by_me') && contact.handler_user_id === actor.userId)
  );
}

/** The same rules as a filter on `contacts as c`, for lists and searches. */
export function visibleContacts(actor: Actor, action: ContactAction = 'read') {
  return (eb: ExpressionBuilder<DB & { c: DB['contacts'] }, 'c'>): Expression<SqlBool> => {
    if (!serviceChecksOn()) return sql<SqlBool>`true`;
    const scopes = scopesFor(actor, action);
    const reach: Expression<SqlBool>[] = [];
    if (scopes.has('owned_by_my_organisation')) reach.push(eb('c.organisation_id', '=', actor.organisationId));
    if (scopes.has('shared_with_my_organisation')) {
      reach.push(
        eb.exists(
          eb
            .selectFrom('contact_shares as s')
            .select(sql`1`.as('one'))
            .whereRef('s.contact_id', '=', 'c.id')
            .where('s.organisation_id', '=', actor.organisationId),
        ),
      );
    }
    if (scopes.has('handled_by_me')) reach.push(eb('c.handler_user_id', '=', actor.userId));
    if (reach.length === 0) return sql<SqlBool>`false`;
    return eb.and([eb('c.partnership_id', '=', actor.partnershipId), eb.or(reach)]);
  };
}
