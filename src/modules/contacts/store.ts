import { sql } from 'kysely';
import type { Tx } from '../../db/transaction.js';
import type { ContactsTable } from '../../db/types.js';
import { activeKeyring, decrypt, decryptFields, encrypt, encryptFields, isPhoneHash, phoneHash, phoneMatchTerms } from '../../lib/crypto.js';
import { toJson } from '../../lib/json.js';
import { phoneDigits } from '../../lib/schema.js';
import type { Actor } from '../access/actor.js';
import { visibleContacts } from './access.js';
import type { ContactListQuery } from './schema.js';

type Insertable = {
  partnership_id: string;
  organisation_id: string;
  channel: string;
  caller_type: string;
  status: string;
  handler_user_id: string;
  received_at: Date;
  immediate_danger: string;
  person: string;
  caller: string;
  safe_contact: string;
  needs: string[];
  children: string;
  perpetrators: string;
  summary: string;
};

// ── encrypted columns (docs/encryption.md) ──────────────────────────────────────────────

/**
 * The free text of safe contact kept encrypted: the safe address and what was said about
 * people. Its phone numbers stay in clear (the contact search finds a number by part of it),
 * as do times, the email address, language and yes/no answers.
 */
export const SAFE_CONTACT_SEALED = ['safeAddress', 'notes', 'whoTheyFear', 'safeToTalkTo', 'unsafeToTalkTo'] as const;

/** The account of what happened, sealed for the summary column. */
export function sealSummary(summary: string): string {
  return encrypt(summary);
}

export function sealSafeContact(safeContact: Record<string, unknown>): string {
  return toJson(encryptFields(safeContact, SAFE_CONTACT_SEALED));
}

interface StoredPerpetrator extends Record<string, unknown> {
  phones?: string[];
  phoneHashes?: string[];
}

/**
 * An alleged perpetrator's numbers are sealed, with their keyed hashes beside them for the
 * perpetrator alert to match on (withPerpetratorNumber).
 */
export function sealPerpetrators(perpetrators: ReadonlyArray<Record<string, unknown>>): string {
  const keyring = activeKeyring();
  return toJson(
    perpetrators.map((p) => {
      const phones = (p.phones ?? []) as string[];
      if (phones.length === 0) return p;
      return { ...p, phones: phones.map((n) => encrypt(n, keyring)), phoneHashes: [...new Set(phones.map((n) => phoneHash(phoneDigits(n), keyring.current)))] };
    }),
  );
}

/** A contact row with its sealed columns opened (the hashes dropped): once, where a row becomes a view. */
export function openContact<T extends { summary: string; safe_contact: Record<string, unknown>; perpetrators: unknown[] }>(row: T): T {
  return {
    ...row,
    summary: decrypt(row.summary),
    safe_contact: decryptFields(row.safe_contact, SAFE_CONTACT_SEALED),
    perpetrators: (row.perpetrators as StoredPerpetrator[]).map(({ phoneHashes: _hashes, ...p }) => (p.phones ? { ...p, phones: p.phones.map((n) => decrypt(n)) } : p)),
  };
}

export function insertContact(tx: Tx, values: Insertable) {
  // The reference (SPOC-2026-000123) takes its number from a sequence in the same statement.
  const year = String(values.received_at.getUTCFullYear());
  const reference = sql<string>`'SPOC-' || ${year}::text || '-' || lpad(nextval('contact_reference_seq')::text, 6, '0')`;
  return tx.insertInto('contacts').values({ ...values, reference }).returningAll().executeTakeFirstOrThrow();
}

/** A contact and the organisations it is shared with, whoever may see it (the service decides). */
/** A contact with the organisations it is shared with; `lock` holds it until the transaction ends. */
export async function findContact(tx: Tx, id: string, lock = false) {
  let query = tx
    .selectFrom('contacts as c')
    .selectAll('c')
    .select(sql<string[]>`array(select s.organisation_id::text from contact_shares s where s.contact_id = c.id)`.as('shared_with'))
    .where('c.id', '=', id);
  if (lock) query = query.forUpdate('c');
  const row = await query.executeTakeFirst();
  if (!row) return undefined;
  const { shared_with: sharedWith, ...contact } = row;
  return { ...contact, sharedWith };
}
export type ContactRow = NonNullable<Awaited<ReturnType<typeof findContact>>>;

export function updateContact(tx: Tx, id: string, values: Partial<Record<keyof ContactsTable, unknown>>) {
  return tx
    .updateTable('contacts')
    .set(values as never)
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow();
}

export function insertShare(
  tx: Tx,
  values: { contactId: string; organisationId: string; partnershipId: string; sharedBy: string; reason: string },
) {
  return tx
    .insertInto('contact_shares')
    .values({
      contact_id: values.contactId,
      organisation_id: values.organisationId,
      partnership_id: values.partnershipId,
      shared_by: values.sharedBy,
      reason: values.reason,
    })
    .onConflict((oc) => oc.columns(['contact_id', 'organisation_id']).doNothing())
    .execute();
}

/** Contacts the actor may read, filtered; the access rule is part of the query. */
export async function listContacts(tx: Tx, actor: Actor, query: ContactListQuery) {
  let q = tx.selectFrom('contacts as c').where(visibleContacts(actor, 'read'));
  if (query.from) q = q.where('c.received_at', '>=', new Date(`${query.from}T00:00:00Z`));
  if (query.to) q = q.where('c.received_at', '<', new Date(new Date(`${query.to}T00:00:00Z`).getTime() + 86_400_000));
  if (query.handlerId) q = q.where('c.handler_user_id', '=', query.handlerId);
  if (query.callerType) q = q.where('c.caller_type', '=', query.callerType);
  if (query.channel) q = q.where('c.channel', '=', query.channel);
  if (query.status) q = q.where('c.status', '=', query.status);
  if (query.immediateDanger) q = q.where('c.immediate_danger', '=', query.immediateDanger);
  const search = query.q;
  if (search) {
    const text = `%${search.replace(/[\\%_]/g, (m) => `\\${m}`)}%`;
    // A phone number matches however it was written (07700 900123, +44 7700 900123): by its national digits.
    const digits = search.replace(/\D/g, '').replace(/^(0044|44|0)/, '');
    q = q.where((eb) =>
      eb.or([
        eb('c.reference', 'ilike', text),
        eb(sql`c.person->>'name'`, 'ilike', text),
        eb(sql`c.person->>'otherNames'`, 'ilike', text),
        eb(sql`replace(c.person->>'postcode', ' ', '')`, 'ilike', `%${search.replace(/\s+/g, '')}%`),
        ...(digits.length >= 6
          ? [
              eb(sql`regexp_replace(c.person->>'phones', '[^0-9,]', '', 'g')`, 'like', `%${digits}%`),
              eb(sql`regexp_replace(c.safe_contact->>'phones', '[^0-9,]', '', 'g')`, 'like', `%${digits}%`),
            ]
          : []),
      ]),
    );
  }
  const { total } = await q.select((eb) => eb.fn.countAll<number>().as('total')).executeTakeFirstOrThrow();
  const rows = await q
    .select([
      'c.id',
      'c.reference',
      'c.organisation_id',
      'c.handler_user_id',
      'c.channel',
      'c.caller_type',
      'c.status',
      'c.received_at',
      'c.immediate_danger',
      sql<string | null>`c.person->>'name'`.as('person_name'),
    ])
    .orderBy('c.received_at', 'desc')
    .orderBy('c.id')
    .limit(query.perPage)
    .offset((query.page - 1) * query.perPage)
    .execute();
  return { total: Number(total), rows };
}

export function listNeedCodes(tx: Tx, partnershipId: string) {
  return tx
    .selectFrom('need_definitions')
    .select(['code', 'label', 'position', 'active'])
    .where('partnership_id', '=', partnershipId)
    .orderBy('position')
    .execute();
}

export function insertNeeds(tx: Tx, partnershipId: string, needs: ReadonlyArray<readonly [string, string]>) {
  return tx
    .insertInto('need_definitions')
    .values(needs.map(([code, label], index) => ({ partnership_id: partnershipId, code, label, position: index + 1 })))
    .onConflict((oc) => oc.columns(['partnership_id', 'code']).doNothing())
    .execute();
}

/**
 * Contacts of a partnership recording an alleged perpetrator with this number (E.164 digits):
 * by the keyed hash under any configured key, or, for entries written before numbers were
 * hashed (until `spoc keys rotate`), by the number as written, normalised.
 */
export async function withPerpetratorNumber(tx: Tx, partnershipId: string, digits: string): Promise<string[]> {
  const terms = phoneMatchTerms([digits]).filter(isPhoneHash);
  const normalised = sql`(case when regexp_replace(ph, '[^0-9]', '', 'g') like '00%' then substr(regexp_replace(ph, '[^0-9]', '', 'g'), 3)
    when regexp_replace(ph, '[^0-9]', '', 'g') like '0%' then '44' || substr(regexp_replace(ph, '[^0-9]', '', 'g'), 2)
    else regexp_replace(ph, '[^0-9]', '', 'g') end)`;
  const { rows } = await sql<{ id: string }>`select distinct c.id from contacts c
    cross join lateral jsonb_array_elements(c.perpetrators) as p(value)
    where c.partnership_id = ${partnershipId} and (
      exists (select 1 from jsonb_array_elements_text(coalesce(p.value->'phoneHashes', '[]'::jsonb)) as h(hash) where h.hash = any(${terms}::text[]))
      or exists (select 1 from jsonb_array_elements_text(coalesce(p.value->'phones', '[]'::jsonb)) as phone(ph) where ph not like 'enc:%' and ${normalised} = ${digits}))`.execute(tx);
  return rows.map((row) => row.id);
}
