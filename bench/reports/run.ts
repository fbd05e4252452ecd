/**
 * bench/reports: the quarterly report at national volume. Against a PostgreSQL database
 * holding the demo partnership and a synthetic history (seed it first, once; 5,000,000
 * contacts over 5 years take a while):
 *
 *   createdb -h 127.0.0.1 -U postgres spoc_bench5m
 *   DATABASE_URL=postgres://postgres@127.0.0.1:5432/spoc_bench5m npm run spoc -- seed --demo --synthetic 5000000 --years 5
 *   npm run bench:reports -- --url postgres://postgres@127.0.0.1:5432/spoc_bench5m
 *
 * it serves spoc on that database and times, over real HTTP, the whole report of each of the
 * last --quarters full quarters of the history (every measure of SPEC §7, as the commissioner sees it:
 * suppressed) and the quarterly return CSV, --runs times each, after one warm-up request.
 * The target (issue 11): every quarterly report under 1 s.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { sql } from 'kysely';
import { buildApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/connect.js';
import { createLogger } from '../../src/http/logger.js';
import { periodContaining, previousPeriod } from '../../src/modules/reports/periods.js';
import { demoToken } from '../../src/seed/demo.js';

const { values: args } = parseArgs({
  options: {
    url: { type: 'string', default: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/spoc_bench5m' },
    quarters: { type: 'string', default: '4' },
    runs: { type: 'string', default: '5' },
  },
});

const database = await openDatabase({ kind: 'postgres', url: args.url!, poolSize: 4 });
const app = await buildApp({ config: { ...loadConfig({}), port: 0, jobIntervalMs: 0 }, database, logger: createLogger('warn') });
const base = await app.listen({ port: 0, host: '127.0.0.1' });
const token = demoToken('commissioner@castlebrook.example');

try {
  const { rows } = await sql<{ contacts: string; referrals: string; first: Date; last: Date }>`
    select (select count(*) from contacts) as contacts, (select count(*) from referrals) as referrals,
           (select min(received_at) from contacts) as first, (select max(received_at) from contacts) as last`.execute(database.db);
  const totals = rows[0]!;
  console.log(`database: ${Number(totals.contacts).toLocaleString('en-GB')} contacts, ${Number(totals.referrals).toLocaleString('en-GB')} referrals, ${totals.first.toISOString().slice(0, 10)} to ${totals.last.toISOString().slice(0, 10)}`);
  console.log(`machine: ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.cpus()[0]?.model ?? ''}; Node ${process.version}\n`);

  const time = async (path: string) => {
    const started = performance.now();
    const response = await fetch(`${base}${path}`, { headers: { authorization: `Bearer ${token}` } });
    const body = await response.text();
    if (response.status !== 200) throw new Error(`${path}: ${response.status} ${body.slice(0, 300)}`);
    return { ms: performance.now() - started, body };
  };
  // The last full quarters the history holds.
  let quarter = previousPeriod(periodContaining('quarter', totals.last.toISOString().slice(0, 10)));
  const worst: number[] = [];
  console.log('quarter                   contacts in it   report p50   report max   return CSV p50');
  for (let q = 0; q < Number(args.quarters); q++) {
    const path = `/api/v1/reports?period=quarter&date=${quarter.from}`;
    const warm = await time(path);
    const inIt = (JSON.parse(warm.body).tables.find((t: { id: string }) => t.id === 'contacts').total.values.at(-1) as number | null) ?? 0;
    const reports: number[] = [];
    const returns: number[] = [];
    for (let run = 0; run < Number(args.runs); run++) {
      reports.push((await time(path)).ms);
      returns.push((await time(`/api/v1/reports/quarterly-return.csv?date=${quarter.from}`)).ms);
    }
    const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
    worst.push(Math.max(...reports));
    console.log(
      `${quarter.from} – ${quarter.to}   ${inIt.toLocaleString('en-GB').padStart(14)}   ${median(reports).toFixed(0).padStart(7)} ms   ${Math.max(...reports).toFixed(0).padStart(7)} ms   ${median(returns).toFixed(0).padStart(9)} ms`,
    );
    quarter = previousPeriod(quarter);
  }
  const slowest = Math.max(...worst);
  console.log(`\nslowest quarterly report: ${slowest.toFixed(0)} ms — target under 1,000 ms: ${slowest < 1000 ? 'MET' : 'NOT MET'}`);
  process.exitCode = slowest < 1000 ? 0 : 1;
} finally {
  await app.close();
  await database.close();
}
