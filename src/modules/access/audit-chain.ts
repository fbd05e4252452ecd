/**
 * The audit trail's hash chain (issue 9): rows are sealed in order, each with a sequence
 * number and an HMAC-SHA256 over its content and the previous row's hash, so changing or
 * removing a sealed row breaks the chain at that row, and `spoc audit verify` says where.
 * The key (SPOC_AUDIT_KEY) keeps someone with write access to the database from forging a
 * whole new chain; without one the chain still shows any edit made without recomputing it.
 */
import { createHmac } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { DB } from '../../db/types.js';

/** Any fixed number: one sealer at a time across every spoc process. */
const SEAL_LOCK = 740_417_002;
const GENESIS = 'spoc-audit-chain';
const DEFAULT_KEY = 'spoc-audit-chain-unkeyed';

interface SealableRow {
  id: string;
  at: string;
  partnership_id: string | null;
  actor_user_id: string | null;
  actor_organisation_id: string | null;
  action: string;
  record_type: string | null;
  record_id: string | null;
  outcome: string;
  request_id: string | null;
  details: string;
}

/** The row as text, field by field, exactly as PostgreSQL prints it (microseconds and jsonb's own key order). */
const SELECT_SEALABLE = sql`id::text as id, (at at time zone 'UTC')::text as at, partnership_id::text as partnership_id,
  actor_user_id::text as actor_user_id, actor_organisation_id::text as actor_organisation_id, action, record_type,
  record_id::text as record_id, outcome, request_id, details::text as details`;

export function rowHash(key: string | undefined, previous: string, row: SealableRow): string {
  const fields = [row.id, row.at, row.partnership_id, row.actor_user_id, row.actor_organisation_id, row.action, row.record_type, row.record_id, row.outcome, row.request_id, row.details];
  return createHmac('sha256', key || DEFAULT_KEY)
    .update(previous)
    .update('\n')
    .update(JSON.stringify(fields))
    .digest('hex');
}

/** Seals the rows written since the last run, in order; returns how many. Safe to run from several processes at once. */
export async function sealAudit(db: Kysely<DB>, key: string | undefined, batch = 5000): Promise<number> {
  return db.transaction().execute(async (tx) => {
    await sql`select pg_advisory_xact_lock(${SEAL_LOCK})`.execute(tx);
    const last = await sql<{ last_seq: string; hash: string }>`select seq::text as last_seq, hash from audit_events where seq is not null order by audit_events.seq desc limit 1`.execute(tx);
    const rows = (await sql<SealableRow>`select ${SELECT_SEALABLE} from audit_events where seq is null order by audit_events.id limit ${batch}`.execute(tx)).rows;
    if (rows.length === 0) return 0;
    let seq = Number(last.rows[0]?.last_seq ?? 0);
    let previous = last.rows[0]?.hash ?? GENESIS;
    const sealed = rows.map((row) => {
      seq += 1;
      previous = rowHash(key, previous, row);
      return { id: row.id, seq, hash: previous };
    });
    const values = sql.join(sealed.map((s) => sql`(${s.id}::bigint, ${s.seq}::bigint, ${s.hash}::text)`));
    await sql`update audit_events a set seq = v.seq, hash = v.hash from (values ${values}) as v(id, seq, hash) where a.id = v.id`.execute(tx);
    return sealed.length;
  });
}

export interface ChainReport {
  intact: boolean;
  sealed: number;
  awaitingSeal: number;
  /** Where the chain first breaks, and how. */
  broken?: { seq: number; auditId: string | null; problem: string };
}

/** Walks the sealed rows in order, recomputing each hash; stops at the first break. Reads only. */
export async function verifyAudit(db: Kysely<DB>, key: string | undefined, onProgress?: (checked: number) => void, batch = 10_000): Promise<ChainReport> {
  let previous = GENESIS;
  let expected = 1;
  let checked = 0;
  for (;;) {
    const rows = (
      await sql<SealableRow & { sealed_seq: string; hash: string }>`select ${SELECT_SEALABLE}, seq::text as sealed_seq, hash from audit_events
        where audit_events.seq >= ${expected} order by audit_events.seq limit ${batch}`.execute(db)
    ).rows;
    for (const row of rows) {
      const seq = Number(row.sealed_seq);
      if (seq !== expected) {
        return report(db, checked, { seq: expected, auditId: null, problem: `sealed row ${expected} is missing (deleted)${seq > expected ? `; the chain resumes at ${seq}` : ''}` });
      }
      const hash = rowHash(key, previous, row);
      if (hash !== row.hash) {
        return report(db, checked, { seq, auditId: row.id, problem: 'its content does not match its seal (changed after sealing, or a row before it was)' });
      }
      previous = row.hash;
      expected += 1;
      checked += 1;
    }
    onProgress?.(checked);
    if (rows.length < batch) break;
  }
  return report(db, checked);
}

async function report(db: Kysely<DB>, sealed: number, broken?: ChainReport['broken']): Promise<ChainReport> {
  const waiting = await sql<{ n: string }>`select count(*)::text as n from audit_events where seq is null`.execute(db);
  return { intact: !broken, sealed, awaitingSeal: Number(waiting.rows[0]!.n), ...(broken ? { broken } : {}) };
}
