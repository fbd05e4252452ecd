/**
 * Stopping without dropping anyone's request (issue 10): the real `spoc start` process,
 * sent SIGTERM with requests in flight, answers every one of them as it would have, says
 * it is stopping on /health/ready, stops accepting connections, stops its background jobs
 * and closes the database, and exits 0 promptly. Runs on PGlite (a data folder of its own)
 * and on PostgreSQL (a database of its own).
 *
 * "In flight" is certain, not a matter of timing: each slow request sends its headers with
 * `Expect: 100-continue` and its body only after SIGTERM, so spoc has read and routed it (it
 * answered "100 Continue") before it was told to stop — a caller on a slow connection.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { Socket } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { openDatabase, type Database } from '../src/db/connect.js';
import { restoreBackup } from '../src/db/backup.js';
import { migrate } from '../src/db/migrate.js';
import { createPartnership, dashAnswers, newContact, onPostgres, type Partnership } from './harness.js';

const BIN = path.resolve('bin/spoc.js');
const GRACE_MS = 1_000;

interface Answer {
  status: number;
  connection: string | undefined;
  body: Record<string, any>;
}

type Outcome = Answer | { error: string };

function answerOf(request: http.ClientRequest): Promise<Outcome> {
  return new Promise((resolve) => {
    request.on('response', (response) => {
      let text = '';
      response.on('data', (chunk) => (text += String(chunk)));
      response.on('end', () => resolve({ status: response.statusCode!, connection: response.headers.connection, body: text ? JSON.parse(text) : {} }));
    });
    request.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
  });
}

/** A request spoc has read and routed, whose body the test sends when it chooses. */
function slowRequest(base: URL, method: string, url: string, token: string, body: unknown): Promise<{ finish(): Promise<Outcome> }> {
  const text = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const request = http.request({
      host: base.hostname,
      port: base.port,
      method,
      path: url,
      // Kept alive, as browsers and proxies keep their connections: stopping must still close it.
      agent: new http.Agent({ keepAlive: true }),
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), expect: '100-continue' },
    });
    const answer = answerOf(request);
    request.on('continue', () => resolve({ finish: () => (request.end(text), answer) }));
    void answer.then((outcome) => reject(new Error(`answered before its body was sent: ${JSON.stringify(outcome)}`)));
    request.flushHeaders();
  });
}

/** A request written on a connected socket: on its way to spoc, whatever spoc is doing. */
function sentRequest(base: URL, method: string, url: string, token: string, body?: unknown): Promise<{ answer: Promise<Outcome> }> {
  return new Promise((resolve) => {
    const request = http.request({
      host: base.hostname,
      port: base.port,
      method,
      path: url,
      agent: false,
      headers: { authorization: `Bearer ${token}`, ...(body ? { 'content-type': 'application/json' } : {}) },
    });
    const answer = answerOf(request);
    request.on('socket', (socket) => socket.on('connect', () => setImmediate(() => resolve({ answer }))));
    request.end(body ? JSON.stringify(body) : undefined);
  });
}

/** /health/ready on a new connection. */
async function ready(base: URL): Promise<Outcome> {
  const request = http.request({ host: base.hostname, port: base.port, path: '/health/ready', agent: false });
  const answer = answerOf(request);
  request.end();
  return answer;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A database of this file's own, and the environment that points spoc at it. */
async function ownDatabase(dir: string): Promise<{ env: Record<string, string>; open: () => Promise<Database>; drop: () => Promise<void> }> {
  if (onPostgres) {
    const name = `spoc_drain_${Date.now()}`;
    const admin = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await admin.connect();
    await admin.query(`create database ${name}`);
    await admin.end();
    const url = new URL(process.env.DATABASE_URL!);
    url.pathname = `/${name}`;
    return {
      env: { DATABASE_URL: url.toString() },
      open: () => openDatabase({ kind: 'postgres', url: url.toString(), poolSize: 2 }),
      drop: async () => {
        const again = new pg.Client({ connectionString: process.env.DATABASE_URL });
        await again.connect();
        await again.query(`drop database if exists ${name} with (force)`);
        await again.end();
      },
    };
  }
  // A data folder from the run's migrated template (no initdb: seconds saved).
  const dataDir = path.join(dir, 'data');
  await restoreBackup(inject('pgliteTemplate'), dataDir);
  return { env: { SPOC_DATA_DIR: dataDir, DATABASE_URL: '' }, open: () => openDatabase({ kind: 'pglite', dataDir }), drop: async () => undefined };
}

describe(`SIGTERM to spoc start (${onPostgres ? 'PostgreSQL' : 'PGlite'})`, () => {
  let dir = '';
  let own: Awaited<ReturnType<typeof ownDatabase>>;
  let p: Partnership;
  let child: ChildProcess | null = null;

  beforeAll(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spoc-drain-'));
    own = await ownDatabase(dir);
    const database = await own.open();
    try {
      await migrate(database);
      p = await createPartnership(database);
    } finally {
      await database.close();
    }
  });

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await own?.drop();
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('answers every request in flight as it would have, says it is stopping, stops accepting, stops its jobs and exits 0 within seconds', async () => {
    child = spawn(process.execPath, [BIN, 'start'], {
      env: { ...process.env, ...own.env, PORT: '0', LOG_LEVEL: 'warn', SPOC_JOB_INTERVAL_MS: '50', SPOC_SHUTDOWN_GRACE_MS: String(GRACE_MS), SPOC_SHUTDOWN_TIMEOUT_MS: '10000' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout!.on('data', (chunk) => (out += String(chunk)));
    child.stderr!.on('data', (chunk) => (err += String(chunk)));
    const exited = new Promise<{ code: number | null; signal: string | null; at: number }>((resolve) => child!.on('exit', (code, signal) => resolve({ code, signal, at: performance.now() })));
    const base = await new Promise<URL>((resolve, reject) => {
      child!.stdout!.on('data', () => {
        const match = /spoc is running at (\S+)/.exec(out);
        if (match) resolve(new URL(match[1]!));
      });
      void exited.then(({ code }) => reject(new Error(`spoc exited with ${code} before it listened: ${err}`)));
    });
    const handler = p.users.handler.token;
    const created = await sentRequest(base, 'POST', '/api/v1/contacts', handler, newContact());
    const contact = (await created.answer) as Answer;
    expect(contact.status).toBe(201);
    const contactId = contact.body.id as string;
    expect((await ready(base)) as Answer).toMatchObject({ status: 200 });
    // A connection kept alive with nothing to do (a browser's, a proxy's): stopping must close it, not wait for it.
    const idleAgent = new http.Agent({ keepAlive: true });
    const idleSocket = await new Promise<Socket>((resolve) => {
      const request = http.get({ host: base.hostname, port: base.port, path: '/health/live', agent: idleAgent }, (response) => {
        response.resume();
        response.on('end', () => resolve(request.socket!));
      });
    });
    const idleClosed = new Promise<number>((resolve) => idleSocket.once('close', () => resolve(performance.now())));

    // In flight for certain: 6 new contacts and 6 checklists, each read and routed by spoc, bodies not yet sent.
    const slow = await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        i % 2 === 0
          ? slowRequest(base, 'POST', '/api/v1/contacts', handler, newContact({ summary: `drain ${i}` }))
          : slowRequest(base, 'POST', `/api/v1/contacts/${contactId}/risk-assessments`, handler, { answers: dashAnswers(i) }),
      ),
    );
    // On their way at the moment of SIGTERM: 20 more, connected and written.
    const burst = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        i % 2 === 0 ? sentRequest(base, 'POST', '/api/v1/contacts', handler, newContact({ summary: `burst ${i}` })) : sentRequest(base, 'GET', '/api/v1/me', handler),
      ),
    );

    const sigterm = performance.now();
    child.kill('SIGTERM');

    // While it stops: readiness says so (during the grace), then no new connection is accepted.
    const probes: Array<{ ms: number; outcome: string }> = [];
    for (;;) {
      const outcome = await ready(base);
      probes.push({ ms: Math.round(performance.now() - sigterm), outcome: 'error' in outcome ? outcome.error : `${outcome.status} ${outcome.body.status}` });
      // A connection caught in the instant the listener closes is reset, not answered: probe on until refused.
      if (('error' in outcome && outcome.error !== 'ECONNRESET') || performance.now() - sigterm > GRACE_MS + 5_000) break;
      await sleep(50);
    }
    expect(probes.some((probe) => probe.outcome === '503 stopping'), JSON.stringify(probes)).toBe(true);
    expect(probes.some((probe) => probe.outcome.startsWith('200')), JSON.stringify(probes)).toBe(false);
    expect(probes.at(-1)!.outcome, JSON.stringify(probes)).toBe('ECONNREFUSED');
    expect(child.exitCode, 'still running while requests are in flight').toBeNull();

    // Now the slow callers finish sending: each is answered as it would have been, and its connection closed.
    const bodiesSent = performance.now();
    const answers = await Promise.all(slow.map((request) => request.finish()));
    for (const [i, answer] of answers.entries()) {
      expect(answer, `slow request ${i}: ${JSON.stringify(answer)}`).toMatchObject({ status: 201, connection: 'close' });
    }
    const burstAnswers = await Promise.all(burst.map((request) => request.answer));
    for (const [i, answer] of burstAnswers.entries()) {
      expect(answer, `burst request ${i}: ${JSON.stringify(answer)}`).toMatchObject({ status: i % 2 === 0 ? 201 : 200 });
    }

    const exit = await exited;
    expect(await idleClosed, 'the idle kept-alive connection closed before spoc exited').toBeLessThanOrEqual(exit.at);
    console.log(`drain: readiness ${probes.map((probe) => `${probe.outcome} at ${probe.ms} ms`).join(', ')}; exit ${exit.code} ${Math.round(exit.at - bodiesSent)} ms after the last bodies were sent`);
    expect({ code: exit.code, signal: exit.signal }, err).toEqual({ code: 0, signal: null });
    expect(exit.at - bodiesSent, 'exit after the last answer (ms)').toBeLessThan(3_000);
    expect(exit.at - sigterm, 'exit after SIGTERM (ms)').toBeLessThan(GRACE_MS + 6_000);
    expect(err).toContain('SIGTERM: stopping');
    const stopped = /stopped: (\d+) requests in progress, (\d+) answered while stopping; background jobs stopped, database closed/.exec(err);
    expect(stopped, err).not.toBeNull();
    // The 12 slow ones at least (some of the burst may have been answered before SIGTERM was read).
    expect(Number(stopped![1])).toBeGreaterThanOrEqual(12);
    expect(Number(stopped![2])).toBeGreaterThanOrEqual(Number(stopped![1]));
    // Background work ran until the end (every 50 ms) and never found its database gone.
    expect(out + err).not.toMatch(/background work failed|request failed|page failed/);

    // Every answer given was committed before the database closed.
    const database = await own.open();
    try {
      const ids = [...answers, ...burstAnswers].flatMap((answer) => ('status' in answer && answer.status === 201 ? [answer.body.id as string] : []));
      expect(ids).toHaveLength(6 + 6 + 10);
      const contacts = await database.db.selectFrom('contacts').select('id').where('id', 'in', ids).execute();
      const assessments = await database.db.selectFrom('risk_assessments').select('id').where('id', 'in', ids).execute();
      expect(contacts.length + assessments.length).toBe(ids.length);
      expect(assessments).toHaveLength(6);
    } finally {
      await database.close();
    }
  }, 90_000);
});
