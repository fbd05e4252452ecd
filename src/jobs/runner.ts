import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DB } from '../db/types.js';
import { sealAudit } from '../modules/access/audit-chain.js';
import { purgeExpiredDoors } from '../modules/door/service.js';
import { raiseDueEscalations } from '../modules/referrals/escalations.js';
import { runDailyRetention } from '../modules/rights/retention.js';

/**
 * Background work in the spoc process, every `intervalMs`: the response-clock check,
 * sealing the audit trail's new rows into its hash chain, deleting public-form answers
 * nobody came back for, and once a day anonymising what is past its retention period
 * (docs/retention.md; the day's row in retention_runs makes it once a day). It
 * keeps no state of its own, so any number of processes can run it and a restart loses
 * nothing; the database makes each escalation exactly once. Stopping (the returned function)
 * lets the step in progress commit and starts no other.
 */
export function startJobs(db: Kysely<DB>, log: Logger, intervalMs: number, auditKey?: string): () => Promise<void> {
  // Each step is one transaction: stopping waits for the step in progress and starts no other.
  const steps: Array<() => Promise<void>> = [
    async () => {
      const count = await raiseDueEscalations(db);
      if (count > 0) log.info({ escalations: count }, 'response clocks breached: escalations raised');
    },
    async () => {
      await sealAudit(db, auditKey);
    },
    async () => {
      const count = await purgeExpiredDoors(db);
      if (count > 0) log.info({ doorSessions: count }, 'expired public-form answers deleted');
    },
    async () => {
      const daily = await runDailyRetention(db);
      if (!daily) return;
      const total = (key: 'people' | 'contacts' | 'requestAnswersDeleted') => daily.reports.reduce((n, r) => n + r.anonymised[key], 0);
      log.info({ day: daily.day, people: total('people'), contacts: total('contacts'), requestAnswers: total('requestAnswersDeleted') }, 'retention: what was due anonymised');
      for (const failure of daily.failed) log.warn({ partnershipId: failure.partnershipId, reason: failure.reason }, 'retention: a partnership was not run');
    },
  ];
  let stopped = false;
  let running: Promise<void> | null = null;
  const tick = () => {
    if (running || stopped) return;
    running = (async () => {
      for (const step of steps) {
        if (stopped) return;
        await step();
      }
    })()
      .catch((error: unknown) => log.warn({ err: error }, 'background work failed; it will run again'))
      .finally(() => {
        running = null;
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  tick();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}
