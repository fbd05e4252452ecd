-- The report reader (issue 11, decision 0006): the role a report's measures count as.
-- Under spoc_app, each of a quarter's ~250,000 contacts was put through every policy of
-- its table — the contact's reach (a lookup of its referrals per row), the MARAC list, the
-- restrictions — before the aggregate purpose let it be counted; the policies also name
-- columns the report's covering indexes do not hold, and their functions kept PostgreSQL
-- from planning in parallel. A report read ten times slower than before row security.
--
-- spoc_reporter sees exactly what spoc_app sees under the aggregate purpose — every row of
-- the actor's partnership, restricted people's included (counts must count them), and only
-- for the roles the purpose is for — by one policy per table that names no column but the
-- partnership. It may read only the tables the measures count, and write nothing. The
-- measures switch to it around their queries and back (asReportReader in
-- src/modules/reports/measures.ts); only counts leave those queries.

do $$
begin
  create role spoc_reporter nologin;
exception when duplicate_object or unique_violation then
  null; -- roles belong to the whole server: another database of it made it first
end $$;

do $$
begin
  if not (select rolsuper from pg_roles where rolname = current_user) then
    execute format('grant spoc_reporter to %I', current_user);
  end if;
end $$;

grant usage on schema public to spoc_reporter;
do $$
declare
  t text;
begin
  foreach t in array array['contacts', 'calls', 'referrals', 'marac_referrals', 'cases'] loop
    execute format('grant select on %I to spoc_reporter', t);
    execute format($p$create policy report on %I for select to spoc_reporter
      using (partnership_id = app_partnership() and (select app_purpose() = 'aggregate' and app_purpose_allows()))$p$, t);
  end loop;
end $$;

-- The helpers only read settings and tables: safe in parallel workers, which get the
-- leader's settings and role. Marked so, a report's large passes may use both cores again
-- (a function marked unsafe anywhere in a statement, policies included, rules that out).
alter function app_partnership() parallel safe;
alter function app_org() parallel safe;
alter function app_user() parallel safe;
alter function app_roles() parallel safe;
alter function app_purpose() parallel safe;
alter function app_in_hub() parallel safe;
alter function app_subject_known() parallel safe;
alter function app_sees_people() parallel safe;
alter function app_purpose_allows() parallel safe;
