import { sql } from 'kysely';
import type { Tx } from '../../db/transaction.js';
import { Conflict, Forbidden, Invalid, Refused, type FieldError } from '../../lib/errors.js';
import { requirePermission, type Actor } from '../access/actor.js';
import { serviceChecksOn } from '../access/checks.js';
import { audit } from '../access/audit.js';
import { openOrJoinCase } from '../cases/service.js';
import { joinProgramme } from '../programmes/service.js';
import { loadContact, markStatus, shareWith, toView as contactView } from '../contacts/service.js';
import type { ContactView } from '../contacts/schema.js';
import { getService } from '../directory/service.js';
import { currentRules, deadlinesFor, pathwaysOf } from '../pathways/service.js';
import { currentAssessmentOf } from '../risk/service.js';
import type { RiskLevel } from '../risk/scoring.js';
import { allowedFrom, BACK_TO_SPOC, canMove, ENDED, MOVED_BY, type ReferralState } from './lifecycle.js';
import { unsafeChannelReason } from './safe-channels.js';
import type { InboxQuery, NewContactAttempt, NewReferrals, ReferralView, Reroute, Transition } from './schema.js';
import * as store from './store.js';

const CASEWORK_ROLES = new Set(['call_handler', 'spoc_coordinator', 'provider_caseworker', 'provider_manager', 'marac_coordinator']);

/** How the actor stands to a referral: the service receiving it, the organisation that sent it, the professional who referred. */
export type Relation = 'receiver' | 'sender' | 'referrer';

export function relationTo(actor: Actor, referral: store.ReferralRow): Relation | null {
  if (!serviceChecksOn()) return 'receiver';
  if (referral.partnership_id !== actor.partnershipId) return null;
  const casework = actor.roles.some((role) => CASEWORK_ROLES.has(role));
  if (casework && referral.organisation_id === actor.organisationId) return 'receiver';
  if (casework && referral.referring_organisation_id === actor.organisationId) return 'sender';
  if (referral.contact_handler_id === actor.userId) return 'referrer';
  return null;
}

/** A referral the actor stands to in an allowed way; `lock` holds it until the transaction ends. */
async function loadReferral(tx: Tx, actor: Actor, id: string, allowed: readonly Relation[], action: string, lock = false) {
  const row = await (lock ? store.selectReferrals(tx).where('r.id', '=', id).forUpdate('r').executeTakeFirst() : store.findReferral(tx, id));
  const relation = row ? relationTo(actor, row) : null;
  if (!row || !relation || !allowed.includes(relation)) {
    throw new Refused('Referral', { action, recordType: 'referral', recordId: id });
  }
  return { row, relation };
}

function clock(dueAt: Date, metAt: Date | null, live: boolean, now: Date) {
  const open = metAt === null && live;
  return {
    dueAt: dueAt.toISOString(),
    metAt: metAt?.toISOString() ?? null,
    minutesRemaining: open ? Math.round((dueAt.getTime() - now.getTime()) / 60_000) : null,
    breached: metAt ? metAt > dueAt : open && now > dueAt,
  };
}

export function toView(row: store.ReferralRow, now = new Date()): ReferralView {
  const state = row.state as ReferralState;
  const ackOpen = state === 'sent';
  const contactOpen = ['sent', 'acknowledged', 'accepted'].includes(state);
  const acknowledge = clock(row.acknowledge_due_at, row.acknowledged_at, ackOpen, now);
  const firstContact = clock(row.first_contact_due_at, row.first_contact_at, contactOpen, now);
  return {
    id: row.id,
    contactId: row.contact_id,
    contactReference: row.contact_reference,
    serviceId: row.service_id,
    serviceName: row.service_name,
    organisationId: row.organisation_id,
    referringOrganisationId: row.referring_organisation_id,
    state,
    riskLevel: row.risk_level,
    ruleId: row.rule_id,
    addedReason: row.added_reason,
    consent: row.consent,
    lawfulBasis: row.lawful_basis,
    replacesReferralId: row.replaces_referral_id,
    // The case it opened or joined at the receiving organisation (only that organisation can open it).
    caseId: row.case_id,
    unitType: row.unit_type,
    clocks: { acknowledge, firstContact },
    nextDueAt: acknowledge.minutesRemaining !== null ? acknowledge.dueAt : firstContact.minutesRemaining !== null ? firstContact.dueAt : null,
    createdAt: row.created_at.toISOString(),
  };
}

/**
 * One action sends every chosen referral (SPEC §2 step 7), with consent recorded or the
 * lawful basis for sharing without it. Each receiving organisation is given the contact.
 */
export async function sendReferrals(
  tx: Tx,
  actor: Actor,
  contactId: string,
  input: NewReferrals,
  replaces?: store.ReferralRow,
  /** 'read' for a caseworker referring on from their own case (the case service has checked it holds this contact). */
  contactAccess: 'update' | 'read' = 'update',
) {
  requirePermission(actor, 'referral:create');
  const contactRow = await loadContact(tx, actor, contactId, contactAccess, 'referral.create');
  const contact = contactView(contactRow);
  const errors: FieldError[] = [];
  if (input.consent !== 'given' && !input.lawfulBasis) {
    errors.push({ field: '/lawfulBasis', message: 'is required when consent is not given (e.g. serious risk of harm)' });
  }
  const ids = input.referrals.map((r) => r.serviceId);
  ids.forEach((id, i) => ids.indexOf(id) !== i && errors.push({ field: `/referrals/${i}/serviceId`, message: 'is listed twice' }));
  const { rules } = await currentRules(tx, actor.partnershipId);
  const now = new Date();
  const { result, assessment, services } = await pathwaysOf(tx, actor, contact, rules, now);
  const proposals = new Map(result.proposals.map((p) => [p.serviceId, p]));
  const directory = new Map(services.map((service) => [service.id, service]));
  const level = (assessment?.level ?? 'standard') as RiskLevel;
  const chosen = [];
  for (const [i, choice] of input.referrals.entries()) {
    const service = directory.get(choice.serviceId);
    if (!service || service.status !== 'active') {
      errors.push({ field: `/referrals/${i}/serviceId`, message: 'is not an active service of this partnership' });
      continue;
    }
    // A perpetrator seeking help goes to the behaviour-change programme only, and never with any victim's data.
    if (contact.callerType === 'perpetrator' && service.kind !== 'perpetrator_programme') {
      errors.push({ field: `/referrals/${i}/serviceId`, message: 'a perpetrator can be referred only to a behaviour-change programme' });
      continue;
    }
    const proposal = proposals.get(service.id);
    if (!proposal && !choice.reason) {
      errors.push({ field: `/referrals/${i}/reason`, message: 'is required for a service the pathways did not propose' });
      continue;
    }
    if (choice.unitType) {
      const vacancy = service.vacancies.find((v) => v.unitType === choice.unitType && v.available > 0);
      if (service.kind !== 'safe_accommodation') {
        errors.push({ field: `/referrals/${i}/unitType`, message: 'is only for safe accommodation' });
        continue;
      }
      if (!vacancy) {
        errors.push({ field: `/referrals/${i}/unitType`, message: `${service.name} has no ${choice.unitType.replace(/_/g, ' ')} vacancy` });
        continue;
      }
    }
    chosen.push({ service, ruleId: proposal?.ruleId ?? null, reason: choice.reason ?? null, unitType: choice.unitType ?? null });
  }
  if (errors.length > 0) throw new Invalid(errors);
  if (input.decidedBy) {
    const decider = await tx.selectFrom('users').select('id').where('id', '=', input.decidedBy).where('partnership_id', '=', actor.partnershipId).executeTakeFirst();
    if (!decider) throw Invalid.field('/decidedBy', 'is not a user of this partnership');
  }
  const live = await tx
    .selectFrom('referrals')
    .select(['id', 'service_id'])
    .where('contact_id', '=', contactId)
    .where('service_id', 'in', chosen.map((c) => c.service.id))
    .where('state', 'not in', ENDED as ReferralState[])
    .executeTakeFirst();
  if (live) throw new Conflict(`This contact already has a live referral to ${directory.get(live.service_id)!.name} (${live.id})`);

  const inserted = await tx
    .insertInto('referrals')
    .values(
      chosen.map(({ service, ruleId, reason, unitType }) => {
        const due = deadlinesFor(service, level, now);
        return {
          partnership_id: actor.partnershipId,
          organisation_id: service.organisationId,
          referring_organisation_id: actor.organisationId,
          referred_by: actor.userId,
          contact_id: contactId,
          service_id: service.id,
          risk_assessment_id: assessment?.id ?? null,
          risk_level: level,
          rule_id: ruleId,
          added_reason: reason,
          consent: input.consent,
          lawful_basis: input.lawfulBasis ?? null,
          consent_decided_by: input.decidedBy ?? actor.userId,
          state: 'sent',
          acknowledge_due_at: new Date(due.acknowledgeBy),
          first_contact_due_at: new Date(due.firstContactBy),
          replaces_referral_id: replaces?.id ?? null,
          unit_type: unitType,
        };
      }),
    )
    .returningAll()
    .execute();
  await store.insertEvents(
    tx,
    inserted.map((row) => ({ referralId: row.id, partnershipId: actor.partnershipId, organisationId: actor.organisationId, from: null, to: 'sent', actorUserId: actor.userId })),
  );
  // Tell it once: the receiving organisation sees the whole contact (a perpetrator's contact is read through the referral only).
  if (contact.callerType !== 'perpetrator') {
    const receivers = new Map(inserted.filter((row) => row.organisation_id !== contactRow.organisation_id).map((row) => [row.organisation_id, row.id]));
    for (const [organisationId, referralId] of receivers) await shareWith(tx, actor, contactId, organisationId, `referral ${referralId}`);
  }
  await audit(
    tx,
    actor,
    inserted.map((row) => ({ action: 'referral.create', recordType: 'referral', recordId: row.id, details: { contactId, serviceId: row.service_id, consent: input.consent } })),
  );
  await markStatus(tx, contactId, 'referred');
  const rows: store.ReferralRow[] = inserted.map((row) => ({
    ...row,
    service_name: directory.get(row.service_id)!.name,
    service_kind: directory.get(row.service_id)!.kind,
    contact_reference: contactRow.reference,
    contact_handler_id: contactRow.handler_user_id,
    contact_caller_type: contactRow.caller_type,
  }));
  return { referrals: rows.map((row) => toView(row, now)) };
}

/** Referrals shown in a list: each one a read of that referral, audited; their clocks as of one moment. */
async function listed(tx: Tx, actor: Actor, rows: store.ReferralRow[]): Promise<ReferralView[]> {
  await audit(tx, actor, rows.map((row) => ({ action: 'referral.list', recordType: 'referral', recordId: row.id })));
  const now = new Date();
  return rows.map((row) => toView(row, now));
}

/** Referrals my organisation sent (the SPOC's queues start here). */
function sentByMyOrganisation(tx: Tx, actor: Actor) {
  return store.selectReferrals(tx).where('r.partnership_id', '=', actor.partnershipId).where('r.referring_organisation_id', '=', actor.organisationId);
}

/** How much work waits for my organisation (counts only, no record shown): for the start page. */
export async function waitingCounts(tx: Tx, actor: Actor) {
  requirePermission(actor, 'referral:read');
  const count = sql<number>`count(*)::int`.as('n');
  const inbox = await tx
    .selectFrom('referrals as r')
    .select(count)
    .where('r.partnership_id', '=', actor.partnershipId)
    .where('r.organisation_id', '=', actor.organisationId)
    .where(store.nextDue, 'is not', null)
    .executeTakeFirstOrThrow();
  const reroute = await tx
    .selectFrom('referrals as r')
    .select(count)
    .where('r.partnership_id', '=', actor.partnershipId)
    .where('r.referring_organisation_id', '=', actor.organisationId)
    .where('r.state', 'in', BACK_TO_SPOC as ReferralState[])
    .where('r.rerouted_at', 'is', null)
    .executeTakeFirstOrThrow();
  const escalations = await tx
    .selectFrom('escalations as e')
    .innerJoin('referrals as r', 'r.id', 'e.referral_id')
    .select(count)
    .where('e.partnership_id', '=', actor.partnershipId)
    .where('r.referring_organisation_id', '=', actor.organisationId)
    .where('r.state', 'in', ['sent', 'acknowledged', 'accepted'])
    .executeTakeFirstOrThrow();
  return { inbox: Number(inbox.n), reroute: Number(reroute.n), openEscalations: Number(escalations.n) };
}

/** The provider inbox: my organisation's referrals, soonest deadline first. */
export async function inbox(tx: Tx, actor: Actor, query: InboxQuery) {
  requirePermission(actor, 'referral:read');
  let q = store.selectReferrals(tx).where('r.organisation_id', '=', actor.organisationId).where('r.partnership_id', '=', actor.partnershipId);
  if (query.state) q = q.where('r.state', '=', query.state);
  const rows = await q
    .orderBy(store.nextDue, (ob) => ob.asc().nullsLast())
    .orderBy('r.created_at')
    .limit(query.perPage)
    .offset((query.page - 1) * query.perPage)
    .execute();
  return { items: await listed(tx, actor, rows), page: query.page, perPage: query.perPage };
}

/** Live referrals my organisation sent (the SPOC's view of its clocks), soonest deadline first. */
export async function sentBy(tx: Tx, actor: Actor) {
  requirePermission(actor, 'escalation:read');
  const rows = await sentByMyOrganisation(tx, actor)
    .where('r.state', 'in', ['sent', 'acknowledged', 'accepted'])
    .orderBy(store.nextDue, (ob) => ob.asc().nullsLast())
    .limit(500)
    .execute();
  return listed(tx, actor, rows);
}

/** What a perpetrator's referral shows: who they are and how to reach them, nothing of any victim. */
function perpetratorSafe(contact: ContactView): Partial<ContactView> {
  const { id, reference, channel, callerType, receivedAt, person, safeContact, needs, status } = contact;
  return { id, reference, channel, callerType, receivedAt, person, safeContact, needs, status };
}

/** The receiving organisation's view: the referral with the whole contact and assessment (tell it once). */
export async function getReferral(tx: Tx, actor: Actor, id: string) {
  requirePermission(actor, 'referral:read');
  const { row } = await loadReferral(tx, actor, id, ['receiver', 'sender'], 'referral.read');
  const contact = contactView({ ...(await tx.selectFrom('contacts').selectAll().where('id', '=', row.contact_id).executeTakeFirstOrThrow()), sharedWith: [] });
  const isPerpetrator = contact.callerType === 'perpetrator';
  const events = await store.eventsOf(tx, id);
  const attempts = await store.attemptsOf(tx, id);
  await audit(tx, actor, { action: 'referral.read', recordType: 'contact', recordId: row.contact_id, details: { referralId: id } });
  return {
    referral: toView(row),
    contact: isPerpetrator ? perpetratorSafe(contact) : { ...contact, sharedWith: undefined },
    assessment: isPerpetrator ? null : await currentAssessmentOf(tx, row.contact_id),
    events: events.map((e) => ({
      from: e.from_state,
      to: e.to_state,
      at: e.at.toISOString(),
      reasonCode: e.reason_code,
      reasonText: e.reason_text,
      redirectServiceId: e.redirect_service_id,
      actorId: e.actor_user_id,
    })),
    attempts: attempts.map((a) => ({ id: a.id, channel: a.channel, outcome: a.outcome, note: a.note, at: a.attempted_at.toISOString(), by: a.attempted_by })),
  };
}

/** Feedback (SPEC §2 step 11): the status history for whoever made the referral, without case notes. */
export async function feedback(tx: Tx, actor: Actor, id: string) {
  requirePermission(actor, 'referral:read');
  const { row } = await loadReferral(tx, actor, id, ['receiver', 'sender', 'referrer'], 'referral.feedback');
  const events = await store.eventsOf(tx, id);
  await audit(tx, actor, { action: 'referral.feedback', recordType: 'referral', recordId: id });
  return {
    referralId: id,
    serviceName: row.service_name,
    state: row.state,
    events: events.map((e) => ({ from: e.from_state, to: e.to_state, at: e.at.toISOString(), reasonCode: e.reason_code, redirectServiceId: e.redirect_service_id })),
  };
}

/** The referrals of one contact, as feedback, for anyone who may read the contact or referred it. */
export async function referralsOfContact(tx: Tx, actor: Actor, contactId: string) {
  requirePermission(actor, 'referral:read');
  const rows = await store.selectReferrals(tx).where('r.contact_id', '=', contactId).orderBy('r.created_at').execute();
  const visible = rows.filter((row) => relationTo(actor, row) !== null);
  if (visible.length === 0) await loadContact(tx, actor, contactId, 'read', 'referral.list');
  return listed(tx, actor, visible);
}

export async function transition(tx: Tx, actor: Actor, id: string, input: Transition) {
  requirePermission(actor, 'referral:act');
  // Locked, so two people acting at once cannot both move it: the second sees the first's result.
  const { row, relation } = await loadReferral(tx, actor, id, ['receiver', 'sender'], 'referral.transition', true);
  const current = row.state as ReferralState;
  const target = input.to as ReferralState;
  if (!canMove(current, target)) {
    throw new Conflict(`A ${current} referral cannot become ${target}`, allowedFrom(current).filter((s) => MOVED_BY[s] !== 'attempts'));
  }
  if (MOVED_BY[target] === 'receiver' && relation !== 'receiver') throw new Forbidden('Only the receiving service can do that');
  const errors: FieldError[] = [];
  if ((target === 'declined' || target === 'closed') && !input.reasonCode) errors.push({ field: '/reasonCode', message: `is required to ${target === 'declined' ? 'decline' : 'close'}` });
  if (target === 'redirected' && !input.redirectServiceId) errors.push({ field: '/redirectServiceId', message: 'is required to redirect' });
  if (target === 'redirected' && input.redirectServiceId) {
    const other = await getService(tx, actor, input.redirectServiceId).catch(() => null);
    if (!other) errors.push({ field: '/redirectServiceId', message: 'is not a service of this partnership' });
  }
  if (errors.length > 0) throw new Invalid(errors);
  const now = new Date();
  // An accepted referral opens a case for the person at the receiving organisation, or joins
  // its open one (first, so the referral is updated once: a second update of a row the
  // transaction already changed would check each of its foreign keys again).
  const caseId = target === 'accepted' ? await openOrJoinCase(tx, actor, row) : row.case_id;
  const changes = {
    state: target,
    updated_at: now,
    // Accepting without a separate acknowledgement acknowledges too.
    ...(row.acknowledged_at === null && target !== 'withdrawn' ? { acknowledged_at: now } : {}),
    ...(caseId !== row.case_id ? { case_id: caseId } : {}),
  };
  await tx.updateTable('referrals').set(changes).where('id', '=', id).execute();
  await store.insertEvent(tx, {
    referralId: id,
    partnershipId: actor.partnershipId,
    organisationId: actor.organisationId,
    from: current,
    to: target,
    actorUserId: actor.userId,
    reasonCode: input.reasonCode ?? null,
    reasonText: input.reasonText ?? null,
    // Only a redirect names another service; anything else sent with another move is not kept.
    redirectServiceId: target === 'redirected' ? (input.redirectServiceId ?? null) : null,
  });
  await audit(tx, actor, { action: 'referral.transition', recordType: 'referral', recordId: id, details: { from: current, to: target } });
  // Accepted onto a group programme: a place on the next course with room, or the waiting list.
  if (target === 'accepted' && caseId && row.service_kind === 'recovery_programme') {
    await joinProgramme(tx, actor, caseId, row.service_id, row.id);
  }
  return toView({ ...row, ...changes, case_id: caseId }, now);
}

/** A contact attempt (SPEC §5): refused unless the channel is marked safe for this person. */
export async function recordContactAttempt(tx: Tx, actor: Actor, id: string, input: NewContactAttempt) {
  requirePermission(actor, 'referral:act');
  const { row } = await loadReferral(tx, actor, id, ['receiver'], 'referral.contact_attempt');
  const state = row.state as ReferralState;
  if (!['accepted', 'first_contact_attempted', 'engaged'].includes(state)) {
    throw new Conflict(`Accept the referral before recording contact attempts (it is ${state})`, allowedFrom(state));
  }
  const contact = contactView({ ...(await tx.selectFrom('contacts').selectAll().where('id', '=', row.contact_id).executeTakeFirstOrThrow()), sharedWith: [] });
  const unsafe = unsafeChannelReason(contact.safeContact, input.channel, input.number);
  if (unsafe) {
    throw new Invalid([{ field: '/channel', message: `safe-contact rule: ${input.channel.replace('_', ' ')} is not safe for this person (${unsafe})` }]);
  }
  const now = new Date();
  const { id: attemptId } = await tx
    .insertInto('contact_attempts')
    .values({
      referral_id: id,
      partnership_id: actor.partnershipId,
      organisation_id: actor.organisationId,
      channel: input.channel,
      outcome: input.outcome,
      note: input.note ?? '',
      attempted_by: actor.userId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  if (state === 'accepted') {
    await tx.updateTable('referrals').set({ state: 'first_contact_attempted', first_contact_at: now, updated_at: now }).where('id', '=', id).execute();
    await store.insertEvent(tx, { referralId: id, partnershipId: actor.partnershipId, organisationId: actor.organisationId, from: state, to: 'first_contact_attempted', actorUserId: actor.userId });
  }
  await audit(tx, actor, { action: 'referral.contact_attempt', recordType: 'referral', recordId: id, details: { attemptId, channel: input.channel, outcome: input.outcome } });
  return { id: attemptId, referral: toView((await store.findReferral(tx, id))!) };
}

/** Declined and redirected referrals waiting for the SPOC to re-route them: never dropped. */
export async function reroutingQueue(tx: Tx, actor: Actor) {
  requirePermission(actor, 'referral:create');
  const rows = await sentByMyOrganisation(tx, actor)
    .where('r.state', 'in', BACK_TO_SPOC as ReferralState[])
    .where('r.rerouted_at', 'is', null)
    .orderBy('r.updated_at')
    .execute();
  return listed(tx, actor, rows);
}

/** Re-routes a declined or redirected referral: to another service, or with the reason none is made. */
export async function reroute(tx: Tx, actor: Actor, id: string, input: Reroute) {
  requirePermission(actor, 'referral:create');
  const { row } = await loadReferral(tx, actor, id, ['sender'], 'referral.reroute');
  if (!BACK_TO_SPOC.includes(row.state as ReferralState) || row.rerouted_at) {
    throw new Conflict('Only a declined or redirected referral that has not been re-routed can be re-routed');
  }
  const now = new Date();
  await tx.updateTable('referrals').set({ rerouted_at: now, rerouted_by: actor.userId, updated_at: now }).where('id', '=', id).execute();
  await audit(tx, actor, { action: 'referral.reroute', recordType: 'referral', recordId: id, details: { serviceId: input.serviceId ?? null } });
  if (!input.serviceId) return { referrals: [] };
  return sendReferrals(
    tx,
    actor,
    row.contact_id,
    { referrals: [{ serviceId: input.serviceId, reason: input.reason }], consent: row.consent as NewReferrals['consent'], ...(row.lawful_basis ? { lawfulBasis: row.lawful_basis } : {}) },
    row,
  );
}
