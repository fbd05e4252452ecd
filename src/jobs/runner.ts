import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DB } from '../db/types.js';
import { purgeExpiredDoors } from '../modules/door/service.js';
import { raiseDueEscalations } from '../modules/referrals/escalations.js';

/**
 * Background work in the spoc process, every `intervalMs`: the response-clock check, and
 * deleting public-form answers nobody came back for. It
 * keeps no state of its own, so any number of processes can run it and a restart loses
 * nothing; the database makes each escalation exactly once.
 */
export function startJobs(db: Kysely<DB>, log: Logger, intervalMs: number): () => Promise<void> {
  let running: Promise<void> | null = null;
  const tick = () => {
    if (running) return;
    running = raiseDueEscalations(db)
      .then((count) => {
        if (count > 0) log.info({ escalations: count }, 'response clocks breached: escalations raised');
      })
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
