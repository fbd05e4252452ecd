/**
 * Key rotation (docs/encryption.md): every encrypted value re-encrypted under the current
 * key, every phone hash recomputed under it, and values written before encryption sealed,
 * in batches of one transaction each. A value already under the current key is left as it
 * is, so the rotation can be run again, or after an interruption, and then changes nothing.
 *
 * Run it once every process has the new key first in SPOC_ENCRYPTION_KEYS (so nothing is
 * still being written under the old one); remove the old key after it reports no changes.
 */
import { sql, type RawBuilder } from 'kysely';
import type { Config } from '../../config.js';
import type { Database } from '../../db/connect.js';
import { inTransaction, type Tx } from '../../db/transaction.js';
import { decrypt, isPhoneHash, keyIdOf, openPhones, phoneHash, reseal, sealPhones, type Keyring } from '../../lib/crypto.js';
import { toJson } from '../../lib/json.js';
import { phoneDigits } from '../../lib/schema.js';
import { audit } from '../access/audit.js';
import { SAFE_CONTACT_SEALED } from '../contacts/service.js';

type Kind = 'text' | 'json' | 'text[]';
type Row = Record<string, unknown> & { id: string };

interface TableSpec {
  table: string;
  columns: Record<string, Kind>;
  /** The row's encrypted columns under the current key: only the columns that change. */
  rewrite(row: Row, keyring: Keyring): Record<string, unknown>;
  /** The append-only trigger to hold off while the same text is written again under the new key. */
  appendOnlyTrigger?: string;
}

export interface RotationProgress {
  table: string;
  scanned: number;
  changed: number;
}

const resealList = (values: unknown, keyring: Keyring) => (values as string[]).map((v) => reseal(v, keyring));
const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** The columns whose new value differs from the old. */
function changes(row: Row, next: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(next).filter(([column, value]) => !same(row[column], value)));
}

/** Whether a phone column holds anything not under the current key: a hash or a sealed number under another, or digits in clear. */
function phonesStale(stored: readonly string[], keyring: Keyring): boolean {
  const current = keyring.current.id;
  return stored.some((s) => (isPhoneHash(s) ? !s.startsWith(`h1:${current}:`) : keyIdOf(s) !== current));
}

const hashesOf = (numbers: readonly string[], keyring: Keyring) => [...new Set(numbers.map(phoneDigits))].map((d) => phoneHash(d, keyring.current));

export const ENCRYPTED_TABLES: readonly TableSpec[] = [
  {
    table: 'contacts',
    columns: { summary: 'text', safe_contact: 'json', perpetrators: 'json' },
    rewrite: (row, keyring) => {
      const safeContact = { ...(row.safe_contact as Record<string, unknown>) };
      for (const field of SAFE_CONTACT_SEALED) {
        if (typeof safeContact[field] === 'string') safeContact[field] = reseal(safeContact[field], keyring);
      }
      const perpetrators = (row.perpetrators as Array<Record<string, unknown>>).map((p) => {
        const phones = (p.phones ?? []) as string[];
        if (phones.length === 0) return p;
        return { ...p, phones: resealList(phones, keyring), phoneHashes: hashesOf(phones.map((n) => decrypt(n, keyring)), keyring) };
      });
      return changes(row, { summary: reseal(row.summary as string, keyring), safe_contact: safeContact, perpetrators });
    },
  },
  {
    table: 'cases',
    columns: { closure_note: 'text' },
    rewrite: (row, keyring) => (row.closure_note === null ? {} : changes(row, { closure_note: reseal(row.closure_note as string, keyring) })),
  },
  {
    table: 'case_notes',
    columns: { body: 'text' },
    appendOnlyTrigger: 'case_notes_append_only',
    rewrite: (row, keyring) => changes(row, { body: reseal(row.body as string, keyring) }),
  },
  {
    table: 'safety_plans',
    columns: { content: 'json' },
    appendOnlyTrigger: 'safety_plans_append_only',
    rewrite: (row, keyring) => {
      const content = Object.fromEntries(Object.entries(row.content as Record<string, string>).map(([k, v]) => [k, reseal(v, keyring)]));
      return changes(row, { content });
    },
  },
  {
    table: 'case_perpetrators',
    columns: { phones: 'text[]', phone_digits: 'text[]', addresses: 'text[]' },
    rewrite: (row, keyring) => {
      const phones = row.phones as string[];
      return changes(row, {
        phones: resealList(phones, keyring),
        phone_digits: hashesOf(phones.map((n) => decrypt(n, keyring)), keyring),
        addresses: resealList(row.addresses, keyring),
      });
    },
  },
  {
    table: 'people',
    columns: { phone_digits: 'text[]' },
    rewrite: (row, keyring) => {
      const stored = row.phone_digits as string[];
      // Sealing draws a new IV each time: rewritten only when something is not yet under the current key.
      return phonesStale(stored, keyring) ? { phone_digits: sealPhones(openPhones(stored, keyring), keyring) } : {};
    },
  },
];

function asValue(value: unknown, kind: Kind): RawBuilder<unknown> {
  if (kind === 'json') return sql`${toJson(value)}::jsonb`;
  if (kind === 'text[]') return sql`${value}::text[]`;
  return sql`${value}`;
}

/** One batch of a table after `after` (by id): rewritten, audited; the last id seen, or null at the end. */
async function rotateBatch(tx: Tx, spec: TableSpec, keyring: Keyring, after: string | null, size: number): Promise<{ last: string | null; scanned: number; changed: number }> {
  // The same text under a new key is not a change of record: an append-only table's guard is held off for
  // this transaction only (DDL is transactional; the table stays locked until commit), and restored before it.
  // Taken first, so the lock is never upgraded half-way.
  if (spec.appendOnlyTrigger) await sql`alter table ${sql.table(spec.table)} disable trigger ${sql.id(spec.appendOnlyTrigger)}`.execute(tx);
  const columns = sql.join(Object.keys(spec.columns).map((c) => sql.ref(c)));
  const { rows } = await sql<Row>`select id::text as id, ${columns} from ${sql.table(spec.table)}
    where ${after === null ? sql`true` : sql`id > ${after}::uuid`} order by id limit ${size} for update`.execute(tx);
  const updates = rows.map((row) => ({ id: row.id, set: spec.rewrite(row, keyring) })).filter((u) => Object.keys(u.set).length > 0);
  if (updates.length > 0) {
    for (const { id, set } of updates) {
      const assignments = sql.join(Object.entries(set).map(([column, value]) => sql`${sql.ref(column)} = ${asValue(value, spec.columns[column]!)}`));
      await sql`update ${sql.table(spec.table)} set ${assignments} where id = ${id}::uuid`.execute(tx);
    }
    await audit(tx, null, { action: 'encryption.rotate', recordType: spec.table, details: { keyId: keyring.current.id, rows: updates.length, fromId: rows[0]!.id, toId: rows.at(-1)!.id } });
  }
  if (spec.appendOnlyTrigger) await sql`alter table ${sql.table(spec.table)} enable trigger ${sql.id(spec.appendOnlyTrigger)}`.execute(tx);
  return { last: rows.length === size ? rows.at(-1)!.id : null, scanned: rows.length, changed: updates.length };
}

/**
 * Re-encrypts every encrypted column under the current key (config.encryptionKeys' first),
 * table by table in batches; returns what it scanned and changed per table.
 */
export async function rotateEncryption(
  database: Database,
  config: Pick<Config, 'encryptionKeys'>,
  onProgress: (progress: RotationProgress) => void = () => undefined,
  batchSize = 500,
): Promise<RotationProgress[]> {
  const keyring = config.encryptionKeys;
  const results: RotationProgress[] = [];
  for (const spec of ENCRYPTED_TABLES) {
    const progress: RotationProgress = { table: spec.table, scanned: 0, changed: 0 };
    let after: string | null = null;
    do {
      const batch = await inTransaction(database.db, null, (tx) => rotateBatch(tx, spec, keyring, after, batchSize));
      progress.scanned += batch.scanned;
      progress.changed += batch.changed;
      after = batch.last;
      onProgress({ ...progress });
    } while (after !== null);
    results.push(progress);
  }
  return results;
}
