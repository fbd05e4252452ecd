/**
 * Retention (issue 9): what a partnership no longer keeps is anonymised in place, in
 * batches, each anonymisation audited by id (docs/retention.md). A dry run says what is due
 * and changes nothing. The daily run happens once a day however many spoc processes try:
 * the day's row in retention_runs is claimed by one of them.
 */
import { sql, type Kysely } from 'kysely';
import { inTransaction, type Tx } from '../../db/transaction.js';
import type { DB } from '../../db/types.js';
import { londonDate } from '../../lib/dates.js';
import { toJson } from '../../lib/json.js';
import { NotFound } from '../../lib/errors.js';
import { anonymisePeople, anonymiseUnlinkedContacts, startAnonymising } from './anonymise.js';
import { cutoffsAt, retentionRules, type Cutoffs, type RetentionRules } from './rules.js';

/** The named system actor the retention run acts as (never a user with every permission). */
export const RETENTION_JOB = 'system:retention-job';

/** What is due in a partnership, and (after a real run) what was done. */
export interface RetentionReport {
  partnershipId: string;
  partnershipSlug: string;
  rules: RetentionRules;
  cutoffs: Cutoffs;
  due: { people: string[]; unlinkedContacts: string[]; requestAnswers: number };
  /** Every row the due people and contacts reach, by record type. */
  records: Record<string, number>;
  dryRun: boolean;
  anonymised: { people: number; contacts: number; requestAnswersDeleted: number };
}

export interface RetentionOptions {
  dryRun?: boolean;
  now?: Date;
  batchSize?: number;
  /** Who acts, for the audit trail: the job, or the command line. */
  actor?: string;
  onProgress?: (progress: { recordType: 'person' | 'contact'; done: number; total: number }) => void;
}

/**
 * People due: none of their cases open, and nothing of theirs since the cutoff: no contact
 * received, no case opened or closed (a person with neither: the record made before it).
 */
export async function duePeople(db: Kysely<DB> | Tx, partnershipId: string, cutoff: Date): Promise<string[]> {
  const rows = await sql<{ id: string }>`
    select p.id from people p
     where p.partnership_id = ${partnershipId} and p.anonymised_at is null
       and not exists (select 1 from cases k where k.person_id = p.id
                        and (k.state = 'open' or k.closed_at >= ${cutoff} or k.opened_at >= ${cutoff}))
       and not exists (select 1 from contacts c where c.person_id = p.id and c.received_at >= ${cutoff})
       and (p.created_at < ${cutoff} or exists (select 1 from contacts c where c.person_id = p.id)
            or exists (select 1 from cases k where k.person_id = p.id))
     order by p.id`.execute(db);
  return rows.rows.map((r) => r.id);
}

/** Contacts never linked to a person, received and last changed before the cutoff, with no referral changed since. */
export async function dueUnlinkedContacts(db: Kysely<DB> | Tx, partnershipId: string, cutoff: Date): Promise<string[]> {
  const rows = await sql<{ id: string }>`
    select c.id from contacts c
     where c.partnership_id = ${partnershipId} and c.person_id is null and c.anonymised_at is null
       and c.received_at < ${cutoff} and c.updated_at < ${cutoff}
       and not exists (select 1 from referrals r where r.contact_id = c.id and r.updated_at >= ${cutoff})
     order by c.id`.execute(db);
  return rows.rows.map((r) => r.id);
}

/** How many rows of each kind the due people and contacts reach (what a real run would anonymise). */
async function recordCounts(db: Kysely<DB> | Tx, people: string[], contacts: string[]): Promise<Record<string, number>> {
  const p = sql`${sql.val(people)}::uuid[]`;
  const c = sql`(select id from contacts where person_id = any(${p}) or id = any(${sql.val(contacts)}::uuid[]))`;
  const k = sql`(select id from cases where person_id = any(${p}))`;
  const row = await sql<Record<string, string | number>>`
    select cardinality(${p}) as people,
           (select count(*) from contacts where id in ${c}) as contacts,
           (select count(*) from risk_assessments where contact_id in ${c}) as risk_assessments,
           (select count(*) from referrals where contact_id in ${c}) as referrals,
           (select count(*) from calls where contact_id in ${c}) as calls,
           (select count(*) from marac_referrals where contact_id in ${c}) as marac_referrals,
           (select count(*) from cases where id in ${k}) as cases,
           (select count(*) from case_notes where person_id = any(${p})) as case_notes,
           (select count(*) from household_members where case_id in ${k}) as household_members,
           (select count(*) from case_perpetrators where case_id in ${k}) as case_perpetrators,
           (select count(*) from case_actions where case_id in ${k}) as case_actions,
           (select count(*) from safety_plans where case_id in ${k}) as safety_plans`.execute(db);
  return Object.fromEntries(Object.entries(row.rows[0] ?? {}).map(([key, n]) => [key, Number(n)]));
}

function requestAnswersDue(partnershipId: string, cutoff: Date) {
  return sql`from idempotency_keys where created_at < ${cutoff} and user_id in (select id from users where partnership_id = ${partnershipId})`;
}

/** What is due in one partnership now (changes nothing). */
export async function retentionDue(db: Kysely<DB>, partnershipId: string, now = new Date()): Promise<RetentionReport> {
  return inTransaction(db, null, async (tx) => {
    const partnership = await tx.selectFrom('partnerships').select(['id', 'slug', 'settings']).where('id', '=', partnershipId).executeTakeFirst();
    if (!partnership) throw new NotFound('The partnership');
    const rules = retentionRules(partnership.settings);
    const cutoffs = cutoffsAt(now, rules);
    const people = await duePeople(tx, partnershipId, cutoffs.people);
    const unlinkedContacts = await dueUnlinkedContacts(tx, partnershipId, cutoffs.unlinkedContacts);
    const answers = await sql<{ n: string }>`select count(*) as n ${requestAnswersDue(partnershipId, cutoffs.requestAnswers)}`.execute(tx);
    return {
      partnershipId,
      partnershipSlug: partnership.slug,
      rules,
      cutoffs,
      due: { people, unlinkedContacts, requestAnswers: Number(answers.rows[0]?.n ?? 0) },
      records: await recordCounts(tx, people, unlinkedContacts),
      dryRun: true,
      anonymised: { people: 0, contacts: 0, requestAnswersDeleted: 0 },
    };
  });
}

/**
 * Anonymises what is due in one partnership, in batches (each its own transaction, so a
 * long run holds no lock for long and a stopped run resumes where it was), auditing each
 * person and contact by id. With `dryRun`, only says what is due.
 */
export async function runRetention(db: Kysely<DB>, partnershipId: string, options: RetentionOptions = {}): Promise<RetentionReport> {
  const now = options.now ?? new Date();
  const report = await retentionDue(db, partnershipId, now);
  if (options.dryRun) return report;
  const actor = options.actor ?? RETENTION_JOB;
  const batchSize = options.batchSize ?? 200;
  const auditRow = (action: string, recordType: string | null, recordId: string | null, details: Record<string, unknown>) => ({
    partnership_id: partnershipId,
    action,
    record_type: recordType,
    record_id: recordId,
    outcome: 'allowed' as const,
    details: toJson({ actor, ...details }),
  });
  const { people, unlinkedContacts } = report.due;
  let contacts = 0;
  for (let i = 0; i < people.length; i += batchSize) {
    const done = await inTransaction(db, null, async (tx) => {
      await startAnonymising(tx);
      const batch = await anonymisePeople(tx, partnershipId, people.slice(i, i + batchSize), now);
      if (batch.people.length > 0) {
        await tx
          .insertInto('audit_events')
          .values(batch.people.map((id) => auditRow('person.anonymise', 'person', id, { rule: 'peopleYears', contactIds: batch.contactsOf.get(id) ?? [], caseIds: batch.casesOf.get(id) ?? [] })))
          .execute();
      }
      return batch;
    });
    report.anonymised.people += done.people.length;
    contacts += [...done.contactsOf.values()].reduce((n, list) => n + list.length, 0);
    options.onProgress?.({ recordType: 'person', done: Math.min(i + batchSize, people.length), total: people.length });
  }
  for (let i = 0; i < unlinkedContacts.length; i += batchSize) {
    const done = await inTransaction(db, null, async (tx) => {
      await startAnonymising(tx);
      const batch = await anonymiseUnlinkedContacts(tx, partnershipId, unlinkedContacts.slice(i, i + batchSize), now);
      if (batch.length > 0) await tx.insertInto('audit_events').values(batch.map((id) => auditRow('contact.anonymise', 'contact', id, { rule: 'unlinkedContactYears' }))).execute();
      return batch;
    });
    contacts += done.length;
    options.onProgress?.({ recordType: 'contact', done: Math.min(i + batchSize, unlinkedContacts.length), total: unlinkedContacts.length });
  }
  report.anonymised.contacts = contacts;
  report.anonymised.requestAnswersDeleted = await inTransaction(db, null, async (tx) => {
    const deleted = await sql`delete ${requestAnswersDue(partnershipId, report.cutoffs.requestAnswers)}`.execute(tx);
    const count = Number(deleted.numAffectedRows ?? 0);
    // A run that found nothing leaves no row: the daily job would otherwise write one per partnership every day.
    if (report.anonymised.people + contacts + count > 0) {
      await tx
        .insertInto('audit_events')
        .values(auditRow('retention.run', null, null, { people: report.anonymised.people, contacts, requestAnswersDeleted: count, cutoffs: report.cutoffs }))
        .execute();
    }
    return count;
  });
  report.dryRun = false;
  return report;
}

export interface DailyRun {
  day: string;
  reports: RetentionReport[];
  /** Partnerships whose run failed (e.g. bad retention settings), by id, with the reason. */
  failed: Array<{ partnershipId: string; reason: string }>;
}

/**
 * The daily step: claims today's row (London date) and, if this process got it, runs
 * retention for every partnership (or one, for tests on a shared database). Null when
 * another process has run, or is running, today's.
 */
export async function runDailyRetention(db: Kysely<DB>, options: { now?: Date; partnershipId?: string } = {}): Promise<DailyRun | null> {
  const now = options.now ?? new Date();
  const day = londonDate(now);
  const claimed = await sql<{ run_on: string }>`insert into retention_runs (run_on) values (${day}) on conflict do nothing returning run_on`.execute(db);
  if (claimed.rows.length === 0) return null;
  let query = db.selectFrom('partnerships').select('id').orderBy('slug');
  if (options.partnershipId) query = query.where('id', '=', options.partnershipId);
  const result: DailyRun = { day, reports: [], failed: [] };
  for (const { id } of await query.execute()) {
    try {
      result.reports.push(await runRetention(db, id, { now }));
    } catch (error) {
      result.failed.push({ partnershipId: id, reason: (error as Error).message });
    }
  }
  const summary = Object.fromEntries(result.reports.map((r) => [r.partnershipId, r.anonymised]));
  await db
    .updateTable('retention_runs')
    .set({ finished_at: new Date(), summary: toJson({ ...summary, failed: result.failed.map((f) => f.partnershipId) }) })
    .where('run_on', '=', day)
    .execute();
  return result;
}
