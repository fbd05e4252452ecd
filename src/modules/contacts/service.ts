import { forPurpose, type Tx } from '../../db/transaction.js';
import { Invalid, NotFound, Refused, type FieldError } from '../../lib/errors.js';
import { toJson } from '../../lib/json.js';
import { normalisePostcode, phoneDigits } from '../../lib/schema.js';
import { requirePermission, type Actor } from '../access/actor.js';
import { audit } from '../access/audit.js';
import { findHub, findOrganisation } from '../access/store.js';
import { mayActOnContact, type ContactAction } from './access.js';
import type { ContactListQuery, ContactPatch, ContactView, NewContact, NewShare } from './schema.js';
import * as store from './store.js';

/** The safe-contact fields kept encrypted (for key rotation, src/modules/encryption). */
export { SAFE_CONTACT_SEALED } from './store.js';

export const IMMEDIATE_DANGER_GUIDANCE = [
  'Someone may be in immediate danger. Advise the caller to hang up and dial 999 now, or call 999 yourself.',
  'If they cannot speak safely, they can dial 999 and then press 55 when prompted (Silent Solution).',
  'Police non-emergency: 101. National Domestic Abuse Helpline, 24 hours: 0808 2000 247.',
];

const today = (): string => new Date().toISOString().slice(0, 10);

/** Rules the schema cannot say: dates in the past, needs from the partnership's own list. */
async function checkRules(tx: Tx, actor: Actor, input: NewContact | ContactPatch): Promise<void> {
  const errors: FieldError[] = [];
  const notFuture = (date: string | undefined, field: string) => {
    if (date !== undefined && date > today()) errors.push({ field, message: 'must not be in the future' });
  };
  notFuture(input.person?.dateOfBirth, '/person/dateOfBirth');
  input.children?.forEach((child, i) => notFuture(child.dateOfBirth, `/children/${i}/dateOfBirth`));
  input.perpetrators?.forEach((p, i) => notFuture(p.dateOfBirth, `/perpetrators/${i}/dateOfBirth`));
  if (input.receivedAt !== undefined && Date.parse(input.receivedAt) > Date.now() + 5 * 60_000) {
    errors.push({ field: '/receivedAt', message: 'must not be in the future' });
  }
  if (input.needs && input.needs.length > 0) {
    const known = new Set((await store.listNeedCodes(tx, actor.partnershipId)).filter((n) => n.active).map((n) => n.code));
    input.needs.forEach((need, i) => {
      if (!known.has(need)) errors.push({ field: `/needs/${i}`, message: `"${need}" is not in this partnership's list of needs` });
    });
  }
  for (const [i, time] of (input.safeContact?.safeTimes ?? []).entries()) {
    if (time.from >= time.to) errors.push({ field: `/safeContact/safeTimes/${i}/to`, message: 'must be after from' });
  }
  if (errors.length > 0) throw new Invalid(errors);
}

function tidyPerson<T extends { postcode?: string } | undefined>(person: T): T {
  return person?.postcode ? { ...person, postcode: normalisePostcode(person.postcode) } : person;
}

/** The fields a contact shows in a list and on its own page alike. */
function headline(row: {
  id: string;
  reference: string;
  organisation_id: string;
  handler_user_id: string;
  channel: string;
  caller_type: string;
  status: string;
  received_at: Date;
  immediate_danger: string;
}) {
  return {
    id: row.id,
    reference: row.reference,
    organisationId: row.organisation_id,
    handlerId: row.handler_user_id,
    channel: row.channel,
    callerType: row.caller_type,
    status: row.status,
    receivedAt: row.received_at.toISOString(),
    immediateDanger: row.immediate_danger,
  };
}

/** A contact as the API shows it; its encrypted columns are opened here, once (docs/encryption.md). */
export function toView(stored: store.ContactRow): ContactView {
  const row = store.openContact(stored);
  const danger = row.immediate_danger === 'yes';
  return {
    ...headline(row),
    partnershipId: row.partnership_id,
    flags: danger ? ['immediate_danger'] : [],
    guidance: danger ? IMMEDIATE_DANGER_GUIDANCE : [],
    person: row.person,
    caller: row.caller as ContactView['caller'],
    safeContact: row.safe_contact,
    needs: row.needs,
    children: row.children as ContactView['children'],
    perpetrators: row.perpetrators as ContactView['perpetrators'],
    summary: row.summary,
    sharedWith: row.sharedWith,
    createdAt: row.created_at.toISOString(),
    updatedAt: row.updated_at.toISOString(),
  };
}

export async function createContact(tx: Tx, actor: Actor, input: NewContact): Promise<ContactView> {
  requirePermission(actor, 'contact:create');
  await checkRules(tx, actor, input);
  // A professional's referral lands in the SPOC's own queue; everyone else's stays with their organisation.
  const isProfessional = actor.roles.every((role) => role === 'referring_professional');
  const owner = isProfessional ? (await findHub(tx, actor.partnershipId))?.id : actor.organisationId;
  if (!owner) throw new NotFound('The partnership SPOC hub');
  const row = await store.insertContact(tx, {
    partnership_id: actor.partnershipId,
    organisation_id: owner,
    channel: input.channel,
    caller_type: input.callerType,
    status: input.status ?? 'open',
    handler_user_id: actor.userId,
    received_at: input.receivedAt ? new Date(input.receivedAt) : new Date(),
    immediate_danger: input.immediateDanger,
    person: toJson(tidyPerson(input.person) ?? {}),
    caller: toJson(input.caller ?? null),
    safe_contact: store.sealSafeContact(input.safeContact ?? {}),
    needs: input.needs ?? [],
    children: toJson(input.children ?? []),
    perpetrators: store.sealPerpetrators(input.perpetrators ?? []),
    summary: store.sealSummary(input.summary ?? ''),
  });
  await audit(tx, actor, {
    action: 'contact.create',
    recordType: 'contact',
    recordId: row.id,
    details: { immediateDanger: input.immediateDanger === 'yes' },
  });
  return toView({ ...row, sharedWith: [] });
}

/**
 * Loads a contact the actor may act on, or Refused: audited, and answered exactly as a
 * missing record is, so it tells the caller nothing.
 */
export async function loadContact(tx: Tx, actor: Actor, id: string, action: ContactAction, auditAction: string, lock = false) {
  const row = await store.findContact(tx, id, lock);
  if (!row || !mayActOnContact(actor, action, row)) {
    throw new Refused('Contact', { action: auditAction, recordType: 'contact', recordId: id });
  }
  return row;
}

export async function getContact(tx: Tx, actor: Actor, id: string): Promise<ContactView> {
  requirePermission(actor, 'contact:read');
  const row = await loadContact(tx, actor, id, 'read', 'contact.read');
  await audit(tx, actor, { action: 'contact.read', recordType: 'contact', recordId: id });
  return toView(row);
}

export async function updateContact(tx: Tx, actor: Actor, id: string, patch: ContactPatch): Promise<ContactView> {
  requirePermission(actor, 'contact:update');
  const current = await loadContact(tx, actor, id, 'update', 'contact.update');
  await checkRules(tx, actor, patch);
  const values: Record<string, unknown> = { updated_at: new Date(), updated_by: actor.userId };
  if (patch.channel !== undefined) values.channel = patch.channel;
  if (patch.callerType !== undefined) values.caller_type = patch.callerType;
  if (patch.status !== undefined) values.status = patch.status;
  if (patch.receivedAt !== undefined) values.received_at = new Date(patch.receivedAt);
  if (patch.immediateDanger !== undefined) values.immediate_danger = patch.immediateDanger;
  if (patch.person !== undefined) values.person = toJson(tidyPerson(patch.person));
  if (patch.caller !== undefined) values.caller = toJson(patch.caller);
  if (patch.safeContact !== undefined) values.safe_contact = store.sealSafeContact(patch.safeContact);
  if (patch.needs !== undefined) values.needs = patch.needs;
  if (patch.children !== undefined) values.children = toJson(patch.children);
  if (patch.perpetrators !== undefined) values.perpetrators = store.sealPerpetrators(patch.perpetrators);
  if (patch.summary !== undefined) values.summary = store.sealSummary(patch.summary);
  const row = await store.updateContact(tx, id, values);
  await audit(tx, actor, {
    action: 'contact.update',
    recordType: 'contact',
    recordId: id,
    details: { fields: Object.keys(patch).sort() },
  });
  return toView({ ...row, sharedWith: current.sharedWith });
}

export async function listContacts(tx: Tx, actor: Actor, query: ContactListQuery) {
  requirePermission(actor, 'contact:read');
  const { total, rows } = await store.listContacts(tx, actor, query);
  // Every contact shown is a read of that contact.
  await audit(
    tx,
    actor,
    rows.map((row) => ({ action: 'contact.list', recordType: 'contact', recordId: row.id })),
  );
  return {
    total,
    page: query.page,
    perPage: query.perPage,
    items: rows.map((row) => ({ ...headline(row), personName: row.person_name })),
  };
}

/** Shares a contact with an organisation; for a caller (a referral) that has already checked access. */
export async function shareWith(tx: Tx, actor: Actor, contactId: string, organisationId: string, reason: string): Promise<void> {
  await store.insertShare(tx, { contactId, organisationId, partnershipId: actor.partnershipId, sharedBy: actor.userId, reason });
}

/** Sets a contact's status; for a caller that has already checked access (a referral marks it referred). */
export async function markStatus(tx: Tx, contactId: string, status: 'referred' | 'open'): Promise<void> {
  await store.updateContact(tx, contactId, { status, updated_at: new Date() });
}

/** Shares a contact with another organisation of the partnership (a referral does this too). */
export async function shareContact(tx: Tx, actor: Actor, id: string, input: NewShare): Promise<ContactView> {
  requirePermission(actor, 'contact:share');
  const current = await loadContact(tx, actor, id, 'share', 'contact.share');
  const organisation = await findOrganisation(tx, actor.partnershipId, input.organisationId);
  if (!organisation) throw Invalid.field('/organisationId', 'is not an organisation of this partnership');
  await store.insertShare(tx, {
    contactId: id,
    organisationId: organisation.id,
    partnershipId: actor.partnershipId,
    sharedBy: actor.userId,
    reason: input.reason,
  });
  await audit(tx, actor, {
    action: 'contact.share',
    recordType: 'contact',
    recordId: id,
    details: { organisationId: organisation.id },
  });
  const sharedWith = [...new Set([...current.sharedWith, organisation.id])];
  return toView({ ...current, sharedWith });
}

export async function listNeeds(tx: Tx, actor: Actor) {
  return (await store.listNeedCodes(tx, actor.partnershipId)).filter((n) => n.active).map(({ code, label }) => ({ code, label }));
}

export async function installDefaultNeeds(tx: Tx, partnershipId: string, needs: ReadonlyArray<readonly [string, string]>) {
  await store.insertNeeds(tx, partnershipId, needs);
}

/**
 * The contacts recording an alleged perpetrator with this phone number (the perpetrator
 * alert, SPEC §5). A system check: it answers ids only, and the match is audited.
 */
export async function perpetratorNumberMatches(tx: Tx, actor: Actor, number: string): Promise<string[]> {
  const digits = phoneDigits(number);
  if (digits.length < 6) return [];
  // Every contact of the partnership is searched, whoever may read it: only ids come back (0021_row_security.sql).
  const ids = await forPurpose(tx, 'perpetrator_check', () => store.withPerpetratorNumber(tx, actor.partnershipId, digits));
  if (ids.length > 0) await audit(tx, actor, ids.map((id) => ({ action: 'contact.perpetrator_number_match', recordType: 'contact', recordId: id })));
  return ids;
}

/** Earlier contacts the actor may see that carry this phone number (as the person's or a safe number). */
export async function contactsWithNumber(tx: Tx, actor: Actor, number: string, except: string) {
  if (phoneDigits(number).length < 6) return [];
  const found = await listContacts(tx, actor, { q: number, page: 1, perPage: 10 });
  return found.items.filter((c) => c.id !== except);
}

/** Links a contact to an earlier one of the same person (recorded, never merged). */
export async function linkContacts(tx: Tx, actor: Actor, id: string, otherId: string, reason: string): Promise<void> {
  requirePermission(actor, 'contact:update');
  await loadContact(tx, actor, id, 'update', 'contact.link');
  await loadContact(tx, actor, otherId, 'read', 'contact.link');
  if (id === otherId) throw Invalid.field('/otherId', 'is this contact itself');
  await tx
    .insertInto('contact_links')
    .values({ contact_id: id, linked_contact_id: otherId, partnership_id: actor.partnershipId, linked_by: actor.userId, reason })
    .onConflict((oc) => oc.columns(['contact_id', 'linked_contact_id']).doNothing())
    .execute();
  await audit(tx, actor, { action: 'contact.link', recordType: 'contact', recordId: id, details: { linkedContactId: otherId } });
}

export async function linksOf(tx: Tx, contactId: string) {
  return tx
    .selectFrom('contact_links as l')
    .innerJoin('contacts as c', 'c.id', 'l.linked_contact_id')
    .select(['l.linked_contact_id as id', 'c.reference', 'l.linked_at'])
    .where('l.contact_id', '=', contactId)
    .orderBy('l.linked_at')
    .execute();
}
