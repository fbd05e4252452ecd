import type { Transaction } from 'kysely';
import pg from 'pg';
import type { AuditEventsTable, DB } from '../../db/types.js';
import { toJson } from '../../lib/json.js';
import type { Actor } from './actor.js';

export interface AuditEntry {
  action: string;
  recordType?: string;
  recordId?: string;
  outcome?: 'allowed' | 'denied';
  /** Ids and codes only: never names, numbers, addresses or notes. */
  details?: Record<string, unknown>;
}

/** An audit_events row as written (details as JSON text). */
type AuditRow = Omit<AuditEventsTable, 'id' | 'at' | 'seq' | 'hash' | 'details'> & { details: string };

const COLUMNS = ['partnership_id', 'actor_user_id', 'actor_organisation_id', 'action', 'record_type', 'record_id', 'outcome', 'request_id', 'details'] as const;

/** The audit rows of each transaction that holds them until its commit (see holdAuditUntilCommit). */
const held = new WeakMap<object, AuditRow[]>();

/**
 * Writes audit rows in the caller's transaction, so the audit and the change stand or fall
 * together. In a transaction opened by inTransaction the rows are held and written with its
 * commit, in the same round-trip (src/db/transaction.ts); elsewhere, at once.
 */
export async function audit(tx: Transaction<DB>, actor: Actor | null, entries: AuditEntry | AuditEntry[]): Promise<void> {
  const list = Array.isArray(entries) ? entries : [entries];
  if (list.length === 0) return;
  const rows = list.map(
    (entry): AuditRow => ({
      partnership_id: actor?.partnershipId ?? null,
      actor_user_id: actor?.userId ?? null,
      actor_organisation_id: actor?.organisationId ?? null,
      action: entry.action,
      record_type: entry.recordType ?? null,
      record_id: entry.recordId ?? null,
      outcome: entry.outcome ?? 'allowed',
      request_id: actor?.requestId ?? null,
      details: toJson(entry.details ?? {}),
    }),
  );
  const holding = held.get(tx);
  if (holding) holding.push(...rows);
  else await tx.insertInto('audit_events').values(rows).execute();
}

/**
 * Holds the audit rows written in `tx` until its commit. Returns the statement that writes
 * them (empty when there are none), to run just before `commit` in the same round-trip: the
 * values are inlined, each quoted by the driver's escapeLiteral (a round-trip with several
 * statements cannot carry parameters), and they are ids, codes and JSON of ids and codes.
 */
export function holdAuditUntilCommit(tx: object): () => string {
  const rows: AuditRow[] = [];
  held.set(tx, rows);
  return () => {
    held.delete(tx);
    if (rows.length === 0) return '';
    const values = rows.map((row) => `(${COLUMNS.map((column) => (row[column] === null ? 'null' : pg.escapeLiteral(row[column]))).join(', ')})`);
    return `insert into audit_events (${COLUMNS.join(', ')}) values ${values.join(', ')}`;
  };
}
