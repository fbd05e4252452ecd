/**
 * Who may do what, as data (SPEC §1, §5). One table of role → permissions, and one
 * function that answers it. Record-level rules (which contacts) live beside the records
 * they guard, e.g. src/modules/contacts/access.ts.
 */

export const ROLES = [
  'call_handler',
  'spoc_coordinator',
  'provider_caseworker',
  'provider_manager',
  'marac_coordinator',
  'referring_professional',
  'commissioner',
  'system_admin',
  'web_door',
  'telephony',
] as const;
export type Role = (typeof ROLES)[number];

export const ROLE_LABELS: Record<Role, string> = {
  call_handler: 'SPOC call handler',
  spoc_coordinator: 'SPOC coordinator / manager',
  provider_caseworker: 'Provider caseworker',
  provider_manager: 'Provider manager',
  marac_coordinator: 'MARAC coordinator',
  referring_professional: 'Referring professional',
  commissioner: 'Commissioner',
  system_admin: 'System administrator',
  web_door: 'Web door (system: the public self-referral and professional referral forms)',
  telephony: 'Telephony (system: records each call to the number as a contact)',
};

export const PERMISSIONS = [
  'contact:create',
  'contact:read',
  'contact:update',
  'contact:share',
  'risk:assess',
  'risk:read',
  'questionnaire:manage',
  'referral:create',
  'referral:read',
  'referral:act',
  'pathways:manage',
  'escalation:read',
  'directory:read',
  'directory:manage',
  'organisation:manage',
  'user:manage',
  'person:match',
  'case:read',
  'case:write',
  'marac:read',
  'marac:manage',
  'database:backup',
  // Reports (src/modules/reports): read them at all; see one's own organisation's figures
  // exactly; see the partnership's (and other organisations'), with small numbers suppressed.
  'report:read',
  'report:own',
  'report:partnership',
  // A person's right of access (UK GDPR art. 15): everything held about them, as JSON and a
  // printable page (src/modules/rights/subject-access.ts says whose records each role reaches).
  'person:subject_access',
  // Restricted records (src/modules/restriction): restrict a person to named users; break the
  // glass into a restricted record in one's reach (an hour, with a reason); review who did.
  'person:restrict',
  'person:break_glass',
  'access:review',
] as const;
export type Permission = (typeof PERMISSIONS)[number];

const CASEWORK: Permission[] = ['contact:read', 'risk:read', 'directory:read', 'referral:read', 'referral:act', 'person:break_glass'];
const SPOC: Permission[] = ['contact:create', 'contact:update', 'contact:share', 'risk:assess', 'referral:create', 'escalation:read'];

export const ROLE_PERMISSIONS: Record<Role, readonly Permission[]> = {
  call_handler: [...CASEWORK, ...SPOC, 'person:match'],
  spoc_coordinator: [...CASEWORK, ...SPOC, 'person:match', 'marac:read', 'questionnaire:manage', 'directory:manage', 'pathways:manage', 'report:read', 'report:own', 'report:partnership', 'person:subject_access', 'person:restrict', 'access:review'],
  // Cases belong to the provider that supports the person (src/modules/cases/service.ts).
  provider_caseworker: [...CASEWORK, 'contact:create', 'contact:update', 'contact:share', 'risk:assess', 'referral:create', 'person:match', 'case:read', 'case:write', 'marac:read'],
  provider_manager: [...CASEWORK, 'contact:share', 'directory:manage', 'person:match', 'case:read', 'case:write', 'marac:read', 'report:read', 'report:own', 'person:subject_access', 'person:restrict', 'access:review'],
  // Runs MARAC: referrals, meetings, lists, actions (src/modules/marac/service.ts).
  marac_coordinator: [...CASEWORK, 'risk:assess', 'person:match', 'marac:read', 'marac:manage'],
  // A professional sees only what they referred (src/modules/contacts/access.ts), and the
  // lists of MARAC meetings their agency attends.
  referring_professional: ['contact:create', 'contact:read', 'risk:assess', 'risk:read', 'directory:read', 'referral:read', 'marac:read'],
  // Aggregates only: never a person's record.
  commissioner: ['directory:read', 'report:read', 'report:partnership'],
  // Users, organisations and configuration; no case data by default.
  system_admin: ['directory:read', 'directory:manage', 'organisation:manage', 'user:manage', 'questionnaire:manage', 'database:backup'],
  // Not a person: records what the public web forms send, and nothing else. It cannot sign in.
  web_door: ['contact:create', 'risk:assess'],
  telephony: ['contact:create', 'contact:read', 'contact:update'],
};

/** Roles held only by system actors (never by a person; they cannot sign in). */
export const SYSTEM_ROLES: readonly Role[] = ['web_door', 'telephony'];

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

export function hasPermission(roles: readonly Role[], permission: Permission): boolean {
  return roles.some((role) => ROLE_PERMISSIONS[role].includes(permission));
}
