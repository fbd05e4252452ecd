/**
 * bench/soak: spoc under a steady, realistic load for a long time (issue 10), to find what
 * short benchmarks cannot — memory that only grows, latency that creeps up.
 *
 *   npm run bench:soak -- --minutes 10 --rate 50
 *
 * It starts `spoc serve` on a new PostgreSQL database (the demo partnership, dropped
 * afterwards) with a small probe loaded into it (memory-probe.mjs), then sends `--rate`
 * requests a second, paced whatever the answers' speed (an open loop): in every ten, one
 * call handler's whole flow of six (bench/flow/client.ts: contact, checklist, pathways, two
 * referrals, acknowledged and accepted by the IDVA service) and four reads (the provider
 * inbox and the contact list through the API, the inbox and contacts pages signed in).
 * Every `--sample-seconds` it records the spoc process's RSS (/proc/<pid>/status VmRSS), its
 * V8 heap and CPU time; each minute, latency p50/p95/p99 over all requests.
 *
 * PASS when RSS grew less than `--max-rss-growth-mib` from the warm-up's last minute
 * (`--warmup-minutes`) to the run's last (each minute's lowest sample), the last minute's p95 is at most `--max-p95-ratio` times the
 * second minute's, and every request was answered 2xx.
 */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { FormClient } from '../../test/web/http.js';
import { benchDatabase, call, flow, HANDLER, IDVA, percentile, seed, serveSpoc, stop, STEPS, type Step } from '../flow/client.js';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '10' },
    rate: { type: 'string', default: '50' },
    'warmup-minutes': { type: 'string', default: '1' },
    'sample-seconds': { type: 'string', default: '10' },
    'max-rss-growth-mib': { type: 'string', default: '64' },
    'max-p95-ratio': { type: 'string', default: '1.5' },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});

function numberOption(name: keyof typeof args, min: number, whole = false): number {
  const value = Number(args[name]);
  if (!Number.isFinite(value) || value < min || (whole && !Number.isInteger(value))) {
    console.error(`bench/soak: --${name} must be ${whole ? 'a whole number' : 'a number'} of at least ${min} (got ${String(args[name])})`);
    process.exit(2);
  }
  return value;
}

const MINUTES = numberOption('minutes', 2, true);
const RATE = numberOption('rate', 1);
const WARMUP_MINUTES = numberOption('warmup-minutes', 1, true);
const SAMPLE_SECONDS = numberOption('sample-seconds', 1, true);
const MAX_RSS_GROWTH_MIB = numberOption('max-rss-growth-mib', 1);
const MAX_P95_RATIO = numberOption('max-p95-ratio', 1);
if (WARMUP_MINUTES >= MINUTES) {
  console.error('bench/soak: --warmup-minutes must be fewer than --minutes');
  process.exit(2);
}
/** Past this many requests waiting for an answer, spoc is not keeping up: the next are dropped (and the run fails). */
const MAX_IN_FLIGHT = 500;
const READS = ['inbox (API)', 'contacts (API)', 'inbox page', 'contacts page'] as const;
type Kind = Step | (typeof READS)[number];
const MiB = 1024 * 1024;

interface Minute {
  latencies: number[];
  errors: number;
  loadAverage?: number;
}
interface MemorySample {
  seconds: number;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  cpuMicros: number;
}

const minutes: Minute[] = Array.from({ length: MINUTES }, () => ({ latencies: [], errors: 0 }));
const byKind = new Map<Kind, number[]>();
const samples: MemorySample[] = [];
const firstErrors: string[] = [];
let dropped = 0;
let inFlight = 0;
let t0 = 0;

const minuteOf = (at: number) => Math.min(MINUTES - 1, Math.floor((at - t0) / 60_000));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function record(kind: Kind, startedAt: number, ms: number): void {
  minutes[minuteOf(startedAt)]!.latencies.push(ms);
  let list = byKind.get(kind);
  if (!list) byKind.set(kind, (list = []));
  list.push(ms);
}

function failed(startedAt: number, error: unknown): void {
  minutes[minuteOf(startedAt)]!.errors += 1;
  if (firstErrors.length < 5) firstErrors.push((error as Error).message);
}

/** Starts `op(n)` at t0 + n × everyMs until the end, without waiting for answers (an open loop). */
async function paced(everyMs: number, endAt: number, op: (n: number) => Promise<void>): Promise<void> {
  const running: Promise<void>[] = [];
  for (let n = 0; ; n += 1) {
    const due = t0 + n * everyMs;
    if (due >= endAt) break;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    if (inFlight >= MAX_IN_FLIGHT) {
      dropped += 1;
      continue;
    }
    inFlight += 1;
    running.push(op(n).finally(() => (inFlight -= 1)));
  }
  await Promise.all(running);
}

/** The spoc process's resident memory, as the kernel counts it. */
function rssOf(pid: number): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : NaN;
}

/** spoc with the memory probe: each probe line is one sample, with RSS read from /proc at that moment. */
async function startSpoc(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const probe = pathToFileURL(path.resolve('bench/soak/memory-probe.mjs')).href;
  const started = await serveSpoc(env, { nodeArgs: ['--import', probe], env: { SOAK_SAMPLE_MS: String(SAMPLE_SECONDS * 1000) }, stderr: 'pipe' });
  let pending = '';
  started.child.stderr!.on('data', (chunk) => {
    pending += String(chunk);
    const lines = pending.split('\n');
    pending = lines.pop()!;
    for (const line of lines) {
      if (!line.startsWith('soak-memory ')) {
        process.stderr.write(`spoc: ${line}\n`);
        continue;
      }
      if (t0 === 0) continue;
      const figures = JSON.parse(line.slice('soak-memory '.length)) as { heapUsed: number; heapTotal: number; cpuMicros: number };
      samples.push({ seconds: (performance.now() - t0) / 1000, rss: rssOf(started.child.pid!), ...figures });
    }
  });
  return started;
}

const mib = (bytes: number) => (bytes / MiB).toFixed(1);
const ms = (value: number) => (Number.isNaN(value) ? '—' : value.toFixed(1));

function p(values: number[], q: number): number {
  return percentile([...values].sort((a, b) => a - b), q);
}

async function main(): Promise<number> {
  const { env, drop } = await benchDatabase(args['pg-url']!, 'spoc_soak');
  let child: ChildProcess | null = null;
  const cleanup = async () => {
    if (child) await stop(child);
    await drop();
  };
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  try {
    await seed(env);
    const spoc = await startSpoc(env);
    child = spoc.child;
    const base = spoc.url;
    const idvaPages = new FormClient(base);
    const handlerPages = new FormClient(base);
    for (const [browser, email] of [[idvaPages, 'idva@castlebrook.example'], [handlerPages, 'handler@castlebrook.example']] as const) {
      const signedIn = await browser.signIn(email);
      if (signedIn.status !== 303) throw new Error(`signing in as ${email} answered ${signedIn.status}`);
    }
    const reads: Record<(typeof READS)[number], () => Promise<unknown>> = {
      'inbox (API)': () => call(base, IDVA, 'GET', '/api/v1/referrals'),
      'contacts (API)': () => call(base, HANDLER, 'GET', '/api/v1/contacts'),
      'inbox page': () => page(idvaPages, '/inbox'),
      'contacts page': () => page(handlerPages, '/contacts'),
    };

    console.log(
      `bench/soak on PostgreSQL: ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}; ` +
        `${MINUTES} min at ${RATE} requests/s (${(RATE / 10).toFixed(1)} flows/s of 6 requests and ${(RATE * 0.4).toFixed(1)} reads/s); ` +
        `samples every ${SAMPLE_SECONDS} s; warm-up ${WARMUP_MINUTES} min; load average at start ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`,
    );
    t0 = performance.now();
    const endAt = t0 + MINUTES * 60_000;
    let ended = 0;
    const loadTimer = setInterval(() => {
      const done = minutes[ended];
      if (!done) return;
      const load = os.loadavg()[0]!;
      done.loadAverage = load;
      ended += 1;
      console.log(`  minute ${ended}: ${done.latencies.length} answered, ${done.errors} errors, p95 ${ms(p(done.latencies, 95))} ms, RSS ${samples.length ? mib(samples.at(-1)!.rss) : '—'} MiB, load average ${load.toFixed(2)}`);
    }, 60_000);
    let contacts = 0;
    await Promise.all([
      paced(10_000 / RATE, endAt, async (n) => {
        const startedAt = performance.now();
        let stepStarted = startedAt;
        try {
          await flow(base, n, {
            onStep: (step, took) => {
              record(step, stepStarted, took);
              stepStarted = performance.now();
            },
          });
          contacts += 1;
        } catch (error) {
          failed(stepStarted, error);
        }
      }),
      paced(2_500 / RATE, endAt, async (n) => {
        const kind = READS[n % READS.length]!;
        const startedAt = performance.now();
        try {
          await reads[kind]();
          record(kind, startedAt, performance.now() - startedAt);
        } catch (error) {
          failed(startedAt, error);
        }
      }),
    ]);
    clearInterval(loadTimer);
    minutes.at(-1)!.loadAverage ??= os.loadavg()[0];
    await sleep(SAMPLE_SECONDS * 1000 + 500);
    return report(contacts);
  } finally {
    const running = child;
    await cleanup();
    if (running && running.exitCode !== 0) console.log(`spoc exited with ${running.exitCode ?? running.signalCode} after SIGTERM (expected 0)`);
  }
}

async function page(browser: FormClient, url: string): Promise<void> {
  const answer = await browser.request('GET', url);
  if (answer.status !== 200) throw new Error(`GET ${url} → ${answer.status}`);
}

function report(contacts: number): number {
  const sampleAtMinute = (minute: number) => samples.filter((s) => s.seconds <= minute * 60 + 0.5).at(-1);
  console.log(`\n${contacts} flows completed; every minute, over all requests:`);
  console.log('| minute | answered | errors | p50 ms | p95 ms | p99 ms | RSS lowest–highest MiB | heap used lowest–highest MiB | spoc CPU % | load average |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
  for (const [i, minute] of minutes.entries()) {
    const inMinute = samples.filter((s) => s.seconds > i * 60 && s.seconds <= (i + 1) * 60 + 0.5);
    const before = sampleAtMinute(i);
    const end = inMinute.at(-1);
    const cpu = before && end ? ((end.cpuMicros - before.cpuMicros) / 1e6 / (end.seconds - before.seconds)) * 100 : NaN;
    const range = (of: (s: MemorySample) => number) => (inMinute.length ? `${mib(Math.min(...inMinute.map(of)))}–${mib(Math.max(...inMinute.map(of)))}` : '—');
    console.log(
      `| ${i + 1} | ${minute.latencies.length} | ${minute.errors} | ${ms(p(minute.latencies, 50))} | ${ms(p(minute.latencies, 95))} | ${ms(p(minute.latencies, 99))} | ` +
        `${range((s) => s.rss)} | ${range((s) => s.heapUsed)} | ${Number.isNaN(cpu) ? '—' : cpu.toFixed(0)} | ${minute.loadAverage?.toFixed(2) ?? '—'} |`,
    );
  }
  console.log('\nEach kind of request over the whole run:');
  console.log('| request | n | p50 ms | p95 ms | p99 ms |');
  console.log('|---|---|---|---|---|');
  for (const kind of [...STEPS, ...READS]) {
    const values = byKind.get(kind) ?? [];
    console.log(`| ${kind} | ${values.length} | ${ms(p(values, 50))} | ${ms(p(values, 95))} | ${ms(p(values, 99))} |`);
  }
  console.log(`\nMemory samples (every ${SAMPLE_SECONDS} s): RSS MiB ${samples.map((s) => mib(s.rss)).join(' ')}`);
  console.log(`heap used MiB ${samples.map((s) => mib(s.heapUsed)).join(' ')}`);

  // A minute's floor (its lowest sample) is the level after garbage collection: what a leak raises, whatever the sawtooth above it.
  const floor = (minute: number, of: (s: MemorySample) => number) => Math.min(...samples.filter((s) => s.seconds > (minute - 1) * 60 && s.seconds <= minute * 60 + 0.5).map(of));
  const rssWarm = floor(WARMUP_MINUTES, (s) => s.rss);
  const rssLast = floor(MINUTES, (s) => s.rss);
  const rssGrowth = rssLast - rssWarm;
  const heapGrowth = floor(MINUTES, (s) => s.heapUsed) - floor(WARMUP_MINUTES, (s) => s.heapUsed);
  const p95Second = p(minutes[1]!.latencies, 95);
  const p95Last = p(minutes.at(-1)!.latencies, 95);
  const ratio = p95Last / p95Second;
  const errors = minutes.reduce((sum, m) => sum + m.errors, 0);
  const checks = [
    { ok: rssGrowth < MAX_RSS_GROWTH_MIB * MiB, text: `RSS growth after the ${WARMUP_MINUTES}-minute warm-up (lowest sample of minute ${WARMUP_MINUTES} → of minute ${MINUTES}): ${mib(rssGrowth)} MiB (${mib(rssWarm)} → ${mib(rssLast)}); bound < ${MAX_RSS_GROWTH_MIB} MiB` },
    { ok: ratio <= MAX_P95_RATIO, text: `last minute's p95 ${ms(p95Last)} ms = ${ratio.toFixed(2)} × the second minute's ${ms(p95Second)} ms; bound ≤ ${MAX_P95_RATIO}×` },
    { ok: errors === 0 && dropped === 0, text: `${errors} requests failed, ${dropped} dropped (more than ${MAX_IN_FLIGHT} waiting); bound 0${firstErrors.length ? ` — first: ${firstErrors.join('; ')}` : ''}` },
  ];
  console.log(`\nheap used (lowest sample of the minute) grew ${mib(heapGrowth)} MiB from minute ${WARMUP_MINUTES} to minute ${MINUTES} (reported, not bounded)`);
  for (const check of checks) console.log(`${check.ok ? 'ok  ' : 'FAIL'} ${check.text}`);
  const pass = checks.every((check) => check.ok);
  console.log(pass ? 'PASS' : 'FAIL');
  return pass ? 0 : 1;
}

process.exitCode = await main();
