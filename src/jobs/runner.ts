import type { Kysely } from 'kysely';
import type { Logger } from 'pino';
import type { DB } from '../db/types.js';
import { raiseDueEscalations } from '../modules/referrals/escalations.js';

/**
 * Background work in the spoc process: the response-clock check, every `intervalMs`. It
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
      .catch((error: unknown) => log.warn({ err: error }, 'escalation check failed; it will run again'))
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
