/**
 * bench/flow: N simulated call handlers each run the full flow against a running spoc —
 * create a contact, submit the checklist, get pathways, send 2 referrals, and the provider
 * acknowledges and accepts — and a ceiling measured in the same run: a bare Fastify route
 * making the same number of database round-trips.
 *
 *   npm run bench:flow -- --db postgres --duration 20 --concurrency 16 --rate 200 --warmup 5
 *   npm run bench:flow -- --db pglite
 *
 * It starts spoc (`spoc serve`) on a fresh database of its own: a new PostgreSQL database
 * on 127.0.0.1:5432 (dropped afterwards) or a temporary PGlite folder.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openDatabase } from '../../src/db/connect.js';
import { ANSWERS, contactBody, flow as flowOf, percentile, request, seed, serveSpoc, startServer, STEPS, stop, type Step } from './client.js';

const { values: args } = parseArgs({
  options: {
    db: { type: 'string', default: 'postgres' },
    duration: { type: 'string', default: '20' },
    /** Untimed flows first, so every connection has made its plans (a server runs for days). */
    warmup: { type: 'string', default: '5' },
    concurrency: { type: 'string', default: '16' },
    rate: { type: 'string', default: '200' },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    /** Synthetic contacts of past years loaded before the flows run (`spoc seed --synthetic`); none by default. */
    history: { type: 'string', default: '0' },
    /** Print each request's SQL while counting round-trips (to see where they go). */
    trace: { type: 'boolean', default: false },
  },
});
const DURATION_MS = Number(args.duration) * 1000;
const CONCURRENCY = Number(args.concurrency);
const RATE = Number(args.rate);

/** One full flow (bench/flow/client.ts), printing each request with --trace. */
const flow = (base: string, n: number) => flowOf(base, n, { trace: args.trace });

interface RunResult {
  flows: number;
  errors: number;
  seconds: number;
  perStep: Record<Step, number[]>;
}

/** Runs flows for the duration: as fast as `concurrency` workers can, or paced at `rate` flows/s. */
async function load(run: (n: number) => Promise<Record<string, number>>, concurrency: number, rate: number | null, durationMs = DURATION_MS): Promise<RunResult> {
  const perStep = Object.fromEntries(STEPS.map((s) => [s, [] as number[]])) as Record<Step, number[]>;
  let flows = 0;
  let errors = 0;
  let started = 0;
  const start = performance.now();
  const end = start + durationMs;
  const worker = async () => {
    while (performance.now() < end) {
      const n = started++;
      if (rate) {
        const due = start + (n * 1000) / rate;
        const wait = due - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        if (performance.now() >= end) break;
      }
      try {
        const times = await run(n);
        for (const [step, ms] of Object.entries(times)) perStep[step as Step]?.push(ms);
        flows += 1;
      } catch (error) {
        errors += 1;
        if (errors <= 3) console.error(`  error: ${(error as Error).message}`);
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return { flows, errors, seconds: (performance.now() - start) / 1000, perStep };
}

/**
 * CPU seconds (user + system) each process has used so far, from /proc (Linux; none
 * elsewhere). CPU per flow varies less from run to run than flows/s on a shared machine, so
 * it is the better measure of a change.
 */
function cpuSeconds(pids: number[]): Map<number, number> {
  const used = new Map<number, number>();
  for (const pid of pids) {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      used.set(pid, (Number(fields[11]) + Number(fields[12])) / 100); // utime, stime in USER_HZ ticks
    } catch {
      // gone, or not Linux
    }
  }
  return used;
}

/** CPU used since `before` by the processes now running (one that ended in between is lost). */
function cpuSince(before: Map<number, number>, now: Map<number, number>): number {
  let total = 0;
  for (const [pid, seconds] of now) total += seconds - (before.get(pid) ?? 0);
  return total;
}

/** Runs a phase and says how much CPU spoc's process and the database's backends used per flow. */
async function withCpu(spocPid: number | undefined, backends: () => Promise<number[]>, phase: () => Promise<RunResult>): Promise<RunResult & { cpu: string }> {
  const spoc = spocPid ? [spocPid] : [];
  const [spocBefore, dbBefore, clientBefore] = [cpuSeconds(spoc), cpuSeconds(await backends()), process.cpuUsage()];
  const result = await phase();
  const [spocUsed, dbUsed, clientUsed] = [cpuSince(spocBefore, cpuSeconds(spoc)), cpuSince(dbBefore, cpuSeconds(await backends())), process.cpuUsage(clientBefore)];
  const perFlow = (seconds: number) => `${((seconds * 1000) / Math.max(1, result.flows)).toFixed(1)} ms`;
  const client = (clientUsed.user + clientUsed.system) / 1e6;
  return { ...result, cpu: `CPU per flow: spoc ${perFlow(spocUsed)}${dbUsed > 0 ? `, PostgreSQL backends ${perFlow(dbUsed)}` : ''}, this benchmark's client ${perFlow(client)}` };
}

function report(label: string, result: RunResult & { cpu?: string }): void {
  console.log(`\n${label}: ${result.flows} flows in ${result.seconds.toFixed(1)} s = ${(result.flows / result.seconds).toFixed(1)} flows/s, ${result.errors} errors`);
  if (result.cpu) console.log(`  ${result.cpu}`);
  console.log(`  ${'step'.padEnd(18)} ${'p50 ms'.padStart(8)} ${'p95 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`);
  for (const step of STEPS) {
    const sorted = [...result.perStep[step]].sort((a, b) => a - b);
    if (sorted.length === 0) continue;
    console.log(`  ${step.padEnd(18)} ${percentile(sorted, 50).toFixed(1).padStart(8)} ${percentile(sorted, 95).toFixed(1).padStart(8)} ${percentile(sorted, 99).toFixed(1).padStart(8)}`);
  }
}

/** Round-trips one flow makes, in all and step by step, counted on an in-process app over the same kind of database. */
async function roundTripsPerFlow(env: Record<string, string>): Promise<{ perFlow: number; perStep: number[] }> {
  let count = 0;
  const onQuery = (text: string) => {
    count += 1;
    if (args.trace) console.log(`    ${text.replace(/\s+/g, ' ').slice(0, 150)}`);
  };
  const database = await openDatabase(env.DATABASE_URL ? { kind: 'postgres', url: env.DATABASE_URL, onQuery } : { kind: 'pglite', dataDir: env.SPOC_DATA_DIR!, onQuery });
  const { buildApp } = await import('../../src/app.js');
  const { loadConfig } = await import('../../src/config.js');
  const app = await buildApp({ config: { ...loadConfig({}), logLevel: 'silent', jobIntervalMs: 0 }, database });
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  await flow(url, -1);
  count = 0;
  const perStep: number[] = [];
  await flowOf(url, -2, {
    trace: args.trace,
    around: async (_step, fn) => {
      const before = count;
      const result = await fn();
      perStep.push(count - before);
      return result;
    },
  });
  const perFlow = count;
  await app.close();
  await database.close();
  return { perFlow, perStep };
}

/**
 * The ceilings, in a process of their own (bench/flow/ceiling-server.ts), loaded by the same
 * client as spoc was: the issue's — one bare Fastify request making the flow's `perFlow`
 * sequential round-trips — and, for comparison, the flow's six requests done bare, each
 * making its step's round-trips in one transaction (the HTTP and transaction overheads
 * spoc's flow cannot avoid, without its work).
 */
async function ceilings(
  env: Record<string, string>,
  trips: { perFlow: number; perStep: number[] },
  backends: () => Promise<number[]>,
): Promise<{ one: RunResult & { cpu: string }; steps: RunResult & { cpu: string } }> {
  const { child, url } = await startServer(
    ['--import', 'tsx', path.resolve('bench/flow/ceiling-server.ts')],
    { ...env, CEILING_TRIPS: String(trips.perFlow), CEILING_STEPS: JSON.stringify(trips.perStep) },
    /ceiling at (\S+)/,
  );
  const one = async () => {
    const start = performance.now();
    await request(`${url}/ceiling`);
    return { 'create contact': performance.now() - start };
  };
  const bodies = [contactBody(0), { answers: ANSWERS }, undefined, { referrals: [{ serviceId: randomUUID() }, { serviceId: randomUUID() }], consent: 'given' }, { to: 'acknowledged' }, { to: 'accepted' }];
  const stepwise = async () => {
    const times = {} as Record<Step, number>;
    for (const [i, step] of STEPS.entries()) {
      const start = performance.now();
      await request(`${url}/ceiling/step/${i}`, 'POST', bodies[i]);
      times[step] = performance.now() - start;
    }
    return times;
  };
  try {
    await load(one, CONCURRENCY, null, Number(args.warmup) * 1000); // untimed, as for spoc
    const oneResult = await withCpu(child.pid, backends, () => load(one, CONCURRENCY, null));
    await load(stepwise, CONCURRENCY, null, Number(args.warmup) * 1000);
    return { one: oneResult, steps: await withCpu(child.pid, backends, () => load(stepwise, CONCURRENCY, null)) };
  } finally {
    await stop(child);
  }
}

async function main(): Promise<void> {
  const kind = args.db === 'pglite' ? 'pglite' : 'postgres';
  const stamp = Date.now();
  let env: Record<string, string>;
  let cleanup: () => Promise<void>;
  let backends = async (): Promise<number[]> => [];
  if (kind === 'postgres') {
    const name = `spoc_bench_${stamp}`;
    const admin = new pg.Client({ connectionString: args['pg-url'] });
    await admin.connect();
    await admin.query(`create database ${name}`);
    const url = new URL(args['pg-url']!);
    url.pathname = `/${name}`;
    env = { DATABASE_URL: url.toString(), SPOC_DATA_DIR: '' };
    backends = async () => (await admin.query<{ pid: number }>('select pid from pg_stat_activity where datname = $1', [name])).rows.map((r) => r.pid);
    cleanup = async () => {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    };
  } else {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'spoc-bench-'));
    env = { SPOC_DATA_DIR: path.join(dir, 'data'), DATABASE_URL: '' };
    cleanup = async () => fs.rmSync(dir, { recursive: true, force: true });
  }
  try {
    await seed(env, Number(args.history));
    console.log(`bench/flow on ${kind}: ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}, ${DURATION_MS / 1000} s per phase, ${CONCURRENCY} handlers`);
    const trips = await roundTripsPerFlow(env);
    console.log(`round-trips per flow: ${trips.perFlow} (by step: ${trips.perStep.join(', ')})`);
    const { child, url } = await serveSpoc(env, { env: { SPOC_JOB_INTERVAL_MS: '60000' } });
    try {
      await flow(url, -3);
      // Each of spoc's connections plans its statements on first use (custom plans for the
      // first five runs): untimed, as a server that has been running for a while has done.
      await load((n) => flow(url, 1_000_000 + n), CONCURRENCY, null, Number(args.warmup) * 1000);
      report('spoc, as fast as the handlers go', await withCpu(child.pid, backends, () => load((n) => flow(url, n), CONCURRENCY, null)));
      report(`spoc, paced at ${RATE} flows/s`, await withCpu(child.pid, backends, () => load((n) => flow(url, n), Math.max(CONCURRENCY, 64), RATE)));
    } finally {
      await stop(child);
    }
    // The ceiling runs on the same database, with spoc stopped (PGlite allows one process).
    const top = await ceilings(env, trips, backends);
    const p50 = percentile([...top.one.perStep['create contact']].sort((a, b) => a - b), 50);
    console.log(`\nceiling: a bare Fastify route in its own process making ${trips.perFlow} round-trips: ${(top.one.flows / top.one.seconds).toFixed(1)} flows/s (p50 ${p50.toFixed(1)} ms)`);
    console.log(`  ${top.one.cpu.replace('spoc', 'its server')}`);
    report(`for comparison, the flow's ${STEPS.length} requests done bare (each its step's round-trips in one transaction)`, { ...top.steps, cpu: top.steps.cpu.replace('spoc', 'its server') });
  } finally {
    await cleanup();
  }
}

await main();
