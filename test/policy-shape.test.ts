/**
 * The shape of the row policies (0029_policy_actor_once.sql): a policy that decides which rows
 * a statement reads asks for the actor's partnership, organisation and user once per statement
 * (an init-plan, `(SELECT app_org())`), not once for every row it reads. A policy added later
 * that calls them bare would make every long list pay per row again; this names it.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startApp, type TestApp } from './harness.js';

let t: TestApp;
beforeAll(async () => {
  t = await startApp();
});
afterAll(() => t.close());

it("no policy's USING condition asks for the actor's ids row by row", async () => {
  const { rows } = await sql<{ policy: string; qual: string }>`
    select c.relname || '.' || p.polname as policy, pg_get_expr(p.polqual, p.polrelid) as qual
      from pg_policy p join pg_class c on c.oid = p.polrelid
     where p.polqual is not null`.execute(t.database.db);
  expect(rows.length).toBeGreaterThan(50);
  const perRow = rows.filter((row) => /(?<!SELECT )\b(app_partnership|app_org|app_user)\(\)/.test(row.qual)).map((row) => row.policy);
  expect(perRow).toEqual([]);
  // The wrapped form is there (the check above would pass on policies that never ask at all).
  expect(rows.filter((row) => row.qual.includes('SELECT app_org() AS app_org')).length).toBeGreaterThan(10);
});
