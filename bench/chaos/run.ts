/**
 * bench/chaos: the crash test at full length, against spoc on PostgreSQL — SIGKILLs of the
 * spoc process and a restart of the PostgreSQL server during the run (so nothing else
 * should be using the server). A shorter version without the server restart runs in CI
 * (test/chaos.test.ts).
 *
 *   npm run bench:chaos -- [--clients 8] [--duration 60] [--kills 5] [--no-postgres-restart]
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { runChaos } from './chaos.js';

const { values: args } = parseArgs({
  options: {
    clients: { type: 'string', default: '8' },
    duration: { type: 'string', default: '60' },
    kills: { type: 'string', default: '5' },
    'no-postgres-restart': { type: 'boolean', default: false },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
  },
});

/** Restarts this machine's PostgreSQL cluster and waits until it answers. */
async function restartPostgres(): Promise<void> {
  const version = fs.readdirSync('/etc/postgresql')[0]!;
  execFileSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'restart'], { stdio: 'ignore' });
  for (let i = 0; i < 60; i += 1) {
    try {
      execFileSync('pg_isready', ['-q', '-h', '127.0.0.1', '-p', '5432']);
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }
  throw new Error('PostgreSQL did not come back');
}

const name = `spoc_chaos_${Date.now()}`;
const admin = new pg.Client({ connectionString: args['pg-url'] });
await admin.connect();
await admin.query(`create database ${name}`);
await admin.end();
const url = new URL(args['pg-url']!);
url.pathname = `/${name}`;
console.log(`bench/chaos: ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown CPU'}, Node ${process.version}; ${args.clients} clients for ${args.duration} s, ${args.kills} SIGKILLs${args['no-postgres-restart'] ? '' : ', one PostgreSQL restart'}`);
const started = performance.now();
try {
  const result = await runChaos({
    databaseUrl: url.toString(),
    clients: Number(args.clients),
    durationMs: Number(args.duration) * 1000,
    kills: Number(args.kills),
    ...(args['no-postgres-restart'] ? {} : { restartPostgres }),
    log: (line) => console.log(`  ${((performance.now() - started) / 1000).toFixed(1).padStart(6)} s  ${line}`),
  });
  console.log(JSON.stringify(result, null, 2));
  const ok = result.lost === 0 && result.doubled === 0 && result.withoutClocks === 0 && result.escalationsRaised === result.escalationsExpected && result.escalationsDoubled === 0 && result.escalationsAudited === result.escalationsExpected;
  console.log(ok ? 'PASS: nothing lost, nothing doubled, every clock and escalation in place' : 'FAIL');
  process.exitCode = ok ? 0 : 1;
} finally {
  const again = new pg.Client({ connectionString: args['pg-url'] });
  await again.connect();
  await again.query(`drop database if exists ${name} with (force)`);
  await again.end();
}
