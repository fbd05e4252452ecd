/**
 * Restricted records and break-glass access (issue 9; SPEC §5). A person's records can be
 * restricted to named users — for example a member of staff who is a victim. Row-level
 * security (0022_restricted_records.sql) hides them from everyone else in reach, in every
 * query. Someone who needs them urgently breaks the glass: a reason, an hour's access, an
 * audit line, and a line for their manager to review. Managers also review who has read or
 * changed a person's records (the access log, from the audit trail).
 */
import { sql } from 'kysely';
import { forPurpose, type Tx } from '../../db/transaction.js';
import { Conflict, Invalid, Refused } from '../../lib/errors.js';
import { can, requirePermission, type Actor } from '../access/actor.js';
import { audit } from '../access/audit.js';
import { BREAK_GLASS_MINUTES, type AccessLog, type BreakGlassView, type Restriction, type RestrictionChange } from './schema.js';

const ACCESS_LOG_LIMIT = 500;

/** A person in the actor's reach, restricted or not as row-level security decides, or Refused (answered as not found). */
async function loadPerson(tx: Tx, personId: string, action: string) {
  const person = await tx.selectFrom('people').select(['id', 'restricted_at']).where('id', '=', personId).executeTakeFirst();
  if (!person) throw new Refused('Person', { action, recordType: 'person', recordId: personId });
  return person;
}

async function restrictionView(tx: Tx, person: { id: string; restricted_at: Date | null }): Promise<Restriction> {
  const named = await tx
    .selectFrom('person_named_users as n')
    .innerJoin('users as u', 'u.id', 'n.user_id')
    .innerJoin('organisations as o', 'o.id', 'u.organisation_id')
    .select(['u.id', 'u.name', 'o.name as organisation_name'])
    .where('n.person_id', '=', person.id)
    .orderBy('u.name')
    .execute();
  return {
    personId: person.id,
    restricted: person.restricted_at !== null,
    restrictedAt: person.restricted_at?.toISOString() ?? null,
    namedUsers: named.map((u) => ({ id: u.id, name: u.name, organisationName: u.organisation_name })),
  };
}

export async function getRestriction(tx: Tx, actor: Actor, personId: string): Promise<Restriction> {
  requirePermission(actor, 'person:restrict');
  const person = await loadPerson(tx, personId, 'person.restriction_read');
  await audit(tx, actor, { action: 'person.restriction_read', recordType: 'person', recordId: personId });
  return restrictionView(tx, person);
}

/**
 * Restricts a person's records to the named users (the actor always among them), or lifts
 * the restriction. Only someone who can see the person now may do either.
 */
export async function setRestriction(tx: Tx, actor: Actor, personId: string, change: RestrictionChange): Promise<Restriction> {
  requirePermission(actor, 'person:restrict');
  await loadPerson(tx, personId, 'person.restrict');
  const wanted = [...new Set([actor.userId, ...change.namedUserIds])];
  const known = new Set(
    (await tx.selectFrom('users').select('id').where('id', 'in', wanted).where('partnership_id', '=', actor.partnershipId).where('status', '=', 'active').execute()).map((u) => u.id),
  );
  const unknown = change.namedUserIds.flatMap((id, i) => (known.has(id) ? [] : [{ field: `/namedUserIds/${i}`, message: 'is not an active user of this partnership' }]));
  if (unknown.length > 0) throw new Invalid(unknown);

  await tx.deleteFrom('person_named_users').where('person_id', '=', personId).execute();
  if (change.restricted) {
    await tx
      .insertInto('person_named_users')
      .values(wanted.map((userId) => ({ person_id: personId, user_id: userId, partnership_id: actor.partnershipId, named_by: actor.userId })))
      .execute();
    await tx
      .updateTable('people')
      .set({ restricted_at: sql<Date>`coalesce(restricted_at, now())`, restricted_by: actor.userId, updated_at: new Date() })
      .where('id', '=', personId)
      .execute();
  } else {
    await tx.updateTable('people').set({ restricted_at: null, restricted_by: null, updated_at: new Date() }).where('id', '=', personId).execute();
  }
  await audit(tx, actor, {
    action: change.restricted ? 'person.restrict' : 'person.unrestrict',
    recordType: 'person',
    recordId: personId,
    details: change.restricted ? { namedUsers: wanted.length } : {},
  });
  const person = await loadPerson(tx, personId, 'person.restrict');
  return restrictionView(tx, person);
}

/**
 * The restricted person behind a contact or case the actor cannot open, when it is in their
 * reach but for the restriction: so a page can offer to break the glass. Null otherwise.
 */
export async function restrictedPersonBehind(tx: Tx, actor: Actor, kind: 'contact' | 'case' | 'person', id: string): Promise<string | null> {
  if (!can(actor, 'person:break_glass')) return null;
  return forPurpose(tx, 'break_glass', async () => {
    const personId =
      kind === 'person'
        ? id
        : kind === 'contact'
          ? (await tx.selectFrom('contacts').select('person_id').where('id', '=', id).executeTakeFirst())?.person_id
          : (await tx.selectFrom('cases').select('person_id').where('id', '=', id).executeTakeFirst())?.person_id;
    if (!personId) return null;
    const person = await personPastRestriction(tx, personId);
    return person?.restricted_at ? person.id : null;
  });
}

/** A person in the actor's reach, restricted or not (the break_glass purpose): undefined when out of reach. */
function personPastRestriction(tx: Tx, personId: string) {
  return forPurpose(tx, 'break_glass', () => tx.selectFrom('people').select(['id', 'restricted_at']).where('id', '=', personId).executeTakeFirst());
}

/** Opens a restricted person's records to the actor for an hour, with their reason: audited, and reviewed by their manager. */
export async function breakGlass(tx: Tx, actor: Actor, personId: string, reason: string): Promise<{ id: string; personId: string; expiresAt: string }> {
  requirePermission(actor, 'person:break_glass');
  const why = reason.trim();
  if (why.length < 10) throw new Invalid([{ field: '/reason', message: 'must say why, in at least 10 characters' }]);
  const person = await personPastRestriction(tx, personId);
  if (!person) throw new Refused('Person', { action: 'person.break_glass', recordType: 'person', recordId: personId });
  if (!person.restricted_at) throw new Conflict('This record is not restricted: open it as usual');
  const row = await tx
    .insertInto('break_glass')
    .values({
      partnership_id: actor.partnershipId,
      organisation_id: actor.organisationId,
      person_id: personId,
      user_id: actor.userId,
      reason: why,
      expires_at: sql<Date>`now() + make_interval(mins => ${BREAK_GLASS_MINUTES})`,
    })
    .returning(['id', 'expires_at'])
    .executeTakeFirstOrThrow();
  await audit(tx, actor, { action: 'person.break_glass', recordType: 'person', recordId: personId, details: { breakGlassId: row.id, minutes: BREAK_GLASS_MINUTES } });
  return { id: row.id, personId, expiresAt: row.expires_at.toISOString() };
}

/** Break-glass lines for a manager to review: their organisation's, or the partnership's for the SPOC coordinator. */
export async function listBreakGlass(tx: Tx, actor: Actor, query: { reviewed?: boolean | undefined }): Promise<BreakGlassView[]> {
  requirePermission(actor, 'access:review');
  const partnershipWide = actor.roles.includes('spoc_coordinator');
  let q = tx
    .selectFrom('break_glass as b')
    .innerJoin('users as u', 'u.id', 'b.user_id')
    .innerJoin('organisations as o', 'o.id', 'b.organisation_id')
    .leftJoin('users as r', 'r.id', 'b.reviewed_by')
    .selectAll('b')
    .select(['u.name as user_name', 'o.name as organisation_name', 'r.name as reviewer_name'])
    .where('b.partnership_id', '=', actor.partnershipId)
    .orderBy('b.opened_at', 'desc')
    .limit(200);
  if (!partnershipWide) q = q.where('b.organisation_id', '=', actor.organisationId);
  if (query.reviewed !== undefined) q = q.where('b.reviewed_at', query.reviewed ? 'is not' : 'is', null);
  const rows = await q.execute();
  await audit(tx, actor, { action: 'break_glass.list', details: { lines: rows.length } });
  return rows.map((b) => ({
    id: b.id,
    personId: b.person_id,
    userId: b.user_id,
    userName: b.user_name,
    organisationName: b.organisation_name,
    reason: b.reason,
    openedAt: b.opened_at.toISOString(),
    expiresAt: b.expires_at.toISOString(),
    reviewedAt: b.reviewed_at?.toISOString() ?? null,
    reviewedByName: b.reviewer_name,
    reviewNote: b.review_note,
  }));
}

export async function reviewBreakGlass(tx: Tx, actor: Actor, id: string, note: string): Promise<void> {
  requirePermission(actor, 'access:review');
  const row = await tx.selectFrom('break_glass').select(['id', 'organisation_id', 'reviewed_at']).where('id', '=', id).executeTakeFirst();
  const mayReview = row && (actor.roles.includes('spoc_coordinator') || row.organisation_id === actor.organisationId);
  if (!row || !mayReview) throw new Refused('Break-glass line', { action: 'break_glass.review', recordType: 'break_glass', recordId: id });
  if (row.reviewed_at) throw new Conflict('This line has already been reviewed');
  await tx.updateTable('break_glass').set({ reviewed_at: new Date(), reviewed_by: actor.userId, review_note: note.trim() || null }).where('id', '=', id).execute();
  await audit(tx, actor, { action: 'break_glass.review', recordType: 'break_glass', recordId: id });
}

/**
 * Who read or changed a person's records, newest first, from the audit trail: the person,
 * their contacts, cases and referrals as far as the manager reaches them. Itself audited.
 */
export async function accessLog(tx: Tx, actor: Actor, personId: string): Promise<AccessLog> {
  requirePermission(actor, 'access:review');
  await loadPerson(tx, personId, 'person.access_log');
  const { rows } = await sql<{ at: Date; action: string; record_type: string | null; record_id: string | null; outcome: string; user_name: string | null; organisation_name: string | null }>`
    with records (type, id) as (
      select 'person', ${personId}::uuid
      union all select 'contact', c.id from contacts c where c.person_id = ${personId}
      union all select 'case', k.id from cases k where k.person_id = ${personId}
      union all select 'referral', r.id from referrals r join contacts c on c.id = r.contact_id where c.person_id = ${personId}
    )
    select a.at, a.action, a.record_type, a.record_id, a.outcome, u.name as user_name, o.name as organisation_name
      from audit_events a
      left join users u on u.id = a.actor_user_id
      left join organisations o on o.id = a.actor_organisation_id
     where a.partnership_id = ${actor.partnershipId} and (a.record_type, a.record_id) in (select type, id from records)
     order by a.at desc, a.id desc
     limit ${ACCESS_LOG_LIMIT + 1}`.execute(tx);
  await audit(tx, actor, { action: 'person.access_log', recordType: 'person', recordId: personId });
  return {
    personId,
    truncated: rows.length > ACCESS_LOG_LIMIT,
    entries: rows.slice(0, ACCESS_LOG_LIMIT).map((r) => ({
      at: r.at.toISOString(),
      action: r.action,
      recordType: r.record_type,
      recordId: r.record_id,
      outcome: r.outcome,
      userName: r.user_name,
      organisationName: r.organisation_name,
    })),
  };
}
