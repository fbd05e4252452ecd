/**
 * A person's right of access (UK GDPR art. 15; issue 9): everything the partnership holds
 * about them, gathered in one transaction, for the staff who answer such requests, and
 * itself audited as an export. Notes another organisation marked sensitive stay with it
 * (SPEC §5): they are counted, by organisation, so the answer can say who else to ask.
 * Who made each access is given by organisation, not by name: staff names are theirs.
 */
import { sql, type RawBuilder } from 'kysely';
import { forPurpose, type Tx } from '../../db/transaction.js';
import { decrypt, isEncrypted, isPhoneHash } from '../../lib/crypto.js';
import { Refused } from '../../lib/errors.js';
import { requirePermission, type Actor } from '../access/actor.js';
import { serviceChecksOn } from '../access/checks.js';
import { audit } from '../access/audit.js';
import type { Role } from '../access/policy.js';
import type { SubjectAccessExport } from './schema.js';

/** Whose records a role may export: the whole partnership's people, or those its organisation knows. */
type Reach = 'partnership' | 'known_to_my_organisation';
export const SUBJECT_ACCESS_REACH: Partial<Record<Role, Reach>> = {
  // The SPOC answers for the partnership: it is where requests arrive and are coordinated.
  spoc_coordinator: 'partnership',
  // A provider answers for the people it has worked with.
  provider_manager: 'known_to_my_organisation',
};

type Row = Record<string, unknown>;

/** snake_case columns to camelCase keys, timestamps as ISO strings. */
function view(row: Row): Row {
  return Object.fromEntries(
    Object.entries(row).map(([key, value]) => [key.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase()), value instanceof Date ? value.toISOString() : value]),
  );
}

function byKey(rows: Row[], key: string): Map<unknown, Row[]> {
  const map = new Map<unknown, Row[]>();
  for (const row of rows) map.set(row[key], [...(map.get(row[key]) ?? []), row]);
  return map;
}

/** Strips a grouping key (already implied by where the rows sit) and views the rows. */
function under(map: Map<unknown, Row[]>, id: unknown, drop: string): Row[] {
  return (map.get(id) ?? []).map(({ [drop]: _dropped, ...rest }) => view(rest));
}

async function reaches(tx: Tx, actor: Actor, personId: string, personOrganisationId: string): Promise<boolean> {
  if (!serviceChecksOn()) return true;
  const reach = new Set(actor.roles.map((role) => SUBJECT_ACCESS_REACH[role]));
  if (reach.has('partnership')) return true;
  if (!reach.has('known_to_my_organisation')) return false;
  if (personOrganisationId === actor.organisationId) return true;
  const known = await sql<{ one: number }>`
    select 1 as one where exists (select 1 from cases k where k.person_id = ${personId} and k.organisation_id = ${actor.organisationId})
       or exists (select 1 from contacts c where c.person_id = ${personId}
                   and (c.organisation_id = ${actor.organisationId}
                        or exists (select 1 from contact_shares s where s.contact_id = c.id and s.organisation_id = ${actor.organisationId})))`.execute(tx);
  return known.rows.length > 0;
}

/** Everything held about a person, for a subject access request; audited as an export in `format`. */
export async function subjectAccess(tx: Tx, actor: Actor, personId: string, format: 'json' | 'html'): Promise<SubjectAccessExport> {
  requirePermission(actor, 'person:subject_access');
  const person = await tx.selectFrom('people').selectAll().where('id', '=', personId).executeTakeFirst();
  if (!person || person.partnership_id !== actor.partnershipId || !(await reaches(tx, actor, personId, person.organisation_id))) {
    throw new Refused('Person', { action: 'person.subject_access', recordType: 'person', recordId: personId });
  }
  // Everything held about the person, whichever organisation holds it (0021_row_security.sql).
  return forPurpose(tx, 'subject_access', async () => {
    const partnership = actor.partnershipId;
    const { contacts, contactIds } = await contactsOf(tx, partnership, personId);
    const referrals = await referralsOf(tx, partnership, contactIds);
    const { cases, withheld } = await casesOf(tx, actor, personId);
    const marac = await maracOf(tx, partnership, contactIds);
    // One query at a time: they share the transaction's one connection.
    const riskAssessments = await rows(
      tx,
      sql<Row>`select id, contact_id, completed_at, yes_count, score_level, level, judgement_level, judgement_reason, police_callouts_12m, other_incidents_12m, answers
            from risk_assessments where contact_id = any(${sql.val(contactIds)}::uuid[]) order by completed_at`,
    );
    const calls = await rows(
      tx,
      sql<Row>`select id, contact_id, started_at, answered_at, ended_at, from_number, menu_choice, outcome, callback_time, perpetrator_alert
            from calls where contact_id = any(${sql.val(contactIds)}::uuid[]) order by started_at`,
    );
    const matchDecisions = await rows(tx, sql<Row>`select contact_id, decision, reasons, decided_at from person_match_decisions where person_id = ${personId} order by decided_at`);
    const recordIds = [personId, ...contactIds, ...[...referrals, ...cases, ...marac].map((r) => (r as Row).id as string)];
    const accessLog = await rows(
      tx,
      sql<Row>`select a.at, a.action, a.record_type, a.record_id, a.outcome, o.name as organisation
            from audit_events a left join organisations o on o.id = a.actor_organisation_id
           where a.partnership_id = ${partnership} and a.record_id = any(${sql.val(recordIds)}::uuid[])
           order by a.at, a.id limit 10000`,
    );
    const { partnership_id: _p, search_name: _s, ...personView } = person;
    await audit(tx, actor, {
      action: 'person.subject_access',
      recordType: 'person',
      recordId: personId,
      details: { format, contacts: contactIds.length, cases: cases.length, referrals: referrals.length, withheldSensitiveNotes: withheld.reduce((n, w) => n + w.count, 0) },
    });
    return opened({
      generatedAt: new Date().toISOString(),
      person: view(personView),
      contacts,
      riskAssessments,
      referrals,
      calls,
      matchDecisions,
      cases,
      maracReferrals: marac,
      withheld: { sensitiveNotes: withheld },
      accessLog,
    });
  }, personId);
}

/**
 * The export as the person would read it: every value encrypted at rest opened, and the
 * keyed hashes kept beside sealed phone numbers left out (docs/encryption.md). Walks the
 * whole answer, so no column is missed whichever are encrypted.
 */
function opened<T>(value: T): T {
  if (typeof value === 'string') return (isEncrypted(value) ? decrypt(value) : value) as T;
  if (Array.isArray(value)) return value.filter((v) => typeof v !== 'string' || !isPhoneHash(v)).map(opened) as T;
  if (value && typeof value === 'object' && !(value instanceof Date)) {
    // Keyed hashes are for matching, not information about the person: left out with their keys.
    return Object.fromEntries(Object.entries(value).filter(([k]) => !/hash(es)?$/i.test(k)).map(([k, v]) => [k, opened(v)])) as T;
  }
  return value;
}

async function rows(tx: Tx, query: RawBuilder<Row>): Promise<Row[]> {
  return (await query.execute(tx)).rows.map(view);
}

async function contactsOf(tx: Tx, partnership: string, personId: string) {
  const contacts = await rows(
    tx,
    sql<Row>`select c.id, c.reference, c.received_at, c.channel, c.caller_type, c.status, c.immediate_danger, c.person, c.caller, c.safe_contact,
               c.needs, c.children, c.perpetrators, c.summary, c.risk_level, o.name as organisation, c.anonymised_at
          from contacts c join organisations o on o.id = c.organisation_id
         where c.person_id = ${personId} and c.partnership_id = ${partnership} order by c.received_at`,
  );
  return { contacts, contactIds: contacts.map((c) => c.id as string) };
}

async function referralsOf(tx: Tx, partnership: string, contactIds: string[]) {
  const c = sql`${sql.val(contactIds)}::uuid[]`;
  const referrals = (await sql<Row>`select r.id, r.contact_id, s.name as service, o.name as organisation, r.state, r.risk_level, r.consent, r.lawful_basis, r.added_reason,
                           r.created_at, r.acknowledged_at, r.first_contact_at, r.unit_type
                      from referrals r join services s on s.id = r.service_id join organisations o on o.id = r.organisation_id
                     where r.contact_id = any(${c}) and r.partnership_id = ${partnership} order by r.created_at`.execute(tx)).rows;
  const events = (await sql<Row>`select e.referral_id, e.from_state, e.to_state, e.at, e.reason_code, e.reason_text from referral_events e
                     where e.referral_id in (select id from referrals where contact_id = any(${c})) order by e.id`.execute(tx)).rows;
  const attempts = (await sql<Row>`select a.referral_id, a.channel, a.outcome, a.note, a.attempted_at from contact_attempts a
                     where a.referral_id in (select id from referrals where contact_id = any(${c})) order by a.attempted_at`.execute(tx)).rows;
  const eventsOf = byKey(events, 'referral_id');
  const attemptsOf = byKey(attempts, 'referral_id');
  return referrals.map((r) => ({ ...view(r), events: under(eventsOf, r.id, 'referral_id'), contactAttempts: under(attemptsOf, r.id, 'referral_id') }));
}

async function casesOf(tx: Tx, actor: Actor, personId: string) {
  const cases = (await sql<Row>`select k.id, k.reference, o.name as organisation, k.state, k.opened_at, k.closed_at, k.closure_reason, k.closure_note
                                  from cases k join organisations o on o.id = k.organisation_id
                                 where k.person_id = ${personId} and k.partnership_id = ${actor.partnershipId} order by k.opened_at`.execute(tx)).rows;
  const k = sql`${sql.val(cases.map((c) => c.id as string))}::uuid[]`;
  const household = await sql<Row>`select case_id, name, date_of_birth, relationship, school, lives_with_person, created_at from household_members where case_id = any(${k}) order by created_at`.execute(tx);
  const perpetrators = await sql<Row>`select case_id, name, other_names, date_of_birth, relationship, phones, vehicles, addresses, identifiers, created_at from case_perpetrators where case_id = any(${k}) order by created_at`.execute(tx);
  const notes = await sql<Row>`select n.case_id, n.id, n.created_at, n.body, n.sensitive, n.supersedes_id, n.organisation_id, o.name as organisation
               from case_notes n join organisations o on o.id = n.organisation_id where n.person_id = ${personId} order by n.created_at`.execute(tx);
  const actions = await sql<Row>`select case_id, title, due_on, done_at from case_actions where case_id = any(${k}) order by created_at`.execute(tx);
  const plans = await sql<Row>`select p.case_id, p.version, t.title, p.content, p.review_on, p.created_at from safety_plans p join safety_plan_templates t on t.id = p.template_id
              where p.case_id = any(${k}) order by p.version`.execute(tx);
  const outcomes = await sql<Row>`select case_id, stage, abuse, feeling_safe, wellbeing, recorded_at from outcome_measures where case_id = any(${k}) order by recorded_at`.execute(tx);
  const places = await sql<Row>`select pl.case_id, s.name as service, pl.status, pl.joined_at, pl.enrolled_at from programme_places pl join services s on s.id = pl.service_id
              where pl.case_id = any(${k}) order by pl.joined_at`.execute(tx);
  // Sensitive notes stay with the organisation that wrote them (SPEC §5): counted, not shown, elsewhere.
  const shown = notes.rows.filter((n) => !n.sensitive || n.organisation_id === actor.organisationId);
  const withheldBy = new Map<string, { organisationId: string; organisationName: string; count: number }>();
  for (const n of notes.rows.filter((n) => !shown.includes(n))) {
    const entry = withheldBy.get(n.organisation_id as string) ?? { organisationId: n.organisation_id as string, organisationName: n.organisation as string, count: 0 };
    entry.count += 1;
    withheldBy.set(entry.organisationId, entry);
  }
  const groups = {
    household: byKey(household.rows, 'case_id'),
    perpetrators: byKey(perpetrators.rows, 'case_id'),
    notes: byKey(shown.map(({ organisation_id: _o, ...n }) => n), 'case_id'),
    actions: byKey(actions.rows, 'case_id'),
    safetyPlans: byKey(plans.rows, 'case_id'),
    outcomes: byKey(outcomes.rows, 'case_id'),
    programmePlaces: byKey(places.rows, 'case_id'),
  };
  return {
    cases: cases.map((c) => ({
      ...view(c),
      ...Object.fromEntries(Object.entries(groups).map(([name, map]) => [name, under(map, c.id, 'case_id')])),
    })),
    withheld: [...withheldBy.values()],
  };
}

async function maracOf(tx: Tx, partnership: string, contactIds: string[]) {
  const c = sql`${sql.val(contactIds)}::uuid[]`;
  const referrals = (await sql<Row>`select m.id, m.contact_id, m.referred_on, m.criteria, m.reason, m.status, m.previous_referred_on, g.held_on as meeting_on
                                      from marac_referrals m left join marac_meetings g on g.id = m.meeting_id
                                     where m.contact_id = any(${c}) and m.partnership_id = ${partnership} order by m.referred_on`.execute(tx)).rows;
  const ids = sql`${sql.val(referrals.map((r) => r.id as string))}::uuid[]`;
  const research = await sql<Row>`select r.marac_referral_id, o.name as organisation, r.summary, r.recorded_at from marac_research r join organisations o on o.id = r.organisation_id
              where r.marac_referral_id = any(${ids}) order by r.recorded_at`.execute(tx);
  const actions = await sql<Row>`select a.marac_referral_id, o.name as organisation, a.description, a.due_on, a.done_at from marac_actions a join organisations o on o.id = a.organisation_id
              where a.marac_referral_id = any(${ids}) order by a.created_at`.execute(tx);
  const researchOf = byKey(research.rows, 'marac_referral_id');
  const actionsOf = byKey(actions.rows, 'marac_referral_id');
  return referrals.map((r) => ({ ...view(r), research: under(researchOf, r.id, 'marac_referral_id'), actions: under(actionsOf, r.id, 'marac_referral_id') }));
}
