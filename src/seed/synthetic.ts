/**
 * Synthetic history for reports and benchmarks (issue 11): `spoc seed --synthetic N` adds N
 * contacts spread over past years to an existing partnership, with what follows them in
 * life — risk assessments, calls, referrals with their events and clocks, escalations,
 * cases worked by synthetic caseworkers with outcome measures, MARAC referrals with
 * repeats, people with equality monitoring. Every row is fictional ("Synthetic person").
 *
 * It is built set-wise in the database (generate_series, in batches of one transaction
 * each) so millions of contacts take minutes, not hours. History ends a week before
 * today and every referral in it has been decided, so nothing synthetic lands in anyone's
 * live queues. Proportions are round figures of the kind SafeLives and ONS publish, not
 * any real partnership's.
 */
import { createHash } from 'node:crypto';
import { sql } from 'kysely';
import type { Database } from '../db/connect.js';
import { inTransaction, type Tx } from '../db/transaction.js';
import { findHub } from '../modules/access/store.js';

export interface SyntheticOptions {
  partnershipSlug: string;
  contacts: number;
  years: number;
  batchSize?: number;
  seed?: number;
  onProgress?: (done: number, total: number, stage: string) => void;
}

export interface SyntheticResult {
  contacts: number;
  people: number;
  referrals: number;
  cases: number;
  seconds: number;
}

const KINDS = {
  high: ['idva'],
  medium: ['outreach'],
  standard: ['counselling', 'recovery_programme', 'advice'],
  children: ['childrens_social_care', 'children_young_people'],
  accommodation: ['safe_accommodation', 'sanctuary_scheme', 'housing_options'],
} as const;

/** Adds synthetic history to a partnership. Run it on a database with no one at work: it is for demos and benchmarks. */
export async function seedSynthetic(database: Database, options: SyntheticOptions): Promise<SyntheticResult> {
  const started = Date.now();
  const batchSize = options.batchSize ?? 20_000;
  const run = options.seed ?? Math.floor(Math.random() * 1e9);
  const setup = await inTransaction(database.db, null, (tx) => prepare(tx, options.partnershipSlug, options.contacts, run));
  const people = Math.max(1, Math.ceil(options.contacts * 0.62));
  const end = new Date(Date.now() - 7 * 86_400_000);
  const start = new Date(end.getTime() - options.years * 365.25 * 86_400_000);

  for (let from = 0; from < people; from += batchSize * 2) {
    const to = Math.min(people, from + batchSize * 2) - 1;
    await inTransaction(database.db, null, (tx) => insertPeople(tx, setup, run, from, to));
    options.onProgress?.(to + 1, people, 'people');
  }
  let referrals = 0;
  let cases = 0;
  for (let from = 0; from < options.contacts; from += batchSize) {
    const to = Math.min(options.contacts, from + batchSize) - 1;
    const made = await inTransaction(database.db, null, async (tx) => {
      await sql`select setseed(${((run + from) % 2_000_000) / 2_000_000 - 0.5})`.execute(tx);
      // A superuser (the embedded database; a benchmark's own server) skips triggers and foreign-key
      // checks for these rows, made consistent by construction: twice as fast at millions.
      if (setup.superuser) await sql`set local session_replication_role = replica`.execute(tx);
      return insertContacts(tx, setup, { run, from, to, total: options.contacts, people, start, end });
    });
    referrals += made.referrals;
    cases += made.cases;
    // The planner's figures for tables that were empty a moment ago.
    if (from === 0) await sql`analyze marac_referrals, referral_events, escalations`.execute(database.db);
    options.onProgress?.(to + 1, options.contacts, 'contacts');
  }
  await sql`analyze contacts, referrals, referral_events, people, cases, calls, marac_referrals, escalations, outcome_measures`.execute(database.db);
  return { contacts: options.contacts, people, referrals, cases, seconds: Math.round((Date.now() - started) / 1000) };
}

interface Setup {
  partnershipId: string;
  hubId: string;
  handlerId: string;
  questionnaireId: string;
  /** service ids, organisation ids and caseworker ids by kind of need, as SQL arrays */
  services: Record<keyof typeof KINDS, { ids: string[]; organisations: string[] }>;
  caseworkers: Map<string, string[]>;
  superuser: boolean;
}

async function prepare(tx: Tx, slug: string, contacts: number, run: number): Promise<Setup> {
  const partnership = await tx.selectFrom('partnerships').select('id').where('slug', '=', slug).executeTakeFirst();
  if (!partnership) throw new Error(`No partnership "${slug}": create it (or run spoc seed --demo) first`);
  const hub = await findHub(tx, partnership.id);
  if (!hub) throw new Error(`The partnership "${slug}" has no SPOC hub organisation`);
  const handler = await tx.selectFrom('users').select('id').where('organisation_id', '=', hub.id).orderBy('created_at').executeTakeFirst();
  if (!handler) throw new Error(`The partnership "${slug}" has no users in its hub`);
  const questionnaire = await tx.selectFrom('questionnaire_definitions').select('id').where('partnership_id', '=', partnership.id).orderBy('version', 'desc').executeTakeFirst();
  if (!questionnaire) throw new Error(`The partnership "${slug}" has no risk questionnaire`);
  const all = await tx.selectFrom('services').select(['id', 'kind', 'organisation_id']).where('partnership_id', '=', partnership.id).where('status', '=', 'active').execute();
  if (all.length === 0) throw new Error(`The partnership "${slug}" has no services in its directory`);
  const services = Object.fromEntries(
    Object.entries(KINDS).map(([need, kinds]) => {
      const found = all.filter((s) => (kinds as readonly string[]).includes(s.kind));
      const chosen = found.length > 0 ? found : all;
      return [need, { ids: chosen.map((s) => s.id), organisations: chosen.map((s) => s.organisation_id) }];
    }),
  ) as Setup['services'];

  // Synthetic caseworkers (disabled accounts: nobody signs in as them), about one per 65
  // cases a year (SafeLives' safe caseload), for each organisation that will hold cases.
  const caseworkers = new Map<string, string[]>();
  const organisations = [...new Set(Object.values(services).flatMap((s) => s.organisations))].filter((o) => o !== hub.id);
  const perYear = Math.max(1, Math.ceil((contacts * 0.35) / Math.max(1, organisations.length) / 3 / 65));
  for (const organisationId of organisations) {
    const ids: string[] = [];
    for (let n = 1; n <= Math.min(perYear, 200); n++) {
      const { id } = await tx
        .insertInto('users')
        .values({ partnership_id: partnership.id, organisation_id: organisationId, email: `synthetic-${run}-${n}@${organisationId.slice(0, 8)}.invalid`, name: `Synthetic caseworker ${n}`, roles: ['provider_caseworker'], status: 'disabled' })
        .returning('id')
        .executeTakeFirstOrThrow();
      ids.push(id);
    }
    caseworkers.set(organisationId, ids);
  }
  const { rows } = await sql<{ superuser: boolean }>`select rolsuper as superuser from pg_roles where rolname = current_user`.execute(tx);
  return { partnershipId: partnership.id, hubId: hub.id, handlerId: handler.id, questionnaireId: questionnaire.id, services, caseworkers, superuser: rows[0]?.superuser === true };
}

/** A uuid parameter (pg sends parameters untyped; a select list would take them as text). */
const u = (id: string) => sql`${id}::uuid`;

/** The uuid md5() makes of a text in SQL (below), made here. */
function md5Uuid(text: string): string {
  const hex = createHash('md5').update(text).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A deterministic uuid for the n-th synthetic row of a kind in this run. */
const uuidOf = (run: number, kind: string, n: unknown) => sql`md5(${`${run}:${kind}:`} || ${n})::uuid`;

async function insertPeople(tx: Tx, s: Setup, run: number, from: number, to: number): Promise<void> {
  // Each equality question unanswered for about 15%, then in round national proportions.
  await sql`
    insert into people (id, partnership_id, organisation_id, role, name, search_name, date_of_birth, gender, created_by,
                        sex, gender_same_as_birth, ethnicity, disability, sexual_orientation, religion)
    select ${uuidOf(run, 'p', sql`i`)}, ${u(s.partnershipId)}, ${u(s.hubId)}, case when r[1] < 0.04 then 'perpetrator' else 'victim' end,
           'Synthetic person', 'synthetic person',
           case when r[2] < 0.2 then null else (date '1950-01-01' + (power(r[3], 0.7) * 20000)::int) end,
           case when r[4] < 0.86 then 'female' else 'male' end, ${u(s.handlerId)},
           case when r[5] < 0.15 then null when r[4] < 0.86 then 'female' when r[4] < 0.99 then 'male' else 'prefer_not_to_say' end,
           case when r[6] < 0.2 then null when r[6] < 0.97 then 'yes' when r[6] < 0.99 then 'no' else 'prefer_not_to_say' end,
           case when r[7] < 0.15 then null when r[7] < 0.80 then 'white' when r[7] < 0.88 then 'asian' when r[7] < 0.92 then 'black' when r[7] < 0.95 then 'mixed' when r[7] < 0.97 then 'other' else 'prefer_not_to_say' end,
           case when r[8] < 0.2 then null when r[8] < 0.42 then 'yes' when r[8] < 0.97 then 'no' else 'prefer_not_to_say' end,
           case when r[9] < 0.25 then null when r[9] < 0.88 then 'straight' when r[9] < 0.92 then 'gay_lesbian' when r[9] < 0.95 then 'bisexual' when r[9] < 0.96 then 'other' else 'prefer_not_to_say' end,
           case when r[10] < 0.25 then null when r[10] < 0.55 then 'none' when r[10] < 0.82 then 'christian' when r[10] < 0.88 then 'muslim' when r[10] < 0.91 then 'hindu' when r[10] < 0.93 then 'sikh' when r[10] < 0.94 then 'jewish' when r[10] < 0.95 then 'buddhist' when r[10] < 0.97 then 'other' else 'prefer_not_to_say' end
      from generate_series(${from}::int, ${to}::int) i,
           lateral (select array_agg(random()) as r from generate_series(1, 10 + (i * 0))) x`.execute(tx);
}

interface Batch {
  run: number;
  from: number;
  to: number;
  total: number;
  people: number;
  start: Date;
  end: Date;
}

async function insertContacts(tx: Tx, s: Setup, b: Batch): Promise<{ referrals: number; cases: number }> {
  const span = (b.end.getTime() - b.start.getTime()) / 1000;
  const contactId = (n: unknown) => uuidOf(b.run, 'c', n);
  // Contacts in time order with a little jitter, by channel and caller type, linked to a person three times in four.
  await sql`
    insert into contacts (id, partnership_id, organisation_id, reference, channel, caller_type, status, handler_user_id, received_at,
                          immediate_danger, person, safe_contact, needs, children, perpetrators, person_id, summary, created_at, risk_level)
    select ${contactId(sql`i`)}, ${u(s.partnershipId)}, ${u(s.hubId)}, ${`SYN-${b.run}-`} || i,
           case when r[1] < 0.55 then 'phone' when r[1] < 0.75 then 'professional_referral' when r[1] < 0.9 then 'web_self_referral' when r[1] < 0.96 then 'email' else 'in_person' end,
           case when r[1] >= 0.55 and r[1] < 0.75 then 'professional' when r[2] < 0.78 then 'victim' when r[2] < 0.92 then 'family_friend' when r[2] < 0.97 then 'perpetrator' else 'other' end,
           'closed', ${u(s.handlerId)},
           ${b.start.toISOString()}::timestamptz + make_interval(secs => ((i + r[3]) / ${b.total}::float8) * ${span}),
           'no', '{}', '{}', '{}', '[]', '[]',
           case when r[4] < 0.75 then ${uuidOf(b.run, 'p', sql`floor(power(r[5], 2.2) * ${b.people})::int`)} end,
           'Synthetic contact', now(),
           -- risk assessed for most who are not perpetrators: standard half, medium three in ten, high one in five
           case when (r[1] >= 0.55 and r[1] < 0.75) or r[2] < 0.92 then
             case when r[6] < 0.12 then null when r[6] < 0.56 then 'standard' when r[6] < 0.82 then 'medium' else 'high' end end
      from generate_series(${b.from}::int, ${b.to}::int) i,
           lateral (select array_agg(random()) as r from generate_series(1, 6 + (i * 0))) x`.execute(tx);
  // The batch's contacts by their ids (an array the primary key answers, whatever the planner thinks of a table filling up).
  const ids = Array.from({ length: b.to - b.from + 1 }, (_, k) => md5Uuid(`${b.run}:c:${b.from + k}`));
  const inBatch = sql`c.id = any(${sql.val(ids)}::uuid[]) and c.partnership_id = ${u(s.partnershipId)}`;

  if (b.from === 0) await sql`analyze contacts, people`.execute(tx);
  // What the triggers would keep on each contact (they are off here): its person's previous
  // contact (batches run in time order, so it is already in) and what reports need of the person.
  await sql`
    update contacts c
       set previous_contact_at = (
             select p.received_at from contacts p
              where p.person_id = c.person_id and p.received_at <= c.received_at and (p.received_at, p.id) < (c.received_at, c.id)
              order by p.received_at desc, p.id desc limit 1),
           person_role = v.role, person_born = v.date_of_birth, person_sex = v.sex, person_gender_same_as_birth = v.gender_same_as_birth,
           person_ethnicity = v.ethnicity, person_disability = v.disability, person_sexual_orientation = v.sexual_orientation, person_religion = v.religion
      from people v
     where ${inBatch} and v.id = c.person_id`.execute(tx);
  // The assessments behind each contact's risk level (written on the contact above: the trigger would only set it again).
  await sql`
    insert into risk_assessments (partnership_id, organisation_id, contact_id, questionnaire_id, answers, yes_count, score_level, level, reasons, prompts, assessed_by, completed_at)
    select c.partnership_id, c.organisation_id, c.id, ${u(s.questionnaireId)}, '{}', case c.risk_level when 'standard' then 3 when 'medium' then 10 else 15 end,
           c.risk_level, c.risk_level, '[]', '[]', ${u(s.handlerId)}, c.received_at + interval '15 minutes'
      from contacts c where ${inBatch} and c.risk_level is not null`.execute(tx);

  // Calls for phone contacts: most answered within two minutes, some abandoned, a few asking for a call-back.
  await sql`
    insert into calls (partnership_id, organisation_id, call_sid, contact_id, in_hours, started_at, answered_at, ended_at, outcome)
    select c.partnership_id, c.organisation_id, 'SYN' || replace(c.id::text, '-', ''), c.id, true, c.received_at - interval '2 minutes',
           case when x.r < 0.86 then c.received_at - interval '2 minutes' + make_interval(secs => 4 + power(random(), 2) * 150) end,
           c.received_at + interval '20 minutes',
           case when x.r < 0.86 then 'answered' when x.r < 0.95 then 'abandoned' else 'callback_requested' end
      from contacts c, lateral (select random() + 0 * extract(epoch from c.received_at) as r) x where ${inBatch} and c.channel = 'phone'`.execute(tx);

  // Referrals: assessed victims' contacts, to a service for their level (and children's services for some high ones).
  const pick = (need: keyof typeof KINDS) => {
    const ids = s.services[need].ids;
    return sql`(${sql.val(ids)}::uuid[])[1 + floor(random() * ${ids.length})::int]`;
  };
  const { rows: made } = await sql<{ n: string }>`
    with chosen as (
      select c.id as contact_id, c.received_at, c.risk_level as level, c.person_id,
             case c.risk_level when 'high' then ${pick('high')} when 'medium' then ${pick('medium')} else ${pick('standard')} end as service_id
        from contacts c where ${inBatch} and c.risk_level is not null and c.caller_type <> 'perpetrator' and random() < 0.8
      union all
      select c.id, c.received_at, c.risk_level, c.person_id, ${pick('children')}
        from contacts c where ${inBatch} and c.risk_level = 'high' and random() < 0.3
      union all
      select c.id, c.received_at, c.risk_level, c.person_id, ${pick('accommodation')}
        from contacts c where ${inBatch} and c.risk_level in ('medium', 'high') and random() < 0.08
    ),
    timed as (
      select ch.*, sv.organisation_id, random() as fate,
             (array['out_of_area', 'not_eligible', 'no_capacity', 'already_open', 'unable_to_contact', 'other'])[1 + floor(random() * 6)::int] as reason,
             ch.received_at + make_interval(secs => case ch.level when 'high' then 1800 + random() * 4 * 3600 when 'medium' then 3600 + random() * 30 * 3600 else 3600 + random() * 72 * 3600 end) as sent_at
        from chosen ch join services sv on sv.id = ch.service_id
    ),
    inserted as (
      insert into referrals (partnership_id, organisation_id, referring_organisation_id, referred_by, contact_id, service_id, risk_level, consent, consent_decided_by,
                             state, acknowledge_due_at, first_contact_due_at, acknowledged_at, first_contact_at, rerouted_at, rerouted_by, created_at, updated_at,
                             contact_received_at, first_for_contact, decision, decision_reason, acknowledge_breached, first_contact_breached)
      select ${u(s.partnershipId)}, d.organisation_id, ${u(s.hubId)}, ${u(s.handlerId)}, d.contact_id, d.service_id, d.level, 'given', ${u(s.handlerId)}, d.state,
             d.acknowledge_due_at, d.first_contact_due_at, d.acknowledged_at, d.first_contact_at, d.rerouted_at, d.rerouted_by, d.sent_at, d.sent_at,
             d.received_at, row_number() over (partition by d.contact_id order by d.sent_at) = 1,
             case d.state when 'closed' then 'accepted' when 'declined' then 'declined' when 'redirected' then 'redirected' end,
             case when d.state = 'declined' then d.reason end,
             coalesce(d.acknowledged_at > d.acknowledge_due_at, false), coalesce(d.first_contact_at > d.first_contact_due_at, false)
        from (
      select distinct on (t.contact_id, t.service_id) t.*,
             case when t.fate < 0.72 then 'closed' when t.fate < 0.86 then 'declined' when t.fate < 0.91 then 'redirected' else 'withdrawn' end as state,
             t.sent_at + case t.level when 'high' then interval '4 hours' when 'medium' then interval '1 day' else interval '2 days' end as acknowledge_due_at,
             t.sent_at + case t.level when 'high' then interval '1 day' when 'medium' then interval '3 days' else interval '5 days' end as first_contact_due_at,
             t.sent_at + make_interval(secs => random() * case t.level when 'high' then 5 * 3600 else 40 * 3600 end) as acknowledged_at,
             case when t.fate < 0.72 then t.sent_at + make_interval(secs => 1800 + power(random(), 2) * case t.level when 'high' then 30 * 3600 when 'medium' then 80 * 3600 else 130 * 3600 end) end as first_contact_at,
             case when t.fate >= 0.72 and t.fate < 0.91 then t.sent_at + interval '2 days' end as rerouted_at,
             case when t.fate >= 0.72 and t.fate < 0.91 then ${u(s.handlerId)} end as rerouted_by
        from timed t) d
      returning id, organisation_id, state, created_at, acknowledged_at, first_contact_at, acknowledge_due_at, first_contact_due_at, contact_id, decision_reason
    ),
    events as (
      insert into referral_events (referral_id, partnership_id, organisation_id, from_state, to_state, actor_user_id, at, reason_code)
      select r.id, ${u(s.partnershipId)}, r.organisation_id, e.from_state, e.to_state, ${u(s.handlerId)}, e.at, e.reason
        from inserted r, lateral (values
          (null, 'sent', r.created_at, null),
          ('sent', 'acknowledged', r.acknowledged_at, null),
          ('acknowledged', case r.state when 'closed' then 'accepted' when 'declined' then 'declined' when 'redirected' then 'redirected' else 'withdrawn' end, r.acknowledged_at + interval '1 hour',
             r.decision_reason),
          ('accepted', case when r.state = 'closed' then 'first_contact_attempted' end, r.first_contact_at, null),
          ('first_contact_attempted', case when r.state = 'closed' then 'closed' end, r.first_contact_at + interval '60 days', null)
        ) as e(from_state, to_state, at, reason)
       where e.to_state is not null
      returning 1
    ),
    breaches as (
      insert into escalations (partnership_id, referral_id, clock, due_at, raised_at)
      select ${u(s.partnershipId)}, r.id, 'acknowledge', r.acknowledge_due_at, r.acknowledge_due_at + interval '5 minutes' from inserted r where r.acknowledged_at > r.acknowledge_due_at
      union all
      select ${u(s.partnershipId)}, r.id, 'first_contact', r.first_contact_due_at, r.first_contact_due_at + interval '5 minutes' from inserted r where r.first_contact_at > r.first_contact_due_at
      returning 1
    )
    select (select count(*) from inserted) as n, (select count(*) from events) as e, (select count(*) from breaches) as b`.execute(tx);

  if (b.from === 0) await sql`analyze referrals, calls`.execute(tx);
  // Cases for accepted referrals of a known person to a provider with caseworkers; most closed by now, with outcome measures.
  const organisations = [...s.caseworkers.keys()];
  let cases = 0;
  if (organisations.length > 0) {
    const caseworkerSql = sql`case ${sql.join(organisations.map((o) => sql`when r.organisation_id = ${o} then (${sql.val(s.caseworkers.get(o)!)}::uuid[])[1 + floor(random() * ${s.caseworkers.get(o)!.length})::int]`), sql` `)} end`;
    const { rows } = await sql<{ n: string }>`
      with opened as (
        insert into cases (partnership_id, organisation_id, person_id, reference, state, caseworker_id, opened_by, opened_at, closed_by, closed_at, closure_reason,
                           intake_feeling_safe, intake_wellbeing, intake_abuse, intake_recorded_at, exit_feeling_safe, exit_wellbeing, exit_abuse, exit_recorded_at)
        select k.*,
               -- outcome measures for about two cases in three: intake abuse weekly or daily, exit none to weekly (two types of abuse each),
               -- kept on the case as the trigger would (0020_case_outcome_facts.sql)
               case when m.measured then 2 + floor(random() * 4)::int end, case when m.measured then 2 + floor(random() * 4)::int end,
               case when m.measured then 2 * (3 + floor(random() * 2)::int) end, case when m.measured then k.opened_at end,
               case when m.measured and k.closed_at is not null then 5 + floor(random() * 6)::int end,
               case when m.measured and k.closed_at is not null then 4 + floor(random() * 6)::int end,
               case when m.measured and k.closed_at is not null then 2 * (array[0, 0, 1, 2, 3])[1 + floor(random() * 5)::int] end,
               case when m.measured and k.closed_at is not null then k.closed_at end
          from (
        select distinct on (r.organisation_id, c.person_id) ${u(s.partnershipId)}::uuid as partnership_id, r.organisation_id, c.person_id, 'SYNCASE-' || replace(r.id::text, '-', '') as reference,
               case when r.first_contact_at + interval '120 days' < ${b.end.toISOString()}::timestamptz then 'closed' else 'open' end as state,
               ${caseworkerSql} as caseworker_id, ${u(s.handlerId)}::uuid as opened_by, r.first_contact_at as opened_at,
               case when r.first_contact_at + interval '120 days' < ${b.end.toISOString()}::timestamptz then ${u(s.handlerId)}::uuid end as closed_by,
               case when r.first_contact_at + interval '120 days' < ${b.end.toISOString()}::timestamptz then r.first_contact_at + make_interval(days => 20 + floor(random() * 100)::int) end as closed_at,
               case when r.first_contact_at + interval '120 days' < ${b.end.toISOString()}::timestamptz then
                 (array['support_completed', 'support_completed', 'support_completed', 'disengaged', 'moved_out_of_area', 'transferred', 'declined_support', 'other'])[1 + floor(random() * 8)::int] end as closure_reason
          from referrals r join contacts c on c.id = r.contact_id
         where ${inBatch} and r.state = 'closed' and c.person_id is not null and r.organisation_id in (${sql.join(organisations)})
          ) k, lateral (select random() + 0 * extract(epoch from k.opened_at) < 0.65 as measured) m
        on conflict do nothing
        returning id, organisation_id, intake_feeling_safe, intake_wellbeing, intake_abuse, intake_recorded_at, exit_feeling_safe, exit_wellbeing, exit_abuse, exit_recorded_at
      ),
      measured as (
        insert into outcome_measures (partnership_id, organisation_id, case_id, stage, abuse, feeling_safe, wellbeing, recorded_by, recorded_at)
        select ${u(s.partnershipId)}, k.organisation_id, k.id, m.stage,
               jsonb_build_object('physical', jsonb_build_object('frequency', m.frequency, 'severity', 'medium'), 'coercive_control', jsonb_build_object('frequency', m.frequency, 'severity', 'high')),
               m.safe, m.wellbeing, ${u(s.handlerId)}, m.at
          from opened k, lateral (values
            ('intake', (array['none', 'once', 'monthly', 'weekly', 'daily'])[1 + k.intake_abuse / 2], k.intake_feeling_safe, k.intake_wellbeing, k.intake_recorded_at),
            ('exit', (array['none', 'once', 'monthly', 'weekly', 'daily'])[1 + k.exit_abuse / 2], k.exit_feeling_safe, k.exit_wellbeing, k.exit_recorded_at)
          ) as m(stage, frequency, safe, wellbeing, at)
         where m.at is not null
        returning 1
      )
      select (select count(*) from opened) as n, (select count(*) from measured) as m`.execute(tx);
    cases = Number(rows[0]?.n ?? 0);
  }

  if (b.from === 0) await sql`analyze cases`.execute(tx);
  // MARAC: every high-risk contact, heard on the day it was referred; repeats within 12 months of the person's last.
  await sql`
    insert into marac_referrals (partnership_id, organisation_id, contact_id, criteria, referred_on, referred_by, referring_organisation_id, status)
    select c.partnership_id, ${u(s.hubId)}, c.id, array['score'], (c.received_at at time zone 'Europe/London')::date, ${u(s.handlerId)}, ${u(s.hubId)}, 'heard'
      from contacts c where ${inBatch} and c.risk_level = 'high'
    on conflict do nothing`.execute(tx);
  await sql`
    with prior as (
      select m.id, (select pm.id from marac_referrals pm join contacts pc on pc.id = pm.contact_id
                     where pc.person_id = c.person_id and pm.id <> m.id and pm.referred_on >= m.referred_on - interval '12 months'
                       and (pm.referred_on < m.referred_on or (pm.referred_on = m.referred_on and pm.contact_id < m.contact_id))
                     order by pm.referred_on desc limit 1) as prior_id
        from marac_referrals m join contacts c on c.id = m.contact_id
       where ${inBatch} and c.person_id is not null
    )
    update marac_referrals m set repeat_of_id = prior.prior_id, previous_referred_on = (select p.referred_on from marac_referrals p where p.id = prior.prior_id)
      from prior where m.id = prior.id and prior.prior_id is not null`.execute(tx);
  return { referrals: Number(made[0]?.n ?? 0), cases };
}
