-- Row-level security's helper functions as PL/pgSQL (bench/flow, 2026-12-02): written in
-- SQL, the planner inlined them into every policy of every table a statement reads, and
-- planning a contact lookup took 4-6 ms instead of a fraction of one (each of a statement's
-- first plans on a connection is made afresh). PL/pgSQL functions are not inlined: each is
-- one call, run once per statement (the policies wrap them in a subquery), its own plans
-- kept for the session. Same answers as 0021 and 0022.

create or replace function app_sees_people() returns boolean language plpgsql stable as $$
begin
  return cardinality(app_roles()) > 0 and not (app_roles() <@ array['commissioner', 'system_admin']);
end $$;

create or replace function app_in_hub() returns boolean language plpgsql stable as $$
begin
  return exists (select 1 from organisations o where o.id = app_org() and o.partnership_id = app_partnership() and o.kind = 'spoc_hub');
end $$;

create or replace function app_purpose_allows() returns boolean language plpgsql stable as $$
begin
  return case app_purpose()
    when 'aggregate' then app_roles() && array['spoc_coordinator', 'provider_manager', 'commissioner']
    when 'subject_access' then ('spoc_coordinator' = any(app_roles()) and app_in_hub())
                            or ('provider_manager' = any(app_roles()) and app_subject_known())
    when 'perpetrator_check' then app_sees_people()
    when 'known_to' then app_in_hub()
    when 'caseload' then app_sees_people()
    when 'marac_allocation' then app_sees_people()
    else false end;
end $$;

create or replace function app_restriction_lifted() returns boolean language plpgsql stable as $$
begin
  return app_purpose() in ('aggregate', 'caseload', 'perpetrator_check', 'marac_allocation', 'break_glass');
end $$;

-- The functions that read past the policies (security definer), likewise: in SQL each call
-- planned its query afresh, once per statement or once per row.
create or replace function app_reaches_contact(contact uuid) returns boolean language plpgsql stable security definer set search_path = public, pg_temp as $$
begin
  return exists (select 1 from contacts c where c.id = contact and c.partnership_id = app_partnership()
                   and (c.organisation_id = app_org() or c.handler_user_id = app_user()
                        or exists (select 1 from contact_shares s where s.contact_id = c.id and s.organisation_id = app_org())
                        or exists (select 1 from referrals r where r.contact_id = c.id and r.organisation_id = app_org())));
end $$;

create or replace function app_receives_referral_of(contact uuid) returns boolean language plpgsql stable security definer set search_path = public, pg_temp as $$
begin
  return exists (select 1 from referrals r where r.contact_id = contact and r.organisation_id = app_org());
end $$;

create or replace function app_attends(meeting uuid) returns boolean language plpgsql stable security definer set search_path = public, pg_temp as $$
begin
  return exists (select 1 from marac_meetings m where m.id = meeting and app_org() = any(m.attending_organisation_ids));
end $$;

create or replace function app_subject_known() returns boolean language plpgsql stable security definer set search_path = public, pg_temp as $$
declare
  subject uuid := nullif(current_setting('app.subject', true), '')::uuid;
begin
  return exists (select 1 from people p where p.id = subject and p.organisation_id = app_org())
      or exists (select 1 from cases k where k.person_id = subject and k.organisation_id = app_org())
      or exists (select 1 from contacts c where c.person_id = subject
                   and (c.organisation_id = app_org() or exists (select 1 from contact_shares s where s.contact_id = c.id and s.organisation_id = app_org())));
end $$;

create or replace function app_hidden_people() returns uuid[] language plpgsql stable security definer set search_path = public, pg_temp as $$
begin
  return (select coalesce(array_agg(p.id), '{}') from people p
           where p.partnership_id = app_partnership() and p.restricted_at is not null
             and not exists (select 1 from person_named_users n where n.person_id = p.id and n.user_id = app_user())
             and not exists (select 1 from break_glass b where b.person_id = p.id and b.user_id = app_user() and b.expires_at > now()));
end $$;

create or replace function app_hidden_contacts() returns uuid[] language plpgsql stable security definer set search_path = public, pg_temp as $$
declare
  hidden uuid[] := app_hidden_people();
begin
  if cardinality(hidden) = 0 then return '{}'; end if;
  return (select coalesce(array_agg(c.id), '{}') from contacts c where c.person_id = any(hidden));
end $$;

create or replace function app_hidden_cases() returns uuid[] language plpgsql stable security definer set search_path = public, pg_temp as $$
declare
  hidden uuid[] := app_hidden_people();
begin
  if cardinality(hidden) = 0 then return '{}'; end if;
  return (select coalesce(array_agg(k.id), '{}') from cases k where k.person_id = any(hidden));
end $$;
