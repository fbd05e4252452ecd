/**
 * The benchmarks' client side, shared by bench/flow and bench/soak: the call handler's
 * flow as HTTP requests against a running spoc (demo partnership), percentiles, and
 * starting and stopping spoc as a process of its own.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import path from 'node:path';
import pg from 'pg';
import { DASH_RIC_QUESTION_IDS } from '../../src/modules/risk/dash-ric.js';
import { demoToken } from '../../src/seed/demo.js';

export const BIN = path.resolve('bin/spoc.js');
export const STEPS = ['create contact', 'submit checklist', 'get pathways', 'send 2 referrals', 'acknowledge', 'accept'] as const;
export type Step = (typeof STEPS)[number];
export const HANDLER = demoToken('handler@castlebrook.example');
export const IDVA = demoToken('idva@castlebrook.example');
/** A high-risk checklist (15 yes): the contact is referred to MARAC too. */
export const ANSWERS = Object.fromEntries(DASH_RIC_QUESTION_IDS.map((id, i) => [id, i < 15 ? 'yes' : 'no']));

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

/** The new contact the flow records, for handler `n`. */
export function contactBody(n: number) {
  return {
    channel: 'phone',
    callerType: 'victim',
    immediateDanger: 'no',
    person: { name: `Bench Person ${n}`, dateOfBirth: '1988-03-04', gender: 'female', postcode: 'XB2 1AA', phones: ['07700 900000'] },
    safeContact: { phones: [{ number: '07700 900000', callSafe: true, textSafe: false, voicemailSafe: false }] },
    children: [{ dateOfBirth: '2019-01-01' }],
  };
}

const agent = new http.Agent({ keepAlive: true });

/**
 * One HTTP request over kept-alive connections, with its JSON body if any; answers its status
 * and parsed JSON. node:http rather than fetch: the benchmark's client shares the two cores
 * with what it measures, and fetch cost it about three times the CPU per request.
 */
export function request(url: string, method = 'GET', body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, any> }> {
  const payload = body === undefined ? undefined : JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const outgoing = http.request(url, { method, agent, headers: payload ? { ...headers, 'content-type': 'application/json' } : headers }, (response) => {
      const chunks: Buffer[] = [];
      response.on('data', (chunk: Buffer) => chunks.push(chunk));
      response.on('error', reject);
      response.on('end', () => {
        try {
          resolve({ status: response.statusCode ?? 0, json: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
        } catch (error) {
          reject(error);
        }
      });
    });
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}

/** One API request as `token`; throws on any answer from 300 up. */
export async function call(base: string, token: string, method: string, url: string, body?: unknown, trace = false) {
  if (trace) console.log(`  ${method} ${url}`);
  const { status, json } = await request(base + url, method, body, { authorization: `Bearer ${token}` });
  if (status >= 300) throw new Error(`${method} ${url} → ${status} ${json.title ?? ''}`);
  return json;
}

/**
 * One full flow: create a contact, submit the checklist, get pathways, send 2 referrals
 * (IDVA and MARAC), then the IDVA service acknowledges and accepts. Returns each step's
 * latency in ms; `onStep` also hears each one as it ends (the soak times them per minute),
 * and `around` runs each step (bench/flow/steps.ts measures its CPU).
 */
export async function flow(
  base: string,
  n: number,
  options: { trace?: boolean; onStep?: (step: Step, ms: number) => void; around?: <T>(step: Step, fn: () => Promise<T>) => Promise<T> } = {},
): Promise<Record<Step, number>> {
  const times = {} as Record<Step, number>;
  const timed = async <T>(step: Step, fn: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    const result = await (options.around ? options.around(step, fn) : fn());
    times[step] = performance.now() - start;
    options.onStep?.(step, times[step]);
    return result;
  };
  const trace = options.trace ?? false;
  const contact = await timed('create contact', () =>
    call(
      base,
      HANDLER,
      'POST',
      '/api/v1/contacts',
      contactBody(n),
      trace,
    ),
  );
  await timed('submit checklist', () => call(base, HANDLER, 'POST', `/api/v1/contacts/${contact.id}/risk-assessments`, { answers: ANSWERS }, trace));
  const pathways = await timed('get pathways', () => call(base, HANDLER, 'GET', `/api/v1/contacts/${contact.id}/pathways`, undefined, trace));
  const chosen = pathways.proposals.filter((p: { kind: string }) => p.kind === 'idva' || p.kind === 'marac').slice(0, 2);
  const sent = await timed('send 2 referrals', () =>
    call(
      base,
      HANDLER,
      'POST',
      `/api/v1/contacts/${contact.id}/referrals`,
      { referrals: chosen.map((p: { serviceId: string }) => ({ serviceId: p.serviceId })), consent: 'given' },
      trace,
    ),
  );
  const idva = sent.referrals.find((r: { serviceName: string }) => r.serviceName === 'IDVA service');
  await timed('acknowledge', () => call(base, IDVA, 'POST', `/api/v1/referrals/${idva.id}/transitions`, { to: 'acknowledged' }, trace));
  await timed('accept', () => call(base, IDVA, 'POST', `/api/v1/referrals/${idva.id}/transitions`, { to: 'accepted' }, trace));
  return times;
}

/** A new PostgreSQL database for a benchmark, on the server of `pgUrl`: its environment for spoc, and how to drop it. */
export async function benchDatabase(pgUrl: string, prefix: string): Promise<{ name: string; env: Record<string, string>; admin: pg.Client; drop: () => Promise<void> }> {
  const name = `${prefix}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: pgUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(pgUrl);
  url.pathname = `/${name}`;
  return {
    name,
    env: { DATABASE_URL: url.toString(), SPOC_DATA_DIR: '' },
    admin,
    drop: async () => {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

/**
 * Loads the demo partnership into the database of `env` (`spoc seed --demo`), with `history`
 * synthetic contacts of the past three years behind it if asked (a live partnership's
 * tables are not empty: plans and policies meet real row counts).
 */
export async function seed(env: Record<string, string>, history = 0): Promise<void> {
  if (!Number.isInteger(history) || history < 0) throw new Error('--history must be a whole number of contacts, 0 or more');
  const extra = history > 0 ? ['--synthetic', String(history), '--seed', '3'] : [];
  await new Promise<void>((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'seed', '--demo', ...extra], { env: { ...process.env, ...env }, stdio: 'inherit' });
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`seed exited with ${code}`))));
  });
}

/** Starts a process and waits for the line that gives its URL; its standard error is shown, or piped to read. */
export function startServer(args: string[], env: Record<string, string>, ready: RegExp, stderr: 'inherit' | 'pipe' = 'inherit'): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', stderr] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (chunk) => {
      out += String(chunk);
      const match = ready.exec(out);
      if (match) resolve({ child, url: match[1]! });
    });
    child.on('exit', (code) => reject(new Error(`${args.at(-1)} exited with ${code}`)));
  });
}

/**
 * Starts `spoc serve` on the database of `env`, on a free port and logging warnings only,
 * with `nodeArgs` before it; SPOC_BENCH_NODE_ARGS adds Node's own (e.g. "--cpu-prof
 * --cpu-prof-dir=/tmp/prof" profiles the server).
 */
export function serveSpoc(
  env: Record<string, string>,
  options: { nodeArgs?: string[]; env?: Record<string, string>; stderr?: 'inherit' | 'pipe' } = {},
): Promise<{ child: ChildProcess; url: string }> {
  const profiling = (process.env.SPOC_BENCH_NODE_ARGS ?? '').split(' ').filter(Boolean);
  return startServer(
    [...profiling, ...(options.nodeArgs ?? []), BIN, 'serve'],
    { ...env, PORT: '0', LOG_LEVEL: 'warn', ...options.env },
    /spoc is running at (\S+)/,
    options.stderr,
  );
}

export async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.on('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}
