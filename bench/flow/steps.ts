/**
 * bench/flow/steps: the CPU each step of the call handler's flow costs, one flow at a time —
 * spoc's process (all its threads) and the database's PostgreSQL backends, read from
 * /proc/<pid>/schedstat (nanoseconds, so one request is measured, not a 10 ms tick). Steadier
 * than flows/s under load for judging a change: run it on the old and new code in turn.
 *
 *   npm run bench:steps                       # 300 flows after 100 untimed
 *   npm run bench:steps -- --flows 500 --warmup 100 --functions
 *
 * --functions also prints the PL/pgSQL functions (policy helpers, triggers) by time per flow,
 * from pg_stat_user_functions (track_functions = 'pl' on the bench's database). PostgreSQL on
 * 127.0.0.1:5432 only (a database of its own, dropped afterwards); Linux only (/proc).
 */
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { benchDatabase, call, flow as runFlow, HANDLER, seed, serveSpoc, stop } from './client.js';

const { values: args } = parseArgs({
  options: {
    flows: { type: 'string', default: '300' },
    warmup: { type: 'string', default: '100' },
    functions: { type: 'boolean', default: false },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    /** Synthetic contacts of past years loaded before the flows run (`spoc seed --synthetic`); none by default. */
    history: { type: 'string', default: '0' },
  },
});
const FLOWS = Number(args.flows);
const WARMUP = Number(args.warmup);

/** CPU time so far, in ns, of each process in `pids` (with `threads`, summed over all its threads). */
function cpuNs(pids: number[], threads: boolean): number {
  let total = 0;
  for (const pid of pids) {
    try {
      const tasks = threads ? fs.readdirSync(`/proc/${pid}/task`).map((task) => `/proc/${pid}/task/${task}`) : [`/proc/${pid}`];
      for (const task of tasks) total += Number(fs.readFileSync(`${task}/schedstat`, 'utf8').split(' ')[0]);
    } catch {
      // a backend that ended in between
    }
  }
  return total;
}

const { name, env, admin, drop } = await benchDatabase(args['pg-url']!, 'spoc_steps');
try {
  await seed(env, Number(args.history));
  if (args.functions) await admin.query(`alter database ${name} set track_functions = 'pl'`);
  const { child, url: base } = await serveSpoc(env, { env: { SPOC_JOB_INTERVAL_MS: '600000' } });
  const watcher = new pg.Client({ connectionString: env.DATABASE_URL });
  await watcher.connect();
  const backends = async () =>
    (await watcher.query<{ pid: number }>(`select pid from pg_stat_activity where datname = $1 and backend_type = 'client backend' and pid <> pg_backend_pid()`, [name])).rows.map((r) => r.pid);
  const used = new Map<string, { spoc: number; db: number; n: number }>();
  console.log(`bench/flow/steps: ${WARMUP} untimed flows, then ${FLOWS} timed, one at a time`);
  for (let i = 0; i < WARMUP + FLOWS; i += 1) {
    const pids = await backends();
    const step = async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
      const [spoc0, db0] = [cpuNs([child.pid!], true), cpuNs(pids, false)];
      const result = await fn();
      const [spoc1, db1] = [cpuNs([child.pid!], true), cpuNs(pids, false)];
      if (i >= WARMUP) {
        const sum = used.get(label) ?? { spoc: 0, db: 0, n: 0 };
        used.set(label, { spoc: sum.spoc + spoc1 - spoc0, db: sum.db + db1 - db0, n: sum.n + 1 });
      }
      return result;
    };
    let contactId = '';
    await runFlow(base, i, {
      around: async <T>(label: string, fn: () => Promise<T>): Promise<T> => {
        const result = await step(label, fn);
        if (label === 'create contact') contactId = (result as { id: string }).id;
        return result;
      },
    });
    // For scale: a read of one contact, and a route that touches no database.
    await step('(read a contact)', () => call(base, HANDLER, 'GET', `/api/v1/contacts/${contactId}`));
    await step('(/health/live)', () => fetch(`${base}/health/live`).then((r) => r.text()));
  }
  const ms = (ns: number) => (ns / 1e6).toFixed(2).padStart(8);
  console.log(`\n  ${'step'.padEnd(18)} ${'spoc ms'.padStart(8)} ${'PG ms'.padStart(8)}   (CPU per step, mean of ${FLOWS})`);
  const whole = { spoc: 0, db: 0 };
  for (const [label, sum] of used) {
    console.log(`  ${label.padEnd(18)} ${ms(sum.spoc / sum.n)} ${ms(sum.db / sum.n)}`);
    if (!label.startsWith('(')) [whole.spoc, whole.db] = [whole.spoc + sum.spoc / sum.n, whole.db + sum.db / sum.n];
  }
  console.log(`  ${'whole flow'.padEnd(18)} ${ms(whole.spoc)} ${ms(whole.db)}`);
  await stop(child);
  if (args.functions) {
    // The statistics collector flushes each backend's counts as it ends.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const { rows } = await watcher.query<{ funcname: string; calls: number; self_time: number; total_time: number }>(
      'select funcname, calls, self_time, total_time from pg_stat_user_functions order by self_time desc limit 20',
    );
    const flows = WARMUP + FLOWS + 1;
    console.log(`\n  ${'PL/pgSQL function'.padEnd(28)} ${'calls'.padStart(6)} ${'self ms'.padStart(8)} ${'total ms'.padStart(9)}   (per flow, warm-up included)`);
    for (const r of rows) console.log(`  ${r.funcname.padEnd(28)} ${(r.calls / flows).toFixed(1).padStart(6)} ${(r.self_time / flows).toFixed(3).padStart(8)} ${(r.total_time / flows).toFixed(3).padStart(9)}`);
  }
  await watcher.end();
} finally {
  await drop();
}
