/**
 * The crash test, short (issue 10; the full one with a PostgreSQL restart is bench/chaos):
 * clients retrying every request with its idempotency key while spoc is killed with
 * SIGKILL and restarted; nothing answered is lost, nothing is doubled, every referral has
 * its clocks, and every due escalation is raised exactly once. PostgreSQL only.
 */
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { runChaos } from '../bench/chaos/chaos.js';
import { onPostgres } from './harness.js';

if (!onPostgres) console.log('chaos.test.ts: skipped on PGlite (spoc is killed and restarted as a separate process on one database); it runs when DATABASE_URL is set, as in .ci/run');

describe.skipIf(!onPostgres)('the crash test', () => {
  it('loses nothing and doubles nothing across SIGKILLs of spoc', async () => {
    const base = new URL(process.env.DATABASE_URL!);
    const name = `spoc_chaos_${Date.now()}`;
    const admin = new pg.Client({ connectionString: base.toString() });
    await admin.connect();
    await admin.query(`create database ${name}`);
    try {
      const url = new URL(base);
      url.pathname = `/${name}`;
      const result = await runChaos({ databaseUrl: url.toString(), clients: 4, durationMs: 15_000, kills: 2 });
      console.log(`chaos: ${JSON.stringify(result)}`);
      expect(result.kills).toBeGreaterThanOrEqual(3);
      expect(result.flows).toBeGreaterThan(10);
      expect(result.retries).toBeGreaterThan(0);
      expect(result).toMatchObject({ lost: 0, doubled: 0, withoutClocks: 0, escalationsDoubled: 0 });
      expect(result.escalationsRaised).toBe(result.escalationsExpected);
      expect(result.escalationsAudited).toBe(result.escalationsExpected);
    } finally {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    }
  }, 180_000);
});
