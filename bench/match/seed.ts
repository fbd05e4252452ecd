/**
 * bench/match's known people, seeded set-based (generate_series) in chunks of 100,000 rows.
 */
import pg from 'pg';
import { DISTRICTS, FIRST_NAMES, SURNAMES, UNIT_LETTERS } from './names.js';

const CHUNK = 100_000;
const seconds = (since: number) => ((performance.now() - since) / 1000).toFixed(1);

/**
 * One chunk of people, all set-based: names skewed towards the start of each list (the
 * common ones), one in eight with a former surname as another name, dates of birth over
 * 1940–2008, a postcode in one of the districts, and 0–2 mobile numbers '4477009' + 6 digits.
 * `search_name` is built as store.searchName builds it: every name, lower-cased, joined by spaces.
 */
const SEED_CHUNK = `
with picked as materialized (
  select ($4::text[])[1 + floor(cardinality($4::text[]) * power(random(), 1.3))::int] as first,
         ($5::text[])[1 + floor(cardinality($5::text[]) * power(random(), 1.3))::int] as surname,
         case when random() < 0.12 then ($5::text[])[1 + floor(cardinality($5::text[]) * random())::int] end as former_surname,
         date '1940-01-01' + floor(random() * (date '2009-01-01' - date '1940-01-01'))::int as dob,
         case when random() < 0.9 then 'female' else 'male' end as gender,
         ($6::text[])[1 + floor(cardinality($6::text[]) * random())::int] || ' ' || (1 + floor(random() * 9))::int
           || substr($7, 1 + floor(random() * length($7))::int, 1) || substr($7, 1 + floor(random() * length($7))::int, 1) as postcode,
         random() as phone_roll,
         '4477009' || lpad(floor(random() * 1000000)::int::text, 6, '0') as phone1,
         '4477009' || lpad(floor(random() * 1000000)::int::text, 6, '0') as phone2
    from generate_series(1, $8::int)
)
insert into people (partnership_id, organisation_id, name, other_names, search_name, date_of_birth, gender, postcode, phone_digits, created_by)
select $1, $2, first || ' ' || surname,
       case when former_surname is null then '{}'::text[] else array[first || ' ' || former_surname] end,
       lower(first || ' ' || surname) || case when former_surname is null then '' else ' ' || lower(first || ' ' || former_surname) end,
       dob, gender, postcode,
       case when phone_roll < 0.08 then '{}'::text[] when phone_roll < 0.85 then array[phone1] else array[phone1, phone2] end,
       $3
  from picked`;

/**
 * Seeds `count` people for the partnership. The people table's secondary indexes (as the
 * migration defines them) are dropped for the load and built again afterwards, which is
 * several times faster than maintaining a trigram index row by row; then VACUUM ANALYZE,
 * as autovacuum would leave a long-lived table.
 */
export async function seedPeople(url: string, owner: { partnershipId: string; organisationId: string; userId: string }, count: number): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query(`set maintenance_work_mem = '1GB'`);
    await client.query('set synchronous_commit = off');
    await client.query('select setseed(0.17)');
    const { rows: indexes } = await client.query<{ indexname: string; indexdef: string }>(
      `select indexname, indexdef from pg_indexes where schemaname = current_schema() and tablename = 'people'
          and indexname not in (select conname from pg_constraint where conrelid = 'people'::regclass)`,
    );
    for (const index of indexes) await client.query(`drop index ${index.indexname}`);
    const started = performance.now();
    for (let done = 0; done < count; ) {
      const n = Math.min(CHUNK, count - done);
      await client.query(SEED_CHUNK, [owner.partnershipId, owner.organisationId, owner.userId, FIRST_NAMES, SURNAMES, DISTRICTS, UNIT_LETTERS, n]);
      done += n;
      console.log(`  ${done.toLocaleString('en-GB').padStart(10)} people  ${seconds(started)} s`);
    }
    for (const index of indexes) {
      const at = performance.now();
      await client.query(index.indexdef);
      console.log(`  index ${index.indexname} built in ${seconds(at)} s`);
    }
    const at = performance.now();
    await client.query('vacuum (analyze) people');
    console.log(`  vacuum analyze in ${seconds(at)} s; ${count.toLocaleString('en-GB')} people seeded in ${seconds(started)} s`);
  } finally {
    await client.end();
  }
}
