-- Restricted records and break-glass access (issue 9; SPEC §5): a person's record can be
-- restricted to named users (e.g. a member of staff who is a victim). Everyone else in reach
-- sees nothing of it — the person, their contacts, cases and all that hangs off them — until
-- they break the glass: a reason, an hour's access, and a line for their manager to review.
-- Enforced by row-level security (0021_row_security.sql), so no query can forget it.

alter table people add column restricted_at timestamptz;
alter table people add column restricted_by uuid references users(id);
create index people_restricted on people (partnership_id) where restricted_at is not null;

-- The users who may see a restricted person's records.
create table person_named_users (
  person_id uuid not null references people(id),
  user_id uuid not null references users(id),
  partnership_id uuid not null references partnerships(id),
  named_by uuid not null references users(id),
  named_at timestamptz not null default now(),
  primary key (person_id, user_id)
);
create index person_named_users_user on person_named_users (user_id);

create table break_glass (
  id uuid primary key default gen_random_uuid(),
  partnership_id uuid not null references partnerships(id),
  -- the organisation of the user who broke the glass (their managers review it)
  organisation_id uuid not null references organisations(id),
  person_id uuid not null references people(id),
  user_id uuid not null references users(id),
  reason text not null check (length(btrim(reason)) >= 10),
  opened_at timestamptz not null default now(),
  expires_at timestamptz not null,
  reviewed_at timestamptz,
  reviewed_by uuid references users(id),
  review_note text
);
create index break_glass_review on break_glass (partnership_id, organisation_id, opened_at desc);
create index break_glass_open on break_glass (user_id, person_id, expires_at);

-- Restricted people the acting user may not see now: not named, no glass broken within the
-- hour. Security definer: it reads the tables whose policies call it.
create function app_hidden_people() returns uuid[] language sql stable security definer set search_path = public, pg_temp as $$
  select coalesce(array_agg(p.id), '{}') from people p
   where p.partnership_id = app_partnership() and p.restricted_at is not null
     and not exists (select 1 from person_named_users n where n.person_id = p.id and n.user_id = app_user())
     and not exists (select 1 from break_glass b where b.person_id = p.id and b.user_id = app_user() and b.expires_at > now())
$$;
create function app_hidden_contacts() returns uuid[] language sql stable security definer set search_path = public, pg_temp as $$
  select coalesce(array_agg(c.id), '{}') from contacts c where c.person_id = any(app_hidden_people())
$$;
create function app_hidden_cases() returns uuid[] language sql stable security definer set search_path = public, pg_temp as $$
  select coalesce(array_agg(k.id), '{}') from cases k where k.person_id = any(app_hidden_people())
$$;

-- Purposes that read past a restriction, because what they answer is a count, a date or an
-- id, and must count everyone: reports and caseloads, the perpetrator alert, a MARAC
-- meeting's places and a person's last MARAC referral; and breaking the glass itself
-- (which first finds the restricted record in one's reach).
create function app_restriction_lifted() returns boolean language sql stable as $$
  select app_purpose() in ('aggregate', 'caseload', 'perpetrator_check', 'marac_allocation', 'break_glass')
$$;

do $$
declare
  t text;
begin
  execute $p$create policy restricted on people as restrictive to spoc_app
    using ((select app_restriction_lifted()) or id <> all ((select app_hidden_people())::uuid[]))$p$;
  foreach t in array array['contacts', 'cases', 'case_notes', 'person_match_decisions'] loop
    execute format($p$create policy restricted on %I as restrictive to spoc_app
      using ((select app_restriction_lifted()) or person_id is null or person_id <> all ((select app_hidden_people())::uuid[]))$p$, t);
  end loop;
  foreach t in array array['referrals', 'risk_assessments', 'calls', 'contact_links', 'marac_referrals'] loop
    execute format($p$create policy restricted on %I as restrictive to spoc_app
      using ((select app_restriction_lifted()) or contact_id is null or contact_id <> all ((select app_hidden_contacts())::uuid[]))$p$, t);
  end loop;
  foreach t in array array['safety_plans', 'household_members', 'case_perpetrators', 'case_actions', 'outcome_measures', 'programme_places'] loop
    execute format($p$create policy restricted on %I as restrictive to spoc_app
      using ((select app_restriction_lifted()) or case_id is null or case_id <> all ((select app_hidden_cases())::uuid[]))$p$, t);
  end loop;
end $$;

-- Who is named, and the glass broken: within the partnership, to roles that see people. A
-- break-glass line is seen by the user who broke it, their organisation (its managers
-- review it; the service says who) and the hub.
alter table person_named_users enable row level security;
create policy fence on person_named_users as restrictive to spoc_app
  using (partnership_id = app_partnership() and (select app_sees_people()))
  with check (partnership_id = app_partnership() and (select app_sees_people()));
create policy reach on person_named_users to spoc_app using (true);

alter table break_glass enable row level security;
create policy fence on break_glass as restrictive to spoc_app
  using (partnership_id = app_partnership() and (select app_sees_people()))
  with check (partnership_id = app_partnership() and (select app_sees_people()));
create policy reach on break_glass to spoc_app
  using (user_id = app_user() or organisation_id = app_org() or (select app_in_hub()))
  with check (user_id = app_user() and organisation_id = app_org());
create policy review on break_glass for update to spoc_app
  using (organisation_id = app_org() or (select app_in_hub()));
