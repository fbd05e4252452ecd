import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DB } from '../db/types.js';
import { sealAudit } from '../modules/access/audit-chain.js';
import { purgeExpiredDoors } from '../modules/door/service.js';
import { raiseDueEscalations } from '../modules/referrals/escalations.js';

/**
 * Background work in the spoc process, every `intervalMs`: the response-clock check,
 * sealing the audit trail's new rows into its hash chain, and deleting public-form answers
 * nobody came back for. It
 * keeps no state of its own, so any number of processes can run it and a restart loses
 * nothing; the database makes each escalation exactly once.
 */
export function startJobs(db: Kysely<DB>, log: Logger, intervalMs: number, auditKey?: string): () => Promise<void> {
  let running: Promise<void> | null = null;
  const tick = () => {
    if (running) return;
    running = raiseDueEscalations(db)
      .then((count) => {
        if (count > 0) log.info({ escalations: count }, 'response clocks breached: escalations raised');
      })
      .then(() => sealAudit(db, auditKey))
      .then(() => purgeExpiredDoors(db))
      .then((count) => {
        if (count > 0) log.info({ doorSessions: count }, 'expired public-form answers deleted');
      })
      .catch((error: unknown) => log.warn({ err: error }, 'background work failed; it will run again'))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  tick();
  return async () => {
    clearInterval(timer);
    await running;
  };
}
