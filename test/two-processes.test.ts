/**
 * Two spoc processes on one PostgreSQL raise each breached clock's escalation exactly
 * once, and a restarted process picks up where the others left off. PGlite allows one
 * process per data folder, so this runs on PostgreSQL (DATABASE_URL) only: CI does both.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDirectory, createPartnership, dashAnswers, newContact, onPostgres, startApp, type Partnership, type TestApp } from './harness.js';

if (!onPostgres) console.log('two-processes.test.ts: skipped on PGlite (one process per data folder); it runs when DATABASE_URL is set, as in .ci/run');

const BIN = path.resolve('bin/spoc.js');

function startSpoc(): Promise<ChildProcess> {
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', SPOC_JOB_INTERVAL_MS: '100' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += String(chunk);
      if (out.includes('spoc is running')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`spoc exited with ${code}`)));
  });
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

describe.skipIf(!onPostgres)('two spoc processes on one PostgreSQL', () => {
  let t: TestApp;
  let p: Partnership;
  let services: Record<string, string>;
  const processes: ChildProcess[] = [];

  beforeAll(async () => {
    t = await startApp();
    p = await createPartnership(t.database);
    services = await addDirectory(t.database, p);
  });
  afterAll(async () => {
    await Promise.all(processes.map(stop));
    await t.close();
  });

  async function overdueReferrals(count: number): Promise<string[]> {
    const ids: string[] = [];
    const handler = t.client.as(p.users.handler.token);
    for (let i = 0; i < count; i += 1) {
      const contact = (await handler.post('/api/v1/contacts', newContact())).body.id;
      await handler.post(`/api/v1/contacts/${contact}/risk-assessments`, { answers: dashAnswers(15) });
      const sent = await handler.post(`/api/v1/contacts/${contact}/referrals`, { referrals: [{ serviceId: services['IDVA service'] }], consent: 'given' });
      ids.push(sent.body.referrals[0].id);
    }
    await t.database.db
      .updateTable('referrals')
      .set({ acknowledge_due_at: new Date(Date.now() - 60_000), first_contact_due_at: new Date(Date.now() - 1_000) })
      .where('id', 'in', ids)
      .execute();
    return ids;
  }

  async function escalationsOf(ids: string[]) {
    const rows = await t.database.db.selectFrom('escalations').select(['referral_id', 'clock']).where('referral_id', 'in', ids).execute();
    const audits = await t.database.db.selectFrom('audit_events').select('record_id').where('action', '=', 'referral.escalate').where('record_id', 'in', ids).execute();
    return { rows, audits };
  }

  async function waitFor(ids: string[], expected: number) {
    for (let i = 0; i < 100; i += 1) {
      if ((await escalationsOf(ids)).rows.length >= expected) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Let both processes run several more times: nothing more may appear.
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    return escalationsOf(ids);
  }

  it('raises each escalation exactly once, and again after a restart', async () => {
    processes.push(await startSpoc(), await startSpoc());
    const first = await overdueReferrals(15);
    const seen = await waitFor(first, 30);
    expect(seen.rows).toHaveLength(30);
    expect(new Set(seen.rows.map((r) => `${r.referral_id}:${r.clock}`)).size).toBe(30);
    expect(seen.audits).toHaveLength(30);

    // One process stops; breaches while it is down are raised by the other, or by it when it is back.
    await stop(processes[0]!);
    const second = await overdueReferrals(5);
    processes[0] = await startSpoc();
    const after = await waitFor(second, 10);
    expect(after.rows).toHaveLength(10);
    expect(after.audits).toHaveLength(10);
    expect((await escalationsOf(first)).rows).toHaveLength(30);
  });
});
