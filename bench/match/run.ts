/**
 * bench/match: recognising a returning person among many. It seeds N known people
 * (1,000,000 by default) into a fresh PostgreSQL database with set-based SQL, records Q new
 * contacts through the real contacts service whose person resembles a known one in the
 * ways callers do (a misspelt name, a date of birth one slip apart, only a phone number,
 * only a postcode, or nobody known), then times the real `matchesFor` service call for
 * each, one after another, and the bare `findCandidates` query alone.
 *
 *   npm run bench:match -- --people 1000000 --queries 500
 *   npm run bench:match -- --people 100000 --explain 3    # EXPLAIN ANALYZE the 3 slowest queries
 *
 * It creates a new database on the PostgreSQL server of --pg-url (127.0.0.1:5432 by
 * default) and drops it afterwards, also when it fails or is interrupted.
 */
import os from 'node:os';
import { parseArgs } from 'node:util';
import { Kysely, PostgresDialect, type CompiledQuery } from 'kysely';
import pg from 'pg';
import { openDatabase, type Database } from '../../src/db/connect.js';
import { migrate } from '../../src/db/migrate.js';
import { inTransaction } from '../../src/db/transaction.js';
import type { DB } from '../../src/db/types.js';
import { phoneDigits } from '../../src/lib/schema.js';
import { actorForUser, type Actor } from '../../src/modules/access/actor.js';
import { addUser } from '../../src/modules/access/service.js';
import { matchesFor } from '../../src/modules/cases/service.js';
import { findCandidates, searchName, type MatchQuery } from '../../src/modules/cases/store.js';
import type { NewContact } from '../../src/modules/contacts/schema.js';
import { createContact } from '../../src/modules/contacts/service.js';
import { provisionPartnership } from '../../src/seed/partnership.js';
import { DISTRICTS, FIRST_NAMES, SURNAMES, UNIT_LETTERS } from './names.js';
import { seedPeople } from './seed.js';

const { values: args } = parseArgs({
  options: {
    people: { type: 'string', default: '1000000' },
    queries: { type: 'string', default: '500' },
    /** Contacts matched before timing starts (not counted). */
    warmup: { type: 'string', default: '50' },
    'pg-url': { type: 'string', default: 'postgres://postgres@127.0.0.1:5432/postgres' },
    /** EXPLAIN (ANALYZE, BUFFERS) the N slowest bare queries. */
    explain: { type: 'string', default: '0' },
  },
});
const PEOPLE = Number(args.people);
const QUERIES = Number(args.queries);
const WARMUP = Number(args.warmup);
const EXPLAIN = Number(args.explain);
/** The matching limit the service uses per branch. */
const LIMIT = 50;
const TARGET_P95_MS = 50;

// ── small helpers ──────────────────────────────────────────────────────────────────────

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

function summary(times: readonly number[]): string {
  const sorted = [...times].sort((a, b) => a - b);
  const f = (n: number) => n.toFixed(1).padStart(7);
  return `${f(percentile(sorted, 50))} ${f(percentile(sorted, 95))} ${f(percentile(sorted, 99))} ${f(sorted[sorted.length - 1] ?? NaN)}`;
}

/** A small seeded generator (mulberry32), so the contacts are the same from run to run. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const random = generator(7);
const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
/** The 1, 5 and 15 minute load averages: other work on a shared machine shows up in the tail latencies. */
const loadAverage = () => os.loadavg().map((n) => n.toFixed(2)).join(' ');
const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(1);

// ── the contacts to match ──────────────────────────────────────────────────────────────

const KINDS = ['misspelt name, same DOB, new phone', 'exact name, DOB one slip apart', 'only a known phone', 'only a known postcode', 'unknown person'] as const;
type Kind = (typeof KINDS)[number];
/** Out of every 20 contacts: 6 misspelt, 4 exact name, 3 phone, 3 postcode, 4 unknown. */
const MIX: readonly Kind[] = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 4].map((i) => KINDS[i]!);

interface KnownPerson {
  id: string;
  name: string;
  date_of_birth: string;
  postcode: string;
  phone_digits: string[];
}

interface Probe {
  kind: Kind;
  contactId: string;
  /** The known person the contact is about (null for an unknown person). */
  intended: string | null;
  query: MatchQuery;
}

/** One letter of the name changed to another (never the name's first letter: misspellings rarely start there). */
function misspell(name: string): string {
  const positions = [...name].map((c, i) => (i > 0 && /[a-z]/i.test(c) ? i : -1)).filter((i) => i >= 0);
  const at = pick(positions);
  const original = name[at]!;
  let letter = original;
  while (letter.toLowerCase() === original.toLowerCase()) letter = pick('abcdefghijklmnopqrstuvwxyz'.split(''));
  if (original === original.toUpperCase()) letter = letter.toUpperCase();
  return name.slice(0, at) + letter + name.slice(at + 1);
}

const isoDate = (d: Date) => d.toISOString().slice(0, 10);
function randomDob(): string {
  return isoDate(new Date(Date.UTC(1940, 0, 1) + Math.floor(random() * 25_202) * 86_400_000));
}

/** A date of birth one slip of the pen apart: day and month swapped, or one digit changed (still a real date, not in the future). */
function slipDate(dob: string): string {
  const [y, m, d] = dob.split('-') as [string, string, string];
  if (Number(d) <= 12 && d !== m && random() < 0.5) return `${y}-${d}-${m}`;
  for (;;) {
    const digits = dob.replace(/-/g, '').split('');
    const at = 2 + Math.floor(random() * 6);
    digits[at] = String(Math.floor(random() * 10));
    const candidate = `${digits.slice(0, 4).join('')}-${digits.slice(4, 6).join('')}-${digits.slice(6).join('')}`;
    const date = new Date(`${candidate}T00:00:00Z`);
    if (candidate !== dob && !Number.isNaN(date.getTime()) && isoDate(date) === candidate && candidate < '2009-01-01') return candidate;
  }
}

/** A mobile number no known person has ('07700 8…'; the known ones are '07700 9…'). */
const newPhone = () => `07700 8${String(Math.floor(random() * 1_000_000)).padStart(6, '0')}`;
/** International digits written as a caller says them: 4477009123456 → 07700 9123456. */
const asSpoken = (digits: string) => `0${digits.slice(2, 6)} ${digits.slice(6)}`;
const randomPostcode = () => `${pick(DISTRICTS)} ${1 + Math.floor(random() * 9)}${pick(UNIT_LETTERS.split(''))}${pick(UNIT_LETTERS.split(''))}`;

function personFor(kind: Kind, known: KnownPerson): NonNullable<NewContact['person']> {
  switch (kind) {
    case 'misspelt name, same DOB, new phone':
      return { name: misspell(known.name), dateOfBirth: known.date_of_birth, gender: 'female', postcode: randomPostcode(), phones: [newPhone()] };
    case 'exact name, DOB one slip apart':
      return { name: known.name, dateOfBirth: slipDate(known.date_of_birth), gender: 'female', postcode: randomPostcode(), phones: [newPhone()] };
    case 'only a known phone':
      return { phones: [asSpoken(known.phone_digits[0]!)] };
    case 'only a known postcode':
      return { postcode: known.postcode };
    case 'unknown person':
      return { name: `${pick(FIRST_NAMES)} ${pick(SURNAMES)}`, dateOfBirth: randomDob(), gender: 'female', postcode: randomPostcode(), phones: [newPhone()] };
  }
}

/** The query the service builds from this person (as matchesFor does), for timing findCandidates alone. */
function queryFor(partnershipId: string, person: NonNullable<NewContact['person']>): MatchQuery {
  const digits = [...new Set((person.phones ?? []).map(phoneDigits).filter((d) => d.length >= 6))];
  return {
    partnershipId,
    name: searchName([person.name, ...(person.otherNames ?? [])].filter((n): n is string => Boolean(n))),
    dateOfBirth: person.dateOfBirth ?? null,
    phoneDigits: digits,
    postcode: person.postcode ?? null,
    limit: LIMIT,
  };
}

async function createProbes(database: Database, actor: Actor, count: number): Promise<Probe[]> {
  const known = await database.session(async (session) => {
    await session.query('select setseed(0.29)');
    return session.query<KnownPerson & Record<string, unknown>>(
      `select id, name, date_of_birth::text as date_of_birth, postcode, phone_digits from people
        where partnership_id = $1 and cardinality(phone_digits) > 0 order by random() limit $2`,
      [actor.partnershipId, count],
    );
  });
  const probes: Probe[] = [];
  for (const [i, person] of known.entries()) {
    const kind = MIX[i % MIX.length]!;
    const details = personFor(kind, person);
    const contact = await inTransaction(database.db, actor, (tx) =>
      createContact(tx, actor, { channel: 'phone', callerType: 'victim', immediateDanger: 'no', person: details }),
    );
    probes.push({ kind, contactId: contact.id, intended: kind === 'unknown person' ? null : person.id, query: queryFor(actor.partnershipId, contact.person) });
  }
  return probes;
}

// ── timing ─────────────────────────────────────────────────────────────────────────────

interface Timed {
  probe: Probe;
  ms: number;
  /** Where the intended person is among the ranked candidates (0-based), -1 if absent. */
  rank: number;
  candidates: number;
}

async function timeMatches(database: Database, actor: Actor, probes: readonly Probe[]): Promise<Timed[]> {
  const results: Timed[] = [];
  for (const probe of probes) {
    const start = performance.now();
    const view = await inTransaction(database.db, actor, (tx) => matchesFor(tx, actor, probe.contactId));
    const ms = performance.now() - start;
    results.push({ probe, ms, rank: view.candidates.findIndex((c) => c.person.id === probe.intended), candidates: view.candidates.length });
  }
  return results;
}

/** findCandidates alone, timed inside its transaction (begin and commit not counted). */
async function timeBare(database: Database, actor: Actor, probes: readonly Probe[]): Promise<Timed[]> {
  const results: Timed[] = [];
  for (const probe of probes) {
    await inTransaction(database.db, actor, async (tx) => {
      const start = performance.now();
      const rows = await findCandidates(tx, probe.query);
      const ms = performance.now() - start;
      results.push({ probe, ms, rank: rows.findIndex((r) => r.id === probe.intended), candidates: rows.length });
    });
  }
  return results;
}

function report(label: string, results: readonly Timed[]): void {
  console.log(`\n${label} (ms)`);
  console.log(`  ${'contact'.padEnd(36)} ${'n'.padStart(4)} ${'p50'.padStart(7)} ${'p95'.padStart(7)} ${'p99'.padStart(7)} ${'max'.padStart(7)}  rows`);
  const line = (name: string, subset: readonly Timed[]) => {
    const rows = subset.reduce((sum, r) => sum + r.candidates, 0) / Math.max(1, subset.length);
    console.log(`  ${name.padEnd(36)} ${String(subset.length).padStart(4)} ${summary(subset.map((r) => r.ms))}  ${rows.toFixed(1)}`);
  };
  line('all', results);
  for (const kind of KINDS) line(kind, results.filter((r) => r.probe.kind === kind));
}

/** Whether the intended person was found: by the query (any row) and among the ranked candidates shown. */
function recall(bare: readonly Timed[], ranked: readonly Timed[]): void {
  console.log('\nrecall: the intended person');
  console.log(`  ${'contact'.padEnd(36)} ${'found by query'.padStart(15)} ${'shown (top 10)'.padStart(15)} ${'shown first'.padStart(12)}`);
  for (const kind of KINDS.filter((k) => k !== 'unknown person')) {
    const b = bare.filter((r) => r.probe.kind === kind);
    const m = ranked.filter((r) => r.probe.kind === kind);
    const pct = (n: number, of: number) => `${n}/${of} ${((100 * n) / Math.max(1, of)).toFixed(0)}%`.padStart(15);
    console.log(
      `  ${kind.padEnd(36)} ${pct(b.filter((r) => r.rank >= 0).length, b.length)} ${pct(m.filter((r) => r.rank >= 0).length, m.length)} ${pct(m.filter((r) => r.rank === 0).length, m.length).padStart(12)}`,
    );
  }
}

/** EXPLAIN (ANALYZE, BUFFERS) of findCandidates for these probes: the query is captured from Kysely as the store builds it. */
async function explain(url: string, actor: Actor, probes: readonly Probe[]): Promise<void> {
  const captured: CompiledQuery[] = [];
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  const capturing = new Kysely<DB>({ dialect: new PostgresDialect({ pool }), log: (event) => void captured.push(event.query) });
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    for (const probe of probes) {
      captured.length = 0;
      await capturing.transaction().execute((tx) => findCandidates(tx, probe.query));
      const statements = captured.filter((q) => q.sql.trim() !== 'begin' && q.sql.trim() !== 'commit');
      const last = statements.pop()!;
      await client.query('begin');
      for (const q of statements) await client.query(q.sql, [...q.parameters]);
      const { rows } = await client.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers) ${last.sql}`, [...last.parameters]);
      await client.query('rollback');
      console.log(`\nEXPLAIN ANALYZE — ${probe.kind}: name "${probe.query.name}", dob ${probe.query.dateOfBirth}, phones ${probe.query.phoneDigits.join(',') || '-'}, postcode ${probe.query.postcode ?? '-'}`);
      for (const row of rows) console.log(`  ${row['QUERY PLAN']}`);
    }
  } finally {
    await client.end();
    await capturing.destroy();
  }
}

// ── the run ────────────────────────────────────────────────────────────────────────────

/** Set on Ctrl-C: the database is being dropped, so the queries under way fail and that is expected. */
let interrupted = false;

async function main(): Promise<void> {
  const name = `spoc_bench_match_${Date.now()}`;
  const admin = new pg.Client({ connectionString: args['pg-url'] });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const url = new URL(args['pg-url']!);
  url.pathname = `/${name}`;
  let database: Database | undefined;
  let dropped = false;
  const drop = async () => {
    if (dropped) return;
    dropped = true;
    await database?.close().catch(() => undefined);
    await admin.query(`drop database if exists ${name} with (force)`);
    await admin.end();
  };
  process.once('SIGINT', () => {
    interrupted = true;
    console.error('\ninterrupted: dropping the database');
    void drop().finally(() => process.exit(130));
  });
  try {
    const { rows: [server] } = await admin.query<{ version: string; shared_buffers: string; work_mem: string }>(
      `select split_part(version(), ' ', 2) as version, current_setting('shared_buffers') as shared_buffers, current_setting('work_mem') as work_mem`,
    );
    console.log(
      `bench/match: ${os.cpus().length} cores, ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${(os.totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ` +
        `PostgreSQL ${server?.version} (shared_buffers ${server?.shared_buffers}, work_mem ${server?.work_mem})`,
    );
    console.log(`${PEOPLE.toLocaleString('en-GB')} people, ${QUERIES} contacts timed after ${WARMUP} to warm up; load average ${loadAverage()}`);

    database = await openDatabase({ kind: 'postgres', url: url.toString(), poolSize: 2 });
    await migrate(database);
    const slug = 'bench-match';
    const { actor, organisationId } = await inTransaction(database.db, null, async (tx) => {
      const { hub } = await provisionPartnership(tx, { slug, name: 'Bench partnership', hubSlug: 'hub', hubName: 'Bench SPOC' });
      const user = await addUser(tx, null, { partnershipSlug: slug, organisationSlug: 'hub', email: 'handler@bench-match.example', name: 'Bench handler', roles: ['call_handler'] });
      return { actor: actorForUser(user), organisationId: hub.id };
    });

    console.log('\nseeding people');
    await seedPeople(url.toString(), { partnershipId: actor.partnershipId, organisationId, userId: actor.userId }, PEOPLE);

    let at = performance.now();
    const probes = await createProbes(database, actor, WARMUP + QUERIES);
    console.log(`${probes.length} contacts recorded through the contacts service in ${seconds(at)} s`);
    const warmup = probes.slice(0, WARMUP);
    const timed = probes.slice(WARMUP);

    at = performance.now();
    await timeMatches(database, actor, warmup);
    await timeBare(database, actor, warmup);
    console.log(`warm-up: ${warmup.length} contacts in ${seconds(at)} s`);

    const matches = await timeMatches(database, actor, timed);
    const bare = await timeBare(database, actor, timed);
    report('matchesFor — the service call in its own transaction, as the call handler', matches);
    report('findCandidates — the bare query alone (inside a transaction, begin/commit not counted)', bare);
    recall(bare, matches);

    console.log(`\nload average after timing: ${loadAverage()} (other work on the machine shows up in the tail)`);
    const p95 = percentile(matches.map((r) => r.ms).sort((a, b) => a - b), 95);
    console.log(`\ntarget: matchesFor p95 under ${TARGET_P95_MS} ms among ${PEOPLE.toLocaleString('en-GB')} people: ${p95 < TARGET_P95_MS ? 'met' : 'NOT met'} (p95 ${p95.toFixed(1)} ms)`);

    const slowest = [...bare].sort((a, b) => b.ms - a.ms);
    console.log('\nslowest bare queries:');
    for (const r of slowest.slice(0, 5)) console.log(`  ${r.ms.toFixed(1).padStart(7)} ms  ${r.probe.kind.padEnd(36)} name "${r.probe.query.name}"  ${r.candidates} rows`);
    if (EXPLAIN > 0) await explain(url.toString(), actor, slowest.slice(0, EXPLAIN).map((r) => r.probe));
  } finally {
    await drop();
  }
}

await main().catch((error: unknown) => {
  if (!interrupted) throw error;
});
