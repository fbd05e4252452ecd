/**
 * The measures of SPEC §7, each one SQL statement over a period and filters, answering
 * raw counts and figures (suppression is the service's, after). A period is London days,
 * first to last included. What counts in a period:
 *  - contacts, risk, repeat victims, equality: contacts received in it;
 *  - calls: calls started in it;
 *  - referral times, outcomes and clock breaches: referrals sent in it;
 *  - MARAC: referrals to MARAC made in it; outcomes at exit: cases closed in it.
 * Filters narrow each measure to what matches: channel, caller type and risk level by the
 * contact; organisation and service by the referral (or, for contacts, "recorded by or
 * referred to"; for cases, the organisation holding the case).
 */
import { sql, type RawBuilder } from 'kysely';
import type { Tx } from '../../db/transaction.js';
import { AGE_BANDS, EQUALITY_COLUMNS, EQUALITY_KEYS, type EqualityQuestion } from '../cases/equality.js';

export interface Scope {
  partnershipId: string;
  from: string;
  to: string;
  organisationId?: string | undefined;
  serviceId?: string | undefined;
  channel?: string | undefined;
  callerType?: string | undefined;
  /** standard | medium | high | not_assessed */
  riskLevel?: string | undefined;
}

const none = sql``;

/** Start and end (exclusive) of a period as instants: midnight in London on its first day and the day after its last. */
function bounds(scope: Scope) {
  return {
    start: sql`(${scope.from}::date::timestamp at time zone 'Europe/London')`,
    end: sql`((${scope.to}::date + 1)::timestamp at time zone 'Europe/London')`,
  };
}

/** Filters on a contact (alias `c`) by its own attributes. */
function contactAttributes(scope: Scope): RawBuilder<unknown> {
  return sql.join(
    [
      scope.channel ? sql`and c.channel = ${scope.channel}` : none,
      scope.callerType ? sql`and c.caller_type = ${scope.callerType}` : none,
      scope.riskLevel === 'not_assessed' ? sql`and c.risk_level is null` : scope.riskLevel ? sql`and c.risk_level = ${scope.riskLevel}` : none,
    ],
    sql` `,
  );
}

/** Filters on a contact (alias `c`) by organisation and service: recorded by, or referred to. */
function contactOwners(scope: Scope): RawBuilder<unknown> {
  return sql.join(
    [
      scope.organisationId
        ? sql`and (c.organisation_id = ${scope.organisationId} or exists (select 1 from referrals fr where fr.contact_id = c.id and fr.organisation_id = ${scope.organisationId}))`
        : none,
      scope.serviceId ? sql`and exists (select 1 from referrals fs where fs.contact_id = c.id and fs.service_id = ${scope.serviceId})` : none,
    ],
    sql` `,
  );
}

/** Contacts (alias `c`) received in the period and matching every filter. */
function contactsInScope(scope: Scope): RawBuilder<unknown> {
  const { start, end } = bounds(scope);
  return sql`c.partnership_id = ${scope.partnershipId} and c.received_at >= ${start} and c.received_at < ${end} ${contactAttributes(scope)} ${contactOwners(scope)}`;
}

/**
 * Referrals (alias `r`) sent in the period and matching every filter. The contact (alias
 * `c`) is joined only when a filter needs it: a referral row carries what the measures
 * group by (0014_report_speed.sql).
 */
function referralsInScope(scope: Scope): RawBuilder<unknown> {
  const { start, end } = bounds(scope);
  const byContact = scope.channel || scope.callerType;
  return sql`referrals r ${byContact ? sql`join contacts c on c.id = r.contact_id` : none}
    where r.partnership_id = ${scope.partnershipId} and r.created_at >= ${start} and r.created_at < ${end}
    ${scope.channel ? sql`and c.channel = ${scope.channel}` : none}
    ${scope.callerType ? sql`and c.caller_type = ${scope.callerType}` : none}
    ${scope.riskLevel === 'not_assessed' ? sql`and false` : scope.riskLevel ? sql`and r.risk_level = ${scope.riskLevel}` : none}
    ${scope.organisationId ? sql`and r.organisation_id = ${scope.organisationId}` : none}
    ${scope.serviceId ? sql`and r.service_id = ${scope.serviceId}` : none}`;
}

/**
 * Settings for a transaction that reports: no JIT compilation (it cost more than a second
 * per statement at 5,000,000 contacts, for aggregates that run in less) and room to sort a
 * quarter's rows in memory for the percentiles.
 */
export async function forReports(tx: Tx): Promise<void> {
  await sql`select set_config('jit', 'off', true), set_config('work_mem', '64MB', true)`.execute(tx);
}

async function rows<T>(tx: Tx, query: RawBuilder<T>): Promise<T[]> {
  return (await query.execute(tx)).rows;
}

const int = (v: unknown) => Number(v ?? 0);
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export interface Keyed {
  key: string;
  n: number;
}

/** Contacts by channel and caller type. */
export async function contactsByChannel(tx: Tx, scope: Scope) {
  const result = await rows(tx, sql<{ channel: string; caller_type: string; n: string }>`
    select c.channel, c.caller_type, count(*) as n from contacts c where ${contactsInScope(scope)}
    group by c.channel, c.caller_type`);
  return result.map((r) => ({ channel: r.channel, callerType: r.caller_type, n: int(r.n) }));
}

/** Contacts by the level of their latest risk assessment ('not_assessed' where there is none). */
export async function riskDistribution(tx: Tx, scope: Scope): Promise<Keyed[]> {
  const result = await rows(tx, sql<{ key: string; n: string }>`
    select coalesce(c.risk_level, 'not_assessed') as key, count(*) as n from contacts c where ${contactsInScope(scope)} group by 1`);
  return result.map((r) => ({ key: r.key, n: int(r.n) }));
}

/** Calls started in the period by outcome, and the time to answer those answered (seconds). */
export async function calls(tx: Tx, scope: Scope) {
  const { start, end } = bounds(scope);
  const filtered = scope.channel || scope.callerType || scope.riskLevel || scope.organisationId || scope.serviceId;
  const [row] = await rows(tx, sql<{ total: string; answered: string; abandoned: string; forwarded: string; callback_requested: string; unfinished: string; median: string | null; p90: string | null; within_60: string }>`
    select count(*) as total,
           count(*) filter (where k.outcome = 'answered') as answered,
           count(*) filter (where k.outcome = 'abandoned') as abandoned,
           count(*) filter (where k.outcome = 'forwarded') as forwarded,
           count(*) filter (where k.outcome = 'callback_requested') as callback_requested,
           count(*) filter (where k.outcome is null) as unfinished,
           percentile_cont(0.5) within group (order by extract(epoch from k.answered_at - k.started_at)) filter (where k.answered_at is not null) as median,
           percentile_cont(0.9) within group (order by extract(epoch from k.answered_at - k.started_at)) filter (where k.answered_at is not null) as p90,
           count(*) filter (where k.answered_at is not null and k.answered_at - k.started_at <= interval '60 seconds') as within_60
      from calls k ${filtered ? sql`join contacts c on c.id = k.contact_id` : none}
     where k.partnership_id = ${scope.partnershipId} and k.started_at >= ${start} and k.started_at < ${end}
       ${filtered ? sql`${contactAttributes(scope)} ${contactOwners(scope)}` : none}`);
  return {
    total: int(row?.total),
    byOutcome: [
      { key: 'answered', n: int(row?.answered) },
      { key: 'abandoned', n: int(row?.abandoned) },
      { key: 'callback_requested', n: int(row?.callback_requested) },
      { key: 'forwarded', n: int(row?.forwarded) },
      { key: 'unfinished', n: int(row?.unfinished) },
    ],
    answerSeconds: { median: num(row?.median), p90: num(row?.p90), within60: int(row?.within_60) },
  };
}

export interface Timing {
  key: string;
  n: number;
  medianHours: number | null;
  p90Hours: number | null;
}

/** Hours from a contact to its first referral, for first referrals sent in the period, by the referral's risk level. */
export async function contactToReferral(tx: Tx, scope: Scope): Promise<Timing[]> {
  const result = await rows(tx, sql<{ key: string; n: string; median: string | null; p90: string | null }>`
    select r.risk_level as key, count(*) as n,
           percentile_cont(0.5) within group (order by extract(epoch from r.created_at - r.contact_received_at) / 3600) as median,
           percentile_cont(0.9) within group (order by extract(epoch from r.created_at - r.contact_received_at) / 3600) as p90
      from ${referralsInScope(scope)} and r.first_for_contact
     group by r.risk_level`);
  return result.map((r) => ({ key: r.key, n: int(r.n), medianHours: num(r.median), p90Hours: num(r.p90) }));
}

/** Hours from a referral to the first attempt to contact the person, for referrals sent in the period, by risk level; and how many still wait. */
export async function referralToFirstContact(tx: Tx, scope: Scope): Promise<(Timing & { waiting: number })[]> {
  const result = await rows(tx, sql<{ key: string; n: string; waiting: string; median: string | null; p90: string | null }>`
    select r.risk_level as key,
           count(*) filter (where r.first_contact_at is not null) as n,
           count(*) filter (where r.first_contact_at is null and r.state not in ('declined', 'redirected', 'withdrawn', 'closed')) as waiting,
           percentile_cont(0.5) within group (order by extract(epoch from r.first_contact_at - r.created_at) / 3600) filter (where r.first_contact_at is not null) as median,
           percentile_cont(0.9) within group (order by extract(epoch from r.first_contact_at - r.created_at) / 3600) filter (where r.first_contact_at is not null) as p90
      from ${referralsInScope(scope)}
     group by r.risk_level`);
  return result.map((r) => ({ key: r.key, n: int(r.n), waiting: int(r.waiting), medianHours: num(r.median), p90Hours: num(r.p90) }));
}

/** Referrals sent in the period by what the service decided (its first decision), and declines by reason. */
export async function referralDecisions(tx: Tx, scope: Scope) {
  const decided = await rows(tx, sql<{ key: string; n: string }>`
    select coalesce(r.decision, case when r.state = 'withdrawn' then 'withdrawn' else 'awaiting' end) as key, count(*) as n
      from ${referralsInScope(scope)}
     group by 1`);
  const reasons = await rows(tx, sql<{ key: string; n: string }>`
    select coalesce(r.decision_reason, 'other') as key, count(*) as n
      from ${referralsInScope(scope)} and r.decision = 'declined'
     group by 1`);
  return { decisions: decided.map((r) => ({ key: r.key, n: int(r.n) })), declineReasons: reasons.map((r) => ({ key: r.key, n: int(r.n) })) };
}

/** Response clocks breached (escalations raised) for referrals sent in the period, by clock and risk level; and the referrals they came from. */
export async function clockBreaches(tx: Tx, scope: Scope) {
  const result = await rows(tx, sql<{ clock: string; risk_level: string; n: string }>`
    select x.clock, s.risk_level, count(*) as n
      from (select r.id, r.risk_level from ${referralsInScope(scope)}) s join escalations x on x.referral_id = s.id
     group by x.clock, s.risk_level`);
  const [sent] = await rows(tx, sql<{ n: string }>`select count(*) as n from ${referralsInScope(scope)}`);
  return { breaches: result.map((r) => ({ clock: r.clock, riskLevel: r.risk_level, n: int(r.n) })), referrals: int(sent?.n) };
}

/** Referrals to MARAC made in the period, and how many were repeats (SafeLives: within 12 months of the last). */
export async function marac(tx: Tx, scope: Scope) {
  const [row] = await rows(tx, sql<{ referrals: string; repeats: string }>`
    select count(*) as referrals, count(*) filter (where m.repeat_of_id is not null) as repeats
      from marac_referrals m join contacts c on c.id = m.contact_id
     where m.partnership_id = ${scope.partnershipId} and m.referred_on between ${scope.from}::date and ${scope.to}::date
       and m.status <> 'withdrawn' ${contactAttributes(scope)} ${contactOwners(scope)}`);
  return { referrals: int(row?.referrals), repeats: int(row?.repeats) };
}

/** People who made contact in the period; those who had also made contact in the 12 months before their first contact in it are repeat victims. */
export async function repeatVictims(tx: Tx, scope: Scope) {
  const [row] = await rows(tx, sql<{ people: string; repeats: string; unlinked: string }>`
    with firsts as (
      select c.person_id, min(c.received_at) as first_at from contacts c join people v on v.id = c.person_id and v.role = 'victim'
       where ${contactsInScope(scope)} group by c.person_id
    )
    select (select count(*) from firsts) as people,
           (select count(*) from firsts f where exists (
              select 1 from contacts p where p.person_id = f.person_id and p.received_at < f.first_at and p.received_at >= f.first_at - interval '12 months')) as repeats,
           (select count(*) from contacts c where ${contactsInScope(scope)} and c.person_id is null) as unlinked`);
  return { people: int(row?.people), repeats: int(row?.repeats), contactsNotLinked: int(row?.unlinked) };
}

/** Cases closed in the period by reason, and the change between intake and exit measures for those with both. */
export async function outcomesAtExit(tx: Tx, scope: Scope) {
  const { start, end } = bounds(scope);
  const caseScope = sql`k.partnership_id = ${scope.partnershipId} and k.closed_at >= ${start} and k.closed_at < ${end}
    ${scope.organisationId ? sql`and k.organisation_id = ${scope.organisationId}` : none}
    ${scope.serviceId ? sql`and exists (select 1 from referrals sr where sr.case_id = k.id and sr.service_id = ${scope.serviceId})` : none}
    ${scope.channel || scope.callerType || scope.riskLevel
      ? sql`and exists (select 1 from contacts c where c.person_id = k.person_id and c.partnership_id = k.partnership_id ${contactAttributes(scope)})`
      : none}`;
  const reasons = await rows(tx, sql<{ key: string; n: string }>`
    select coalesce(k.closure_reason, 'other') as key, count(*) as n from cases k where ${caseScope} group by 1`);
  // Abuse counted as the sum over its types of how often it happened (none 0 … daily 4).
  const [measured] = await rows(tx, sql<{ n: string; safe_in: string | null; safe_out: string | null; well_in: string | null; well_out: string | null; less_abuse: string; safer: string }>`
    with closed as (select k.id from cases k where ${caseScope}),
    latest as (
      select distinct on (o.case_id, o.stage) o.case_id, o.stage, o.feeling_safe, o.wellbeing,
             (select coalesce(sum(case a.value->>'frequency' when 'once' then 1 when 'monthly' then 2 when 'weekly' then 3 when 'daily' then 4 else 0 end), 0)
                from jsonb_each(o.abuse) a) as abuse
        from outcome_measures o join closed on closed.id = o.case_id
       order by o.case_id, o.stage, o.recorded_at desc
    ),
    pairs as (
      select i.case_id, i.feeling_safe as safe_in, x.feeling_safe as safe_out, i.wellbeing as well_in, x.wellbeing as well_out, i.abuse as abuse_in, x.abuse as abuse_out
        from latest i join latest x on x.case_id = i.case_id and x.stage = 'exit' where i.stage = 'intake'
    )
    select count(*) as n, avg(safe_in) as safe_in, avg(safe_out) as safe_out, avg(well_in) as well_in, avg(well_out) as well_out,
           count(*) filter (where abuse_out < abuse_in) as less_abuse, count(*) filter (where safe_out > safe_in) as safer
      from pairs`);
  return {
    closureReasons: reasons.map((r) => ({ key: r.key, n: int(r.n) })),
    measured: int(measured?.n),
    feelingSafe: { intake: num(measured?.safe_in), exit: num(measured?.safe_out) },
    wellbeing: { intake: num(measured?.well_in), exit: num(measured?.well_out) },
    lessAbuse: int(measured?.less_abuse),
    feelSafer: int(measured?.safer),
  };
}

/** People (victims) who made contact in the period, by each equality question (null: not recorded) and by age band at their first contact in it. */
export async function equality(tx: Tx, scope: Scope) {
  const firsts = sql`select c.person_id, min(c.received_at) as first_at from contacts c
    where ${contactsInScope(scope)} and c.person_id is not null group by c.person_id`;
  const answers = await rows(tx, sql<Record<string, string | null> & { n: string }>`
    select ${sql.join(EQUALITY_KEYS.map((key) => sql`p.${sql.ref(EQUALITY_COLUMNS[key])} as ${sql.ref(key)}`))},
           case when p.date_of_birth is null then null
                else extract(year from age((f.first_at at time zone 'Europe/London')::date, p.date_of_birth))::int end as age,
           count(*) as n
      from (${firsts}) f join people p on p.id = f.person_id
     where p.role = 'victim'
     group by ${sql.join(EQUALITY_KEYS.map((key) => sql.ref(key)))}, age`);
  const tally = (pick: (row: Record<string, string | null>) => string) => {
    const counts = new Map<string, number>();
    for (const row of answers) counts.set(pick(row), (counts.get(pick(row)) ?? 0) + int(row.n));
    return [...counts].map(([key, n]) => ({ key, n }));
  };
  const byQuestion = Object.fromEntries(EQUALITY_KEYS.map((key) => [key, tally((row) => row[key] ?? 'not_recorded')])) as Record<EqualityQuestion, Keyed[]>;
  const ageBand = (age: string | null | undefined) => (age === null || age === undefined ? 'not_recorded' : AGE_BANDS.find((band) => Number(age) <= band.max)!.key);
  return { ...byQuestion, age: tally((row) => ageBand(row.age)), people: answers.reduce((total, row) => total + int(row.n), 0) };
}
