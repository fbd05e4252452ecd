-- Database-enforced isolation (issue 9, decision 0006): row-level security on every table
-- with person data, so that a query that forgets its filter still returns nothing it should
-- not. Every transaction that acts for a user runs as the role spoc_app (set local role, in
-- src/db/transaction.ts), which owns nothing and cannot bypass row security; the settings
-- app.actor_partnership, app.actor_org, app.actor_id and app.actor_roles say who acts.
-- Work with no acting user (migrations, the background job's system steps, retention, key
-- rotation) runs as the connecting role, the tables' owner, which row security leaves alone.

do $$
begin
  create role spoc_app nologin;
exception when duplicate_object or unique_violation then
  null; -- roles belong to the whole server: another database of it made it first
end $$;

-- The connecting role must be able to become spoc_app (a superuser can already).
do $$
begin
  if not (select rolsuper from pg_roles where rolname = current_user) then
    execute format('grant spoc_app to %I', current_user);
  end if;
end $$;

grant usage on schema public to spoc_app;
grant select, insert, update, delete on all tables in schema public to spoc_app;
grant usage, select on all sequences in schema public to spoc_app;
alter default privileges in schema public grant select, insert, update, delete on tables to spoc_app;
alter default privileges in schema public grant usage, select on sequences to spoc_app;

-- Who acts. A reset setting reads '' (not null), hence nullif.
create function app_partnership() returns uuid language sql stable as $$ select nullif(current_setting('app.actor_partnership', true), '')::uuid $$;
create function app_org() returns uuid language sql stable as $$ select nullif(current_setting('app.actor_org', true), '')::uuid $$;
create function app_user() returns uuid language sql stable as $$ select nullif(current_setting('app.actor_id', true), '')::uuid $$;
create function app_roles() returns text[] language sql stable as $$ select coalesce(string_to_array(nullif(current_setting('app.actor_roles', true), ''), ','), '{}') $$;
create function app_purpose() returns text language sql stable as $$ select coalesce(current_setting('app.purpose', true), '') $$;

-- Commissioners and system administrators never see a person's record (SPEC §1, §5).
create function app_sees_people() returns boolean language sql stable as $$
  select cardinality(app_roles()) > 0 and not (app_roles() <@ array['commissioner', 'system_admin'])
$$;

-- Whether the actor works in the partnership's SPOC hub, which routes to every partner.
create function app_in_hub() returns boolean language sql stable as $$
  select exists (select 1 from organisations o where o.id = app_org() and o.partnership_id = app_partnership() and o.kind = 'spoc_hub')
$$;

-- Whether the actor's organisation knows the person named in app.subject: it recorded them,
-- holds a case for them, or owns or was shared one of their contacts. (Security definer:
-- it reads the tables whose policies call it.)
create function app_subject_known() returns boolean language sql stable security definer set search_path = public, pg_temp as $$
  with subject as (select nullif(current_setting('app.subject', true), '')::uuid as id)
  select exists (select 1 from people p, subject where p.id = subject.id and p.organisation_id = app_org())
      or exists (select 1 from cases k, subject where k.person_id = subject.id and k.organisation_id = app_org())
      or exists (select 1 from contacts c, subject where c.person_id = subject.id
                   and (c.organisation_id = app_org() or exists (select 1 from contact_shares s where s.contact_id = c.id and s.organisation_id = app_org())))
$$;

-- Reads for a named purpose, opened by the code that serves it (forPurpose in
-- src/db/transaction.ts) and only for the roles the purpose is for:
--   aggregate: a report's measures (counts only leave the database) — report readers;
--   subject_access: everything held about the person in app.subject (UK GDPR art. 15) —
--     the SPOC coordinator for anyone, a provider manager for people their organisation knows;
--   perpetrator_check: which contacts record an alleged perpetrator's number — answers ids only;
--   known_to: which organisations hold a case for a person, and its state — the hub;
--   caseload: how many people each service's caseworkers hold — counts only;
--   marac_allocation: when the same person was last referred to MARAC, and how many
--     referrals each meeting lists (to list one where there is room) — a date and counts.
create function app_purpose_allows() returns boolean language sql stable as $$
  select case app_purpose()
    when 'aggregate' then app_roles() && array['spoc_coordinator', 'provider_manager', 'commissioner']
    when 'subject_access' then ('spoc_coordinator' = any(app_roles()) and app_in_hub())
                            or ('provider_manager' = any(app_roles()) and app_subject_known())
    when 'perpetrator_check' then app_sees_people()
    when 'known_to' then app_in_hub()
    when 'caseload' then app_sees_people()
    when 'marac_allocation' then app_sees_people()
    else false end
$$;

-- Each person table: fenced to the actor's partnership and to roles that see people (a
-- report's aggregate purpose also reads), then opened by a reach policy of its own.
create function spoc_fence(tab regclass, reach text, write text default null) returns void language plpgsql as $$
begin
  execute format('alter table %s enable row level security', tab);
  execute format($p$create policy fence on %s as restrictive to spoc_app
    using (partnership_id = app_partnership() and (select app_sees_people() or (app_purpose() = 'aggregate' and app_purpose_allows())))
    with check (partnership_id = app_partnership() and (select app_sees_people()))$p$, tab);
  if write is null then
    execute format('create policy reach on %s to spoc_app using (%s)', tab, reach);
  else
    -- Read by one rule, written by another.
    execute format('create policy reach on %s for select to spoc_app using (%s)', tab, reach);
    execute format('create policy reach_insert on %s for insert to spoc_app with check (%s)', tab, write);
    execute format('create policy reach_update on %s for update to spoc_app using (%s)', tab, write);
    execute format('create policy reach_delete on %s for delete to spoc_app using (%s)', tab, write);
  end if;
  -- (A function of no column is wrapped in a subquery, so it runs once per query, not per row.)
  execute format('create policy purpose on %s for select to spoc_app using ((select app_purpose_allows()))', tab);
end $$;

-- Whether a referral of this contact was sent to the actor's organisation. A service that
-- receives a referral reads its contact (the referral pack) even when the contact is not
-- shared with it — a perpetrator's, sent to a behaviour-change programme — and links it to
-- the person whose case it opens; which of the contact's fields it is shown is the
-- service's (row security is by row, not by column). Security definer: referrals' own
-- policy reads contacts, and PostgreSQL refuses a loop of policies.
create function app_receives_referral_of(contact uuid) returns boolean language sql stable security definer set search_path = public, pg_temp as $$
  select exists (select 1 from referrals r where r.contact_id = contact and r.organisation_id = app_org())
$$;

-- Contacts: the organisation that owns them, the user who took them, organisations they
-- are shared with, and services a referral of them was sent to.
select spoc_fence('contacts', $$organisation_id = app_org() or handler_user_id = app_user()
  or exists (select 1 from contact_shares s where s.contact_id = contacts.id and s.organisation_id = app_org())
  or app_receives_referral_of(id)$$);
-- A contact's shares are read by anyone in the partnership who sees people (the contacts'
-- own policy reads them), and made only by those who reach the contact: the contacts' rule
-- again, in a function that reads past the policies (a policy on contact_shares may not
-- pass through contacts' policy, which reads contact_shares: PostgreSQL refuses the loop).
create function app_reaches_contact(contact uuid) returns boolean language sql stable security definer set search_path = public, pg_temp as $$
  select exists (select 1 from contacts c where c.id = contact and c.partnership_id = app_partnership()
                   and (c.organisation_id = app_org() or c.handler_user_id = app_user()
                        or exists (select 1 from contact_shares s where s.contact_id = c.id and s.organisation_id = app_org())
                        or exists (select 1 from referrals r where r.contact_id = c.id and r.organisation_id = app_org())))
$$;
select spoc_fence('contact_shares', 'true', 'app_reaches_contact(contact_id)');
-- What hangs off a contact: as its contact (the subquery is itself under the contacts' policies).
select spoc_fence('risk_assessments', 'exists (select 1 from contacts c where c.id = risk_assessments.contact_id)');
select spoc_fence('contact_links', 'exists (select 1 from contacts c where c.id = contact_links.contact_id)');
select spoc_fence('person_match_decisions', 'exists (select 1 from contacts c where c.id = person_match_decisions.contact_id)');
select spoc_fence('calls', 'organisation_id = app_org() or exists (select 1 from contacts c where c.id = calls.contact_id)');
-- Referrals: the receiving organisation, and whoever sees the contact they came from.
select spoc_fence('referrals', 'organisation_id = app_org() or exists (select 1 from contacts c where c.id = referrals.contact_id)');
select spoc_fence('referral_events', 'exists (select 1 from referrals r where r.id = referral_events.referral_id)');
select spoc_fence('contact_attempts', 'exists (select 1 from referrals r where r.id = contact_attempts.referral_id)');
select spoc_fence('escalations', 'exists (select 1 from referrals r where r.id = escalations.referral_id)');
-- People: the organisation that recorded them, the hub (it recognises people across the
-- partnership), organisations holding a case for them, and whoever sees one of their contacts.
select spoc_fence('people', $$organisation_id = app_org() or (select app_in_hub())
  or exists (select 1 from cases k where k.person_id = people.id and k.organisation_id = app_org())
  or exists (select 1 from contacts c where c.person_id = people.id)$$);
-- Cases belong to the provider supporting the person (the hub learns which organisations
-- know a person through the known_to purpose: organisation and state only).
select spoc_fence('cases', 'organisation_id = app_org()');
-- What a case holds stays with its organisation; notes not marked sensitive are shared
-- with organisations holding a case for the same person (decision 0004).
select spoc_fence('case_notes', $$organisation_id = app_org()
  or (not sensitive and exists (select 1 from cases k where k.person_id = case_notes.person_id and k.organisation_id = app_org()))$$);
select spoc_fence('safety_plans', 'organisation_id = app_org()');
select spoc_fence('household_members', 'organisation_id = app_org()');
select spoc_fence('case_perpetrators', 'organisation_id = app_org()');
select spoc_fence('case_actions', 'organisation_id = app_org()');
select spoc_fence('outcome_measures', 'organisation_id = app_org()');
-- Fenced to the partnership and to roles that see people; their finer rules are the services'.
select spoc_fence('programme_places', 'true');
select spoc_fence('programme_attendance', 'true');
-- MARAC: the hub, which runs it, sees every referral; an agency those on meetings it
-- attends, and whoever reaches the contact (its page says it went to MARAC). Whoever
-- records a high-risk contact's checklist refers it (so may write it). Functions, not
-- subqueries: contacts' marac_list policy below reads marac_referrals.
create function app_attends(meeting uuid) returns boolean language sql stable security definer set search_path = public, pg_temp as $$
  select exists (select 1 from marac_meetings m where m.id = meeting and app_org() = any(m.attending_organisation_ids))
$$;
select spoc_fence('marac_referrals', '(select app_in_hub()) or app_attends(meeting_id) or app_reaches_contact(contact_id)');
-- A meeting's list shows each agency on it the victim's name, date of birth, children and
-- alleged perpetrators from the contact (the service chooses the fields): contacts on a
-- MARAC referral the actor sees, while the list is read (the marac_list purpose).
create policy marac_list on contacts for select to spoc_app
  using (app_purpose() = 'marac_list' and exists (select 1 from marac_referrals m where m.contact_id = contacts.id));
create policy marac_list on risk_assessments for select to spoc_app
  using (app_purpose() = 'marac_list' and exists (select 1 from marac_referrals m where m.risk_assessment_id = risk_assessments.id));
select spoc_fence('marac_research', 'exists (select 1 from marac_referrals m where m.id = marac_research.marac_referral_id)');
select spoc_fence('marac_actions', 'exists (select 1 from marac_referrals m where m.id = marac_actions.marac_referral_id)');
select spoc_fence('door_sessions', 'true');

drop function spoc_fence(regclass, text, text);

-- Triggers that keep facts across rows (a person's previous contact, a referral's clock
-- facts, a case's outcomes) must see every row they keep, whoever's change fired them.
alter function contact_risk_level() security definer set search_path = public, pg_temp;
alter function referral_report_facts() security definer set search_path = public, pg_temp;
alter function referral_decision() security definer set search_path = public, pg_temp;
alter function contact_previous_before() security definer set search_path = public, pg_temp;
alter function contact_previous_after() security definer set search_path = public, pg_temp;
alter function escalation_breached() security definer set search_path = public, pg_temp;
alter function contact_person_facts() security definer set search_path = public, pg_temp;
alter function person_facts_to_contacts() security definer set search_path = public, pg_temp;
alter function case_outcome_facts() security definer set search_path = public, pg_temp;
