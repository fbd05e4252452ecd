/**
 * The anonymiser's statements: personal data replaced with neutral values ('' for text, null
 * where a column may be empty, {} / [] for JSON), rows kept with their ids, dates, channels,
 * levels, states and outcome figures so reports still count them. Every statement is
 * idempotent. Run in a transaction that has said `app.anonymising` (see 0017_retention.sql):
 * the append-only tables let such a transaction change their free text, and nothing else.
 */
import { sql } from 'kysely';
import type { Tx } from '../../db/transaction.js';

const ids = (list: readonly string[]) => sql`${sql.val(list)}::uuid[]`;

/** Lets the append-only tables take the anonymiser's updates, for the rest of this transaction only. */
export async function startAnonymising(tx: Tx): Promise<void> {
  await sql`select set_config('app.anonymising', 'on', true)`.execute(tx);
}

export interface AnonymisedPeople {
  people: string[];
  /** The person's contacts and cases, by person id (for the audit trail). */
  contactsOf: Map<string, string[]>;
  casesOf: Map<string, string[]>;
}

/** Anonymises these people (of this partnership, not done already), their contacts and their cases. */
export async function anonymisePeople(tx: Tx, partnershipId: string, personIds: readonly string[], now: Date): Promise<AnonymisedPeople> {
  const done = await sql<{ id: string }>`
    update people set name = '', other_names = '{}', search_name = '', date_of_birth = null, gender = null,
           postcode = null, phone_digits = '{}', identifiers = '{}'::jsonb, sex = null, gender_same_as_birth = null,
           ethnicity = null, disability = null, sexual_orientation = null, religion = null, anonymised_at = ${now}
     where id = any(${ids(personIds)}) and partnership_id = ${partnershipId} and anonymised_at is null
    returning id`.execute(tx);
  const people = done.rows.map((r) => r.id);
  const result: AnonymisedPeople = { people, contactsOf: new Map(), casesOf: new Map() };
  if (people.length === 0) return result;
  const contacts = await sql<{ id: string; person_id: string }>`
    update contacts set ${contactFields(now)} where person_id = any(${ids(people)}) returning id, person_id`.execute(tx);
  await anonymiseAroundContacts(tx, contacts.rows.map((r) => r.id));
  const cases = await sql<{ id: string; person_id: string }>`
    update cases set closure_note = null where person_id = any(${ids(people)}) returning id, person_id`.execute(tx);
  await anonymiseCases(tx, people, cases.rows.map((r) => r.id));
  for (const row of contacts.rows) result.contactsOf.set(row.person_id, [...(result.contactsOf.get(row.person_id) ?? []), row.id]);
  for (const row of cases.rows) result.casesOf.set(row.person_id, [...(result.casesOf.get(row.person_id) ?? []), row.id]);
  return result;
}

/** Anonymises these contacts that belong to no person (of this partnership, not done already). */
export async function anonymiseUnlinkedContacts(tx: Tx, partnershipId: string, contactIds: readonly string[], now: Date): Promise<string[]> {
  const done = await sql<{ id: string }>`
    update contacts set ${contactFields(now)}
     where id = any(${ids(contactIds)}) and partnership_id = ${partnershipId} and person_id is null and anonymised_at is null
    returning id`.execute(tx);
  const contacts = done.rows.map((r) => r.id);
  if (contacts.length > 0) await anonymiseAroundContacts(tx, contacts);
  return contacts;
}

/** What a contact records about people: the person, the caller, safe contact, children, perpetrators, the account. */
function contactFields(now: Date) {
  return sql`person = '{}'::jsonb, caller = case when caller is null or caller = 'null'::jsonb then caller else '{}'::jsonb end,
             safe_contact = '{}'::jsonb, children = '[]'::jsonb, perpetrators = '[]'::jsonb, summary = '',
             anonymised_at = coalesce(anonymised_at, ${now})`;
}

/** The free text hanging off contacts: the checklist's judgement, referrals' reasons and history, attempts, calls' numbers, MARAC. */
async function anonymiseAroundContacts(tx: Tx, contactIds: readonly string[]): Promise<void> {
  if (contactIds.length === 0) return;
  const c = ids(contactIds);
  const referrals = sql`select id from referrals where contact_id = any(${c})`;
  const marac = sql`select id from marac_referrals where contact_id = any(${c})`;
  const statements = [
    sql`update risk_assessments set judgement_reason = null where contact_id = any(${c}) and judgement_reason is not null`,
    sql`update referrals set added_reason = null where contact_id = any(${c}) and added_reason is not null`,
    sql`update referral_events set reason_text = null where referral_id in (${referrals}) and reason_text is not null`,
    sql`update contact_attempts set note = '' where referral_id in (${referrals}) and note <> ''`,
    sql`update calls set from_number = null where contact_id = any(${c}) and from_number is not null`,
    sql`update contact_links set reason = '' where (contact_id = any(${c}) or linked_contact_id = any(${c})) and reason <> ''`,
    sql`update marac_referrals set reason = null where contact_id = any(${c}) and reason is not null`,
    sql`update marac_research set summary = '' where marac_referral_id in (${marac}) and summary <> ''`,
    sql`update marac_actions set description = '' where marac_referral_id in (${marac}) and description <> ''`,
  ];
  for (const statement of statements) await statement.execute(tx);
}

/** A case's household, alleged perpetrators, notes, actions and safety plans (outcome figures and programme places stay). */
async function anonymiseCases(tx: Tx, personIds: readonly string[], caseIds: readonly string[]): Promise<void> {
  const p = ids(personIds);
  const k = ids(caseIds);
  const statements = [
    sql`update case_notes set body = '' where person_id = any(${p}) and body <> ''`,
    sql`update household_members set name = '', date_of_birth = null, school = '' where case_id = any(${k})`,
    sql`update case_perpetrators set name = '', other_names = '{}', date_of_birth = null, phones = '{}', phone_digits = '{}',
               vehicles = '{}', addresses = '{}', identifiers = '{}'::jsonb where case_id = any(${k})`,
    sql`update case_actions set title = '' where case_id = any(${k}) and title <> ''`,
    sql`update safety_plans set content = '{}'::jsonb where case_id = any(${k}) and content <> '{}'::jsonb`,
  ];
  for (const statement of statements) await statement.execute(tx);
}
