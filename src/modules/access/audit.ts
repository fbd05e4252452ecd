import type { Transaction } from 'kysely';
import type { DB } from '../../db/types.js';
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

/** Writes audit rows in the caller's transaction, so the audit and the change stand or fall together. */
export async function audit(tx: Transaction<DB>, actor: Actor | null, entries: AuditEntry | AuditEntry[]): Promise<void> {
  const list = Array.isArray(entries) ? entries : [entries];
  if (list.length === 0) return;
  await tx
    .insertInto('audit_events')
    .values(
      list.map((entry) => ({
        partnership_id: actor?.partnershipId ?? null,
        actor_user_id: actor?.userId ?? null,
        actor_organisation_id: actor?.organisationId ?? null,
        action: entry.action,
        record_type: entry.recordType ?? null,
        record_id: entry.recordId ?? null,
        outcome: entry.outcome ?? 'allowed',
        request_id: actor?.requestId ?? null,
        details: toJson(entry.details ?? {}),
      })),
    )
    .execute();
}
