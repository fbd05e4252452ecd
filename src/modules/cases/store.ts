import { sql } from 'kysely';
import type { Tx } from '../../db/transaction.js';
import { decrypt, phoneMatchTerms, sealPhones } from '../../lib/crypto.js';
import { toJson } from '../../lib/json.js';

/** What the matching query needs to know of the contact's person. */
export interface MatchQuery {
  partnershipId: string;
  /** Lower-cased names joined with spaces ('' when none was given). */
  name: string;
  dateOfBirth: string | null;
  /** National digits as given: matched by their keyed hashes (lib/crypto phoneMatchTerms). */
  phoneDigits: string[];
  postcode: string | null;
  limit: number;
}

export interface CandidateRow {
  id: string;
  organisation_id: string;
  name: string;
  other_names: string[];
  date_of_birth: string | null;
  gender: string | null;
  postcode: string | null;
  phone_digits: string[];
  name_similarity: number;
}

/** The words of a name as person_name_keys() splits them (apostrophes dropped, split at anything not a letter). */
export function nameWords(name: string): string[] {
  return [...new Set(name.toLowerCase().replace(/'/g, '').split(/[^\p{L}]+/u).filter(Boolean))].slice(0, 4);
}

/**
 * Known people who share something with the contact's person: a name whose every word is
 * at most one edit from a word of theirs (any two words, when three or more are given —
 * the index on person_name_keys answers it), the date of birth, a phone number or the
 * postcode. Each branch is bounded and indexed, so this stays fast among millions of people.
 */
export async function findCandidates(tx: Tx, q: MatchQuery): Promise<CandidateRow[]> {
  const branches = [];
  const words = nameWords(q.name);
  if (words.length > 0) {
    const alike = (w: string) => sql`person_name_keys(search_name) && person_name_keys(${w})`;
    const pairs = words.length < 3 ? [words] : words.flatMap((a, i) => words.slice(i + 1).map((b) => [a, b]));
    const name = sql.join(pairs.map((pair) => sql`(${sql.join(pair.map(alike), sql` and `)})`), sql` or `);
    branches.push(sql`(select id from people where partnership_id = ${q.partnershipId} and role = 'victim' and (${name})
      order by ${q.name} <<-> search_name limit ${q.limit})`);
  }
  if (q.dateOfBirth) branches.push(sql`(select id from people where partnership_id = ${q.partnershipId} and role = 'victim' and date_of_birth = ${q.dateOfBirth} limit ${q.limit})`);
  if (q.phoneDigits.length > 0) {
    const terms = phoneMatchTerms(q.phoneDigits);
    branches.push(sql`(select id from people where partnership_id = ${q.partnershipId} and role = 'victim' and phone_digits && ${terms}::text[] limit ${q.limit})`);
  }
  if (q.postcode) branches.push(sql`(select id from people where partnership_id = ${q.partnershipId} and role = 'victim' and postcode = ${q.postcode} limit ${q.limit})`);
  if (branches.length === 0) return [];
  const { rows } = await sql<CandidateRow>`select p.id, p.organisation_id, p.name, p.other_names, p.date_of_birth, p.gender, p.postcode, p.phone_digits,
      word_similarity(${q.name}, p.search_name) as name_similarity
    from people p where p.id in (${sql.join(branches, sql` union `)})`.execute(tx);
  return rows;
}

export function findPerson(tx: Tx, id: string) {
  return tx.selectFrom('people').selectAll().where('id', '=', id).executeTakeFirst();
}
export type PersonRow = NonNullable<Awaited<ReturnType<typeof findPerson>>>;

export function insertPerson(
  tx: Tx,
  values: {
    partnershipId: string;
    organisationId: string;
    name: string;
    otherNames: string[];
    dateOfBirth: string | null;
    gender: string | null;
    postcode: string | null;
    phoneDigits: string[];
    contactId: string;
    createdBy: string;
    role: 'victim' | 'perpetrator';
  },
) {
  return tx
    .insertInto('people')
    .values({
      partnership_id: values.partnershipId,
      organisation_id: values.organisationId,
      role: values.role,
      name: values.name,
      other_names: values.otherNames,
      search_name: searchName([values.name, ...values.otherNames]),
      date_of_birth: values.dateOfBirth,
      gender: values.gender,
      postcode: values.postcode,
      // Keyed hashes to match on, and the digits sealed (lib/crypto sealPhones).
      phone_digits: sealPhones(values.phoneDigits),
      identifiers: toJson({}),
      created_from_contact_id: values.contactId,
      created_by: values.createdBy,
    })
    .returningAll()
    .executeTakeFirstOrThrow();
}

/** Every name a person is known by, lower-cased, as the trigram index holds it. */
export function searchName(names: readonly string[]): string {
  return names.map((n) => n.toLowerCase().trim()).filter(Boolean).join(' ');
}

/**
 * Records a decision on whether a contact is about a person; with `link`, also links the
 * contact to the person in the same statement (one round-trip).
 */
export async function insertDecision(
  tx: Tx,
  values: { partnershipId: string; contactId: string; personId: string; decision: string; score: number | null; reasons: string[]; decidedBy: string },
  link = false,
): Promise<void> {
  const insert = (db: Tx) =>
    db.insertInto('person_match_decisions').values({
      partnership_id: values.partnershipId,
      contact_id: values.contactId,
      person_id: values.personId,
      decision: values.decision,
      score: values.score,
      reasons: toJson(values.reasons),
      decided_by: values.decidedBy,
    });
  if (!link) {
    await insert(tx).execute();
    return;
  }
  await tx
    .with('decision', (db) => insert(db as Tx))
    .updateTable('contacts')
    .set({ person_id: values.personId, updated_at: new Date(), updated_by: values.decidedBy })
    .where('id', '=', values.contactId)
    .execute();
}

export async function rejectedFor(tx: Tx, contactId: string): Promise<Set<string>> {
  const rows = await tx
    .selectFrom('person_match_decisions')
    .select(['person_id', 'decision'])
    .where('contact_id', '=', contactId)
    .orderBy('decided_at')
    .execute();
  const latest = new Map(rows.map((r) => [r.person_id, r.decision]));
  return new Set([...latest].filter(([, decision]) => decision === 'rejected').map(([id]) => id));
}

/** The organisations holding a case (open or closed) for each person. */
export async function casesOfPeople(tx: Tx, personIds: string[]) {
  if (personIds.length === 0) return [];
  return tx
    .selectFrom('cases as k')
    .innerJoin('organisations as o', 'o.id', 'k.organisation_id')
    .select(['k.person_id', 'k.organisation_id', 'o.name as organisation_name', 'k.state'])
    .where('k.person_id', 'in', personIds)
    .orderBy('k.opened_at')
    .execute();
}

export function selectCases(tx: Tx) {
  return tx
    .selectFrom('cases as k')
    .innerJoin('people as p', 'p.id', 'k.person_id')
    .selectAll('k')
    .leftJoin('users as w', 'w.id', 'k.caseworker_id')
    .select(['w.name as caseworker_name', 'p.name as person_name', 'p.other_names as person_other_names', 'p.date_of_birth as person_dob', 'p.gender as person_gender', 'p.postcode as person_postcode']);
}
export type CaseRow = Awaited<ReturnType<ReturnType<typeof selectCases>['execute']>>[number];

/** One case, its closure note opened. */
export async function findCase(tx: Tx, id: string, lock = false) {
  let query = selectCases(tx).where('k.id', '=', id);
  if (lock) query = query.forUpdate('k');
  const row = await query.executeTakeFirst();
  return row && { ...row, closure_note: row.closure_note === null ? null : decrypt(row.closure_note) };
}

export function findOpenCase(tx: Tx, organisationId: string, personId: string) {
  return tx.selectFrom('cases').select('id').where('organisation_id', '=', organisationId).where('person_id', '=', personId).where('state', '=', 'open').executeTakeFirst();
}

export function insertCase(tx: Tx, values: { partnershipId: string; organisationId: string; personId: string; openedBy: string; caseworkerId: string | null }) {
  const year = String(new Date().getUTCFullYear());
  return tx
    .insertInto('cases')
    .values({
      partnership_id: values.partnershipId,
      organisation_id: values.organisationId,
      person_id: values.personId,
      reference: sql<string>`'CASE-' || ${year}::text || '-' || lpad(nextval('case_reference_seq')::text, 6, '0')`,
      opened_by: values.openedBy,
      caseworker_id: values.caseworkerId,
    })
    .returning('id')
    .executeTakeFirstOrThrow();
}

/** Notes of one person: those of this organisation, and others' that are not sensitive; their text opened. */
export async function notesVisibleTo(tx: Tx, personId: string, organisationId: string) {
  const rows = await tx
    .selectFrom('case_notes as n')
    .innerJoin('organisations as o', 'o.id', 'n.organisation_id')
    .selectAll('n')
    .select('o.name as organisation_name')
    .where('n.person_id', '=', personId)
    .where((eb) => eb.or([eb('n.organisation_id', '=', organisationId), eb('n.sensitive', '=', false)]))
    .orderBy('n.created_at')
    .orderBy('n.id')
    .execute();
  return rows.map((n) => ({ ...n, body: decrypt(n.body) }));
}

export function latestPlan(tx: Tx, caseId: string) {
  return tx
    .selectFrom('safety_plans as s')
    .innerJoin('safety_plan_templates as t', 't.id', 's.template_id')
    .selectAll('s')
    .select(['t.title', 't.sections as template_sections'])
    .where('s.case_id', '=', caseId)
    .orderBy('s.version', 'desc')
    .limit(1)
    .executeTakeFirst();
}
