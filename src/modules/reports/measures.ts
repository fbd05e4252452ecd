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
import { actAs, type Tx } from '../../db/transaction.js';
import type { Actor } from '../access/actor.js';
import { AGE_BANDS, EQUALITY_COLUMNS, EQUALITY_KEYS, optionsOf, type EqualityQuestion } from '../cases/equality.js';

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

/** Whether any filter narrows which contacts count. */
function contactFiltered(scope: Scope): boolean {
  return Boolean(scope.channel || scope.callerType || scope.riskLevel || scope.organisationId || scope.serviceId);
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
 * Readies a transaction for measures: no JIT compilation (it cost more than a second per
 * statement at 5,000,000 contacts, for aggregates that run in less), room to sort a
 * quarter's rows in memory for the percentiles, and the `aggregate` purpose, under which
 * row-level security lets report readers count the partnership's rows (only counts leave;
 * 0021_row_security.sql). Given an actor, first acts as them (a connection beside the
 * report's own transaction starts as no one).
 */
export async function forReports(tx: Tx, actor?: Actor): Promise<void> {
  if (actor) await actAs(tx, actor);
  await sql`select set_config('jit', 'off', true), set_config('work_mem', '64MB', true), set_config('app.purpose', 'aggregate', true)`.execute(tx);
}

/**
 * Runs `count` as the report reader, then goes back to the role the transaction had: the
 * role spoc_reporter (0024_report_reader.sql) reads only the tables the measures count, of
 * the actor's partnership, under the aggregate purpose for the roles it is for — what
 * spoc_app reads under that purpose, but through one policy that names no column but the
 * partnership, so a quarter's pass is an index-only, parallel scan instead of every person
 * policy on every row. Acting as a user and `forReports` come first.
 */
export async function asReportReader<T>(tx: Tx, count: (tx: Tx) => Promise<T>): Promise<T> {
  const { rows: [was] } = await sql<{ role: string; own: boolean }>`select current_user as role, current_user = session_user as own`.execute(tx);
  await sql`set local role spoc_reporter`.execute(tx);
  const result = await count(tx);
  await (was!.own ? sql`set local role none` : sql`set local role ${sql.id(was!.role)}`).execute(tx);
  return result;
}

async function rows<T>(tx: Tx, query: RawBuilder<T>): Promise<T[]> {
  return (await query.execute(tx)).rows;
}

const int = (v: unknown) => Number(v ?? 0);

/** Median and 90th percentile of `value`, from one sort (an aggregate: add `filter (…)` after it). */
const medianAndP90 = (value: RawBuilder<unknown>) => sql`percentile_cont(array[0.5, 0.9]) within group (order by ${value})`;
type Percentiles = (number | string | null)[] | null;
const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));

export interface Keyed {
  key: string;
  n: number;
}

/** Counts added up by key, in the order keys are first seen. */
function sumByKey(pairs: [string, number][]): Keyed[] {
  const counts = new Map<string, number>();
  for (const [key, n] of pairs) counts.set(key, (counts.get(key) ?? 0) + n);
  return [...counts].map(([key, n]) => ({ key, n }));
}

/**
 * Contacts received in the period, in one pass: by channel and caller type, by the level of
 * their latest risk assessment ('not_assessed' where there is none), and how many are not
 * yet linked to a person.
 */
export async function contacts(tx: Tx, scope: Scope) {
  const result = await rows(tx, sql<{ channel: string; caller_type: string; risk: string; unlinked: boolean; n: string }>`
    select c.channel, c.caller_type, coalesce(c.risk_level, 'not_assessed') as risk, c.person_id is null as unlinked, count(*) as n
      from contacts c where ${contactsInScope(scope)}
     group by 1, 2, 3, 4`);
  const byChannel = new Map<string, { channel: string; callerType: string; n: number }>();
  const risk = new Map<string, number>();
  let unlinked = 0;
  for (const r of result) {
    const key = `${r.channel} ${r.caller_type}`;
    const cell = byChannel.get(key) ?? { channel: r.channel, callerType: r.caller_type, n: 0 };
    cell.n += int(r.n);
    byChannel.set(key, cell);
    risk.set(r.risk, (risk.get(r.risk) ?? 0) + int(r.n));
    if (r.unlinked) unlinked += int(r.n);
  }
  return { byChannel: [...byChannel.values()], risk: [...risk].map(([key, n]) => ({ key, n })), unlinked };
}

/** Calls started in the period by outcome, and the time to answer those answered (seconds). */
export async function calls(tx: Tx, scope: Scope) {
  const { start, end } = bounds(scope);
  const filtered = contactFiltered(scope);
  const [row] = await rows(tx, sql<{ total: string; answered: string; abandoned: string; forwarded: string; callback_requested: string; unfinished: string; answer: Percentiles; within_60: string }>`
    select count(*) as total,
           count(*) filter (where k.outcome = 'answered') as answered,
           count(*) filter (where k.outcome = 'abandoned') as abandoned,
           count(*) filter (where k.outcome = 'forwarded') as forwarded,
           count(*) filter (where k.outcome = 'callback_requested') as callback_requested,
           count(*) filter (where k.outcome is null) as unfinished,
           ${medianAndP90(sql`extract(epoch from k.answered_at - k.started_at)`)} filter (where k.answered_at is not null) as answer,
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
    answerSeconds: { median: num(row?.answer?.[0]), p90: num(row?.answer?.[1]), within60: int(row?.within_60) },
  };
}

export interface Timing {
  key: string;
  n: number;
  medianHours: number | null;
  p90Hours: number | null;
}

/**
 * Referrals sent in the period, in one pass, by risk level: hours from a contact to its first
 * referral (first referrals only); hours from a referral to the first attempt to contact the
 * person, and how many still wait for one; response clocks breached (escalations raised,
 * marked on the referral by the database: 0016_report_facts.sql).
 */
export async function referralTimes(tx: Tx, scope: Scope) {
  const hours = (from: string, to: string) => sql`extract(epoch from ${sql.ref(to)} - ${sql.ref(from)}) / 3600`;
  const toReferral = hours('r.contact_received_at', 'r.created_at');
  const toAttempt = hours('r.created_at', 'r.first_contact_at');
  const result = await rows(tx, sql<{ key: string; sent: string; acknowledge_breached: string; first_contact_breached: string; first: string; to_referral: Percentiles; attempted: string; waiting: string; to_attempt: Percentiles }>`
    select r.risk_level as key, count(*) as sent,
           count(*) filter (where r.acknowledge_breached) as acknowledge_breached,
           count(*) filter (where r.first_contact_breached) as first_contact_breached,
           count(*) filter (where r.first_for_contact) as first,
           ${medianAndP90(toReferral)} filter (where r.first_for_contact) as to_referral,
           count(*) filter (where r.first_contact_at is not null) as attempted,
           count(*) filter (where r.first_contact_at is null and r.state not in ('declined', 'redirected', 'withdrawn', 'closed')) as waiting,
           ${medianAndP90(toAttempt)} filter (where r.first_contact_at is not null) as to_attempt
      from ${referralsInScope(scope)}
     group by r.risk_level`);
  return {
    sent: result.reduce((total, r) => total + int(r.sent), 0),
    breaches: result.flatMap((r) =>
      (['acknowledge', 'first_contact'] as const)
        .map((clock) => ({ clock, riskLevel: r.key, n: int(clock === 'acknowledge' ? r.acknowledge_breached : r.first_contact_breached) }))
        .filter((b) => b.n > 0),
    ),
    toReferral: result.filter((r) => int(r.first) > 0).map((r): Timing => ({ key: r.key, n: int(r.first), medianHours: num(r.to_referral?.[0]), p90Hours: num(r.to_referral?.[1]) })),
    toFirstContact: result.map((r) => ({ key: r.key, n: int(r.attempted), waiting: int(r.waiting), medianHours: num(r.to_attempt?.[0]), p90Hours: num(r.to_attempt?.[1]) })),
  };
}

/** Referrals sent in the period by what the service decided (its first decision), and declines by reason. */
export async function referralDecisions(tx: Tx, scope: Scope) {
  const result = await rows(tx, sql<{ key: string; reason: string | null; n: string }>`
    select coalesce(r.decision, case when r.state = 'withdrawn' then 'withdrawn' else 'awaiting' end) as key,
           case when r.decision = 'declined' then coalesce(r.decision_reason, 'other') end as reason, count(*) as n
      from ${referralsInScope(scope)}
     group by 1, 2`);
  return {
    decisions: sumByKey(result.map((r) => [r.key, int(r.n)])),
    declineReasons: sumByKey(result.flatMap((r): [string, number][] => (r.reason === null ? [] : [[r.reason, int(r.n)]]))),
  };
}

/** Referrals to MARAC made in the period, and how many were repeats (SafeLives: within 12 months of the last). */
export async function marac(tx: Tx, scope: Scope) {
  // The contact is joined only when a filter needs it.
  const filtered = contactFiltered(scope);
  const [row] = await rows(tx, sql<{ referrals: string; repeats: string }>`
    select count(*) as referrals, count(*) filter (where m.repeat_of_id is not null) as repeats
      from marac_referrals m ${filtered ? sql`join contacts c on c.id = m.contact_id` : none}
     where m.partnership_id = ${scope.partnershipId} and m.referred_on between ${scope.from}::date and ${scope.to}::date
       and m.status <> 'withdrawn' ${filtered ? sql`${contactAttributes(scope)} ${contactOwners(scope)}` : none}`);
  return { referrals: int(row?.referrals), repeats: int(row?.repeats) };
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
  // Each case's latest intake and exit measures ride on the case (0020_case_outcome_facts.sql).
  const [measured] = await rows(tx, sql<{ n: string; safe_in: string | null; safe_out: string | null; well_in: string | null; well_out: string | null; less_abuse: string; safer: string }>`
    select count(*) as n, avg(k.intake_feeling_safe) as safe_in, avg(k.exit_feeling_safe) as safe_out,
           avg(k.intake_wellbeing) as well_in, avg(k.exit_wellbeing) as well_out,
           count(*) filter (where k.exit_abuse < k.intake_abuse) as less_abuse,
           count(*) filter (where k.exit_feeling_safe > k.intake_feeling_safe) as safer
      from cases k where ${caseScope} and k.intake_abuse is not null and k.exit_abuse is not null`);
  return {
    closureReasons: reasons.map((r) => ({ key: r.key, n: int(r.n) })),
    measured: int(measured?.n),
    feelingSafe: { intake: num(measured?.safe_in), exit: num(measured?.safe_out) },
    wellbeing: { intake: num(measured?.well_in), exit: num(measured?.well_out) },
    lessAbuse: int(measured?.less_abuse),
    feelSafer: int(measured?.safer),
  };
}

/**
 * People (victims) who made contact in the period, each once, as at their first contact in
 * it: by each equality question (null: not recorded) and age band then; and how many are
 * repeat victims, who had also made contact in the 12 months before that first contact.
 * What it needs of the person, and when they last made contact before, is on each contact,
 * kept by the database (0016_report_facts.sql, 0019_contact_person_facts.sql): the period's
 * contacts answer it alone.
 */
export async function people(tx: Tx, scope: Scope) {
  const columns = sql`c.received_at as first_at, c.previous_contact_at, c.person_born,
           ${sql.join(EQUALITY_KEYS.map((key) => sql`c.${sql.ref(`person_${EQUALITY_COLUMNS[key]}`)} as ${sql.ref(key)}`))}`;
  const victims = sql`${contactsInScope(scope)} and c.person_id is not null and c.person_role = 'victim'`;
  // Unfiltered, a person's first contact in the period is the one whose previous contact
  // (kept in (received_at, id) order) came before the period: no sort of the period's
  // contacts by person. A filter may pass over that one, so then each person's first
  // matching contact is found by sorting.
  const firsts = contactFiltered(scope)
    ? sql`select distinct on (c.person_id) ${columns} from contacts c where ${victims} order by c.person_id, c.received_at, c.id`
    : sql`select ${columns} from contacts c where ${victims} and (c.previous_contact_at is null or c.previous_contact_at < ${bounds(scope).start})`;
  // One row of counts: each question's answers in the order of its options, then not
  // recorded (the database holds only those answers: 0012_reports.sql); age bands likewise.
  // Age is worked out once per person (offset 0 keeps it from being copied into each band's
  // count), and the counts add up across PostgreSQL's parallel workers.
  const counted = (column: string, values: readonly (string | number)[]) =>
    sql`array[${sql.join([...values.map((value) => sql`count(*) filter (where f.${sql.ref(column)} = ${sql.lit(value)})`), sql`count(*) filter (where f.${sql.ref(column)} is null)`])}]`;
  const thresholds = AGE_BANDS.slice(0, -1).map((band) => sql.lit(band.max + 1));
  const [row] = await rows(tx, sql<Record<string, string[]> & { people: string; repeats: string }>`
    select count(*) as people,
           count(*) filter (where f.previous_contact_at < f.first_at and f.previous_contact_at >= f.first_at - interval '12 months') as repeats,
           ${sql.join(EQUALITY_KEYS.map((key) => sql`${counted(key, optionsOf(key))} as ${sql.ref(key)}`))},
           ${counted('age', AGE_BANDS.map((_, i) => i))} as age
      from (select f.*, width_bucket(extract(year from age((f.first_at at time zone 'Europe/London')::date, f.person_born))::int, array[${sql.join(thresholds)}]) as age
              from (${firsts}) f offset 0) f`);
  const tally = (keys: readonly string[], counts: string[] | undefined): Keyed[] =>
    [...keys, 'not_recorded'].map((key, i) => ({ key, n: int(counts?.[i]) })).filter((answer) => answer.n > 0);
  const byQuestion = Object.fromEntries(EQUALITY_KEYS.map((key) => [key, tally(optionsOf(key), row?.[key])])) as Record<EqualityQuestion, Keyed[]>;
  return {
    equality: { ...byQuestion, age: tally(AGE_BANDS.map((band) => band.key), row?.age), people: int(row?.people) },
    repeats: int(row?.repeats),
  };
}

/** Runs a measure's queries: in the report's own transaction, or beside it on another connection seeing the same data. */
export type Runner = <T>(measure: (tx: Tx) => Promise<T>) => Promise<T>;

/** Every measure of a period. The queries are independent: a runner may run them at once. */
export async function measureAll(run: Runner, scope: Scope) {
  const [counted, times, decisions, calledIn, maracFigures, victims, outcomes] = await Promise.all([
    run((tx) => contacts(tx, scope)),
    run((tx) => referralTimes(tx, scope)),
    run((tx) => referralDecisions(tx, scope)),
    run((tx) => calls(tx, scope)),
    run((tx) => marac(tx, scope)),
    run((tx) => people(tx, scope)),
    run((tx) => outcomesAtExit(tx, scope)),
  ]);
  return {
    byChannel: counted.byChannel,
    risk: counted.risk,
    calls: calledIn,
    toReferral: times.toReferral,
    toFirstContact: times.toFirstContact,
    decisions,
    breaches: { breaches: times.breaches, referrals: times.sent },
    marac: maracFigures,
    repeats: { people: victims.equality.people, repeats: victims.repeats, contactsNotLinked: counted.unlinked },
    outcomes,
    equality: victims.equality,
  };
}
