/**
 * Sign-in codes for the web tests. spoc takes each authenticator code once (a code whose
 * time step is not later than the last one accepted is refused), and accepts the steps
 * either side of now: three codes at any moment, then one more every 30 seconds. The web
 * tests sign the same demo person in more often than that, so the code helpers take the
 * earliest step spoc still accepts, and when all are used they clear the user's last step
 * in that app's database (registered by the harness), rather than wait up to 30 seconds.
 * Tests of the rule itself (test/web-session.test.ts) type their codes without this.
 */
import type { Database } from '../../src/db/connect.js';
import { totpForStep, totpStepAt } from '../../src/modules/access/mfa.js';

/** A code is typed and sent within this long of being made (a browser types slowly). */
const TYPING_MS = 10_000;

const databases = new Map<string, Database>();
const taken = new Map<string, number>();
const queues = new Map<string, Promise<unknown>>();

/** The harness says which database the app at `base` uses; the answer forgets it again. */
export function registerTestDatabase(base: string, database: Database): () => void {
  databases.set(base, database);
  return () => {
    if (databases.get(base) === database) databases.delete(base);
  };
}

async function lastStepInDatabase(database: Database | undefined, email: string): Promise<number | null> {
  if (!database) return null;
  const row = await database.db
    .selectFrom('users')
    .select('totp_last_step')
    .where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase()))
    .executeTakeFirst();
  return row?.totp_last_step ?? null;
}

async function choose(base: string, email: string, secret: string, key: string): Promise<string> {
  const database = databases.get(base);
  const last = Math.max(taken.get(key) ?? -1, (await lastStepInDatabase(database, email)) ?? -1);
  // Steps accepted both now and once the code is typed: from the one before the later moment to the one after now.
  const earliest = totpStepAt(new Date(Date.now() + TYPING_MS)) - 1;
  const latest = totpStepAt(new Date()) + 1;
  let step = Math.max(last + 1, earliest);
  if (step > latest) {
    if (database) {
      await database.db.updateTable('users').set({ totp_last_step: null }).where((eb) => eb(eb.fn('lower', ['email']), '=', email.toLowerCase())).execute();
      step = earliest;
    } else {
      // An app in another process: wait until the step is accepted (at most 30 seconds).
      const waitMs = (step - 1) * 30_000 - Date.now() + 50;
      console.log(`waiting ${Math.ceil(waitMs / 1000)} s for an unused sign-in code (the app's database is not reachable from this test)`);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
    }
  }
  taken.set(key, step);
  return totpForStep(secret, step);
}

/** A code for `email` at the app at `base` that spoc has not accepted before (one at a time per person, so two sign-ins at once get different codes). */
export function nextTotp(base: string, email: string, secret: string): Promise<string> {
  const key = `${base} ${email.toLowerCase()}`;
  const run = (queues.get(key) ?? Promise.resolve()).then(() => choose(base, email, secret, key));
  queues.set(key, run.catch(() => undefined));
  return run;
}
