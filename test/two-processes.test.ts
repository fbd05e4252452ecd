/**
 * Two spoc processes on one PostgreSQL raise each breached clock's escalation exactly
 * once, a restarted process picks up where the others left off, and behind a round-robin
 * proxy they serve the same flows: idempotent retries, sessions and the audit chain shared. PGlite allows one
 * process per data folder, so this runs on PostgreSQL (DATABASE_URL) only: CI does both.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { hash as argon2Hash } from '@node-rs/argon2';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDirectory, Client, createPartnership, dashAnswers, newContact, onPostgres, startApp, type Partnership, type TestApp } from './harness.js';
import { FormClient } from './web/http.js';
import { decrypt } from '../src/lib/crypto.js';

if (!onPostgres) console.log('two-processes.test.ts: skipped on PGlite (one process per data folder); it runs when DATABASE_URL is set, as in .ci/run');

const BIN = path.resolve('bin/spoc.js');

function startSpoc(): Promise<ChildProcess> {
  return startSpocAt().then(({ child }) => child);
}

/** A spoc process of its own on the test run's PostgreSQL, and the address it listens at. */
function startSpocAt(): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, [BIN, 'serve'], {
    env: { ...process.env, PORT: '0', LOG_LEVEL: 'warn', SPOC_JOB_INTERVAL_MS: '100' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += String(chunk);
      const match = /spoc is running at (\S+)/.exec(out);
      if (match) resolve({ child, url: match[1]! });
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

  it('serves the same flows behind a round-robin proxy: idempotent retries on the other instance, one session across both, one audit chain', async () => {
    const a = await startSpocAt();
    const b = await startSpocAt();
    processes.push(a.child, b.child);
    const upstreams = [a.url, b.url];
    let turn = 0;
    const served: string[] = [];
    // A load balancer with no affinity: each request to the next instance in turn.
    const balancer = http.createServer((request, response) => {
      const upstream = new URL(upstreams[turn++ % upstreams.length]!);
      served.push(upstream.port);
      const forward = http.request({ host: upstream.hostname, port: upstream.port, path: request.url, method: request.method, headers: request.headers }, (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      });
      forward.on('error', () => response.writeHead(502).end());
      request.pipe(forward);
    });
    await new Promise<void>((resolve) => balancer.listen(0, '127.0.0.1', () => resolve()));
    const base = `http://127.0.0.1:${(balancer.address() as AddressInfo).port}`;
    try {
      const handler = t.client.as(p.users.handler.token);
      const through = new Client(base, p.users.handler.token);
      // The same request with the same key, answered by each instance in turn: one contact.
      const key = `two-instances-${p.id}`;
      const answers = [];
      for (let i = 0; i < 4; i += 1) answers.push(await through.post('/api/v1/contacts', newContact({ summary: 'once' }), { 'idempotency-key': key }));
      expect(new Set(answers.map((x) => x.status))).toEqual(new Set([201]));
      expect(new Set(answers.map((x) => x.body.id)).size).toBe(1);
      expect(new Set(served).size).toBe(2);
      // The account is stored encrypted (docs/encryption.md): compared once opened.
      const made = (await t.database.db.selectFrom('contacts').select(['id', 'summary']).where('partnership_id', '=', p.id).execute()).filter((c) => decrypt(c.summary) === 'once');
      expect(made).toHaveLength(1);
      expect((await handler.get(`/api/v1/contacts/${answers[0]!.body.id}`)).status).toBe(200);

      // Sessions live in the database: signed in on one instance, every page works on both.
      await t.database.db.updateTable('users').set({ password_hash: await argon2Hash('two-instances-password') }).where('id', '=', p.users.handler.id).execute();
      const browser = new FormClient(base);
      const signedIn = await browser.signIn(`handler@${p.slug}.example`, 'two-instances-password');
      expect(signedIn.status).toBe(303);
      for (let i = 0; i < 4; i += 1) {
        const page = await browser.request('GET', '/contacts');
        expect(page.status, `page ${i}`).toBe(200);
        expect(page.text).toContain('Sign out');
      }

      // Both instances seal the audit trail: one chain, nothing sealed twice.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const chain = await sql<{ n: string; distinct_seq: string; max: string }>`select count(seq)::text as n, count(distinct seq)::text as distinct_seq, coalesce(max(seq), 0)::text as max from audit_events`.execute(t.database.db);
      expect(chain.rows[0]!.distinct_seq).toBe(chain.rows[0]!.n);
      expect(chain.rows[0]!.max).toBe(chain.rows[0]!.n);
    } finally {
      await new Promise((resolve) => balancer.close(resolve));
      await Promise.all([stop(a.child), stop(b.child)]);
    }
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
