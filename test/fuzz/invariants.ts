/**
 * What must still hold of the database after any sequence of requests: each check is a
 * query returning the rows that break it (a few, for the report), scoped to the fuzzed
 * partnerships (other test files may share a PostgreSQL database).
 */
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../src/db/types.js';
import { TRANSITIONS, type ReferralState } from '../../src/modules/referrals/lifecycle.js';

export interface Breach {
  invariant: string;
  rows: unknown[];
}

/** Columns that point at another partnership-owned row: both must belong to the same partnership. */
const SAME_PARTNERSHIP: Array<[table: string, column: string, target: string]> = [
  ['contacts', 'organisation_id', 'organisations'],
  ['contacts', 'handler_user_id', 'users'],
  ['contacts', 'person_id', 'people'],
  ['contact_shares', 'contact_id', 'contacts'],
  ['contact_shares', 'organisation_id', 'organisations'],
  ['risk_assessments', 'contact_id', 'contacts'],
  ['risk_assessments', 'supersedes_id', 'risk_assessments'],
  ['services', 'organisation_id', 'organisations'],
  ['referrals', 'organisation_id', 'organisations'],
  ['referrals', 'referring_organisation_id', 'organisations'],
  ['referrals', 'referred_by', 'users'],
  ['referrals', 'contact_id', 'contacts'],
  ['referrals', 'service_id', 'services'],
  ['referrals', 'risk_assessment_id', 'risk_assessments'],
  ['referrals', 'replaces_referral_id', 'referrals'],
  ['referrals', 'case_id', 'cases'],
  ['referrals', 'referring_case_id', 'cases'],
  ['referral_events', 'referral_id', 'referrals'],
  ['referral_events', 'redirect_service_id', 'services'],
  ['contact_attempts', 'referral_id', 'referrals'],
  ['escalations', 'referral_id', 'referrals'],
  ['people', 'organisation_id', 'organisations'],
  ['person_match_decisions', 'contact_id', 'contacts'],
  ['person_match_decisions', 'person_id', 'people'],
  ['cases', 'organisation_id', 'organisations'],
  ['cases', 'person_id', 'people'],
  ['cases', 'caseworker_id', 'users'],
  ['household_members', 'case_id', 'cases'],
  ['case_perpetrators', 'case_id', 'cases'],
  ['case_notes', 'case_id', 'cases'],
  ['case_notes', 'person_id', 'people'],
  ['case_notes', 'supersedes_id', 'case_notes'],
  ['case_actions', 'case_id', 'cases'],
  ['case_actions', 'owner_id', 'users'],
  ['safety_plans', 'case_id', 'cases'],
  ['safety_plans', 'template_id', 'safety_plan_templates'],
  ['outcome_measures', 'case_id', 'cases'],
  ['programme_courses', 'service_id', 'services'],
  ['programme_places', 'service_id', 'services'],
  ['programme_places', 'case_id', 'cases'],
  ['programme_places', 'course_id', 'programme_courses'],
  ['programme_places', 'referral_id', 'referrals'],
  ['programme_attendance', 'place_id', 'programme_places'],
  ['programme_attendance', 'course_id', 'programme_courses'],
  ['marac_meetings', 'organisation_id', 'organisations'],
  ['marac_referrals', 'contact_id', 'contacts'],
  ['marac_referrals', 'meeting_id', 'marac_meetings'],
  ['marac_referrals', 'repeat_of_id', 'marac_referrals'],
  ['marac_research', 'marac_referral_id', 'marac_referrals'],
  ['marac_research', 'organisation_id', 'organisations'],
  ['marac_actions', 'marac_referral_id', 'marac_referrals'],
  ['marac_actions', 'organisation_id', 'organisations'],
];

export async function checkInvariants(db: Kysely<DB>, partnershipIds: string[]): Promise<{ breaches: Breach[]; checked: string[] }> {
  const ids = sql.join(partnershipIds.map((id) => sql`${id}::uuid`));
  const breaches: Breach[] = [];
  const checked: string[] = [];
  async function rows(invariant: string, query: ReturnType<typeof sql>): Promise<void> {
    checked.push(invariant);
    const result = await (query as ReturnType<typeof sql<Record<string, unknown>>>).execute(db);
    if (result.rows.length > 0) breaches.push({ invariant, rows: result.rows.slice(0, 5) });
  }

  // Referrals: clocks, history, state.
  await rows('every referral has both response clocks', sql`select id, state from referrals where partnership_id in (${ids}) and (acknowledge_due_at is null or first_contact_due_at is null) limit 5`);
  // (A service may set a first-contact target shorter than its acknowledgement target, so the two clocks are not ordered.)
  await rows('every referral\'s clocks fall after it was made', sql`select id, created_at, acknowledge_due_at, first_contact_due_at from referrals where partnership_id in (${ids}) and (acknowledge_due_at <= created_at or first_contact_due_at <= created_at) limit 5`);
  await rows('every referral began with a "sent" event', sql`select r.id, r.state from referrals r where r.partnership_id in (${ids})
    and not exists (select 1 from referral_events e where e.referral_id = r.id and e.from_state is null and e.to_state = 'sent') limit 5`);
  await rows('every referral is in the state its last event says', sql`select r.id, r.state, last.to_state from referrals r
    join lateral (select to_state from referral_events e where e.referral_id = r.id order by e.id desc limit 1) last on true
    where r.partnership_id in (${ids}) and last.to_state <> r.state limit 5`);
  await rows('an accepted referral (and what follows it) belongs to a case', sql`select id, state from referrals where partnership_id in (${ids})
    and state in ('accepted', 'first_contact_attempted', 'engaged') and case_id is null limit 5`);
  await rows('a referral that had first contact says when', sql`select id, state from referrals where partnership_id in (${ids})
    and state = 'first_contact_attempted' and first_contact_at is null limit 5`);
  await rows('a referral goes to the organisation that runs its service', sql`select r.id, r.organisation_id, s.organisation_id as service_org from referrals r join services s on s.id = r.service_id
    where r.partnership_id in (${ids}) and s.organisation_id <> r.organisation_id limit 5`);
  await rows('only a declined or redirected referral is re-routed', sql`select id, state from referrals where partnership_id in (${ids}) and rerouted_at is not null and state not in ('declined', 'redirected') limit 5`);

  // Every step of every referral's history is a move the lifecycle allows, from where the last one left it.
  checked.push('every referral event follows the lifecycle from the state before it');
  const events = await sql<{ referral_id: string; from_state: string | null; to_state: string }>`select e.referral_id, e.from_state, e.to_state from referral_events e
    where e.partnership_id in (${ids}) order by e.referral_id, e.id`.execute(db);
  const bad: unknown[] = [];
  let previous: { referral_id: string; to_state: string } | null = null;
  for (const e of events.rows) {
    const first = previous === null || previous.referral_id !== e.referral_id;
    if (first) {
      if (e.from_state !== null || e.to_state !== 'sent') bad.push({ ...e, problem: 'first event is not null → sent' });
    } else if (e.from_state !== previous!.to_state) {
      bad.push({ ...e, problem: `starts from ${e.from_state}, but the last event left it ${previous!.to_state}` });
    } else if (!(TRANSITIONS[e.from_state as ReferralState] ?? []).includes(e.to_state as ReferralState)) {
      bad.push({ ...e, problem: 'a move the lifecycle does not allow' });
    }
    previous = e;
  }
  if (bad.length > 0) breaches.push({ invariant: 'every referral event follows the lifecycle from the state before it', rows: bad.slice(0, 5) });

  // Cases.
  await rows('a case is open with no closing, or closed with when, by whom and why', sql`select id, state, closed_at, closed_by, closure_reason from cases where partnership_id in (${ids})
    and not ((state = 'open' and closed_at is null and closed_by is null and closure_reason is null)
          or (state = 'closed' and closed_at is not null and closed_by is not null and closure_reason is not null)) limit 5`);
  await rows('a case belongs to a person of its partnership, and at most one open case per person per organisation', sql`select organisation_id, person_id, count(*) as open_cases from cases
    where partnership_id in (${ids}) and state = 'open' group by organisation_id, person_id having count(*) > 1 limit 5`);
  await rows("a case's records belong to its organisation", sql`select 'case_notes' as t, n.id from case_notes n join cases c on c.id = n.case_id where n.partnership_id in (${ids}) and n.organisation_id <> c.organisation_id
    union all select 'case_actions', a.id from case_actions a join cases c on c.id = a.case_id where a.partnership_id in (${ids}) and a.organisation_id <> c.organisation_id
    union all select 'household_members', h.id from household_members h join cases c on c.id = h.case_id where h.partnership_id in (${ids}) and h.organisation_id <> c.organisation_id
    union all select 'safety_plans', s.id from safety_plans s join cases c on c.id = s.case_id where s.partnership_id in (${ids}) and s.organisation_id <> c.organisation_id limit 5`);
  await rows("a case note is about the case's person", sql`select n.id from case_notes n join cases c on c.id = n.case_id where n.partnership_id in (${ids}) and n.person_id <> c.person_id limit 5`);
  await rows("a case action is owned by someone of the case's organisation", sql`select a.id from case_actions a join cases c on c.id = a.case_id join users u on u.id = a.owner_id
    where a.partnership_id in (${ids}) and u.organisation_id <> c.organisation_id limit 5`);
  await rows('safety plan versions of a case run 1, 2, 3 … without gaps', sql`select case_id, count(*) as n, max(version) as top from safety_plans where partnership_id in (${ids})
    group by case_id having max(version) <> count(*) or min(version) <> 1 limit 5`);

  // Programmes.
  await rows('a course never holds more people than it has places', sql`select c.id, c.places, count(p.id) as enrolled from programme_courses c join programme_places p on p.course_id = c.id and p.status = 'enrolled'
    where c.partnership_id in (${ids}) group by c.id, c.places having count(p.id) > c.places limit 5`);
  await rows('attendance is recorded for a session the course has', sql`select a.place_id, a.session, c.sessions from programme_attendance a join programme_courses c on c.id = a.course_id
    where a.partnership_id in (${ids}) and a.session > c.sessions limit 5`);

  // MARAC.
  await rows('a MARAC referral is listed exactly when it has a meeting', sql`select id, status, meeting_id from marac_referrals where partnership_id in (${ids})
    and ((status = 'awaiting_meeting' and meeting_id is not null) or (status = 'listed' and meeting_id is null)) limit 5`);
  await rows('a MARAC meeting never lists more cases than its capacity', sql`select m.id, m.capacity, count(r.id) as listed from marac_meetings m join marac_referrals r on r.meeting_id = m.id
    where m.partnership_id in (${ids}) group by m.id, m.capacity having count(r.id) > m.capacity limit 5`);
  await rows('a MARAC action done says by whom', sql`select id from marac_actions where partnership_id in (${ids}) and (done_at is null) <> (done_by is null) limit 5`);
  await rows('a case action done says by whom', sql`select id from case_actions where partnership_id in (${ids}) and (done_at is null) <> (done_by is null) limit 5`);

  // Contacts and risk.
  await rows('a risk assessment is superseded at most once and only by one of the same contact', sql`select a.id from risk_assessments a join risk_assessments b on b.id = a.supersedes_id
    where a.partnership_id in (${ids}) and a.contact_id <> b.contact_id limit 5`);

  // Audit.
  await rows('no audit row without an action and an outcome', sql`select id, action, outcome from audit_events where partnership_id in (${ids})
    and (action is null or action !~ '^[a-z_]+(\\.[a-z_]+)+$' or outcome not in ('allowed', 'denied')) limit 5`);
  await rows('an audit row names its actor when it names the actor\'s organisation', sql`select id, action from audit_events where partnership_id in (${ids})
    and actor_organisation_id is not null and actor_user_id is null limit 5`);

  // Idempotency: a key is kept only with the answer it replays.
  await rows('every kept idempotency key has its answer', sql`select k.key, k.status from idempotency_keys k join users u on u.id = k.user_id
    where u.partnership_id in (${ids}) and (k.status is null or k.body is null) limit 5`);

  // Tenancy: nothing of one partnership points at another's.
  for (const [table, column, target] of SAME_PARTNERSHIP) {
    await rows(
      `${table}.${column} stays inside its partnership`,
      sql`select t.${sql.ref(column)} as ref from ${sql.table(table)} t join ${sql.table(target)} x on x.id = t.${sql.ref(column)}
        where t.partnership_id in (${ids}) and x.partnership_id <> t.partnership_id limit 5`,
    );
  }
  await rows('a MARAC meeting invites only organisations of its partnership', sql`select m.id from marac_meetings m cross join lateral unnest(m.attending_organisation_ids) o(id)
    left join organisations x on x.id = o.id where m.partnership_id in (${ids}) and (x.id is null or x.partnership_id <> m.partnership_id) limit 5`);
  return { breaches, checked };
}

/** This partnership's rows, table by table, as a count and a hash: what another partnership's requests must never change. */
export const TENANT_TABLES = [
  'contacts', 'contact_shares', 'risk_assessments', 'services', 'organisations', 'users', 'referrals', 'referral_events', 'contact_attempts', 'people', 'person_match_decisions',
  'cases', 'household_members', 'case_perpetrators', 'case_notes', 'case_actions', 'safety_plans', 'outcome_measures', 'programme_courses', 'programme_places',
  'programme_attendance', 'marac_meetings', 'marac_referrals', 'marac_research', 'marac_actions',
];

export async function tenantSnapshot(db: Kysely<DB>, partnershipId: string): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const table of TENANT_TABLES) {
    const { rows } = await sql<{ n: number; h: string }>`select count(*)::int as n, md5(coalesce(string_agg(t::text, '|' order by t::text), '')) as h
      from ${sql.table(table)} t where t.partnership_id = ${partnershipId}`.execute(db);
    out[table] = rows[0];
  }
  return out;
}
