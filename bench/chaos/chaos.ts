/**
 * The crash test (issue 10): concurrent clients record contacts, checklists and referrals
 * with idempotency keys, retrying every request until it is answered, while the spoc
 * process is killed with SIGKILL and restarted (and, in the benchmark, PostgreSQL itself
 * is restarted). Afterwards every request answered 2xx is in the database exactly once,
 * every retried request made exactly one record, every referral has its clocks, and every
 * due escalation is raised exactly once. Used by bench/chaos/run.ts and test/chaos.test.ts.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import pg from 'pg';
import { decrypt } from '../../src/lib/crypto.js';
import { DASH_RIC_QUESTION_IDS } from '../../src/modules/risk/dash-ric.js';
import { demoToken } from '../../src/seed/demo.js';

const BIN = path.resolve('bin/spoc.js');
const HANDLER = demoToken('handler@castlebrook.example');
const ANSWERS = Object.fromEntries(DASH_RIC_QUESTION_IDS.map((id, i) => [id, i < 15 ? 'yes' : 'no']));

export interface ChaosOptions {
  databaseUrl: string;
  clients: number;
  durationMs: number;
  /** SIGKILLs of the spoc process, spread over the run. */
  kills: number;
  /** Restarts the PostgreSQL server once, mid-run (the benchmark only: it stops every other user of the server too). */
  restartPostgres?: () => Promise<void>;
  log?: (line: string) => void;
}

export interface ChaosResult {
  requests: number;
  retries: number;
  kills: number;
  postgresRestarts: number;
  flows: number;
  contactsChecked: number;
  referralsChecked: number;
  lost: number;
  doubled: number;
  withoutClocks: number;
  escalationsExpected: number;
  escalationsRaised: number;
  escalationsDoubled: number;
  /** Audit rows of the escalations: one each. */
  escalationsAudited: number;
}

async function run(args: string[], env: Record<string, string>): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'inherit'] });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`spoc ${args.join(' ')} exited with ${code}`))));
  });
}

/** A spoc process that the test can kill; its address changes with every start. */
class Spoc {
  child: ChildProcess | null = null;
  url = '';
  constructor(private readonly env: Record<string, string>) {}

  start(): Promise<void> {
    const child = spawn(process.execPath, [BIN, 'serve'], {
      env: { ...process.env, ...this.env, PORT: '0', LOG_LEVEL: 'silent', SPOC_JOB_INTERVAL_MS: '200' },
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    this.child = child;
    return new Promise((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (chunk) => {
        out += String(chunk);
        const match = /spoc is running at (\S+)/.exec(out);
        if (match) {
          this.url = match[1]!;
          resolve();
        }
      });
      child.on('exit', (code, signal) => {
        if (!this.url) reject(new Error(`spoc exited with ${code ?? signal} before it listened`));
      });
    });
  }

  async kill(signal: NodeJS.Signals): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    this.url = '';
    const exited = new Promise((resolve) => child.on('exit', resolve));
    child.kill(signal);
    await exited;
  }
}

export async function runChaos(options: ChaosOptions): Promise<ChaosResult> {
  const log = options.log ?? (() => undefined);
  const env = { DATABASE_URL: options.databaseUrl, SPOC_DATA_DIR: '' };
  await run(['seed', '--demo'], env);
  const spoc = new Spoc(env);
  await spoc.start();
  const stamp = Date.now().toString(36);
  let requests = 0;
  let retries = 0;
  let kills = 0;
  let postgresRestarts = 0;
  let flows = 0;
  const answered: Array<{ kind: 'contact' | 'referral'; key: string; id: string }> = [];
  const end = Date.now() + options.durationMs;

  /** One request, retried with the same key until it is answered 2xx; a 4xx is a failure of the test. */
  async function until(method: string, route: (url: string) => string, body: unknown, key: string) {
    for (let attempt = 0; ; attempt += 1) {
      if (attempt > 0) {
        retries += 1;
        await new Promise((resolve) => setTimeout(resolve, Math.min(1000, 50 * attempt)));
      }
      const url = spoc.url;
      if (!url) continue;
      requests += 1;
      try {
        const response = await fetch(route(url), {
          method,
          headers: { authorization: `Bearer ${HANDLER}`, 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify(body),
          signal: AbortSignal.timeout(15_000),
        });
        if (response.status >= 200 && response.status < 300) return (await response.json()) as Record<string, any>;
        if (response.status < 500) throw new Error(`${method} answered ${response.status}: ${await response.text()}`);
      } catch (error) {
        if ((error as Error).message.includes(' answered 4')) throw error;
      }
    }
  }

  let services: Array<{ id: string; name: string }> = [];
  for (; services.length === 0; ) {
    try {
      services = (await (await fetch(`${spoc.url}/api/v1/services`, { headers: { authorization: `Bearer ${HANDLER}` } })).json()) as typeof services;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }
  const idva = services.find((s) => s.name === 'IDVA service')!.id;

  async function client(n: number) {
    for (let i = 0; Date.now() < end; i += 1) {
      const key = `chaos-${stamp}-${n}-${i}`;
      const contact = await until('POST', (url) => `${url}/api/v1/contacts`, { channel: 'phone', callerType: 'victim', immediateDanger: 'no', summary: key }, `${key}-contact`);
      answered.push({ kind: 'contact', key, id: contact.id });
      await until('POST', (url) => `${url}/api/v1/contacts/${contact.id}/risk-assessments`, { answers: ANSWERS }, `${key}-assessment`);
      const sent = await until('POST', (url) => `${url}/api/v1/contacts/${contact.id}/referrals`, { referrals: [{ serviceId: idva }], consent: 'given' }, `${key}-referral`);
      answered.push({ kind: 'referral', key, id: sent.referrals[0].id });
      flows += 1;
    }
  }

  async function chaosMonkey() {
    const events = options.kills + (options.restartPostgres ? 1 : 0);
    for (let k = 0; k < events; k += 1) {
      await new Promise((resolve) => setTimeout(resolve, options.durationMs / (events + 1)));
      if (options.restartPostgres && k === Math.floor(events / 2)) {
        log(`restarting PostgreSQL (after ${requests} requests)`);
        await options.restartPostgres();
        postgresRestarts += 1;
        continue;
      }
      log(`SIGKILL spoc (after ${requests} requests)`);
      await spoc.kill('SIGKILL');
      kills += 1;
      await spoc.start();
    }
  }

  await Promise.all([chaosMonkey(), ...Array.from({ length: options.clients }, (_, n) => client(n))]);
  log(`${flows} flows, ${requests} requests, ${retries} retries; checking the database`);

  const db = new pg.Client({ connectionString: options.databaseUrl });
  await db.connect();
  try {
    const contactIds = answered.filter((a) => a.kind === 'contact').map((a) => a.id);
    const referralIds = answered.filter((a) => a.kind === 'referral').map((a) => a.id);
    const found = await db.query<{ n: number }>('select count(*)::int as n from contacts where id = any($1::uuid[])', [contactIds]);
    const foundReferrals = await db.query<{ n: number }>('select count(*)::int as n from referrals where id = any($1::uuid[])', [referralIds]);
    const lost = contactIds.length - found.rows[0]!.n + (referralIds.length - foundReferrals.rows[0]!.n);
    // Each key's records: one contact per key, one assessment and one referral per contact.
    // The account (summary) is stored encrypted (docs/encryption.md): this run's contacts are found by
    // opening it here, with the keys the spoc processes were started with (the same environment).
    const summaries = (await db.query<{ id: string; summary: string }>('select id::text as id, summary from contacts')).rows
      .map((c) => ({ id: c.id, summary: decrypt(c.summary) }))
      .filter((c) => c.summary.startsWith(`chaos-${stamp}-`));
    const perSummary = new Map<string, number>();
    for (const c of summaries) perSummary.set(c.summary, (perSummary.get(c.summary) ?? 0) + 1);
    const doubledContacts = { rows: [{ n: [...perSummary.values()].filter((n) => n > 1).length }] };
    const ours = summaries.map((c) => c.id);
    const doubledAssessments = await db.query<{ n: number }>(
      `select count(*)::int as n from (select contact_id from risk_assessments where contact_id = any($1::uuid[]) group by contact_id having count(*) > 1) d`,
      [ours],
    );
    const doubledReferrals = await db.query<{ n: number }>(
      `select count(*)::int as n from (select contact_id from referrals where contact_id = any($1::uuid[]) group by contact_id having count(*) > 1) d`,
      [ours],
    );
    const withoutClocks = await db.query<{ n: number }>(
      `select count(*)::int as n from referrals r where r.id = any($1::uuid[]) and (r.acknowledge_due_at is null or r.first_contact_due_at is null
         or not exists (select 1 from referral_events e where e.referral_id = r.id and e.to_state = 'sent'))`,
      [referralIds],
    );

    // Every clock breached: each referral's two escalations raised exactly once by the restarted spoc's job.
    await db.query(`update referrals set acknowledge_due_at = now() - interval '1 hour', first_contact_due_at = now() - interval '1 minute' where id = any($1::uuid[])`, [referralIds]);
    if (options.kills > 0) {
      await spoc.kill('SIGKILL');
      kills += 1;
      await spoc.start();
    }
    const expected = referralIds.length * 2;
    let raised = 0;
    for (let i = 0; i < 150 && raised < expected; i += 1) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      raised = (await db.query<{ n: number }>('select count(*)::int as n from escalations where referral_id = any($1::uuid[])', [referralIds])).rows[0]!.n;
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const escalations = await db.query<{ n: number; distinct: number }>(
      `select count(*)::int as n, count(distinct (referral_id, clock))::int as distinct from escalations where referral_id = any($1::uuid[])`,
      [referralIds],
    );
    const audited = await db.query<{ n: number }>(`select count(*)::int as n from audit_events where action = 'referral.escalate' and record_id = any($1::uuid[])`, [referralIds]);
    return {
      requests,
      retries,
      kills,
      postgresRestarts,
      flows,
      contactsChecked: contactIds.length,
      referralsChecked: referralIds.length,
      lost,
      doubled: doubledContacts.rows[0]!.n + doubledAssessments.rows[0]!.n + doubledReferrals.rows[0]!.n,
      withoutClocks: withoutClocks.rows[0]!.n,
      escalationsExpected: expected,
      escalationsRaised: escalations.rows[0]!.distinct,
      escalationsDoubled: escalations.rows[0]!.n - escalations.rows[0]!.distinct,
      escalationsAudited: audited.rows[0]!.n,
    };
  } finally {
    await db.end();
    await spoc.kill('SIGTERM');
  }
}
