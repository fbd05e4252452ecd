/**
 * Cases (SPEC §2 steps 9–11): people recognised again by a person, one organisation's case
 * per episode of support, and the work on it. A case is seen and changed only by its own
 * organisation; notes a worker marks sensitive never leave it.
 */
import { sql } from 'kysely';
import { forPurpose, type Tx } from '../../db/transaction.js';
import { Conflict, Invalid, NotFound, Refused, type FieldError } from '../../lib/errors.js';
import { activeKeyring, decrypt, decryptValues, encrypt, encryptValues, openPhones, phoneHash, phoneMatchTerms, sealPhones } from '../../lib/crypto.js';
import { toJson } from '../../lib/json.js';
import { normalisePostcode, phoneDigits } from '../../lib/schema.js';
import { requirePermission, type Actor } from '../access/actor.js';
import { serviceChecksOn } from '../access/checks.js';
import { audit } from '../access/audit.js';
import { hasPermission, isRole } from '../access/policy.js';
import { findHub } from '../access/store.js';
import { loadContact } from '../contacts/service.js';
import { recheckRepeat } from '../marac/service.js';
import { EQUALITY_COLUMNS, EQUALITY_KEYS, type EqualityQuestion } from './equality.js';
import { rank, scoreCandidate, type PersonFacts } from './matching.js';
import type {
  CaseListQuery,
  CasePerpetrator,
  CaseView,
  CloseCase,
  HouseholdMember,
  MatchDecision,
  MatchView,
  NewAction,
  NewNote,
  NewOutcome,
  NewSafetyPlan,
  PersonPatch,
  TimelineEntry,
} from './schema.js';
import * as store from './store.js';
import { DEFAULT_SAFETY_PLAN, type PlanSection } from './templates.js';
import { londonToday } from '../../lib/dates.js';

const today = londonToday;

// ── people and repeat recognition ─────────────────────────────────────────────────────

interface ContactPerson {
  name?: string;
  otherNames?: string[];
  dateOfBirth?: string;
  gender?: string;
  postcode?: string;
  phones?: string[];
}

function factsOf(contact: { person: Record<string, unknown>; safe_contact: Record<string, unknown> }): PersonFacts & { person: ContactPerson } {
  const person = contact.person as ContactPerson;
  const safePhones = ((contact.safe_contact.phones ?? []) as Array<{ number: string }>).map((p) => p.number);
  const digits = [...new Set([...(person.phones ?? []), ...safePhones].map(phoneDigits).filter((d) => d.length >= 6))];
  return {
    person,
    names: [person.name, ...(person.otherNames ?? [])].filter((n): n is string => Boolean(n)),
    dateOfBirth: person.dateOfBirth ?? null,
    phoneDigits: digits,
    postcode: person.postcode ?? null,
  };
}

/** The contact's facts as scoring compares them: its numbers as the keyed hashes people's rows hold. */
function scoringFacts(facts: PersonFacts): PersonFacts {
  return { ...facts, phoneDigits: phoneMatchTerms(facts.phoneDigits) };
}

function personSummary(row: { id: string; name: string; other_names: string[]; date_of_birth: string | null; gender: string | null; postcode: string | null }) {
  return { id: row.id, name: row.name, otherNames: row.other_names, dateOfBirth: row.date_of_birth, gender: row.gender, postcode: row.postcode };
}

/** Whether the actor works in the partnership's SPOC hub (it recognises people across the partnership). */
async function inHub(tx: Tx, actor: Actor): Promise<boolean> {
  return (await findHub(tx, actor.partnershipId))?.id === actor.organisationId;
}

/**
 * The organisations holding cases for these people, as far as the actor may know of them:
 * the SPOC hub sees every partner's involvement (it routes to them); anyone else only
 * their own organisation's.
 */
async function knownTo(tx: Tx, actor: Actor, personIds: string[], hub: boolean) {
  // The hub reads every partner's cases for this, organisation and state only (0021_row_security.sql).
  const rows = await forPurpose(tx, 'known_to', () => store.casesOfPeople(tx, personIds));
  const byPerson = new Map<string, Array<{ organisationId: string; organisationName: string; caseState: string }>>();
  for (const row of rows) {
    if (!hub && row.organisation_id !== actor.organisationId) continue;
    const list = byPerson.get(row.person_id) ?? [];
    if (!list.some((k) => k.organisationId === row.organisation_id && k.caseState === row.state)) {
      list.push({ organisationId: row.organisation_id, organisationName: row.organisation_name, caseState: row.state });
    }
    byPerson.set(row.person_id, list);
  }
  return byPerson;
}

/** Known people the actor may be shown as candidates: all of the partnership's for the hub, else those its organisation knows. */
function mayConsider(actor: Actor, hub: boolean, person: { organisation_id: string }, known: readonly { organisationId: string }[]): boolean {
  return hub || person.organisation_id === actor.organisationId || known.some((k) => k.organisationId === actor.organisationId);
}

/** Repeat recognition is for victims: a perpetrator's contact is never matched against them, nor shown them. */
function refusePerpetrator(contact: { caller_type: string }): void {
  if (contact.caller_type === 'perpetrator') {
    throw new Conflict('A contact from someone seeking help with their own behaviour is not matched against the people we support');
  }
}

/** Candidate matches for the person a contact is about, ranked with reasons; the linked person if one is confirmed. */
export async function matchesFor(tx: Tx, actor: Actor, contactId: string): Promise<MatchView> {
  requirePermission(actor, 'person:match');
  const contact = await loadContact(tx, actor, contactId, 'read', 'person.match');
  refusePerpetrator(contact);
  const facts = factsOf(contact);
  const hub = await inHub(tx, actor);
  const rows = await store.findCandidates(tx, {
    partnershipId: actor.partnershipId,
    name: store.searchName(facts.names),
    dateOfBirth: facts.dateOfBirth ?? null,
    phoneDigits: [...facts.phoneDigits],
    postcode: facts.postcode ?? null,
    limit: 50,
  });
  const linkedId = contact.person_id;
  const known = await knownTo(tx, actor, [...rows.map((r) => r.id), ...(linkedId ? [linkedId] : [])], hub);
  const visible = rows.filter((r) => r.id !== linkedId && mayConsider(actor, hub, r, known.get(r.id) ?? []));
  const ranked = rank(
    scoringFacts(facts),
    visible.map((r) => ({ ...r, names: [r.name, ...r.other_names], dateOfBirth: r.date_of_birth, phoneDigits: r.phone_digits, nameSimilarity: Number(r.name_similarity) })),
  );
  const rejected = await store.rejectedFor(tx, contactId);
  const linked = linkedId ? await store.findPerson(tx, linkedId) : undefined;
  await audit(tx, actor, [
    { action: 'person.match', recordType: 'contact', recordId: contactId, details: { candidates: ranked.length } },
    ...ranked.map((m) => ({ action: 'person.match_candidate', recordType: 'person', recordId: m.candidate.id, details: { contactId } })),
  ]);
  return {
    contactId,
    linkedPerson: linked ? personSummary(linked) : null,
    knownTo: linkedId ? (known.get(linkedId) ?? []) : [],
    candidates: ranked.map((m) => ({
      person: personSummary(m.candidate),
      score: m.score,
      reasons: m.reasons,
      knownTo: known.get(m.candidate.id) ?? [],
      rejected: rejected.has(m.candidate.id),
    })),
  };
}

/** A person's decision on a proposed match: recorded either way; a confirmation links the contact to the person. */
export async function decideMatch(tx: Tx, actor: Actor, contactId: string, input: MatchDecision): Promise<MatchView> {
  requirePermission(actor, 'person:match');
  const contact = await loadContact(tx, actor, contactId, 'read', 'person.decide', true);
  refusePerpetrator(contact);
  const person = await store.findPerson(tx, input.personId);
  const hub = await inHub(tx, actor);
  const known = person ? ((await knownTo(tx, actor, [person.id], hub)).get(person.id) ?? []) : [];
  if (!person || person.partnership_id !== actor.partnershipId || person.role !== 'victim' || !mayConsider(actor, hub, person, known)) {
    throw Invalid.field('/personId', 'is not a person you can match this contact to');
  }
  if (input.decision === 'confirmed' && contact.person_id && contact.person_id !== person.id) {
    throw new Conflict('This contact is already linked to another person; ask a coordinator to correct the link');
  }
  const facts = factsOf(contact);
  const { score, reasons } = scoreCandidate(scoringFacts(facts), {
    names: [person.name, ...person.other_names],
    dateOfBirth: person.date_of_birth,
    phoneDigits: person.phone_digits,
    postcode: person.postcode,
    nameSimilarity: 0,
  });
  const confirmed = input.decision === 'confirmed';
  await store.insertDecision(tx, { partnershipId: actor.partnershipId, contactId, personId: person.id, decision: input.decision, score, reasons, decidedBy: actor.userId }, confirmed);
  if (confirmed) {
    // Knowing who it is may show a MARAC referral to be a repeat.
    await recheckRepeat(tx, contactId);
  }
  await audit(tx, actor, { action: `person.match_${input.decision}`, recordType: 'contact', recordId: contactId, details: { personId: person.id } });
  return matchesFor(tx, actor, contactId);
}

/** A new person from what the contact recorded (nobody known matched). */
export async function createPersonFromContact(tx: Tx, actor: Actor, contactId: string): Promise<MatchView> {
  requirePermission(actor, 'person:match');
  const contact = await loadContact(tx, actor, contactId, 'read', 'person.create', true);
  refusePerpetrator(contact);
  if (contact.person_id) throw new Conflict('This contact is already linked to a person');
  await newPersonFor(tx, actor, contact);
  return matchesFor(tx, actor, contactId);
}

async function newPersonFor(tx: Tx, actor: Actor, contact: Parameters<typeof factsOf>[0] & { id: string; caller_type: string }): Promise<string> {
  const facts = factsOf(contact);
  const person = await store.insertPerson(tx, {
    // Someone seeking help with their own behaviour is kept apart from victims, never matched to one.
    role: contact.caller_type === 'perpetrator' ? 'perpetrator' : 'victim',
    partnershipId: actor.partnershipId,
    organisationId: actor.organisationId,
    name: facts.person.name ?? '',
    otherNames: facts.person.otherNames ?? [],
    dateOfBirth: facts.dateOfBirth ?? null,
    gender: facts.person.gender ?? null,
    postcode: facts.postcode ?? null,
    phoneDigits: [...facts.phoneDigits],
    contactId: contact.id,
    createdBy: actor.userId,
  });
  await store.insertDecision(tx, { partnershipId: actor.partnershipId, contactId: contact.id, personId: person.id, decision: 'created', score: null, reasons: [], decidedBy: actor.userId }, true);
  await audit(tx, actor, { action: 'person.create', recordType: 'person', recordId: person.id, details: { contactId: contact.id } });
  return person.id;
}

// ── cases ──────────────────────────────────────────────────────────────────────────────

/**
 * An accepted referral opens a case for its person at the receiving organisation, or joins
 * the one already open there. A contact not yet linked to anyone gets a new person (nothing
 * is merged: a later match can still be confirmed by a person). Returns the case's id, for
 * the caller to set on the referral (transition, in the referrals service, which is updating it).
 */
export async function openOrJoinCase(tx: Tx, actor: Actor, referral: { id: string; contact_id: string; organisation_id: string }): Promise<string> {
  const contact = await tx.selectFrom('contacts').selectAll().where('id', '=', referral.contact_id).forUpdate().executeTakeFirstOrThrow();
  const personId = contact.person_id ?? (await newPersonFor(tx, actor, contact));
  // A person made just now has no case anywhere yet.
  const open = contact.person_id ? await store.findOpenCase(tx, referral.organisation_id, personId) : undefined;
  const caseId =
    open?.id ??
    (await store.insertCase(tx, { partnershipId: actor.partnershipId, organisationId: referral.organisation_id, personId, openedBy: actor.userId, caseworkerId: actor.userId })).id;
  await audit(tx, actor, { action: open ? 'case.join' : 'case.open', recordType: 'case', recordId: caseId, details: { referralId: referral.id } });
  return caseId;
}

/** A case of the actor's own organisation, or Refused (audited, answered as not found). */
async function loadCase(tx: Tx, actor: Actor, id: string, write: boolean, action: string) {
  requirePermission(actor, write ? 'case:write' : 'case:read');
  const row = await store.findCase(tx, id, write);
  if (!row || (serviceChecksOn() && (row.partnership_id !== actor.partnershipId || row.organisation_id !== actor.organisationId))) {
    throw new Refused('Case', { action, recordType: 'case', recordId: id });
  }
  if (write && row.state !== 'open' && action !== 'case.outcome') throw new Conflict('This case is closed');
  return row;
}

/**
 * An open case of the actor's organisation and the contact that most recently led to it,
 * for referring on from the case (e.g. to a refuge): the contact is shared with the
 * organisation through that referral, so it can be sent on without being owned.
 */
export async function caseToReferFrom(tx: Tx, actor: Actor, caseId: string) {
  const row = await loadCase(tx, actor, caseId, true, 'case.refer_on');
  const latest = await tx.selectFrom('referrals').select('contact_id').where('case_id', '=', caseId).orderBy('created_at', 'desc').limit(1).executeTakeFirst();
  if (!latest) throw new Conflict('This case has no referral to refer on from');
  return { caseId: row.id, personId: row.person_id, contactId: latest.contact_id };
}

/** A case of the actor's organisation, as its list shows it (Refused, audited, otherwise). */
export async function getCaseSummary(tx: Tx, actor: Actor, caseId: string) {
  return caseSummary(await loadCase(tx, actor, caseId, false, 'case.read'));
}

function caseSummary(row: store.CaseRow) {
  return {
    id: row.id,
    reference: row.reference,
    organisationId: row.organisation_id,
    state: row.state,
    person: { id: row.person_id, name: row.person_name, otherNames: row.person_other_names, dateOfBirth: row.person_dob, gender: row.person_gender, postcode: row.person_postcode },
    caseworkerId: row.caseworker_id,
    caseworkerName: row.caseworker_name,
    openedAt: row.opened_at.toISOString(),
    closedAt: row.closed_at?.toISOString() ?? null,
  };
}

export async function listCases(tx: Tx, actor: Actor, query: CaseListQuery) {
  requirePermission(actor, 'case:read');
  let q = store.selectCases(tx).where('k.partnership_id', '=', actor.partnershipId).where('k.organisation_id', '=', actor.organisationId);
  if (query.state) q = q.where('k.state', '=', query.state);
  const rows = await q.orderBy('k.opened_at', 'desc').limit(500).execute();
  await audit(tx, actor, rows.map((row) => ({ action: 'case.list', recordType: 'case', recordId: row.id })));
  return rows.map(caseSummary);
}

function planView(plan: NonNullable<Awaited<ReturnType<typeof store.latestPlan>>>) {
  const content = decryptValues(plan.content);
  return {
    id: plan.id,
    version: plan.version,
    templateId: plan.template_id,
    title: plan.title,
    sections: plan.template_sections.map((s) => ({ id: s.id, title: s.title, text: content[s.id] ?? '' })),
    reviewOn: plan.review_on,
    createdBy: plan.created_by,
    createdAt: plan.created_at.toISOString(),
  };
}

export async function getCase(tx: Tx, actor: Actor, id: string): Promise<CaseView> {
  const row = await loadCase(tx, actor, id, false, 'case.read');
  const [referrals, household, perpetrators, actions, plan, outcomes] = [
    await tx
      .selectFrom('referrals as r')
      .innerJoin('services as s', 's.id', 'r.service_id')
      .select(['r.id', 'r.contact_id', 'r.service_id', 's.name as service_name', 'r.state'])
      .where('r.case_id', '=', id)
      .orderBy('r.created_at')
      .execute(),
    await tx.selectFrom('household_members').selectAll().where('case_id', '=', id).orderBy('created_at').execute(),
    await tx.selectFrom('case_perpetrators').selectAll().where('case_id', '=', id).orderBy('created_at').execute(),
    await tx.selectFrom('case_actions as a').innerJoin('users as u', 'u.id', 'a.owner_id').selectAll('a').select('u.name as owner_name').where('a.case_id', '=', id).orderBy('a.due_on').execute(),
    await store.latestPlan(tx, id),
    await tx.selectFrom('outcome_measures').selectAll().where('case_id', '=', id).orderBy('recorded_at').execute(),
  ];
  await audit(tx, actor, { action: 'case.read', recordType: 'case', recordId: id });
  return {
    ...caseSummary(row),
    closureReason: row.closure_reason,
    closureNote: row.closure_note,
    referrals: referrals.map((r) => ({ id: r.id, contactId: r.contact_id, serviceId: r.service_id, serviceName: r.service_name, state: r.state })),
    household: household.map((h) => ({
      id: h.id,
      relationship: h.relationship as HouseholdMember['relationship'],
      livesWithPerson: h.lives_with_person,
      ...(h.name ? { name: h.name } : {}),
      ...(h.date_of_birth ? { dateOfBirth: h.date_of_birth } : {}),
      ...(h.school ? { school: h.school } : {}),
    })),
    perpetrators: perpetrators.map((p) => ({
      id: p.id,
      relationship: p.relationship as CasePerpetrator['relationship'],
      ...(p.name ? { name: p.name } : {}),
      otherNames: p.other_names,
      ...(p.date_of_birth ? { dateOfBirth: p.date_of_birth } : {}),
      phones: p.phones.map((n) => decrypt(n)),
      vehicles: p.vehicles,
      addresses: p.addresses.map((a) => decrypt(a)),
      identifiers: p.identifiers,
    })),
    actions: actions.map((a) => ({ id: a.id, title: a.title, ownerId: a.owner_id, ownerName: a.owner_name, dueOn: a.due_on, doneAt: a.done_at?.toISOString() ?? null, overdue: !a.done_at && a.due_on < today() })),
    safetyPlan: plan ? planView(plan) : null,
    outcomes: outcomes.map((o) => ({ id: o.id, stage: o.stage as NewOutcome['stage'], abuse: o.abuse as NewOutcome['abuse'], feelingSafe: o.feeling_safe, wellbeing: o.wellbeing, recordedAt: o.recorded_at.toISOString() })),
  };
}

function checkNotFuture(date: string | undefined, field: string, errors: FieldError[]) {
  if (date !== undefined && date > today()) errors.push({ field, message: 'must not be in the future' });
}

/** The person of a case, identifiers included (for the case's own organisation). */
export async function personOfCase(tx: Tx, actor: Actor, caseId: string) {
  const row = await loadCase(tx, actor, caseId, false, 'person.read');
  const person = (await store.findPerson(tx, row.person_id))!;
  await audit(tx, actor, { action: 'person.read', recordType: 'person', recordId: person.id, details: { caseId } });
  const equality = Object.fromEntries(EQUALITY_KEYS.map((key) => [key, person[EQUALITY_COLUMNS[key]]]));
  return { ...personSummary(person), phoneDigits: openPhones(person.phone_digits), identifiers: person.identifiers, equality };
}

/** Corrects or adds to what is known of the case's person: other names, identifiers, numbers (matching uses them). */
export async function updatePerson(tx: Tx, actor: Actor, caseId: string, patch: PersonPatch) {
  const row = await loadCase(tx, actor, caseId, true, 'person.update');
  const errors: FieldError[] = [];
  checkNotFuture(patch.dateOfBirth, '/dateOfBirth', errors);
  if (errors.length > 0) throw new Invalid(errors);
  const current = (await store.findPerson(tx, row.person_id))!;
  const name = patch.name ?? current.name;
  const otherNames = patch.otherNames ?? current.other_names;
  await tx
    .updateTable('people')
    .set({
      name,
      other_names: otherNames,
      search_name: store.searchName([name, ...otherNames]),
      ...(patch.dateOfBirth !== undefined ? { date_of_birth: patch.dateOfBirth } : {}),
      ...(patch.gender !== undefined ? { gender: patch.gender } : {}),
      ...(patch.postcode !== undefined ? { postcode: normalisePostcode(patch.postcode) } : {}),
      ...(patch.phones !== undefined ? { phone_digits: sealPhones(patch.phones.map(phoneDigits)) } : {}),
      ...(patch.identifiers !== undefined ? { identifiers: toJson(patch.identifiers) } : {}),
      ...Object.fromEntries(Object.entries(patch.equality ?? {}).map(([key, value]) => [EQUALITY_COLUMNS[key as EqualityQuestion], value ?? null])),
      updated_at: new Date(),
    })
    .where('id', '=', row.person_id)
    .execute();
  const fields = [...Object.keys(patch).filter((k) => k !== 'equality'), ...Object.keys(patch.equality ?? {}).map((k) => `equality.${k}`)].sort();
  await audit(tx, actor, { action: 'person.update', recordType: 'person', recordId: row.person_id, details: { caseId, fields } });
  return personOfCase(tx, actor, caseId);
}

export async function addHouseholdMember(tx: Tx, actor: Actor, caseId: string, input: HouseholdMember) {
  const row = await loadCase(tx, actor, caseId, true, 'case.household');
  const errors: FieldError[] = [];
  checkNotFuture(input.dateOfBirth, '/dateOfBirth', errors);
  if (errors.length > 0) throw new Invalid(errors);
  const { id } = await tx
    .insertInto('household_members')
    .values({
      partnership_id: row.partnership_id,
      organisation_id: row.organisation_id,
      case_id: caseId,
      name: input.name ?? '',
      date_of_birth: input.dateOfBirth ?? null,
      relationship: input.relationship,
      school: input.school ?? '',
      lives_with_person: input.livesWithPerson ?? true,
      created_by: actor.userId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await audit(tx, actor, { action: 'case.household_add', recordType: 'case', recordId: caseId, details: { memberId: id } });
  return getCase(tx, actor, caseId);
}

export async function addPerpetrator(tx: Tx, actor: Actor, caseId: string, input: CasePerpetrator) {
  const row = await loadCase(tx, actor, caseId, true, 'case.perpetrator');
  const errors: FieldError[] = [];
  checkNotFuture(input.dateOfBirth, '/dateOfBirth', errors);
  if (errors.length > 0) throw new Invalid(errors);
  const phones = input.phones ?? [];
  const keyring = activeKeyring();
  const { id } = await tx
    .insertInto('case_perpetrators')
    .values({
      partnership_id: row.partnership_id,
      organisation_id: row.organisation_id,
      case_id: caseId,
      name: input.name ?? '',
      other_names: input.otherNames ?? [],
      date_of_birth: input.dateOfBirth ?? null,
      relationship: input.relationship,
      // The numbers and addresses sealed; the numbers' keyed hashes for the perpetrator alert to match on.
      phones: phones.map((n) => encrypt(n, keyring)),
      phone_digits: [...new Set(phones.map(phoneDigits))].map((d) => phoneHash(d, keyring.current)),
      vehicles: input.vehicles ?? [],
      addresses: (input.addresses ?? []).map((a) => encrypt(a, keyring)),
      identifiers: toJson(input.identifiers ?? {}),
      created_by: actor.userId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await audit(tx, actor, { action: 'case.perpetrator_add', recordType: 'case', recordId: caseId, details: { perpetratorId: id } });
  return getCase(tx, actor, caseId);
}

/**
 * The contacts behind cases that record an alleged perpetrator with this number (the
 * perpetrator alert, SPEC §5): a system check that answers ids only, audited.
 */
export async function casePerpetratorNumberMatches(tx: Tx, actor: Actor, number: string): Promise<string[]> {
  const digits = phoneDigits(number);
  if (digits.length < 6) return [];
  const query = tx
    .selectFrom('case_perpetrators as cp')
    .innerJoin('referrals as r', 'r.case_id', 'cp.case_id')
    .select('r.contact_id')
    .distinct()
    .where('cp.partnership_id', '=', actor.partnershipId)
    .where(sql<boolean>`cp.phone_digits && ${phoneMatchTerms([digits])}::text[]`);
  // Every case of the partnership is searched, whoever holds it: only contact ids come back (0021_row_security.sql).
  const rows = await forPurpose(tx, 'perpetrator_check', () => query.execute());
  if (rows.length > 0) await audit(tx, actor, rows.map((r) => ({ action: 'case.perpetrator_number_match', recordType: 'contact', recordId: r.contact_id })));
  return rows.map((r) => r.contact_id);
}

function noteView(n: Awaited<ReturnType<typeof store.notesVisibleTo>>[number]) {
  return {
    id: n.id,
    caseId: n.case_id,
    organisationId: n.organisation_id,
    organisationName: n.organisation_name,
    body: n.body,
    sensitive: n.sensitive,
    supersedesId: n.supersedes_id,
    authorId: n.author_id,
    createdAt: n.created_at.toISOString(),
  };
}

export async function addNote(tx: Tx, actor: Actor, caseId: string, input: NewNote) {
  const row = await loadCase(tx, actor, caseId, true, 'case.note');
  if (input.supersedesId) {
    const old = await tx.selectFrom('case_notes').select(['case_id']).where('id', '=', input.supersedesId).executeTakeFirst();
    if (!old || old.case_id !== caseId) throw Invalid.field('/supersedesId', 'is not a note of this case');
  }
  const { id } = await tx
    .insertInto('case_notes')
    .values({
      partnership_id: row.partnership_id,
      organisation_id: row.organisation_id,
      case_id: caseId,
      person_id: row.person_id,
      body: encrypt(input.body),
      sensitive: input.sensitive ?? false,
      supersedes_id: input.supersedesId ?? null,
      author_id: actor.userId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await audit(tx, actor, { action: 'case.note_add', recordType: 'case', recordId: caseId, details: { noteId: id, sensitive: input.sensitive ?? false } });
  const notes = await store.notesVisibleTo(tx, row.person_id, actor.organisationId);
  return noteView(notes.find((n) => n.id === id)!);
}

/**
 * The notes on this person that the actor's organisation may read: all of its own, and
 * other organisations' notes on the same person unless marked sensitive (joint working).
 */
export async function listNotes(tx: Tx, actor: Actor, caseId: string) {
  const row = await loadCase(tx, actor, caseId, false, 'case.notes');
  const notes = await store.notesVisibleTo(tx, row.person_id, actor.organisationId);
  await audit(tx, actor, { action: 'case.notes_read', recordType: 'case', recordId: caseId, details: { notes: notes.length } });
  return notes.map(noteView);
}

/** The people of the actor's organisation who can own a case's actions. */
export async function colleagues(tx: Tx, actor: Actor) {
  requirePermission(actor, 'case:write');
  const users = await tx.selectFrom('users').select(['id', 'name', 'roles']).where('organisation_id', '=', actor.organisationId).where('status', '=', 'active').orderBy('name').execute();
  return users.filter((u) => hasPermission(u.roles.filter(isRole), 'case:write')).map((u) => ({ id: u.id, name: u.name }));
}

export async function addAction(tx: Tx, actor: Actor, caseId: string, input: NewAction) {
  const row = await loadCase(tx, actor, caseId, true, 'case.action');
  const ownerId = input.ownerId ?? actor.userId;
  const owner = await tx.selectFrom('users').select('id').where('id', '=', ownerId).where('organisation_id', '=', row.organisation_id).executeTakeFirst();
  if (!owner) throw Invalid.field('/ownerId', 'is not a member of this organisation');
  const { id } = await tx
    .insertInto('case_actions')
    .values({ partnership_id: row.partnership_id, organisation_id: row.organisation_id, case_id: caseId, title: input.title, owner_id: ownerId, due_on: input.dueOn, created_by: actor.userId })
    .returning('id')
    .executeTakeFirstOrThrow();
  await audit(tx, actor, { action: 'case.action_add', recordType: 'case', recordId: caseId, details: { actionId: id } });
  return getCase(tx, actor, caseId);
}

export async function completeAction(tx: Tx, actor: Actor, caseId: string, actionId: string) {
  await loadCase(tx, actor, caseId, true, 'case.action_done');
  const done = await tx
    .updateTable('case_actions')
    .set({ done_at: new Date(), done_by: actor.userId })
    .where('id', '=', actionId)
    .where('case_id', '=', caseId)
    .where('done_at', 'is', null)
    .returning('id')
    .executeTakeFirst();
  if (!done) {
    const exists = await tx.selectFrom('case_actions').select('done_at').where('id', '=', actionId).where('case_id', '=', caseId).executeTakeFirst();
    if (exists) throw new Conflict('This action is already done');
    throw new NotFound('Action on this case');
  }
  await audit(tx, actor, { action: 'case.action_done', recordType: 'case', recordId: caseId, details: { actionId } });
  return getCase(tx, actor, caseId);
}

// ── safety plans ───────────────────────────────────────────────────────────────────────

/** The partnership's safety-plan templates (the default is installed the first time). */
export async function listTemplates(tx: Tx, actor: Actor) {
  requirePermission(actor, 'case:read');
  let rows = await tx.selectFrom('safety_plan_templates').selectAll().where('partnership_id', '=', actor.partnershipId).orderBy('code').orderBy('version', 'desc').execute();
  if (rows.length === 0) {
    await tx
      .insertInto('safety_plan_templates')
      .values({ partnership_id: actor.partnershipId, code: DEFAULT_SAFETY_PLAN.code, version: 1, title: DEFAULT_SAFETY_PLAN.title, sections: toJson(DEFAULT_SAFETY_PLAN.sections) })
      .onConflict((oc) => oc.columns(['partnership_id', 'code', 'version']).doNothing())
      .execute();
    rows = await tx.selectFrom('safety_plan_templates').selectAll().where('partnership_id', '=', actor.partnershipId).execute();
  }
  return rows.map((t) => ({ id: t.id, code: t.code, version: t.version, title: t.title, sections: t.sections as PlanSection[] }));
}

/** A new version of the case's safety plan, from a template; older versions are kept. */
export async function writeSafetyPlan(tx: Tx, actor: Actor, caseId: string, input: NewSafetyPlan) {
  const row = await loadCase(tx, actor, caseId, true, 'case.safety_plan');
  const template = (await listTemplates(tx, actor)).find((t) => t.id === input.templateId);
  const errors: FieldError[] = [];
  if (!template) errors.push({ field: '/templateId', message: 'is not a safety-plan template of this partnership' });
  for (const key of Object.keys(input.sections)) {
    if (template && !template.sections.some((s) => s.id === key)) errors.push({ field: `/sections/${key}`, message: 'is not a section of this template' });
  }
  if (template && Object.values(input.sections).every((text) => !text.trim())) errors.push({ field: '/sections', message: 'write at least one section' });
  if (input.reviewOn < today()) errors.push({ field: '/reviewOn', message: 'must be today or later' });
  if (errors.length > 0) throw new Invalid(errors);
  const previous = await store.latestPlan(tx, caseId);
  const version = (previous?.version ?? 0) + 1;
  const { id } = await tx
    .insertInto('safety_plans')
    .values({
      partnership_id: row.partnership_id,
      organisation_id: row.organisation_id,
      case_id: caseId,
      version,
      template_id: input.templateId,
      content: toJson(encryptValues(input.sections)),
      review_on: input.reviewOn,
      created_by: actor.userId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
  await audit(tx, actor, { action: 'case.safety_plan', recordType: 'case', recordId: caseId, details: { planId: id, version } });
  return planView((await store.latestPlan(tx, caseId))!);
}

/** Every version of the case's safety plan, newest first. */
export async function safetyPlanVersions(tx: Tx, actor: Actor, caseId: string) {
  await loadCase(tx, actor, caseId, false, 'case.safety_plan_read');
  const rows = await tx
    .selectFrom('safety_plans as s')
    .innerJoin('safety_plan_templates as t', 't.id', 's.template_id')
    .selectAll('s')
    .select(['t.title', 't.sections as template_sections'])
    .where('s.case_id', '=', caseId)
    .orderBy('s.version', 'desc')
    .execute();
  await audit(tx, actor, { action: 'case.safety_plan_read', recordType: 'case', recordId: caseId });
  return rows.map(planView);
}

// ── outcomes and closure ───────────────────────────────────────────────────────────────

export async function recordOutcome(tx: Tx, actor: Actor, caseId: string, input: NewOutcome) {
  const row = await loadCase(tx, actor, caseId, true, 'case.outcome');
  if (row.state === 'closed' && input.stage === 'intake') throw new Conflict('This case is closed');
  await tx
    .insertInto('outcome_measures')
    .values({
      partnership_id: row.partnership_id,
      organisation_id: row.organisation_id,
      case_id: caseId,
      stage: input.stage,
      abuse: toJson(input.abuse),
      feeling_safe: input.feelingSafe,
      wellbeing: input.wellbeing,
      recorded_by: actor.userId,
    })
    .execute();
  await audit(tx, actor, { action: 'case.outcome', recordType: 'case', recordId: caseId, details: { stage: input.stage } });
  return getCase(tx, actor, caseId);
}

export async function closeCase(tx: Tx, actor: Actor, caseId: string, input: CloseCase) {
  await loadCase(tx, actor, caseId, true, 'case.close');
  await tx
    .updateTable('cases')
    .set({ state: 'closed', closed_at: new Date(), closed_by: actor.userId, closure_reason: input.reason, closure_note: input.note ? encrypt(input.note) : null })
    .where('id', '=', caseId)
    .execute();
  await audit(tx, actor, { action: 'case.close', recordType: 'case', recordId: caseId, details: { reason: input.reason } });
  return getCase(tx, actor, caseId);
}

// ── the caseworker's tasks and the timeline ───────────────────────────────────────────

/** Open actions the actor owns, and safety-plan reviews due within a week on their organisation's open cases. */
export async function tasks(tx: Tx, actor: Actor) {
  requirePermission(actor, 'case:read');
  const now = today();
  const soon = new Date(Date.now() + 7 * 86_400_000).toISOString().slice(0, 10);
  const actions = await tx
    .selectFrom('case_actions as a')
    .innerJoin('cases as k', 'k.id', 'a.case_id')
    .select(['a.id', 'a.title', 'a.due_on', 'a.case_id', 'k.reference'])
    .where('a.owner_id', '=', actor.userId)
    .where('a.done_at', 'is', null)
    .where('k.state', '=', 'open')
    .orderBy('a.due_on')
    .execute();
  const reviews = await tx
    .selectFrom('safety_plans as s')
    .innerJoin('cases as k', 'k.id', 's.case_id')
    .select(['s.case_id', 's.review_on', 'k.reference'])
    .where('k.organisation_id', '=', actor.organisationId)
    .where('k.state', '=', 'open')
    .where('s.review_on', '<=', soon)
    .where(({ eb, selectFrom }) => eb('s.version', '=', selectFrom('safety_plans as l').select(({ fn }) => fn.max('l.version').as('v')).whereRef('l.case_id', '=', 's.case_id')))
    .orderBy('s.review_on')
    .execute();
  await audit(tx, actor, [...new Set([...actions.map((a) => a.case_id), ...reviews.map((r) => r.case_id)])].map((id) => ({ action: 'case.tasks', recordType: 'case', recordId: id })));
  return [
    ...actions.map((a) => ({ kind: 'action' as const, caseId: a.case_id, caseReference: a.reference, title: a.title, dueOn: a.due_on, overdue: a.due_on < now, actionId: a.id })),
    ...reviews.map((r) => ({ kind: 'safety_plan_review' as const, caseId: r.case_id, caseReference: r.reference, title: 'Review the safety plan', dueOn: r.review_on, overdue: r.review_on < now, actionId: null })),
  ].sort((a, b) => a.dueOn.localeCompare(b.dueOn));
}

/** Everything that happened on a case, oldest first: contacts, assessments, referral events, notes, plans, actions, outcomes. */
export async function timeline(tx: Tx, actor: Actor, caseId: string): Promise<TimelineEntry[]> {
  const row = await loadCase(tx, actor, caseId, false, 'case.timeline');
  const org = await tx.selectFrom('organisations').select('name').where('id', '=', row.organisation_id).executeTakeFirstOrThrow();
  const own = org.name;
  const entries: TimelineEntry[] = [];
  const add = (at: Date | string, kind: string, title: string, detail: string, recordId: string, organisationName = own) =>
    entries.push({ at: typeof at === 'string' ? at : at.toISOString(), kind, title, detail, organisationName, recordId });

  const referrals = await tx
    .selectFrom('referrals as r')
    .innerJoin('contacts as c', 'c.id', 'r.contact_id')
    .innerJoin('services as s', 's.id', 'r.service_id')
    .innerJoin('organisations as o', 'o.id', 'c.organisation_id')
    .select(['r.id', 'r.contact_id', 'r.case_id', 'c.reference', 'c.received_at', 'c.channel', 's.name as service_name', 'o.name as contact_org'])
    .where((eb) => eb.or([eb('r.case_id', '=', caseId), eb('r.referring_case_id', '=', caseId)]))
    .execute();
  const contactIds = [...new Set(referrals.filter((r) => r.case_id === caseId).map((r) => r.contact_id))];
  for (const contactId of contactIds) {
    const r = referrals.find((x) => x.contact_id === contactId)!;
    add(r.received_at, 'contact', `Contact ${r.reference}`, `By ${r.channel.replace(/_/g, ' ')}`, contactId, r.contact_org);
  }
  if (contactIds.length > 0) {
    const assessments = await tx.selectFrom('risk_assessments').select(['id', 'completed_at', 'level', 'yes_count']).where('contact_id', 'in', contactIds).execute();
    for (const a of assessments) add(a.completed_at, 'assessment', `Risk checklist: ${a.level} risk`, `${a.yes_count} yes answers`, a.id);
  }
  if (referrals.length > 0) {
    const events = await tx.selectFrom('referral_events').selectAll().where('referral_id', 'in', referrals.map((r) => r.id)).orderBy('id').execute();
    for (const e of events) {
      const referral = referrals.find((r) => r.id === e.referral_id)!;
      // Of a referral made on from this case, only what the referrer hears back (feedback).
      if (referral.case_id !== caseId && !['sent', 'accepted', 'declined', 'redirected', 'closed', 'withdrawn'].includes(e.to_state)) continue;
      add(e.at, 'referral', `Referral to ${referral.service_name}: ${e.to_state.replace(/_/g, ' ')}`, e.reason_code ? `Reason: ${e.reason_code.replace(/_/g, ' ')}` : '', e.referral_id);
    }
  }
  add(row.opened_at, 'case', `Case ${row.reference} opened`, '', caseId);
  for (const n of await store.notesVisibleTo(tx, row.person_id, actor.organisationId)) {
    add(n.created_at, 'note', n.sensitive ? 'Note (sensitive)' : 'Note', n.body, n.id, n.organisation_name);
  }
  for (const h of await tx.selectFrom('household_members').select(['id', 'created_at', 'relationship']).where('case_id', '=', caseId).execute()) {
    add(h.created_at, 'household', 'Household member added', h.relationship.replace(/_/g, ' '), h.id);
  }
  for (const p of await tx.selectFrom('case_perpetrators').select(['id', 'created_at', 'relationship']).where('case_id', '=', caseId).execute()) {
    add(p.created_at, 'perpetrator', 'Alleged perpetrator recorded', p.relationship.replace(/_/g, ' '), p.id);
  }
  for (const s of await tx.selectFrom('safety_plans').select(['id', 'version', 'created_at', 'review_on']).where('case_id', '=', caseId).execute()) {
    add(s.created_at, 'safety_plan', `Safety plan, version ${s.version}`, `Review by ${s.review_on}`, s.id);
  }
  for (const a of await tx.selectFrom('case_actions').selectAll().where('case_id', '=', caseId).execute()) {
    add(a.created_at, 'action', `Action: ${a.title}`, `Due ${a.due_on}`, a.id);
    if (a.done_at) add(a.done_at, 'action', `Action done: ${a.title}`, '', a.id);
  }
  for (const o of await tx.selectFrom('outcome_measures').select(['id', 'stage', 'recorded_at', 'feeling_safe', 'wellbeing']).where('case_id', '=', caseId).execute()) {
    add(o.recorded_at, 'outcome', `Outcome measures at ${o.stage}`, `Feeling safe ${o.feeling_safe}/10, wellbeing ${o.wellbeing}/10`, o.id);
  }
  if (row.closed_at) add(row.closed_at, 'case', `Case closed: ${(row.closure_reason ?? '').replace(/_/g, ' ')}`, row.closure_note ?? '', caseId);
  await audit(tx, actor, { action: 'case.timeline', recordType: 'case', recordId: caseId });
  return entries.sort((a, b) => a.at.localeCompare(b.at));
}

