/**
 * MARAC (issue 8; SafeLives): every high-risk contact is referred to the Multi-Agency Risk
 * Assessment Conference automatically — once, with the criterion that made it high — and
 * none is missed: a referral waits for the next meeting with room, repeats within 12 months
 * are flagged, agencies record what they hold, the meeting's actions are followed until done.
 * MARAC is run by the partnership's SPOC hub; other agencies see the lists of the meetings
 * they attend, without the person's contact details.
 */
import { sql } from 'kysely';
import { forPurpose, type Tx } from '../../db/transaction.js';
import { toCsv } from '../../lib/csv.js';
import { londonToday } from '../../lib/dates.js';
import { Conflict, Forbidden, Invalid, NotFound, Refused, type FieldError } from '../../lib/errors.js';
import { can, requirePermission, type Actor } from '../access/actor.js';
import { audit } from '../access/audit.js';
import { findHub } from '../access/store.js';
import { loadContact } from '../contacts/service.js';
import { CRITERION_LABELS, isRepeat, maracCriteria, type MaracCriterion } from './criteria.js';
import type { FiguresQuery, ListEntry, ManualReferral, MaracReferralView, NewMaracAction, NewMeetings, NewResearch } from './schema.js';

const today = londonToday;
/** How far ahead meetings may be scheduled. */
const MEETING_HORIZON_DAYS = 3 * 366;

async function hubId(tx: Tx, partnershipId: string): Promise<string> {
  const hub = await findHub(tx, partnershipId);
  if (!hub) throw new NotFound('The partnership SPOC hub');
  return hub.id;
}

/** A MARAC referral as flagRepeat needs it: when it was made, and whom its contact is about. */
interface Referred {
  id: string;
  referred_on: string;
  person_id: string | null;
}

/** Flags the referral as a repeat when the same person was referred within the 12 months before. */
async function flagRepeat(tx: Tx, row: Referred): Promise<void> {
  if (!row.person_id) return;
  const referralId = row.id;
  // Every MARAC referral of the partnership is searched, whoever refers: a date comes back (0021_row_security.sql).
  const previous = await forPurpose(tx, 'marac_allocation', () => tx
    .selectFrom('marac_referrals as m')
    .innerJoin('contacts as c', 'c.id', 'm.contact_id')
    .select(['m.id', 'm.referred_on'])
    .where('c.person_id', '=', row.person_id)
    .where('m.id', '<>', referralId)
    .where('m.referred_on', '<=', row.referred_on)
    .where('m.status', '<>', 'withdrawn')
    .orderBy('m.referred_on', 'desc')
    .limit(1)
    .executeTakeFirst());
  if (previous && isRepeat(previous.referred_on, row.referred_on)) {
    await tx.updateTable('marac_referrals').set({ repeat_of_id: previous.id, previous_referred_on: previous.referred_on }).where('id', '=', referralId).execute();
  }
}

/** Lists a waiting referral at the next meeting to come that has room; it waits otherwise. */
async function listAtNextMeeting(tx: Tx, partnershipId: string, referralId: string): Promise<void> {
  // One listing at a time per partnership, each counting what the others committed (a new
  // statement sees them), so two referrals made at once cannot both take a meeting's last place.
  await sql`select pg_advisory_xact_lock(hashtextextended(${`marac-listing:${partnershipId}`}, 0))`.execute(tx);
  // Every referral listed counts, whoever lists this one (0021_row_security.sql: marac_allocation).
  const { rows } = await forPurpose(tx, 'marac_allocation', () =>
    sql<{ id: string }>`select m.id from marac_meetings m
      where m.partnership_id = ${partnershipId} and m.held_on >= ${today()}
        and (select count(*) from marac_referrals r where r.meeting_id = m.id and r.status <> 'withdrawn') < m.capacity
      order by m.held_on limit 1 for update`.execute(tx),
  );
  if (rows[0]) await tx.updateTable('marac_referrals').set({ meeting_id: rows[0].id, status: 'listed' }).where('id', '=', referralId).execute();
}

async function create(tx: Tx, actor: Actor, contactId: string, values: { criteria: MaracCriterion[]; reason: string | null; assessmentId: string | null }) {
  // One statement: the hub runs MARAC, and the referral is dated by the contact, in Europe/London.
  const { rows } = await sql<Referred>`with inserted as (insert into marac_referrals
      (partnership_id, organisation_id, contact_id, risk_assessment_id, criteria, reason, referred_on, referred_by, referring_organisation_id)
    select c.partnership_id, h.id, c.id, ${values.assessmentId}, ${values.criteria}::text[], ${values.reason},
      (c.received_at at time zone 'Europe/London')::date, ${actor.userId}, ${actor.organisationId}
    from contacts c join organisations h on h.partnership_id = c.partnership_id and h.kind = 'spoc_hub'
    where c.id = ${contactId} and c.partnership_id = ${actor.partnershipId}
    order by h.created_at limit 1
    on conflict (contact_id) do nothing
    returning id, referred_on, contact_id)
    select i.id, i.referred_on, c.person_id from inserted i join contacts c on c.id = i.contact_id`.execute(tx);
  const inserted = rows[0];
  if (!inserted) return null;
  await flagRepeat(tx, inserted);
  await listAtNextMeeting(tx, actor.partnershipId, inserted.id);
  await audit(tx, actor, { action: 'marac.refer', recordType: 'marac_referral', recordId: inserted.id, details: { contactId, criteria: values.criteria } });
  return inserted.id;
}

/**
 * Called with every completed checklist: a high-risk one refers the contact to MARAC,
 * naming the criteria it met. A contact is referred once, however often it is reassessed.
 */
export async function referIfHighRisk(tx: Tx, actor: Actor, contactId: string, assessment: { id: string; level: string; reasons: ReadonlyArray<{ code: string; level: string }> }) {
  if (assessment.level !== 'high') return null;
  const criteria = maracCriteria(assessment.reasons);
  if (criteria.length === 0) return null;
  return create(tx, actor, contactId, { criteria, reason: null, assessmentId: assessment.id });
}

/** A MARAC coordinator refers a contact by hand, with the reason. */
export async function referManually(tx: Tx, actor: Actor, input: ManualReferral): Promise<MaracReferralView> {
  requirePermission(actor, 'marac:manage');
  await loadContact(tx, actor, input.contactId, 'read', 'marac.refer');
  const assessment = await tx.selectFrom('risk_assessments').select('id').where('contact_id', '=', input.contactId).orderBy('completed_at', 'desc').limit(1).executeTakeFirst();
  const id = await create(tx, actor, input.contactId, { criteria: ['manual'], reason: input.reason, assessmentId: assessment?.id ?? null });
  if (!id) throw new Conflict('This contact has already been referred to MARAC');
  return getReferral(tx, actor, id);
}

/** After a person confirms who a contact is about, its MARAC referral may turn out to be a repeat. */
export async function recheckRepeat(tx: Tx, contactId: string): Promise<void> {
  const referral = await tx
    .selectFrom('marac_referrals as m')
    .innerJoin('contacts as c', 'c.id', 'm.contact_id')
    .select(['m.id', 'm.repeat_of_id', 'm.referred_on', 'c.person_id'])
    .where('m.contact_id', '=', contactId)
    .executeTakeFirst();
  if (referral && !referral.repeat_of_id) await flagRepeat(tx, referral);
}

// ── reading, as each agency may ───────────────────────────────────────────────────────

function selectReferrals(tx: Tx) {
  return tx
    .selectFrom('marac_referrals as m')
    .innerJoin('contacts as c', 'c.id', 'm.contact_id')
    .innerJoin('organisations as o', 'o.id', 'm.referring_organisation_id')
    .leftJoin('marac_meetings as mm', 'mm.id', 'm.meeting_id')
    .selectAll('m')
    .select(['c.reference as contact_reference', 'o.name as referring_organisation_name', 'mm.held_on as meeting_on', 'mm.attending_organisation_ids as attending']);
}
type ReferralRow = Awaited<ReturnType<ReturnType<typeof selectReferrals>['execute']>>[number];

function referralView(row: ReferralRow): MaracReferralView {
  return {
    id: row.id,
    contactId: row.contact_id,
    contactReference: row.contact_reference,
    criteria: row.criteria as MaracReferralView['criteria'],
    reason: row.reason,
    referredOn: row.referred_on,
    referringOrganisationId: row.referring_organisation_id,
    referringOrganisationName: row.referring_organisation_name,
    repeat: row.repeat_of_id !== null,
    previousReferredOn: row.previous_referred_on,
    meetingId: row.meeting_id,
    meetingOn: row.meeting_on ?? null,
    status: row.status as MaracReferralView['status'],
  };
}

/** The hub (which runs MARAC) sees every referral; an agency only those on meetings it attends. */
function mayView(actor: Actor, hub: string, referral: { partnership_id: string; attending: string[] | null }): boolean {
  if (referral.partnership_id !== actor.partnershipId || !can(actor, 'marac:read')) return false;
  return actor.organisationId === hub || (referral.attending ?? []).includes(actor.organisationId);
}

async function loadReferral(tx: Tx, actor: Actor, id: string, action: string) {
  // An attending agency reads the referral with its contact's reference (0021_row_security.sql: marac_list).
  const row = await forPurpose(tx, 'marac_list', () => selectReferrals(tx).where('m.id', '=', id).executeTakeFirst());
  if (!row || !mayView(actor, await hubId(tx, actor.partnershipId), row)) throw new Refused('MARAC referral', { action, recordType: 'marac_referral', recordId: id });
  return row;
}

export async function getReferral(tx: Tx, actor: Actor, id: string): Promise<MaracReferralView> {
  requirePermission(actor, 'marac:read');
  const row = await loadReferral(tx, actor, id, 'marac.read');
  await audit(tx, actor, { action: 'marac.read', recordType: 'marac_referral', recordId: id, details: { contactId: row.contact_id } });
  return referralView(row);
}

/** The MARAC referral of one contact, for the hub's staff (a line on the contact's page); null when there is none or the actor is not at the hub. */
export async function referralOfContact(tx: Tx, actor: Actor, contactId: string): Promise<MaracReferralView | null> {
  if (!can(actor, 'marac:read') || actor.organisationId !== (await hubId(tx, actor.partnershipId))) return null;
  const row = await selectReferrals(tx).where('m.contact_id', '=', contactId).where('m.partnership_id', '=', actor.partnershipId).executeTakeFirst();
  if (!row) return null;
  await audit(tx, actor, { action: 'marac.read', recordType: 'marac_referral', recordId: row.id, details: { contactId } });
  return referralView(row);
}

/** Every MARAC referral of the partnership (the MARAC coordinator's view), newest first. */
export async function listReferrals(tx: Tx, actor: Actor, status?: string): Promise<MaracReferralView[]> {
  requirePermission(actor, 'marac:manage');
  let q = selectReferrals(tx).where('m.partnership_id', '=', actor.partnershipId);
  if (status) q = q.where('m.status', '=', status);
  const rows = await q.orderBy('m.referred_on', 'desc').orderBy('m.created_at', 'desc').limit(500).execute();
  await audit(tx, actor, rows.map((r) => ({ action: 'marac.list', recordType: 'marac_referral', recordId: r.id })));
  return rows.map(referralView);
}

// ── meetings ───────────────────────────────────────────────────────────────────────────

async function meetingViews(tx: Tx, partnershipId: string, filter: (q: any) => any = (q) => q) {
  // How many each meeting lists counts every referral on it (0021_row_security.sql: marac_allocation).
  const rows = await forPurpose(tx, 'marac_allocation', () => filter(
    tx
      .selectFrom('marac_meetings as mm')
      .select(['mm.id', 'mm.held_on', 'mm.capacity', 'mm.attending_organisation_ids'])
      .select(sql<number>`(select count(*) from marac_referrals r where r.meeting_id = mm.id and r.status <> 'withdrawn')::int`.as('listed'))
      .where('mm.partnership_id', '=', partnershipId),
  )
    .orderBy('mm.held_on')
    .execute());
  return (rows as Array<{ id: string; held_on: string; capacity: number; attending_organisation_ids: string[]; listed: number }>).map((m) => ({
    id: m.id,
    heldOn: m.held_on,
    capacity: m.capacity,
    listed: m.listed,
    attendingOrganisationIds: m.attending_organisation_ids,
  }));
}

/** Schedules one meeting or a series (e.g. fortnightly); referrals waiting are listed in turn. */
export async function scheduleMeetings(tx: Tx, actor: Actor, input: NewMeetings) {
  requirePermission(actor, 'marac:manage');
  const hub = await hubId(tx, actor.partnershipId);
  if (actor.organisationId !== hub) throw new Forbidden('MARAC meetings are scheduled by the SPOC hub');
  const errors: FieldError[] = [];
  // Meetings are planned a few years ahead at most (and a date past 9999 is no date at all: the fuzzer found it).
  const horizon = new Date(Date.now() + MEETING_HORIZON_DAYS * 86_400_000).toISOString().slice(0, 10);
  if (input.heldOn < today()) errors.push({ field: '/heldOn', message: 'must be today or later' });
  else if (input.heldOn > horizon) errors.push({ field: '/heldOn', message: `must be within ${MEETING_HORIZON_DAYS / 366} years of today` });
  if ((input.count ?? 1) > 1 && !input.repeatEveryDays) errors.push({ field: '/repeatEveryDays', message: 'is required to schedule more than one meeting' });
  else if (input.heldOn <= horizon) {
    const last = new Date(new Date(`${input.heldOn}T12:00:00Z`).getTime() + ((input.count ?? 1) - 1) * (input.repeatEveryDays ?? 0) * 86_400_000).toISOString().slice(0, 10);
    if (last > horizon) errors.push({ field: '/count', message: `would schedule meetings more than ${MEETING_HORIZON_DAYS / 366} years ahead (the last on ${last})` });
  }
  const orgs = await tx.selectFrom('organisations').select('id').where('partnership_id', '=', actor.partnershipId).execute();
  const known = new Set(orgs.map((o) => o.id));
  input.attendingOrganisationIds.forEach((id, i) => {
    if (!known.has(id)) errors.push({ field: `/attendingOrganisationIds/${i}`, message: 'is not an organisation of this partnership' });
  });
  if (errors.length > 0) throw new Invalid(errors);
  const start = new Date(`${input.heldOn}T12:00:00Z`);
  const dates = Array.from({ length: input.count ?? 1 }, (_, i) => new Date(start.getTime() + i * (input.repeatEveryDays ?? 0) * 86_400_000).toISOString().slice(0, 10));
  const created = await tx
    .insertInto('marac_meetings')
    .values(dates.map((heldOn) => ({ partnership_id: actor.partnershipId, organisation_id: hub, held_on: heldOn, capacity: input.capacity, attending_organisation_ids: input.attendingOrganisationIds, created_by: actor.userId })))
    .returning('id')
    .execute();
  const waiting = await tx.selectFrom('marac_referrals').select('id').where('partnership_id', '=', actor.partnershipId).where('status', '=', 'awaiting_meeting').orderBy('referred_on').orderBy('created_at').execute();
  for (const referral of waiting) await listAtNextMeeting(tx, actor.partnershipId, referral.id);
  await audit(tx, actor, created.map((m) => ({ action: 'marac.meeting', recordType: 'marac_meeting', recordId: m.id })));
  return meetingViews(tx, actor.partnershipId, (q) => q.where('mm.id', 'in', created.map((m) => m.id)));
}

/** Meetings to come and past: all for the hub, those attended for an agency. */
export async function listMeetings(tx: Tx, actor: Actor) {
  requirePermission(actor, 'marac:read');
  const hub = await hubId(tx, actor.partnershipId);
  return meetingViews(tx, actor.partnershipId, (q) => (actor.organisationId === hub ? q : q.where(sql<boolean>`${actor.organisationId}::uuid = any(mm.attending_organisation_ids)`)));
}

/**
 * A meeting's list: victim, children, alleged perpetrators, a risk summary, the repeat flag
 * and the referring agency, with the agencies' research and the actions. The hub sees the
 * postcode too; attending agencies see no contact details. Every line read is audited.
 */
export async function meetingList(tx: Tx, actor: Actor, meetingId: string) {
  requirePermission(actor, 'marac:read');
  const hub = await hubId(tx, actor.partnershipId);
  const meeting = (await meetingViews(tx, actor.partnershipId, (q) => q.where('mm.id', '=', meetingId)))[0];
  const isHub = actor.organisationId === hub;
  if (!meeting || !(isHub || meeting.attendingOrganisationIds.includes(actor.organisationId))) {
    throw new Refused('MARAC meeting', { action: 'marac.meeting_list', recordType: 'marac_meeting', recordId: meetingId });
  }
  // The contacts on the list, for the agencies attending (0021_row_security.sql: marac_list).
  const rows = await forPurpose(tx, 'marac_list', () => tx
    .selectFrom('marac_referrals as m')
    .innerJoin('contacts as c', 'c.id', 'm.contact_id')
    .innerJoin('organisations as o', 'o.id', 'm.referring_organisation_id')
    .leftJoin('risk_assessments as a', 'a.id', 'm.risk_assessment_id')
    .select(['m.id', 'm.contact_id', 'm.criteria', 'm.repeat_of_id', 'm.previous_referred_on', 'o.name as agency', 'c.person', 'c.children', 'c.perpetrators', 'a.level', 'a.yes_count'])
    .where('m.meeting_id', '=', meetingId)
    .where('m.status', '<>', 'withdrawn')
    .orderBy('m.referred_on')
    .orderBy('m.created_at')
    .execute());
  const ids = rows.map((r) => r.id);
  const research = ids.length
    ? await tx.selectFrom('marac_research as r').innerJoin('organisations as o', 'o.id', 'r.organisation_id').select(['r.marac_referral_id', 'o.name', 'r.summary', 'r.recorded_at']).where('r.marac_referral_id', 'in', ids).orderBy('r.recorded_at').execute()
    : [];
  const actions = ids.length
    ? await tx.selectFrom('marac_actions as x').innerJoin('organisations as o', 'o.id', 'x.organisation_id').selectAll('x').select('o.name as organisation_name').where('x.marac_referral_id', 'in', ids).orderBy('x.due_on').execute()
    : [];
  const now = today();
  const entries: ListEntry[] = rows.map((r) => {
    const person = r.person as { name?: string; dateOfBirth?: string; postcode?: string };
    return {
      referralId: r.id,
      victim: { name: person.name ?? null, dateOfBirth: person.dateOfBirth ?? null, ...(isHub ? { postcode: person.postcode ?? null } : {}) },
      children: (r.children as Array<{ name?: string; dateOfBirth?: string }>).map((ch) => ({ name: ch.name ?? null, dateOfBirth: ch.dateOfBirth ?? null })),
      perpetrators: (r.perpetrators as Array<{ name?: string; relationship?: string }>).map((p) => ({ name: p.name ?? null, relationship: p.relationship ?? null })),
      risk: { level: r.level ?? 'high', yesCount: r.yes_count ?? null, criteria: r.criteria.map((c) => CRITERION_LABELS[c as MaracCriterion] ?? c) },
      repeat: r.repeat_of_id !== null,
      previousReferredOn: r.previous_referred_on,
      referringAgency: r.agency,
      research: research.filter((x) => x.marac_referral_id === r.id).map((x) => ({ organisationName: x.name, summary: x.summary, recordedAt: x.recorded_at.toISOString() })),
      actions: actions
        .filter((x) => x.marac_referral_id === r.id)
        .map((x) => ({ id: x.id, organisationId: x.organisation_id, organisationName: x.organisation_name, description: x.description, ownerName: x.owner_name, dueOn: x.due_on, doneAt: x.done_at?.toISOString() ?? null, overdue: !x.done_at && x.due_on < now })),
    };
  });
  await audit(tx, actor, [
    { action: 'marac.meeting_list', recordType: 'marac_meeting', recordId: meetingId, details: { entries: entries.length } },
    ...rows.map((r) => ({ action: 'marac.list_entry', recordType: 'contact', recordId: r.contact_id, details: { meetingId } })),
  ]);
  return { meeting, entries };
}

/** The list as CSV for agencies: the same lines the viewer may see. */
export async function meetingListCsv(tx: Tx, actor: Actor, meetingId: string): Promise<string> {
  const { meeting, entries } = await meetingList(tx, actor, meetingId);
  await audit(tx, actor, { action: 'marac.export', recordType: 'marac_meeting', recordId: meetingId, details: { entries: entries.length } });
  const header = ['Meeting', 'Victim', 'Date of birth', ...(entries.some((e) => 'postcode' in e.victim) ? ['Postcode'] : []), 'Children', 'Alleged perpetrators', 'Risk', 'Criteria', 'Repeat', 'Previous referral', 'Referring agency'];
  return toCsv(
    header,
    entries.map((e) => [
      meeting.heldOn,
      e.victim.name,
      e.victim.dateOfBirth,
      ...('postcode' in e.victim ? [e.victim.postcode] : []),
      e.children.map((c) => [c.name, c.dateOfBirth].filter(Boolean).join(' ')).join('; '),
      e.perpetrators.map((p) => [p.name, p.relationship?.replace(/_/g, ' ')].filter(Boolean).join(', ')).join('; '),
      e.risk.level,
      e.risk.criteria.join('; '),
      e.repeat ? 'yes' : 'no',
      e.previousReferredOn,
      e.referringAgency,
    ]),
  );
}

// ── research and actions ───────────────────────────────────────────────────────────────

/** What an agency holds about the person, recorded before the meeting. */
export async function addResearch(tx: Tx, actor: Actor, referralId: string, input: NewResearch) {
  requirePermission(actor, 'marac:read');
  const row = await loadReferral(tx, actor, referralId, 'marac.research');
  const { id } = await tx
    .insertInto('marac_research')
    .values({ partnership_id: actor.partnershipId, organisation_id: actor.organisationId, marac_referral_id: referralId, summary: input.summary, recorded_by: actor.userId })
    .returning('id')
    .executeTakeFirstOrThrow();
  await audit(tx, actor, { action: 'marac.research', recordType: 'marac_referral', recordId: referralId, details: { researchId: id, contactId: row.contact_id } });
  return { id };
}

/** An action agreed at the meeting, owned by an agency. */
export async function addAction(tx: Tx, actor: Actor, referralId: string, input: NewMaracAction) {
  requirePermission(actor, 'marac:manage');
  await loadReferral(tx, actor, referralId, 'marac.action');
  const organisation = await tx.selectFrom('organisations').select('id').where('id', '=', input.organisationId).where('partnership_id', '=', actor.partnershipId).executeTakeFirst();
  if (!organisation) throw Invalid.field('/organisationId', 'is not an organisation of this partnership');
  const { id } = await tx
    .insertInto('marac_actions')
    .values({ partnership_id: actor.partnershipId, organisation_id: input.organisationId, marac_referral_id: referralId, description: input.description, owner_name: input.ownerName ?? '', due_on: input.dueOn, created_by: actor.userId })
    .returning('id')
    .executeTakeFirstOrThrow();
  await tx.updateTable('marac_referrals').set({ status: 'heard' }).where('id', '=', referralId).where('status', '=', 'listed').execute();
  await audit(tx, actor, { action: 'marac.action', recordType: 'marac_referral', recordId: referralId, details: { actionId: id, organisationId: input.organisationId } });
  return { id };
}

/** The owning agency (or the MARAC coordinator) marks an action done. */
export async function completeAction(tx: Tx, actor: Actor, actionId: string) {
  requirePermission(actor, 'marac:read');
  const action = await tx.selectFrom('marac_actions').selectAll().where('id', '=', actionId).executeTakeFirst();
  if (!action || action.partnership_id !== actor.partnershipId || !(action.organisation_id === actor.organisationId || can(actor, 'marac:manage'))) {
    throw new Refused('MARAC action', { action: 'marac.action_done', recordType: 'marac_action', recordId: actionId });
  }
  if (action.done_at) throw new Conflict('This action is already done');
  await tx.updateTable('marac_actions').set({ done_at: new Date(), done_by: actor.userId }).where('id', '=', actionId).execute();
  await audit(tx, actor, { action: 'marac.action_done', recordType: 'marac_referral', recordId: action.marac_referral_id, details: { actionId } });
  return { id: actionId, doneAt: new Date().toISOString() };
}

// ── the coordinator's dashboard and figures ───────────────────────────────────────────

export async function dashboard(tx: Tx, actor: Actor) {
  requirePermission(actor, 'marac:manage');
  const now = today();
  const meetings = (await meetingViews(tx, actor.partnershipId, (q) => q.where('mm.held_on', '>=', now))).slice(0, 4);
  const awaiting = await listReferrals(tx, actor, 'awaiting_meeting');
  const overdue = await tx
    .selectFrom('marac_actions as x')
    .innerJoin('organisations as o', 'o.id', 'x.organisation_id')
    .innerJoin('marac_referrals as m', 'm.id', 'x.marac_referral_id')
    .innerJoin('contacts as c', 'c.id', 'm.contact_id')
    .select(['x.id', 'x.marac_referral_id', 'x.description', 'x.owner_name', 'x.due_on', 'o.name as organisation_name', 'c.reference as contact_reference'])
    .where('x.partnership_id', '=', actor.partnershipId)
    .where('x.done_at', 'is', null)
    .where('x.due_on', '<', now)
    .orderBy('x.due_on')
    .execute();
  return {
    meetings,
    awaiting,
    overdueActions: overdue.map((x) => ({ id: x.id, referralId: x.marac_referral_id, contactReference: x.contact_reference, description: x.description, ownerName: x.owner_name, organisationName: x.organisation_name, dueOn: x.due_on })),
  };
}

/** Referrals in a period, the repeat rate and where they came from (counts only, for reports). */
export async function figures(tx: Tx, actor: Actor, query: FiguresQuery) {
  requirePermission(actor, 'marac:manage');
  if (query.to < query.from) throw Invalid.field('query/to', 'must not be before from', 400);
  const rows = await tx
    .selectFrom('marac_referrals as m')
    .innerJoin('organisations as o', 'o.id', 'm.referring_organisation_id')
    .select(['m.criteria', 'm.repeat_of_id', 'o.name'])
    .where('m.partnership_id', '=', actor.partnershipId)
    .where('m.referred_on', '>=', query.from)
    .where('m.referred_on', '<=', query.to)
    .where('m.status', '<>', 'withdrawn')
    .execute();
  const repeats = rows.filter((r) => r.repeat_of_id !== null).length;
  const count = <K extends string>(keys: K[]) => [...keys.reduce((m, k) => m.set(k, (m.get(k) ?? 0) + 1), new Map<K, number>())].map(([key, n]) => ({ key, referrals: n })).sort((a, b) => b.referrals - a.referrals || a.key.localeCompare(b.key));
  return {
    from: query.from,
    to: query.to,
    referrals: rows.length,
    repeats,
    repeatRate: rows.length ? Math.round((repeats / rows.length) * 1000) / 10 : null,
    bySourceAgency: count(rows.map((r) => r.name)).map(({ key, referrals }) => ({ agency: key, referrals })),
    byCriterion: count(rows.flatMap((r) => r.criteria)).map(({ key, referrals }) => ({ criterion: key, referrals })),
  };
}
